/*
 * resources - the kinds the garbagecollector watches. See gc.h.
 */
#include "gc.h"

#include <string.h>

const struct cplane_resource gc_resources[GC_N_RES] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "configmaps"),
    CPLANE_RESOURCE("", "v1", "secrets"),
    CPLANE_RESOURCE("coordination.k8s.io", "v1", "leases"),
    CPLANE_RESOURCE("", "v1", "nodes"),
    CPLANE_RESOURCE("apiextensions.k8s.io", "v1", "customresourcedefinitions"),
};

const char *const gc_kinds[GC_N_RES] = {
    "Deployment", "ReplicaSet", "Pod",  "ConfigMap",
    "Secret",     "Lease",      "Node", "CustomResourceDefinition"};

int gc_kind_index(const char *kind) {
  size_t i;

  for (i = 0; kind != NULL && i < GC_N_RES; i++)
    if (strcmp(gc_kinds[i], kind) == 0)
      return (int)i;
  return -1;
}
