/*
 * work - nodesim's resources and work keys. See work.h.
 */
#include "work.h"

#include <stdio.h>

const struct cplane_resource nsim_resources[NSIM_N_RESOURCES] = {
    CPLANE_RESOURCE("", "v1", "nodes"),
    CPLANE_RESOURCE("", "v1", "pods"),
    /* Only to learn that the server is up and the lease namespace exists:
     * init() cannot enqueue, and an empty cluster sends no other event. */
    {sizeof(struct cplane_resource), 0, "", "v1", "namespaces", NULL,
     "metadata.name=" LEASE_NS},
    /* Only to answer mounts.c without a GET per pod: every pod's token
     * volume projects this ConfigMap. The same selector as the
     * root-ca-cert-publisher's, so the host shares one informer. */
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", NULL,
     "metadata.name=" ROOT_CA_NAME},
};

const struct cplane_resource nsim_lease_res =
    CPLANE_RESOURCE("coordination.k8s.io", "v1", "leases");
const struct cplane_resource nsim_secret_res =
    CPLANE_RESOURCE("", "v1", "secrets");
const struct cplane_resource nsim_configmap_res =
    CPLANE_RESOURCE("", "v1", "configmaps");
const struct cplane_resource nsim_pvc_res =
    CPLANE_RESOURCE("", "v1", "persistentvolumeclaims");

void nsim_enqueue(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const char *kind, const char *name, uint32_t delay_ms) {
  char key[600];
  int n = snprintf(key, sizeof key, "%s/%s", kind, name ? name : "");

  if (n >= 0 && (size_t)n < sizeof key)
    api->enqueue_after(ctx, key, delay_ms);
}
