/*
 * pods - what the Job controller asks of one of its pods: finished
 * (succeeded, or failed as kube's isPodFailed counts it), active,
 * terminating, ready, its completion index, when it finished, its
 * container restarts.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef JOB_PODS_H
#define JOB_PODS_H

#include "jobs.h"

int job_pod_succeeded(const struct cplane_host_api *api,
                      const cplane_object *pod);
/* Phase Failed; or, unless only failed pods are replaced, being deleted
 * before succeeding (an orphan or evicted pod never reaches Failed). */
int job_pod_failed(const struct cplane_host_api *api, const cplane_object *pod,
                   int only_replace_failed);
/* Not finished and not being deleted: counts toward parallelism. */
int job_pod_active(const struct cplane_host_api *api, const cplane_object *pod);
/* Being deleted and not finished. */
int job_pod_terminating(const struct cplane_host_api *api,
                        const cplane_object *pod);
int job_pod_ready(const struct cplane_host_api *api, const cplane_object *pod);
int job_pod_has_finalizer(const struct cplane_host_api *api,
                          const cplane_object *pod);
/* The pod's completion index below n, or -1 (none or invalid). */
int job_pod_index(const struct cplane_host_api *api, const cplane_object *pod,
                  int n);
/* When the pod finished (ms): the latest container finishedAt, else its
 * Ready condition's last transition, else its creation; fallback when
 * none parses. */
int64_t job_pod_finish_ms(const struct cplane_host_api *api,
                          const cplane_object *pod, int64_t fallback);
/* The sum of its containers' restartCount (OnFailure back-off). */
int64_t job_pod_restarts(const struct cplane_host_api *api,
                         const cplane_object *pod);

#endif
