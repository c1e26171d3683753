/*
 * sync - one pass of kube's cronjob controller (syncCronJob and
 * cleanupFinishedJobs) over one CronJob: reconcile status.active with the
 * Jobs it controls (SawCompletedJob, MissingJob, UnexpectedJob,
 * lastSuccessfulTime), then, unless it is being deleted, suspended or
 * broken (UnknownTimeZone, UnparseableSchedule, InvalidSchedule), start
 * the most recent unmet run (MissSchedule past startingDeadlineSeconds,
 * TooManyMissedTimes, Forbid's JobAlreadyActive, Replace's deletes,
 * SuccessfulCreate or FailedCreate), then delete finished Jobs beyond the
 * history limits (SuccessfulDelete, FailedDelete). The status changes stay
 * in `st` for the caller to write.
 *
 * Threading: a reconcile worker; the struct is that call's own. Blocks on
 * the API server. Ownership: cj and jobs are borrowed; st is the
 * caller's (cj_status_free()).
 */
#ifndef CJ_SYNC_H
#define CJ_SYNC_H

#include "status.h"

struct cj_sync {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const cplane_object *cj;
  const cplane_object **jobs; /* the Jobs cj controls */
  size_t n_jobs;
  int64_t now_ms;     /* the scheduling clock */
  const char *zone_dir; /* tz database; NULL: /usr/share/zoneinfo */
  struct cj_status st;
  int64_t requeue_ms; /* out: when to look again (scheduling time); -1 */
};

/* The pass; st must be loaded. 0; 1 when the cache is behind the API
 * server (a Job of ours the cached CronJob does not list yet: look again
 * shortly, write nothing); -1 when a write or read failed and the CronJob
 * should be retried (st still holds what changed). */
int cj_sync_run(struct cj_sync *s);

/* The history limits' deletes. 0, or -1 when a delete failed. */
int cj_sync_cleanup(struct cj_sync *s);

#endif
