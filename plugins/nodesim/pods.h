/*
 * pods - the simulated kubelet's pod work: when a pod needs us (queued
 * from the pod's events, lifecycle.h says when), starting a bound pod
 * (or holding it Pending while a Secret, ConfigMap or PVC it needs is
 * missing, mounts.h), moving a running one on (ready, exit, restart) and
 * removing one marked for deletion once its grace is over.
 *
 * Usage reporting (CPU/memory per container, for the metrics API) hooks
 * in here: pod_running() in pods.c is called when a pod's containers
 * start running (at start and after each restart), pod_stopped() when
 * they stop (exit, back-off, deletion). Both are empty today.
 *
 * Ownership: borrows everything; what it allocates it frees.
 *
 * Threading: nsim_queue_pod from the dispatch threads (it only reads and
 * enqueues); the reconciles on the workers, never one key on two at
 * once. st->ip_next is atomic.
 */
#ifndef NODESIM_PODS_H
#define NODESIM_PODS_H

#include "sim.h"

/* Queues "pod/NS/NAME" for when it is next due, if it is ours and has
 * anything due. */
void nsim_queue_pod(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const struct nodesim *st, const cplane_object *pod);
/* Queues every pod bound to node `name` that has something due. */
int nsim_reconcile_pods_of(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const struct nodesim *st,
                           const char *name);
/* Does what is due for pod `key` (NS/NAME). A CPLANE_RECONCILE_* code;
 * *requeue_ms set with REQUEUE_AFTER. */
int nsim_reconcile_pod(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, struct nodesim *st,
                       const char *key, uint32_t *requeue_ms);

#endif
