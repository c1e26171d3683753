/*
 * view - loads what one reconcile of a StatefulSet needs: its settings
 * resolved with kube's defaults, its ControllerRevisions, and its pods
 * split as kube's updateStatefulSet splits them (replicas: the ordinals
 * in [start, start + replicas); condemned: the others, highest first);
 * and what a pod's state means to it (healthy, available).
 *
 * Threading: cache reads only; a reconcile's worker.
 */
#ifndef STS_VIEW_H
#define STS_VIEW_H

#include "sts.h"

/* Fills s from s->o. 0, or -1 when out of memory. */
int sts_load(struct sts *s);
/* Frees what sts_load() and the modules loaded into s. */
void sts_unload(struct sts *s);

/* Running and Ready. */
int sts_pod_ready(const struct cplane_host_api *api, const cplane_object *pod);
/* Ready for minReadySeconds by now; when not yet, *wait_ms (if not NULL)
 * becomes the time left (never more than it was). */
int sts_pod_available(const struct sts *s, const cplane_object *pod,
                      uint32_t *wait_ms);
/* Ready and not being deleted: kube's isHealthy. */
int sts_pod_healthy(const struct cplane_host_api *api,
                    const cplane_object *pod);

#endif
