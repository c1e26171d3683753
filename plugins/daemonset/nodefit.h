/*
 * nodefit - whether a DaemonSet's pod belongs on a node, as kube's
 * NodeShouldRunDaemonPod: the template's nodeName, nodeSelector and
 * required node affinity must match the node, and its NoSchedule and
 * NoExecute taints must be tolerated (with the daemon tolerations). A pod
 * already there may stay on a node whose only untolerated taints are
 * NoSchedule ones.
 *
 * Threading: pure functions of borrowed objects; any thread.
 */
#ifndef DS_NODEFIT_H
#define DS_NODEFIT_H

#include "ds.h"

/* Fills *fit's should_run and should_continue for node. */
void ds_node_fit(const struct cplane_host_api *api, const cplane_object *ds,
                 const cplane_object *node, struct ds_node *fit);

/* 1 when node matches the node selector requirement at `path` (a
 * matchExpressions or, with field set, matchFields element): In, NotIn,
 * Exists, DoesNotExist, Gt, Lt as kube's NodeSelectorRequirement. */
int ds_requirement_matches(const struct cplane_host_api *api,
                           const cplane_object *ds, const char *path, int field,
                           const cplane_object *node);

#endif
