/*
 * rbac - what the four rbac.authorization.k8s.io/v1 kinds share, as
 * kube's pkg/apis/rbac/validation and pkg/registry/rbac: PolicyRule and
 * binding validation, the defaults of v1 (roleRef.apiGroup, a subject's
 * apiGroup), and the Table columns of roles and bindings.
 *
 * Threading: pure functions. Ownership: hooks borrow the objects.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_RBAC_H
#define CPLANE_HOST_APISERVER_STRATEGY_RBAC_H

#include "apiserver/strategy/strategy.h"

/* Role, ClusterRole: validates rules (namespaced: a Role, whose rules
 * may not name nonResourceURLs). */
void cp_rbac_validate_rules(struct json_object *obj, int namespaced,
                            struct cp_field_errors *errs);
/* RoleBinding, ClusterRoleBinding: v1 defaults (prepare). */
void cp_rbac_binding_defaults(struct json_object *obj);
/* Validates a binding (kinds: the roleRef kinds it may name,
 * NULL-terminated) and, on update, that roleRef did not change. */
void cp_rbac_validate_binding(struct json_object *obj, struct json_object *old,
                              int namespaced, const char *const *kinds,
                              struct cp_field_errors *errs);

/* Path segment names (ValidateRBACName). */
const char *cp_rbac_name_error(const char *name);

/* NAME, CREATED AT. */
extern const struct cp_table_column cp_rbac_role_columns[2];
void cp_rbac_role_cells(struct json_object *obj, long long now,
                        struct json_object *cells);
/* NAME, ROLE, AGE, and USERS, GROUPS, SERVICEACCOUNTS with -o wide. */
extern const struct cp_table_column cp_rbac_binding_columns[6];
void cp_rbac_binding_cells(struct json_object *obj, long long now,
                           struct json_object *cells);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_RBAC_H */
