/*
 * rbac_bootstrap - the ClusterRoles and ClusterRoleBinding every kube
 * cluster starts with, created at start when missing, as
 * kube-apiserver's RBAC bootstrap (plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy) does: cluster-admin (everything), the aggregated
 * user-facing roles admin, edit and view (charts label their own
 * ClusterRoles rbac.authorization.k8s.io/aggregate-to-<role>: "true"),
 * and the cluster-admin binding of the system:masters group. An object
 * that exists is left as it is. Rules are stored only; enforcement and
 * the aggregation controller come later.
 *
 * Threading: called once on the thread that starts the API server.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_BOOTSTRAP_H
#define CPLANE_HOST_APISERVER_RBAC_BOOTSTRAP_H

#include "apiserver/request.h"

void cp_rbac_bootstrap(struct cp_api_ctx *ctx);

#endif /* CPLANE_HOST_APISERVER_RBAC_BOOTSTRAP_H */
