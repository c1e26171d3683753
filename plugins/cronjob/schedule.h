/*
 * schedule - when a CronJob's Jobs are due, as kube's cronjob controller
 * (utils.go: mostRecentScheduleTime, nextScheduleTimeDuration) decides:
 * the most recent run time in (earliest, now], where earliest is
 * status.lastScheduleTime or else the creation time, moved up to now minus
 * startingDeadlineSeconds when that is later; and how long to wait for
 * the next one. Only the most recent missed time is ever started; more
 * than 100 missed counts as "many" (the TooManyMissedTimes warning).
 *
 * Threading: pure. Ownership: plain values; the schedule and zone are
 * borrowed for the call.
 */
#ifndef CJ_SCHEDULE_H
#define CJ_SCHEDULE_H

#include <cplane/cron.h>

/* kube's missedSchedulesType. */
enum { CJ_NONE_MISSED, CJ_FEW_MISSED, CJ_MANY_MISSED };
/* kube's threshold for "many". */
#define CJ_MANY_MISSED_THRESHOLD 100
/* kube's nextScheduleDelta: wake a little after the time, never before. */
#define CJ_NEXT_DELTA_MS 100

struct cj_schedule {
  const struct cplane_cron *cron;
  cplane_cron_zone_fn zone; /* NULL: UTC */
  void *zone_userdata;
};

struct cj_times {
  int64_t created_ms;       /* metadata.creationTimestamp */
  int64_t last_schedule_ms; /* status.lastScheduleTime, or -1 */
  int64_t deadline_s;       /* spec.startingDeadlineSeconds, or -1 */
};

struct cj_recent {
  int64_t earliest_ms;    /* where the search began */
  int64_t most_recent_ms; /* the most recent unmet time, or -1 */
  int missed;             /* CJ_*_MISSED */
};

/* kube's mostRecentScheduleTime; `with_deadline` applies
 * startingDeadlineSeconds. 0, or -1 for a schedule that has no two
 * distinct run times ("0 0 30 2 *": kube's "time difference between two
 * schedules is less than 1 second"). */
int cj_most_recent(const struct cj_schedule *s, const struct cj_times *t,
                   int64_t now_ms, int with_deadline, struct cj_recent *out);

/* kube's nextScheduleTimeDuration: milliseconds from now until the next
 * run is due (plus CJ_NEXT_DELTA_MS), or -1 when there is none. */
int64_t cj_next_delay_ms(const struct cj_schedule *s,
                         const struct cj_times *t, int64_t now_ms);

#endif
