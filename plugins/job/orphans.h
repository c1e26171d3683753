/*
 * orphans - the tracking finalizer of a pod whose Job is gone: a Job
 * deleted in the background leaves its pods to the garbage collector,
 * and a pod still holding the finalizer would then never go. As kube's
 * orphan queue, such a pod is queued under its own key ("pod:ns/name";
 * no namespace has a ':', so no Job key looks like it) and loses the
 * finalizer once no live Job in the cache controls it.
 *
 * Threading: job_orphan_key and job_orphan_needs_check are pure (dispatch
 * thread); job_orphan_release blocks (a reconcile's worker).
 */
#ifndef JOB_ORPHANS_H
#define JOB_ORPHANS_H

#include "jobs.h"

#define JOB_ORPHAN_PREFIX "pod:"

/* The queue key of pod into buf. 1, or 0 when it does not fit. */
int job_orphan_key(const struct cplane_host_api *api, const cplane_object *pod,
                   char *buf, size_t len);
/* 1 when pod holds the tracking finalizer and no Job in the cache is its
 * controller (cache reads only: fine on the dispatch thread). */
int job_orphan_needs_check(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const cplane_object *pod);
/* Reconciles an orphan key: removes the finalizer when the pod still
 * needs it. A CPLANE_RECONCILE_* value. */
int job_orphan_release(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key);

#endif
