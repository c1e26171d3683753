/*
 * inflight - the plugin callbacks running right now, so that a call that
 * never returns is visible while it is stuck (the deadline counter only
 * sees calls that return).
 *
 * Each plugin has one cp_inflight_set; each thread that calls into the
 * plugin (a reconcile worker, a resource's dispatch thread) owns one slot
 * in it and marks every call with begin/end. The watchdog (and /readyz,
 * /metrics) read the slots: a call running longer than its slot's bound
 * is stuck; it is logged once (plugin, callback, key), counted in the
 * cplane_plugin_stuck_calls gauge and named by /readyz until it returns.
 *
 * begin also marks the call for the crash handler (crash.h): a fault
 * inside it is logged with the plugin, callback and key.
 *
 * Threading: every function may be called from any thread; one mutex per
 * set, held only to copy a few fields (a worker pays one uncontended lock
 * per call).
 * Ownership: slots belong to the set and keep their address until
 * cp_inflight_set_destroy(), so a thread abandoned by a bounded stop may
 * still write to its slot safely; the set belongs to the plugin.
 */
#ifndef CPLANE_HOST_PLUGIN_INFLIGHT_H
#define CPLANE_HOST_PLUGIN_INFLIGHT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The key a slot remembers (longer keys are cut; they only name it). */
#define CP_INFLIGHT_KEY_MAX 256

struct cp_inflight {
  uint64_t started_ns;      /* CLOCK_MONOTONIC; 0: idle */
  uint64_t bound_ns;        /* stuck once running past it; 0: never */
  const char *callback;     /* "reconcile", "on_add", ... (static) */
  char key[CP_INFLIGHT_KEY_MAX];
  int reported;             /* this call was logged as stuck */
};

struct cp_inflight_set {
  pthread_mutex_t mu;
  const char *plugin;         /* for messages; borrowed */
  struct cp_inflight **slots; /* each its own allocation: stable address */
  size_t n;
};

void cp_inflight_set_init(struct cp_inflight_set *s, const char *plugin);
void cp_inflight_set_destroy(struct cp_inflight_set *s);
/* Slot number i (0-based; a worker's or a resource's index in `kind`'s
 * range is the caller's choice), made on first use. NULL when out of
 * memory: begin/end on NULL do nothing. */
struct cp_inflight *cp_inflight_slot(struct cp_inflight_set *s, size_t i);

/* Marks the start and end of one call made from the slot's thread. */
void cp_inflight_begin(struct cp_inflight_set *s, struct cp_inflight *f,
                       const char *callback, const char *key,
                       uint64_t bound_ns);
void cp_inflight_end(struct cp_inflight_set *s, struct cp_inflight *f);

/* Logs every call stuck at now_ns that was not logged yet (a WARN line
 * naming plugin, callback, key and how long it has run). Returns how many
 * calls are stuck now. */
size_t cp_inflight_report(struct cp_inflight_set *s, uint64_t now_ns);
/* Stuck calls at now_ns, without logging. */
size_t cp_inflight_stuck(struct cp_inflight_set *s, uint64_t now_ns);
/* One "[-]plugin P: CALLBACK KEY stuck for N s (bound M s)" line per stuck
 * call into out (for /readyz?verbose). Returns how many. */
size_t cp_inflight_ready_lines(struct cp_inflight_set *s, uint64_t now_ns,
                               FILE *out);
/* Logs every call running now, stuck or not (at a bounded stop, these are
 * the calls abandoned). Returns how many. */
size_t cp_inflight_log_running(struct cp_inflight_set *s, uint64_t now_ns);

/* CLOCK_MONOTONIC in ns, the clock of every slot. */
uint64_t cp_inflight_now_ns(void);

#endif /* CPLANE_HOST_PLUGIN_INFLIGHT_H */
