/*
 * escalation - kube's RBAC escalation prevention
 * (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
 * policybased and validation.ConfirmNoEscalation): a user may create or
 * update a Role or ClusterRole only with rules they hold themselves
 * (in the role's namespace), unless allowed the "escalate" verb on it;
 * a ClusterRole with an aggregationRule needs everything (cluster-admin);
 * a user may bind a role only when allowed the "bind" verb on it or
 * when holding all its rules. system:masters and the server's own
 * requests (no user) are not checked. A refusal is kube's 403.
 *
 * These are the four RBAC kinds' strategy admit hooks (strategy.h).
 * Threading: request worker threads, several at once; reads the index.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_ESCALATION_H
#define CPLANE_HOST_APISERVER_RBAC_ESCALATION_H

#include "apiserver/strategy/strategy.h"

int cp_rbac_admit_role(const struct cp_strategy_write *w,
                       struct json_object *obj, struct json_object *old,
                       struct cp_api_response *rs);
int cp_rbac_admit_binding(const struct cp_strategy_write *w,
                          struct json_object *obj, struct json_object *old,
                          struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_RBAC_ESCALATION_H */
