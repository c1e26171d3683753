/*
 * publish - the kube-root-ca.crt ConfigMap of one namespace, as kube's
 * root-ca-cert-publisher keeps it: data exactly {"ca.crt": <bundle>} and
 * the annotation kubernetes.io/description with kube's text; the rest of
 * the ConfigMap (labels, other annotations, binaryData) is the user's.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef RC_PUBLISH_H
#define RC_PUBLISH_H

#include <cplane/cplane.h>

#define RC_NAME "kube-root-ca.crt"
#define RC_KEY "ca.crt"
#define RC_DESCRIPTION_ANN "kubernetes.io/description"
#define RC_DESCRIPTION                                                         \
  "Contains a CA bundle that can be used to verify the kube-apiserver when "  \
  "using internal endpoints such as the internal service IP or "              \
  "kubernetes.default.svc. No other usage is guaranteed across "              \
  "distributions of Kubernetes clusters."

/* 1 when cm's data is not exactly {"ca.crt": ca} or the description
 * annotation is missing or empty (kube's test), else 0. */
int rc_needs_update(const struct cplane_host_api *api, const cplane_object *cm,
                    const char *ca);

/* The ConfigMap to create (owned: api->free), or NULL (out of memory). */
char *rc_create_body(const struct cplane_host_api *api, const char *ca);

/* The merge patch that puts cm right: ca.crt set, every other data key
 * removed (null), the description set, guarded by cm's resourceVersion.
 * Owned: api->free; NULL when out of memory. */
char *rc_update_patch(const struct cplane_host_api *api,
                      const cplane_object *cm, const char *ca);

#endif
