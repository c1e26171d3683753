/*
 * work - what nodesim watches and writes, and its work keys (one queue
 * for all kinds; nodesim.c lists them).
 *
 * Ownership: the descriptors are static and read-only.
 *
 * Threading: any thread; enqueueing goes through the host, which is
 * thread-safe.
 */
#ifndef NODESIM_WORK_H
#define NODESIM_WORK_H

#include "sim.h"

/* Indices into nsim_resources[], the plugin's watched resources. */
enum {
  NSIM_NODES,
  NSIM_PODS,
  NSIM_NAMESPACES,
  NSIM_ROOT_CA,
  NSIM_N_RESOURCES
};

extern const struct cplane_resource nsim_resources[NSIM_N_RESOURCES];
/* Written, never watched. */
extern const struct cplane_resource nsim_lease_res;
extern const struct cplane_resource nsim_secret_res;
extern const struct cplane_resource nsim_configmap_res;
extern const struct cplane_resource nsim_pvc_res;

/* Queues "KIND/NAME" after delay_ms; a name too long for a key is
 * dropped (no object of ours has one). */
void nsim_enqueue(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const char *kind, const char *name, uint32_t delay_ms);

#endif
