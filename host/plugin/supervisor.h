/*
 * supervisor - runs each `isolation = process` plugin in a child process
 * and keeps it running.
 *
 * Each child is a command line (the cplane binary in host-only mode with
 * that plugin alone; any command in the tests), started with posix_spawn:
 * an empty signal mask, default dispositions, no inherited descriptor but
 * its stdout and stderr, which are one pipe the supervisor reads; every
 * line it writes goes to the log, whole, as "plugin NAME[PID]| LINE".
 * A child that exits when it was not asked to is restarted after the
 * crash-loop backoff (crashloop.h); an exit by a signal or with a status
 * other than 0 is a crash: logged with the plugin and how it ended (its own
 * crash line, crash.h, comes just before it through the pipe, naming the
 * key and with the backtrace) and counted in
 * cplane_plugin_crashes_total{plugin}; every start after the first counts
 * in cplane_plugin_restarts_total{plugin}.
 *
 * Stop: SIGTERM to every child, a bounded wait, SIGKILL to what remains,
 * and every child is reaped. Children ask the kernel for SIGTERM when the
 * supervisor's thread ends (PR_SET_PDEATHSIG, see main.c), so a supervisor
 * killed outright does not leave them behind.
 *
 * Threading: one thread (started by cp_supervisor_start) spawns, reads and
 * reaps; every public function may be called from any thread and takes the
 * supervisor's mutex. Ownership: the supervisor copies what it is given;
 * cp_supervisor_free stops and frees it all.
 */
#ifndef CPLANE_HOST_PLUGIN_SUPERVISOR_H
#define CPLANE_HOST_PLUGIN_SUPERVISOR_H

#include <stdint.h>
#include <stdio.h>

struct cp_supervisor;

struct cp_supervisor_config {
  /* Backoff (crashloop.h); 0: 1 s, 60 s, 120 s. */
  uint64_t backoff_initial_ms, backoff_cap_ms, backoff_reset_ms;
  uint64_t stop_timeout_ms; /* SIGTERM to SIGKILL; 0: 10 s */
  int log_fd;               /* children's tagged lines; <= 0: 2 */
  /* Called on the supervisor's thread, without its lock, before each
   * start of a child (isolated.c gives it its own credential there).
   * Non-zero: this start fails (logged with *errmsg, malloc'd) and is
   * retried after the backoff. NULL: none. */
  int (*before_start)(void *ud, const char *name, char **errmsg);
  void *before_start_ud;
};

/* NULL when out of memory. Nothing runs until cp_supervisor_start. */
struct cp_supervisor *cp_supervisor_new(const struct cp_supervisor_config *c);
/* Supervises plugin `name` running argv (argv[0] a path; NULL-terminated,
 * copied). `fingerprint` says what the child was started from (its INI
 * section, its file): the same again changes nothing; a different one
 * restarts the child at once with the new argv (a reload). Returns 0 when
 * nothing changed, 1 when added, 2 when it will restart, -1 when out of
 * memory. */
int cp_supervisor_set(struct cp_supervisor *s, const char *name,
                      char *const argv[], const char *fingerprint);
/* Stops supervising every plugin not in names[0..n) (their children get
 * SIGTERM and are reaped, not restarted). Returns how many. */
int cp_supervisor_retain(struct cp_supervisor *s, const char *const *names,
                         size_t n);
/* Starts the thread, which starts the children. Returns 0, or -1. Calling
 * it again does nothing. */
int cp_supervisor_start(struct cp_supervisor *s);
/* How many plugins are supervised. */
size_t cp_supervisor_count(struct cp_supervisor *s);
/* The pid of plugin name's child now, or 0 (tests). */
int cp_supervisor_pid(struct cp_supervisor *s, const char *name);
/* Readiness: "[+]plugin NAME ok (isolated, pid N)" when its child runs,
 * "[-]plugin NAME ..." saying why not. Returns 1 when all run (or none is
 * supervised, or the supervisor is not started: a standby). */
int cp_supervisor_ready(struct cp_supervisor *s, FILE *out);
/* cplane_plugin_crashes_total and cplane_plugin_restarts_total. Returns
 * 0, or -1 on a write error. */
int cp_supervisor_metrics_write(struct cp_supervisor *s, FILE *out);
/* Where each running child serves its own metrics: the address its log
 * announced ("health and metrics on http://ADDR"), copied into out (at
 * most max). Returns how many. isolated_metrics.h reads them. */
struct cp_supervisor_target {
  char name[128];
  char addr[64];
};
size_t cp_supervisor_metrics_targets(struct cp_supervisor *s,
                                     struct cp_supervisor_target *out,
                                     size_t max);
/* Counters for tests. */
uint64_t cp_supervisor_crashes(struct cp_supervisor *s, const char *name);
uint64_t cp_supervisor_restarts(struct cp_supervisor *s, const char *name);
/* Stops every child (SIGTERM, bounded wait, SIGKILL), joins the thread
 * and frees. NULL does nothing. */
void cp_supervisor_free(struct cp_supervisor *s);

#endif /* CPLANE_HOST_PLUGIN_SUPERVISOR_H */
