/*
 * daemonsets - apps/v1 DaemonSet, as kube's pkg/registry/apps/daemonset
 * strategy: status reset on create, the template generation annotation
 * (deprecated.daemonset.template.generation) set to 1 and raised when
 * the template changes, the defaults SetDefaults_DaemonSet sets, and
 * ValidateDaemonSet / ValidateDaemonSetUpdate.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

#define TEMPLATE_GENERATION "deprecated.daemonset.template.generation"

/* SetDefaults_DaemonSet: what decoding any apps/v1 DaemonSet sets. */
void cp_defaults_daemonset(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec");
  const char *type;

  if (spec == NULL)
    return;
  cp_field_default(spec, "updateStrategy.type",
                   json_object_new_string("RollingUpdate"));
  type = cp_field_str(spec, "updateStrategy.type");
  if (type != NULL && strcmp(type, "RollingUpdate") == 0) {
    cp_field_default(spec, "updateStrategy.rollingUpdate.maxUnavailable",
                     json_object_new_int(1));
    cp_field_default(spec, "updateStrategy.rollingUpdate.maxSurge",
                     json_object_new_int(0));
  }
  cp_field_default(spec, "revisionHistoryLimit", json_object_new_int(10));
}

/* The annotation's key has dots: not a path for cp_field_*. */
static long long template_generation(json_object *obj) {
  json_object *ann =
      cp_field_typed(obj, "metadata.annotations", json_type_object);
  json_object *v = NULL;

  if (ann == NULL || !json_object_object_get_ex(ann, TEMPLATE_GENERATION, &v) ||
      !json_object_is_type(v, json_type_string))
    return 0;
  return cp_decimal(json_object_get_string(v));
}

static void set_template_generation(json_object *obj, long long gen) {
  json_object *ann = cp_field_obj(obj, "metadata.annotations");
  char buf[32];

  if (ann == NULL)
    return;
  snprintf(buf, sizeof buf, "%lld", gen);
  json_object_object_add(ann, TEMPLATE_GENERATION,
                         json_object_new_string(buf));
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  json_object *status = json_object_new_object();

  (void)w;
  cp_defaults_daemonset(obj);
  json_object_object_add(status, "currentNumberScheduled",
                         json_object_new_int(0));
  json_object_object_add(status, "numberMisscheduled", json_object_new_int(0));
  json_object_object_add(status, "desiredNumberScheduled",
                         json_object_new_int(0));
  json_object_object_add(status, "numberReady", json_object_new_int(0));
  cp_field_set(obj, "status", status);
  set_template_generation(obj, 1);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  long long gen = template_generation(old);

  cp_defaults_daemonset(obj);
  if (w->subresource != NULL)
    return;
  if (!json_object_equal(cp_field_at(obj, "spec.template"),
                         cp_field_at(old, "spec.template")))
    gen++;
  set_template_generation(obj, gen > 0 ? gen : 1);
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const always[] = {"Always", NULL};
  json_object *spec = cp_field_at(obj, "spec");

  if (w->subresource != NULL)
    return;
  cp_pod_template_check_selector(spec, "daemonset", errs);
  cp_pod_template_check_spec(cp_field_at(spec, "template"), "spec.template",
                             always, errs);
  cp_check_nonnegative(spec, "spec", "minReadySeconds", errs);
  cp_check_nonnegative(spec, "spec", "revisionHistoryLimit", errs);
  if (old != NULL)
    cp_check_selector_immutable(cp_field_at(spec, "selector"),
                                cp_field_at(old, "spec.selector"),
                                "spec.selector", errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Desired", "integer", "", 0, ""},
    {"Current", "integer", "", 0, ""},
    {"Ready", "integer", "", 0, ""},
    {"Up-to-date", "integer", "", 0, ""},
    {"Available", "integer", "", 0, ""},
    {"Node Selector", "string", "", 0, ""},
    {"Age", "string", "", 0, ""},
    {"Containers", "string", "", 1, ""},
    {"Images", "string", "", 1, ""},
    {"Selector", "string", "", 1, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  cp_cell_name(out, obj);
  cp_cell_int(out, cp_field_int_or(obj, "status.desiredNumberScheduled", 0));
  cp_cell_int(out, cp_field_int_or(obj, "status.currentNumberScheduled", 0));
  cp_cell_int(out, cp_field_int_or(obj, "status.numberReady", 0));
  cp_cell_int(out, cp_field_int_or(obj, "status.updatedNumberScheduled", 0));
  cp_cell_int(out, cp_field_int_or(obj, "status.numberAvailable", 0));
  cp_cell_label_map(out, cp_field_at(obj, "spec.template.spec.nodeSelector"));
  cp_cell_age(out, obj, now);
  cp_cell_containers(out, cp_field_at(obj, "spec.template"));
  cp_cell_selector(out, cp_field_at(obj, "spec.selector"));
}

static const char *const categories[] = {"all", NULL};

const struct cp_strategy cp_strategy_daemonsets = {
    .group = "apps",
    .resource = "daemonsets",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
