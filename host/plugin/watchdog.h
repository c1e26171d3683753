/*
 * watchdog - one thread with a coarse tick that watches the runtime from
 * outside: each tick calls `tick` (the host looks for stuck plugin calls
 * there), and once armed with a deadline it calls `expired` when the
 * deadline passes (the host's bounded stop: shutdown_timeout). Being its
 * own thread is the point: it still runs when the main thread is blocked
 * joining a plugin thread that never returns.
 *
 * Threading: start, arm and stop from one thread (main); the callbacks run
 * on the watchdog's thread, never concurrently with each other. `expired`
 * is called at most once; it may end the process (_exit), in which case
 * stop never returns to a caller blocked in it - which is what a bounded
 * stop wants.
 * Ownership: cp_watchdog_stop() joins the thread and frees it.
 */
#ifndef CPLANE_HOST_PLUGIN_WATCHDOG_H
#define CPLANE_HOST_PLUGIN_WATCHDOG_H

#include <stdint.h>

struct cp_watchdog;

struct cp_watchdog_ops {
  void (*tick)(void *userdata);    /* may be NULL */
  void (*expired)(void *userdata); /* may be NULL */
};

/* Starts the thread, ticking every tick_ms (> 0). Returns 0, or -1 when
 * out of memory or threads. */
int cp_watchdog_start(uint64_t tick_ms, const struct cp_watchdog_ops *ops,
                      void *userdata, struct cp_watchdog **out);
/* Calls `expired` once, after_ms from now, unless stopped before. */
void cp_watchdog_arm(struct cp_watchdog *w, uint64_t after_ms);
/* Stops ticking, joins and frees. NULL is fine. */
void cp_watchdog_stop(struct cp_watchdog *w);

#endif /* CPLANE_HOST_PLUGIN_WATCHDOG_H */
