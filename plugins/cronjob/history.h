/*
 * history - which finished Jobs of a CronJob go, as kube's
 * cleanupFinishedJobs/removeOldestJobs decide: the successful (Complete)
 * and the failed ones separately, each beyond its history limit
 * (successfulJobsHistoryLimit, failedJobsHistoryLimit; absent: no limit),
 * oldest first by status.startTime (Jobs with none last, then by name:
 * kube's byJobStartTime).
 *
 * Threading: pure. Ownership: jobs are borrowed; the order is written to
 * the caller's array.
 */
#ifndef CJ_HISTORY_H
#define CJ_HISTORY_H

#include <cplane/cplane.h>

/* Sorts `jobs` oldest first, as byJobStartTime. */
void cj_history_sort(const struct cplane_host_api *api,
                     const cplane_object **jobs, size_t n);

/* Of `jobs` (every Job the CronJob controls), the finished ones to delete
 * into out (room for n), oldest first per kind; returns how many. */
size_t cj_history_victims(const struct cplane_host_api *api,
                          const cplane_object *cj, const cplane_object **jobs,
                          size_t n, const cplane_object **out);

#endif
