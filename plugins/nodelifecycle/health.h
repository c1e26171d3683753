/*
 * health - a node's health as the lifecycle controller judges it: when
 * its kubelet was last heard of (its Lease's renewTime), and its Ready
 * condition written Unknown or True.
 *
 * Threading: nl_last_heard reads the cache only; nl_write_ready blocks
 * (a worker only).
 */
#ifndef NL_HEALTH_H
#define NL_HEALTH_H

#include "nl.h"

/* When node's kubelet was last heard of: its Lease's renewTime, else the
 * node's creation; never before `started`, so that a restart of the
 * control plane does not find every node silent at once. */
double nl_last_heard(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *node, double started);
/* How many condition types a silent kubelet leaves Unknown: Ready,
 * MemoryPressure, DiskPressure, PIDPressure. */
#define NL_SILENT_TYPES 4

/* `ready` 1: sets Ready=True (KubeletReady). `ready` 0: as kube marks a
 * silent node, each of the four types that is not Unknown becomes
 * Unknown (NodeStatusUnknown, "Kubelet stopped posting node status.",
 * heartbeat kept), and each the kubelet never posted is added Unknown
 * (NodeStatusNeverUpdated, "Kubelet never posted node status.", heartbeat
 * the node's creation). Every other condition and status field is kept.
 * Returns the HTTP code or < 0; on 200, when out is not NULL, *out is the
 * node as stored (owned: object_release). */
int nl_write_ready(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *node, int ready,
                   const cplane_object **out);

#endif
