/*
 * schedule - see schedule.h.
 */
#include "schedule.h"

/* The search for the latest time before now never needs more steps than
 * this (it starts at most two intervals back); a bound all the same. */
#define MAX_STEPS 10000

static int64_t next(const struct cj_schedule *s, int64_t after_ms) {
  return cplane_cron_next(s->cron, after_ms, s->zone, s->zone_userdata);
}

int cj_most_recent(const struct cj_schedule *s, const struct cj_times *t,
                   int64_t now_ms, int with_deadline, struct cj_recent *out) {
  int64_t earliest = t->created_ms, t1, t2, between_s, missed, at, tt;
  int steps = 0;

  if (t->last_schedule_ms >= 0)
    earliest = t->last_schedule_ms;
  if (with_deadline && t->deadline_s >= 0 &&
      now_ms - t->deadline_s * 1000 > earliest)
    earliest = now_ms - t->deadline_s * 1000;
  out->earliest_ms = earliest;
  out->most_recent_ms = -1;
  out->missed = CJ_NONE_MISSED;
  t1 = next(s, earliest);
  if (t1 >= 0 && now_ms < t1)
    return 0;
  t2 = t1 >= 0 ? next(s, t1) : -1;
  if (t1 >= 0 && t2 >= 0 && now_ms < t2) {
    out->most_recent_ms = t1;
    return 0;
  }
  if (t1 < 0 || t2 < 0 || (between_s = (t2 - t1 + 500) / 1000) < 1)
    return -1;
  /* kube's approximation: how many intervals fit between t1 and now,
   * then a walk from two intervals back to the exact latest time. */
  missed = (now_ms - t1) / 1000 / between_s + 1;
  at = t1 + (missed - 2) * between_s * 1000;
  for (tt = next(s, at); tt >= 0 && tt <= now_ms && steps < MAX_STEPS;
       tt = next(s, tt), steps++)
    out->most_recent_ms = tt;
  out->missed = missed > CJ_MANY_MISSED_THRESHOLD ? CJ_MANY_MISSED
                : missed > 0                      ? CJ_FEW_MISSED
                                                  : CJ_NONE_MISSED;
  return 0;
}

int64_t cj_next_delay_ms(const struct cj_schedule *s,
                         const struct cj_times *t, int64_t now_ms) {
  struct cj_recent r;
  int64_t from, at;

  if (cj_most_recent(s, t, now_ms, 0, &r) < 0)
    from = now_ms;
  else if (r.most_recent_ms >= 0)
    from = r.most_recent_ms;
  else
    from = r.missed == CJ_NONE_MISSED ? r.earliest_ms : now_ms;
  if ((at = next(s, from)) < 0)
    return -1;
  return at + CJ_NEXT_DELTA_MS - now_ms;
}
