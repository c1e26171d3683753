/*
 * claim - the pods a ReplicaSet controls, as Kubernetes' ClaimPods:
 * matching orphans are adopted, owned pods whose labels stop matching are
 * released, both by a strategic merge patch of ownerReferences guarded by
 * the pod's resourceVersion, so that two controllers never both win.
 *
 * Ownership: a struct rs_pod_set owns its array (free(s->pods)), not the
 * pods, which live in the lists given.
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef RS_CLAIM_H
#define RS_CLAIM_H

#include "rs.h"

/* A growable array of borrowed pods. */
struct rs_pod_set {
  const cplane_object **pods;
  int n, cap;
};

/* 0, or -1 when out of memory. */
int rs_pod_set_add(struct rs_pod_set *s, const cplane_object *p);
/* The live pods rs controls among `owned` (and, when not NULL, the
 * orphans in `matching`, adopted), after releasing those that no longer
 * match `selector`, into *out. 0, or -1 when out of memory. */
int rs_claim_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const cplane_object *rs, const char *selector,
                  cplane_object_list *owned, cplane_object_list *matching,
                  struct rs_pod_set *out);

#endif
