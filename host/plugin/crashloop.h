/*
 * crashloop - the restart delay of a process that keeps exiting, as
 * kubelet's CrashLoopBackOff: the first restart waits `initial`, each
 * further one twice as long up to `cap`; a process that ran at least
 * `reset_after` before it exited starts over at `initial` (kubelet: 10 s
 * doubling to 5 min, forgotten after 10 min of running well).
 *
 * Threading: none; the owner serialises. Ownership: plain value.
 */
#ifndef CPLANE_HOST_PLUGIN_CRASHLOOP_H
#define CPLANE_HOST_PLUGIN_CRASHLOOP_H

#include <stdint.h>

/* The supervisor's defaults: 1 s doubling to 60 s, reset after 2 min. */
#define CP_CRASHLOOP_INITIAL_MS 1000u
#define CP_CRASHLOOP_CAP_MS 60000u
#define CP_CRASHLOOP_RESET_MS 120000u

struct cp_crashloop {
  uint64_t initial_ms, cap_ms, reset_after_ms;
  uint64_t next_ms; /* the delay the next exit gets; 0: initial */
};

/* 0 in any field takes the default above. */
void cp_crashloop_init(struct cp_crashloop *c, uint64_t initial_ms,
                       uint64_t cap_ms, uint64_t reset_after_ms);
/* The process exited after running ran_ms: the delay before its restart. */
uint64_t cp_crashloop_next(struct cp_crashloop *c, uint64_t ran_ms);

#endif /* CPLANE_HOST_PLUGIN_CRASHLOOP_H */
