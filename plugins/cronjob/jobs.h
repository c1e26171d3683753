/*
 * jobs - a CronJob's Jobs as kube's cronjob controller sees them: whether
 * one has finished (a Complete or Failed condition with status True,
 * jobutil.IsJobFinished), the deterministic name of the Job for a
 * scheduled time (<cronjob>-<minutes since the epoch>, so one time is
 * never created twice), and the Job itself (getJobFromTemplate2: the
 * template's labels, annotations and spec, the controller reference, and
 * the batch.kubernetes.io/cronjob-scheduled-timestamp annotation in the
 * CronJob's time zone).
 *
 * Threading: pure functions of borrowed objects. Ownership: the body is
 * owned by the caller (free with api->free).
 */
#ifndef CJ_JOBS_H
#define CJ_JOBS_H

#include <cplane/cplane.h>

#define CJ_SCHEDULED_ANNOTATION "batch.kubernetes.io/cronjob-scheduled-timestamp"

/* "Complete" or "Failed" when the Job has finished, else NULL. */
const char *cj_job_finished(const struct cplane_host_api *api,
                            const cplane_object *job);

/* "<cronjob>-<minutes>" into buf; 0, or -1 when it does not fit. */
int cj_job_name(const char *cronjob, int64_t scheduled_ms, char *buf,
                size_t len);

/* `ms` as Go's time.RFC3339 at UTC offset `offset_s`
 * ("2026-03-29T03:00:00+02:00"; "Z" when the offset is 0). */
int cj_format_rfc3339(int64_t ms, int32_t offset_s, char *buf, size_t len);

/* The Job to create for `cj` at scheduled_ms (offset_s: the zone's offset
 * then). Owned JSON; NULL when out of memory or the template is
 * malformed. */
char *cj_job_body(const struct cplane_host_api *api, const cplane_object *cj,
                  int64_t scheduled_ms, int32_t offset_s);

#endif
