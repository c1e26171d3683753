/*
 * taints - the NoExecute taint node.kubernetes.io/unreachable (and its
 * NoSchedule twin) on a node, and how long a pod tolerates it: the
 * taint manager's arithmetic, as in kube-controller-manager.
 *
 * Threading: none inside; any thread. nl_write_taint blocks (a worker
 * only).
 */
#ifndef NL_TAINTS_H
#define NL_TAINTS_H

#include "nl.h"

/* The index of our unreachable taint with that effect in spec.taints, or
 * -1. */
int nl_find_taint_effect(const struct cplane_host_api *api,
                         const cplane_object *node, const char *effect);
/* The index of our unreachable NoExecute taint in spec.taints, or -1. */
int nl_find_taint(const struct cplane_host_api *api, const cplane_object *node);
/* When taint t went on (its timeAdded), or `fallback`. */
double nl_taint_time(const struct cplane_host_api *api,
                     const cplane_object *node, int t, double fallback);
/* How long pod tolerates the unreachable NoExecute taint: -1 for ever,
 * else seconds. The shortest of several matching tolerations wins, as in
 * Kubernetes; a pod with none gets default_s. */
int64_t nl_toleration_s(const struct cplane_host_api *api,
                        const cplane_object *pod, int64_t default_s);
/* Writes spec.taints with our taints added (`add`, NoExecute stamped
 * now) or removed, as a merge patch of the whole list guarded by the
 * resourceVersion read, so a taint someone else added meanwhile is never
 * lost. Returns the HTTP code or < 0; failures but 409/404 are logged. */
int nl_write_taint(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *node, int add);

#endif
