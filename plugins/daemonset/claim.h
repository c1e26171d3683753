/*
 * claim - a DaemonSet's claim on pods, as kube's ControllerRefManager
 * (ClaimPods): a pod in its namespace that its selector matches and that
 * has no controller is adopted; a pod it controls whose labels stop
 * matching is released. Both are strategic merge patches of
 * ownerReferences that carry the pod's uid, so a pod deleted and made
 * again under the same name is not touched.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef DS_CLAIM_H
#define DS_CLAIM_H

#include "ds.h"

/* Adopts and releases for ds (whose selector text is `selector`). The
 * number of pods changed (the caller waits for the cache to show them),
 * or -1 after a failed write (logged). */
int ds_claim_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const cplane_object *ds, const char *selector);

#endif
