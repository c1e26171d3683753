/*
 * podstatus - the status the simulated kubelet writes when a pod starts:
 * Running, every condition True, its IPs, and a status per container
 * (running) and per init container (completed), as the kubelet reports
 * them.
 *
 * Ownership: the result is the caller's (free()).
 *
 * Threading: a pure function of the borrowed pod.
 */
#ifndef NODESIM_PODSTATUS_H
#define NODESIM_PODSTATUS_H

#include "sim.h"

/* The pod's status at `now` on the node at host_ip, with pod_ip;
 * PodScheduled keeps `scheduled` when the pod has it. NULL when out of
 * memory. */
char *nsim_pod_running_status(const struct cplane_host_api *api,
                              const cplane_object *pod, const char *now,
                              const char *host_ip, const char *pod_ip,
                              const char *scheduled);

#endif
