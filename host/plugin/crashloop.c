/*
 * crashloop - see crashloop.h.
 */
#include "plugin/crashloop.h"

void cp_crashloop_init(struct cp_crashloop *c, uint64_t initial_ms,
                       uint64_t cap_ms, uint64_t reset_after_ms) {
  c->initial_ms = initial_ms != 0 ? initial_ms : CP_CRASHLOOP_INITIAL_MS;
  c->cap_ms = cap_ms != 0 ? cap_ms : CP_CRASHLOOP_CAP_MS;
  if (c->cap_ms < c->initial_ms)
    c->cap_ms = c->initial_ms;
  c->reset_after_ms = reset_after_ms != 0 ? reset_after_ms
                                          : CP_CRASHLOOP_RESET_MS;
  c->next_ms = 0;
}

uint64_t cp_crashloop_next(struct cp_crashloop *c, uint64_t ran_ms) {
  uint64_t delay;

  if (ran_ms >= c->reset_after_ms || c->next_ms == 0)
    c->next_ms = c->initial_ms;
  delay = c->next_ms;
  /* Doubling stops at the cap (and never overflows). */
  c->next_ms = delay >= c->cap_ms / 2 ? c->cap_ms : delay * 2;
  return delay;
}
