/*
 * mutatingwebhookconfigurations - admissionregistration.k8s.io/v1
 * MutatingWebhookConfiguration, as kube's pkg/registry/admissionregistration/
 * mutatingwebhookconfiguration: see webhooks.h. Generation goes up when
 * the webhooks change.
 */
#include "apiserver/strategy/webhooks.h"

static void prepare_create(const struct cp_strategy_write *w,
                           struct json_object *obj) {
  (void)w;
  cp_webhooks_defaults(obj);
}

static void prepare_update(const struct cp_strategy_write *w,
                           struct json_object *obj, struct json_object *old) {
  (void)w;
  (void)old;
  cp_webhooks_defaults(obj);
}

static void validate(const struct cp_strategy_write *w, struct json_object *obj,
                     struct json_object *old, struct cp_field_errors *errs) {
  (void)w;
  (void)old;
  cp_webhooks_validate(obj, 1, errs);
}

const struct cp_strategy cp_strategy_mutatingwebhookconfigurations = {
    .group = "admissionregistration.k8s.io",
    .resource = "mutatingwebhookconfigurations",
    .flags = CP_STRATEGY_GENERATION,
    .categories = cp_webhooks_categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = cp_webhooks_columns,
    .n_columns = 3,
    .cells = cp_webhooks_cells,
};
