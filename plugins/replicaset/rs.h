/*
 * rs - the names the replicaset plugin's modules share: its resources
 * and the kind it controls.
 *
 * The same sources build the replicationcontroller plugin (the Makefile
 * compiles them with RS_REPLICATIONCONTROLLER): the legacy kind is kube's
 * ReplicaSet logic over v1 ReplicationControllers, whose selector is a
 * plain label map. Only the names below differ.
 */
#ifndef RS_RS_H
#define RS_RS_H

#include <cplane/cplane.h>

#include <stdlib.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource rs_resources[2];
#define RS_REPLICASETS 0 /* the controlled kind: ReplicaSets or RCs */
#define RS_PODS 1

#ifdef RS_REPLICATIONCONTROLLER
#define RS_OWNER_API_VERSION "v1"
#define RS_OWNER_KIND "ReplicationController"
#define RS_PLUGIN_NAME "replicationcontroller"
#else
#define RS_OWNER_API_VERSION "apps/v1"
#define RS_OWNER_KIND "ReplicaSet"
#define RS_PLUGIN_NAME "replicaset"
#endif

/* The selector of rs as selector text (owned: api->free): a ReplicaSet's
 * metav1.LabelSelector, a ReplicationController's plain map. NULL when
 * absent or invalid; "" for an empty LabelSelector. */
static inline char *rs_selector_text(const struct cplane_host_api *api,
                                     const cplane_object *rs) {
#ifdef RS_REPLICATIONCONTROLLER
  char *sel = cplane_service_selector(api, rs), *copy;

  copy = api->string_dup(sel);
  free(sel);
  return copy;
#else
  return api->label_selector_text(rs, "spec.selector");
#endif
}

#endif
