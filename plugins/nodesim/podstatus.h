/*
 * podstatus - the status the simulated kubelet writes for a pod at any
 * point of its life (lifecycle.h): Pending with its containers waiting
 * (ContainerCreating, CreateContainerConfigError), Running (ready or
 * not, per container, after readinessProbe.initialDelaySeconds; in
 * CrashLoopBackOff between restarts), Succeeded or Failed with its
 * containers terminated; the conditions as the kubelet sets them (Ready
 * and ContainersReady False with PodCompleted for a Succeeded pod, with
 * ContainersNotReady and "containers with unready status: [..]"
 * otherwise), each keeping its lastTransitionTime while its status holds
 * (cplane/conditions.h).
 *
 * Ownership: the result is the caller's (free()); the view is borrowed.
 *
 * Threading: a pure function of the borrowed pod and view (the time is
 * api->now_ms(ctx)).
 */
#ifndef NODESIM_PODSTATUS_H
#define NODESIM_PODSTATUS_H

#include "lifecycle.h"
#include "sim.h"

struct nsim_pod_view {
  const char *phase;   /* Pending, Running, Succeeded, Failed */
  const char *host_ip; /* the node's InternalIP */
  const char *pod_ip;  /* NULL: none yet (containers not created) */
  int64_t start_ms;    /* status.startTime: when the kubelet took it */
  const struct nsim_containers *c;
};

/* The pod's whole status as v describes it. NULL when out of memory. */
char *nsim_pod_status_json(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const cplane_object *pod,
                           const struct nsim_pod_view *v);

#endif
