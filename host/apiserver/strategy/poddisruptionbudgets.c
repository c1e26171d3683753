/*
 * poddisruptionbudgets - policy/v1 PodDisruptionBudget, as kube's
 * pkg/registry/policy/poddisruptionbudget strategy: status reset on
 * create (its four counts at 0), ValidatePodDisruptionBudget
 * (minAvailable and maxUnavailable not both, each a count >= 0 or a
 * percentage up to 100%).
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  json_object *status = json_object_new_object();

  (void)w;
  json_object_object_add(status, "disruptionsAllowed", json_object_new_int(0));
  json_object_object_add(status, "currentHealthy", json_object_new_int(0));
  json_object_object_add(status, "desiredHealthy", json_object_new_int(0));
  json_object_object_add(status, "expectedPods", json_object_new_int(0));
  cp_field_set(obj, "status", status);
}

static int is_percent(const char *s) {
  size_t i, n = strlen(s);

  if (n < 2 || s[n - 1] != '%')
    return 0;
  for (i = 0; i + 1 < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

/* ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
static void check_int_or_percent(json_object *spec, const char *f,
                                 struct cp_field_errors *errs) {
  json_object *v = cp_field_at(spec, f);
  char path[64];

  snprintf(path, sizeof path, "spec.%s", f);
  if (json_object_is_type(v, json_type_int)) {
    cp_check_nonnegative(spec, "spec", f, errs);
    return;
  }
  if (!json_object_is_type(v, json_type_string))
    return;
  if (!is_percent(json_object_get_string(v))) {
    cp_field_invalid_str(errs, path, json_object_get_string(v),
                         "a valid percent string must be a numeric string "
                         "followed by an ending '%' (e.g. '1%',  or '93%', "
                         "regex used for validation is '[0-9]+%')");
    return;
  }
  if (atoi(json_object_get_string(v)) > 100)
    cp_field_invalid_str(errs, path, json_object_get_string(v),
                         "must not be greater than 100%");
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_field_at(obj, "spec");

  (void)old;
  if (w->subresource != NULL)
    return;
  if (cp_field_at(spec, "minAvailable") != NULL &&
      cp_field_at(spec, "maxUnavailable") != NULL)
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec",
                        "policy.PodDisruptionBudgetSpec{...}",
                        "minAvailable and maxUnavailable cannot be both set");
  check_int_or_percent(spec, "minAvailable", errs);
  check_int_or_percent(spec, "maxUnavailable", errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Min Available", "string", "", 0, ""},
    {"Max Unavailable", "string", "", 0, ""},
    {"Allowed Disruptions", "integer", "", 0, ""},
    {"Age", "string", "", 0, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  char a[32], b[32];
  const char *min =
      cp_print_int_or_string(cp_field_at(obj, "spec.minAvailable"), a,
                             sizeof a);
  const char *max =
      cp_print_int_or_string(cp_field_at(obj, "spec.maxUnavailable"), b,
                             sizeof b);

  cp_cell_name(out, obj);
  cp_cell_str(out, min != NULL ? min : "N/A");
  cp_cell_str(out, max != NULL ? max : "N/A");
  cp_cell_int(out, cp_field_int_or(obj, "status.disruptionsAllowed", 0));
  cp_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_poddisruptionbudgets = {
    .group = "policy",
    .resource = "poddisruptionbudgets",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
