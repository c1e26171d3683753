/*
 * jobs - batch/v1 Job, as kube's pkg/registry/batch/job strategy:
 * status reset on create; SetDefaults_Job (parallelism, completions,
 * backoffLimit, completionMode, suspend, podReplacementPolicy, the
 * object's labels from the template's); the generated selector and the
 * controller-uid / job-name template labels when manualSelector is not
 * true; ValidateJob and ValidateJobUpdate (selector, completions,
 * completionMode and, unless suspended, the template are immutable).
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

#define LEGACY_UID "controller-uid"
#define UID_LABEL "batch.kubernetes.io/controller-uid"
#define LEGACY_NAME "job-name"
#define NAME_LABEL "batch.kubernetes.io/job-name"

/* SetDefaults_Job (the labels copy is done after the selector is
 * generated, as kube's decode of the stored object does). */
void cp_defaults_job(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec");

  if (spec == NULL)
    return;
  if (cp_field_at(spec, "completions") == NULL &&
      cp_field_at(spec, "parallelism") == NULL)
    cp_field_set(spec, "completions", json_object_new_int(1));
  cp_field_default(spec, "parallelism", json_object_new_int(1));
  cp_field_default(spec, "backoffLimit",
                   json_object_new_int(cp_field_at(spec,
                                                   "backoffLimitPerIndex")
                                           ? 2147483647
                                           : 6));
  cp_field_default(spec, "completionMode",
                   json_object_new_string("NonIndexed"));
  cp_field_default(spec, "suspend", json_object_new_boolean(0));
  cp_field_default(spec, "podReplacementPolicy",
                   json_object_new_string(
                       cp_field_at(spec, "podFailurePolicy") != NULL
                           ? "Failed"
                           : "TerminatingOrFailed"));
}

/* Job.metadata.labels from the template's when the job has none. */
static void labels_from_template(json_object *obj) {
  json_object *tl =
      cp_field_typed(obj, "spec.template.metadata.labels", json_type_object);
  json_object *l = cp_field_typed(obj, "metadata.labels", json_type_object);
  json_object *copy = NULL;

  if (tl == NULL || (l != NULL && json_object_object_length(l) > 0))
    return;
  if (json_object_deep_copy(tl, &copy, NULL) == 0)
    cp_field_set(obj, "metadata.labels", copy);
}

static void label_default(json_object *labels, const char *k, const char *v) {
  if (v != NULL && cp_field_at(labels, k) == NULL)
    json_object_object_add(labels, k, json_object_new_string(v));
}

/* generateSelector: the pods' labels and the selector of them. */
static void generate_selector(json_object *obj) {
  const char *uid = cp_field_str(obj, "metadata.uid");
  const char *name = cp_field_str(obj, "metadata.name");
  json_object *labels = cp_field_obj(obj, "spec.template.metadata.labels");
  json_object *ml = cp_field_obj(obj, "spec.selector.matchLabels");

  if (labels == NULL || ml == NULL)
    return;
  label_default(labels, LEGACY_NAME, name);
  label_default(labels, NAME_LABEL, name);
  label_default(labels, LEGACY_UID, uid);
  label_default(labels, UID_LABEL, uid);
  label_default(ml, UID_LABEL, uid);
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  (void)w;
  cp_defaults_job(obj);
  if (!cp_field_true(obj, "spec.manualSelector"))
    generate_selector(obj);
  labels_from_template(obj);
  cp_field_set(obj, "status", json_object_new_object());
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  cp_defaults_job(obj);
  labels_from_template(obj);
}

/* ValidateJobSpec's numeric and mode checks. */
static void check_spec(json_object *spec, struct cp_field_errors *errs) {
  const char *mode = cp_field_str(spec, "completionMode");

  cp_check_nonnegative(spec, "spec", "parallelism", errs);
  cp_check_nonnegative(spec, "spec", "completions", errs);
  cp_check_at_least(spec, "spec", "activeDeadlineSeconds", 1, errs);
  cp_check_nonnegative(spec, "spec", "backoffLimit", errs);
  cp_check_nonnegative(spec, "spec", "ttlSecondsAfterFinished", errs);
  if (mode != NULL && strcmp(mode, "Indexed") == 0 &&
      cp_field_at(spec, "completions") == NULL)
    cp_field_required(errs, "spec.completions",
                      "when completion mode is Indexed");
}

