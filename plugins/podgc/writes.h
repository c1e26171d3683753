/*
 * writes - how kube's pod garbage collector deletes a pod
 * (markFailedAndDeletePodWithCondition): a pod not yet Succeeded or
 * Failed first gets phase Failed in its status, with, for an orphan, the
 * DisruptionTarget condition (reason DeletionByPodGC, "PodGC: node no
 * longer exists"); then it is deleted with gracePeriodSeconds 0.
 *
 * Threading: pgc_fail_and_delete blocks (a worker only); the builders are
 * pure.
 */
#ifndef PGC_WRITES_H
#define PGC_WRITES_H

#include <cplane/cplane.h>

extern const struct cplane_resource pgc_pods;

/* The status merge patch turning pod Failed (with DisruptionTarget when
 * `orphan`), or NULL when pod is Succeeded or Failed already (nothing to
 * write) or out of memory (*failed set). Owned: api->free. */
char *pgc_status_patch(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *pod,
                       int orphan, int *failed);

/* The DeleteOptions body: gracePeriodSeconds 0, the pod's uid as a
 * precondition (a new pod of the same name is not ours to delete). Owned:
 * api->free. */
char *pgc_delete_options(const struct cplane_host_api *api,
                         const cplane_object *pod);

/* Marks pod Failed when it is not terminal, then deletes it. 0 when done
 * (or it is gone already), -1 to retry. `why` goes into the log line. */
int pgc_fail_and_delete(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const cplane_object *pod,
                        int orphan, const char *why);

#endif
