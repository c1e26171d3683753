/*
 * statefulsets - apps/v1 StatefulSet, as kube's pkg/registry/apps/
 * statefulset strategy: status reset on create, SetDefaults_StatefulSet
 * (replicas 1, podManagementPolicy OrderedReady, updateStrategy
 * RollingUpdate with partition 0, revisionHistoryLimit 10, the PVC
 * retention policy Retain/Retain, the volume claim templates' kind and
 * volumeMode), ValidateStatefulSet and ValidateStatefulSetUpdate (only
 * some spec fields may change). The scale subresource is served by the
 * verbs as an autoscaling/v1 Scale of spec.replicas.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

static void claim_defaults(json_object *spec) {
  json_object *vcts =
      cp_field_typed(spec, "volumeClaimTemplates", json_type_array);
  size_t i;

  for (i = 0; vcts != NULL && i < json_object_array_length(vcts); i++) {
    json_object *c = json_object_array_get_idx(vcts, i);

    if (!json_object_is_type(c, json_type_object))
      continue;
    cp_field_default(c, "apiVersion", json_object_new_string("v1"));
    cp_field_default(c, "kind",
                     json_object_new_string("PersistentVolumeClaim"));
    cp_field_default(c, "spec.volumeMode",
                     json_object_new_string("Filesystem"));
    cp_field_default(c, "status.phase", json_object_new_string("Pending"));
  }
}

/* SetDefaults_StatefulSet. */
void cp_defaults_statefulset(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec");
  const char *type;

  if (spec == NULL)
    return;
  cp_field_default(spec, "replicas", json_object_new_int(1));
  cp_field_default(spec, "podManagementPolicy",
                   json_object_new_string("OrderedReady"));
  cp_field_default(spec, "updateStrategy.type",
                   json_object_new_string("RollingUpdate"));
  type = cp_field_str(spec, "updateStrategy.type");
  if (type != NULL && strcmp(type, "RollingUpdate") == 0)
    cp_field_default(spec, "updateStrategy.rollingUpdate.partition",
                     json_object_new_int(0));
  cp_field_default(spec, "revisionHistoryLimit", json_object_new_int(10));
  cp_field_default(spec, "persistentVolumeClaimRetentionPolicy.whenDeleted",
                   json_object_new_string("Retain"));
  cp_field_default(spec, "persistentVolumeClaimRetentionPolicy.whenScaled",
                   json_object_new_string("Retain"));
  claim_defaults(spec);
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  json_object *status = json_object_new_object();

  (void)w;
  cp_defaults_statefulset(obj);
  json_object_object_add(status, "replicas", json_object_new_int(0));
  json_object_object_add(status, "availableReplicas", json_object_new_int(0));
  cp_field_set(obj, "status", status);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  cp_defaults_statefulset(obj);
}

/* ValidateStatefulSetUpdate: the spec fields that may change. */
static const char *const mutable_fields[] = {
    "replicas", "ordinals", "template", "updateStrategy",
    "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds", NULL};

static json_object *without_mutable(json_object *spec) {
  json_object *c = NULL;
  size_t i;

  if (!json_object_is_type(spec, json_type_object) ||
      json_object_deep_copy(spec, &c, NULL) != 0)
    return NULL;
  for (i = 0; mutable_fields[i] != NULL; i++)
    json_object_object_del(c, mutable_fields[i]);
  return c;
}

static void check_update(json_object *spec, json_object *old_spec,
                         struct cp_field_errors *errs) {
  json_object *a = without_mutable(spec), *b = without_mutable(old_spec);

  if (!json_object_equal(a, b))
    cp_field_forbidden(errs, "spec",
                       "updates to statefulset spec for fields other than "
                       "'replicas', 'ordinals', 'template', "
                       "'updateStrategy', 'revisionHistoryLimit', "
                       "'persistentVolumeClaimRetentionPolicy' and "
                       "'minReadySeconds' are forbidden");
  json_object_put(a);
  json_object_put(b);
}

static void check_policies(json_object *spec, struct cp_field_errors *errs) {
  static const char *const retain[] = {"Retain", "Delete", NULL};
  const char *type = cp_field_str(spec, "updateStrategy.type");
  const char *wd = cp_field_str(
      spec, "persistentVolumeClaimRetentionPolicy.whenDeleted");
  const char *ws =
      cp_field_str(spec, "persistentVolumeClaimRetentionPolicy.whenScaled");

  if (type != NULL && strcmp(type, "OnDelete") == 0 &&
      cp_field_at(spec, "updateStrategy.rollingUpdate") != NULL)
    cp_field_errors_add(errs, CP_FIELD_INVALID,
                        "spec.updateStrategy.rollingUpdate",
                        "apps.RollingUpdateStatefulSetStrategy{}",
                        "only allowed for updateStrategy 'RollingUpdate'");
  cp_check_nonnegative(spec, "spec", "updateStrategy.rollingUpdate.partition",
                       errs);
  if (wd != NULL && strcmp(wd, "Retain") != 0 && strcmp(wd, "Delete") != 0)
    cp_field_not_supported(
        errs, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", wd,
        retain);
  if (ws != NULL && strcmp(ws, "Retain") != 0 && strcmp(ws, "Delete") != 0)
    cp_field_not_supported(
        errs, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", ws,
        retain);
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const always[] = {"Always", NULL};
  json_object *spec = cp_field_at(obj, "spec");

  if (w->subresource != NULL && strcmp(w->subresource, "scale") != 0)
    return;
  cp_check_nonnegative(spec, "spec", "replicas", errs);
  if (w->subresource != NULL)
    return;
  cp_pod_template_check_selector(spec, "statefulset", errs);
  cp_pod_template_check_spec(cp_field_at(spec, "template"), "spec.template",
                             always, errs);
  cp_check_nonnegative(spec, "spec", "revisionHistoryLimit", errs);
  cp_check_nonnegative(spec, "spec", "minReadySeconds", errs);
  cp_check_nonnegative(spec, "spec", "ordinals.start", errs);
  check_policies(spec, errs);
  if (old != NULL)
    check_update(spec, cp_field_at(old, "spec"), errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Ready", "string", "", 0, ""},
    {"Age", "string", "", 0, ""},
    {"Containers", "string", "", 1, ""},
    {"Images", "string", "", 1, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  char buf[48];

  cp_cell_name(out, obj);
  snprintf(buf, sizeof buf, "%lld/%lld",
           (long long)cp_field_int_or(obj, "status.readyReplicas", 0),
           (long long)cp_field_int_or(obj, "spec.replicas", 0));
  cp_cell_str(out, buf);
  cp_cell_age(out, obj, now);
  cp_cell_containers(out, cp_field_at(obj, "spec.template"));
}

static const char *const categories[] = {"all", NULL};

const struct cp_strategy cp_strategy_statefulsets = {
    .group = "apps",
    .resource = "statefulsets",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
