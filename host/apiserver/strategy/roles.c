/*
 * roles - rbac.authorization.k8s.io/v1 Role, as kube's pkg/registry/rbac/
 * role: rules validated (a namespaced rule may not name non-resource
 * URLs), names are path segments; escalation prevention (rbac/escalation.h).
 */
#include "apiserver/strategy/rbac.h"
#include "apiserver/rbac/escalation.h"

static void validate(const struct cp_strategy_write *w, struct json_object *obj,
                     struct json_object *old, struct cp_field_errors *errs) {
  (void)w;
  (void)old;
  cp_rbac_validate_rules(obj, 1, errs);
}

const struct cp_strategy cp_strategy_roles = {
    .group = "rbac.authorization.k8s.io",
    .resource = "roles",
    .validate = validate,
    .admit = cp_rbac_admit_role, /* escalation prevention */
    .columns = cp_rbac_role_columns,
    .n_columns = 2,
    .cells = cp_rbac_role_cells,
    .name_error = cp_rbac_name_error,
};
