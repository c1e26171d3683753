/*
 * policy - kube's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy/policy.go and controller_policy.go) for the kinds
 * cplane serves: the ClusterRoles and ClusterRoleBindings every cluster
 * starts with, as JSON objects, and one ClusterRole per cplane plugin
 * (system:controller:<plugin>) with what that plugin reads and writes.
 *
 * Threading: immutable tables. Ownership: static strings.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_POLICY_H
#define CPLANE_HOST_APISERVER_RBAC_POLICY_H

#include <stddef.h>

struct cp_rbac_policy_object {
  const char *resource; /* "clusterroles" or "clusterrolebindings" */
  const char *name;
  const char *json;
};

/* The bootstrap objects, roles before the bindings that name them. */
const struct cp_rbac_policy_object *cp_rbac_policy(size_t *n);

#endif /* CPLANE_HOST_APISERVER_RBAC_POLICY_H */