static void check_update(json_object *spec, json_object *old_spec,
                         struct cp_field_errors *errs) {
  cp_check_selector_immutable(cp_field_at(spec, "selector"),
                              cp_field_at(old_spec, "selector"),
                              "spec.selector", errs);
  cp_check_immutable(spec, old_spec, "spec", "completions", errs);
  cp_check_immutable(spec, old_spec, "spec", "completionMode", errs);
  /* kube lets a suspended job's template change (mutable scheduling
   * directives); a running job's pods were made from it. */
  if (!cp_field_true(old_spec, "suspend") &&
      !json_object_equal(cp_field_at(spec, "template"),
                         cp_field_at(old_spec, "template")))
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.template",
                        "core.PodTemplateSpec{...}", "field is immutable");
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const job_restart[] = {"OnFailure", "Never", NULL};
  json_object *spec = cp_field_at(obj, "spec");

  if (w->subresource != NULL)
    return;
  check_spec(spec, errs);
  cp_pod_template_check_selector(spec, NULL, errs);
  cp_pod_template_check_spec(cp_field_at(spec, "template"), "spec.template",
                             job_restart, errs);
  if (old != NULL)
    check_update(spec, cp_field_at(old, "spec"), errs);
}

/* kube's printJob: Complete, Failed, Terminating, Suspended, ... */
static int has_condition(json_object *obj, const char *type) {
  json_object *cs = cp_field_typed(obj, "status.conditions", json_type_array);
  size_t i;

  for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
    json_object *c = json_object_array_get_idx(cs, i);
    const char *t = cp_field_str(c, "type"), *s = cp_field_str(c, "status");

    if (t != NULL && s != NULL && strcmp(t, type) == 0 &&
        strcmp(s, "True") == 0)
      return 1;
  }
  return 0;
}

static const char *job_status(json_object *obj) {
  if (has_condition(obj, "Complete"))
    return "Complete";
  if (has_condition(obj, "Failed"))
    return "Failed";
  if (cp_field_at(obj, "metadata.deletionTimestamp") != NULL)
    return "Terminating";
  if (has_condition(obj, "Suspended"))
    return "Suspended";
  if (has_condition(obj, "FailureTarget"))
    return "FailureTarget";
  if (has_condition(obj, "SuccessCriteriaMet"))
    return "SuccessCriteriaMet";
  return "Running";
}

static void duration_cell(json_object *obj, long long now, json_object *out) {
  long long start = cp_print_time(cp_field_str(obj, "status.startTime"));
  long long end = cp_print_time(cp_field_str(obj, "status.completionTime"));
  char buf[32] = "";

  if (start >= 0)
    cp_print_duration(buf, sizeof buf, (end >= 0 ? end : now) - start);
  cp_cell_str(out, buf);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Status", "string", "", 0, ""},
    {"Completions", "string", "", 0, ""},
    {"Duration", "string", "", 0, ""},
    {"Age", "string", "", 0, ""},
    {"Containers", "string", "", 1, ""},
    {"Images", "string", "", 1, ""},
    {"Selector", "string", "", 1, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  long long ok = cp_field_int_or(obj, "status.succeeded", 0);
  long long par = cp_field_int_or(obj, "spec.parallelism", 0);
  int64_t completions;
  char buf[64];

  cp_cell_name(out, obj);
  cp_cell_str(out, job_status(obj));
  if (cp_field_int(obj, "spec.completions", &completions))
    snprintf(buf, sizeof buf, "%lld/%lld", ok, (long long)completions);
  else if (par > 1)
    snprintf(buf, sizeof buf, "%lld/1 of %lld", ok, par);
  else
    snprintf(buf, sizeof buf, "%lld/1", ok);
  cp_cell_str(out, buf);
  duration_cell(obj, now, out);
  cp_cell_age(out, obj, now);
  cp_cell_containers(out, cp_field_at(obj, "spec.template"));
  cp_cell_selector(out, cp_field_at(obj, "spec.selector"));
}

static const char *const categories[] = {"all", NULL};
/* kube's JobToSelectableFields: status.successful is status.succeeded. */
static const char *const field_labels[] = {"status.successful", NULL};

const struct cp_strategy cp_strategy_jobs = {
    .group = "batch",
    .resource = "jobs",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .field_labels = field_labels,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
