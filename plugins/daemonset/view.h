/*
 * view - one reconcile's picture of a DaemonSet, from the caches: every
 * node with its fit (nodefit), the pods the DaemonSet controls with the
 * node each is for (spec.nodeName, or before scheduling the node its
 * `metadata.name In [node]` affinity names, as kube's GetTargetNodeName),
 * grouped per node (plan), and its ControllerRevisions.
 *
 * Ownership: the view holds a reference to the DaemonSet, the lists and
 * its arrays, all released by ds_view_free; the records borrow from them.
 * Threading: one reconcile's worker.
 */
#ifndef DS_VIEW_H
#define DS_VIEW_H

#include "plan.h"

struct ds_view {
  const cplane_object *ds; /* borrowed from the caller */
  cplane_object_list *nodes, *pods, *revs;
  struct ds_node *node;
  int n_nodes;
  struct ds_pod *pod;
  const cplane_object **pod_obj; /* pod[i]'s object */
  int n_pods;
  struct ds_groups g;
  int64_t generation;         /* the template generation annotation, or -1 */
  uint32_t next_available_ms; /* when a ready pod becomes available; 0 */
};

/* Loads the nodes and the revisions. 0, or -1 when out of memory. */
int ds_view_load(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 const cplane_object *ds, struct ds_view *v);
/* Loads the pods, judged against revision `hash`, at now_ms. 0, or -1
 * when out of memory. */
int ds_view_load_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      struct ds_view *v, const char *hash, int64_t now_ms);
void ds_view_free(const struct cplane_host_api *api, struct ds_view *v);

#endif
