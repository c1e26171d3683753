/*
 * scale - the pods a budget expects, from their controllers' scale
 * (kube's getExpectedScale): each distinct controller of the selected
 * pods counts its spec.replicas once: a ReplicaSet (or, when a
 * Deployment controls it, the Deployment), a StatefulSet, a
 * ReplicationController, or any other kind with a scale subresource,
 * found through discovery.
 *
 * Ownership: *why is owned (api->free).
 * Threading: may block (discovery and scale reads through the API
 * server): reconcile only.
 */
#ifndef DIS_SCALE_H
#define DIS_SCALE_H

#include <cplane/cplane.h>

/* Sums the scale of the controllers of pods[0..n). *unmanaged counts the
 * pods without a controller. 0, or -1 with *why (the SyncFailed message,
 * kube's words) when a controller cannot be found or read. */
int dis_expected_scale(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *const *pods,
                       size_t n, int64_t *expected, size_t *unmanaged,
                       char **why);

#endif
