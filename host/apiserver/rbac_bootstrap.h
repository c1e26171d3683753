/*
 * rbac_bootstrap - kube's bootstrap RBAC policy (rbac/policy.h) created
 * on first start and reconciled at every start, as kube-apiserver's
 * auto-reconciliation does (pkg/registry/rbac/reconciliation): a missing
 * object is created; an existing one annotated
 * rbac.authorization.kubernetes.io/autoupdate: "true" (or without the
 * annotation) gets the rules, subjects, labels, annotations and
 * aggregation selectors of the policy it lacks, keeping what users
 * added; "false" leaves it alone. A binding whose roleRef differs is
 * made again.
 *
 * Threading: called once on the thread that starts the API server.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_BOOTSTRAP_H
#define CPLANE_HOST_APISERVER_RBAC_BOOTSTRAP_H

#include "apiserver/request.h"

void cp_rbac_bootstrap(struct cp_api_ctx *ctx);

#endif /* CPLANE_HOST_APISERVER_RBAC_BOOTSTRAP_H */
