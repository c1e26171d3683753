/*
 * stale - kube's stale DisruptionTarget cleanup: a pod given the
 * DisruptionTarget=True condition (by an eviction, a preemption) that is
 * still not terminating two minutes later was not deleted after all; the
 * condition is reset to False. Kubelet's own (TerminationByKubelet) and
 * finished pods' are left alone.
 *
 * Ownership: the patch is owned (api->free).
 * Threading: none inside; any thread.
 */
#ifndef DIS_STALE_H
#define DIS_STALE_H

#include <cplane/cplane.h>

/* -1 when pod has no DisruptionTarget to reset; else the ms until it is
 * stale (0: now). */
int64_t dis_stale_wait_ms(const struct cplane_host_api *api,
                          const cplane_object *pod, int64_t now_ms);
/* The strategic merge patch of the pod's status resetting it, at the
 * pod's resourceVersion; NULL when out of memory. */
char *dis_stale_patch(const struct cplane_host_api *api,
                      const cplane_object *pod, int64_t now_ms);

#endif
