/*
 * rolebindings - rbac.authorization.k8s.io/v1 RoleBinding, as kube's
 * pkg/registry/rbac/rolebinding: roleRef names a Role or ClusterRole and
 * never changes ("cannot change roleRef"), subjects are checked per kind.
 */
#include "apiserver/strategy/rbac.h"
#include "apiserver/rbac/escalation.h"

static void prepare_create(const struct cp_strategy_write *w,
                           struct json_object *obj) {
  (void)w;
  cp_rbac_binding_defaults(obj);
}

static void prepare_update(const struct cp_strategy_write *w,
                           struct json_object *obj, struct json_object *old) {
  (void)w;
  (void)old;
  cp_rbac_binding_defaults(obj);
}

static void validate(const struct cp_strategy_write *w, struct json_object *obj,
                     struct json_object *old, struct cp_field_errors *errs) {
  static const char *const kinds[] = {"Role", "ClusterRole", NULL};

  (void)w;
  cp_rbac_validate_binding(obj, old, 1, kinds, errs);
}

const struct cp_strategy cp_strategy_rolebindings = {
    .group = "rbac.authorization.k8s.io",
    .resource = "rolebindings",
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .admit = cp_rbac_admit_binding, /* escalation prevention */
    .columns = cp_rbac_binding_columns,
    .n_columns = 6,
    .cells = cp_rbac_binding_cells,
    .name_error = cp_rbac_name_error,
};
