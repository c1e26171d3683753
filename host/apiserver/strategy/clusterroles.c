/*
 * clusterroles - rbac.authorization.k8s.io/v1 ClusterRole, as kube's
 * pkg/registry/rbac/clusterrole: rules validated, an aggregationRule
 * (kept as written) needs at least one clusterRoleSelector.
 */
#include "apiserver/strategy/rbac.h"
#include "apiserver/rbac/escalation.h"

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *agg = cp_plat_get(obj, "aggregationRule", json_type_object);

  (void)w;
  (void)old;
  cp_rbac_validate_rules(obj, 0, errs);
  if (agg != NULL && cp_plat_len(agg, "clusterRoleSelectors") == 0)
    cp_field_required(errs, "aggregationRule.clusterRoleSelectors",
                      "at least one clusterRoleSelector required if "
                      "aggregationRule is non-nil");
}

const struct cp_strategy cp_strategy_clusterroles = {
    .group = "rbac.authorization.k8s.io",
    .resource = "clusterroles",
    .validate = validate,
    .admit = cp_rbac_admit_role, /* escalation prevention */
    .columns = cp_rbac_role_columns,
    .n_columns = 2,
    .cells = cp_rbac_role_cells,
    .name_error = cp_rbac_name_error,
};
