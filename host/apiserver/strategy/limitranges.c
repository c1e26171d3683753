/*
 * limitranges - core/v1 LimitRange: kube's ValidateLimitRange (known,
 * distinct types; the order of min, defaultRequest, default and max);
 * `kubectl get limits` prints when it was created, not its age.
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/quantity.h"

#define MAX_LIMITS 1024

static const char *const limit_types[] = {"Container", "Pod",
                                          "PersistentVolumeClaim", NULL};

/* The maps of one limit, in the order kube names them. */
enum { L_MAX, L_MIN, L_DEFAULT, L_DEFAULT_REQUEST, L_RATIO, L_MAPS };
static const char *const map_names[L_MAPS] = {
    "max", "min", "default", "defaultRequest", "maxLimitRequestRatio"};

/* One resource's values across the maps of a limit. */
struct values {
  json_object *raw[L_MAPS];
  cp_quantity q[L_MAPS];
};

static int value_of(json_object *limit, int m, const char *res,
                    struct values *v) {
  json_object *map = cp_field_typed(limit, map_names[m], json_type_object);

  v->raw[m] = NULL;
  if (map == NULL || !json_object_object_get_ex(map, res, &v->raw[m]) ||
      cp_quantity_parse(v->raw[m], &v->q[m]) < 0)
    v->raw[m] = NULL;
  return v->raw[m] != NULL;
}

static const char *text(const struct values *v, int m) {
  return json_object_get_string(v->raw[m]);
}

/* field.Invalid at spec.limits[i].<map>[res], kube's detail. */
static void invalid(struct cp_field_errors *errs, size_t i, int m,
                    const char *res, const char *value, const char *detail) {
  char path[320];

  snprintf(path, sizeof path, "spec.limits[%zu].%s[%.250s]", i, map_names[m],
           res);
  cp_field_invalid_str(errs, path, value, detail);
}

/* kube's ValidateLimitRange order checks, in its order: lo's value may
 * not exceed hi's; the error is at map `at` and shows map `shown`'s
 * value; the detail names lo's then hi's value. */
static const struct order_rule {
  int lo, hi, at, shown;
  const char *fmt;
} order_rules[] = {
    {L_MIN, L_MAX, L_MIN, L_MIN,
     "min value %.60s is greater than max value %.60s"},
    {L_MIN, L_DEFAULT_REQUEST, L_DEFAULT_REQUEST, L_DEFAULT_REQUEST,
     "min value %.60s is greater than default request value %.60s"},
    {L_DEFAULT_REQUEST, L_MAX, L_DEFAULT_REQUEST, L_DEFAULT_REQUEST,
     "default request value %.60s is greater than max value %.60s"},
    {L_DEFAULT_REQUEST, L_DEFAULT, L_DEFAULT_REQUEST, L_DEFAULT_REQUEST,
     "default request value %.60s is greater than default limit value "
     "%.60s"},
    {L_MIN, L_DEFAULT, L_DEFAULT, L_MIN,
     "min value %.60s is greater than default value %.60s"},
    {L_DEFAULT, L_MAX, L_DEFAULT, L_MAX,
     "default value %.60s is greater than max value %.60s"},
};

/* min <= defaultRequest <= default <= max and ratio >= 1 for one
 * resource of limit i. */
static void check_resource(json_object *limit, size_t i, const char *res,
                           struct cp_field_errors *errs) {
  struct values v;
  int has[L_MAPS], m;
  size_t r;
  char d[256];

  for (m = 0; m < L_MAPS; m++)
    has[m] = value_of(limit, m, res, &v);
  for (r = 0; r < sizeof order_rules / sizeof order_rules[0]; r++) {
    const struct order_rule *o = &order_rules[r];

    if (!has[o->lo] || !has[o->hi] || v.q[o->lo] <= v.q[o->hi])
      continue;
    snprintf(d, sizeof d, o->fmt, text(&v, o->lo), text(&v, o->hi));
    invalid(errs, i, o->at, res, text(&v, o->shown), d);
  }
  if (has[L_RATIO] && v.q[L_RATIO] < (cp_quantity)1000000000) {
    snprintf(d, sizeof d, "ratio %.60s is less than 1", text(&v, L_RATIO));
    invalid(errs, i, L_RATIO, res, text(&v, L_RATIO), d);
  }
}

/* Every resource named in any map of limit i, each checked once. */
static void check_resources(json_object *limit, size_t i, int pod,
                            struct cp_field_errors *errs) {
  json_object *seen = json_object_new_object();
  int m;

  if (seen == NULL)
    return;
  for (m = 0; m < L_MAPS; m++) {
    json_object *map = cp_field_typed(limit, map_names[m], json_type_object);
    size_t n = 0;

    /* A Pod limit's defaults are refused above, not compared. */
    if (map == NULL || (pod && (m == L_DEFAULT || m == L_DEFAULT_REQUEST)))
      continue;
    json_object_object_foreach(map, k, v) {
      (void)v;
      if (n++ >= MAX_LIMITS)
        break;
      if (json_object_object_get_ex(seen, k, NULL))
        continue;
      json_object_object_add(seen, k, NULL);
      check_resource(limit, i, k, errs);
    }
  }
  json_object_put(seen);
}

static int has_entries(json_object *limit, const char *k) {
  json_object *m = cp_field_typed(limit, k, json_type_object);

  return m != NULL && json_object_object_length(m) > 0;
}

static void validate_limit(json_object *limit, size_t i, json_object *types,
                           struct cp_field_errors *errs) {
  const char *t = cp_field_str(limit, "type");
  char path[48];
  size_t j;
  int ok = 0, pod;

  snprintf(path, sizeof path, "spec.limits[%zu].type", i);
  if (t == NULL)
    return;
  for (j = 0; limit_types[j] != NULL; j++)
    ok |= strcmp(limit_types[j], t) == 0;
  if (!ok)
    cp_field_not_supported(errs, path, t, limit_types);
  if (json_object_object_get_ex(types, t, NULL)) {
    char q[80];

    snprintf(q, sizeof q, "\"%.70s\"", t);
    cp_field_errors_add(errs, CP_FIELD_DUPLICATE, path, q, NULL);
  }
  json_object_object_add(types, t, NULL);
  pod = strcmp(t, "Pod") == 0;
  if (pod && has_entries(limit, "default")) {
    snprintf(path, sizeof path, "spec.limits[%zu].default", i);
    cp_field_forbidden(errs, path, "may not be specified when `type` is "
                                   "'Pod'");
  }
  if (pod && has_entries(limit, "defaultRequest")) {
    snprintf(path, sizeof path, "spec.limits[%zu].defaultRequest", i);
    cp_field_forbidden(errs, path, "may not be specified when `type` is "
                                   "'Pod'");
  }
  if (strcmp(t, "PersistentVolumeClaim") == 0 &&
      cp_field_at(limit, "min.storage") == NULL &&
      cp_field_at(limit, "max.storage") == NULL) {
    snprintf(path, sizeof path, "spec.limits[%zu].limits", i);
    cp_field_required(errs, path, "either minimum or maximum storage value "
                                  "is required, but neither was provided");
  }
  check_resources(limit, i, pod, errs);
}

/* kube's ValidateLimitRange: known and distinct types, no defaults for
 * Pod, a PVC bound, min <= defaultRequest <= default <= max. */
static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *l = cp_field_typed(o, "spec.limits", json_type_array);
  json_object *types = json_object_new_object();
  size_t i, n = l != NULL ? json_object_array_length(l) : 0;

  (void)w;
  (void)old;
  for (i = 0; i < n && i < MAX_LIMITS && types != NULL; i++) {
    json_object *limit = json_object_array_get_idx(l, i);

    if (json_object_is_type(limit, json_type_object))
      validate_limit(limit, i, types, errs);
  }
  json_object_put(types);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Created At", "date", "", 0, "CreationTimestamp is a timestamp "
                                  "representing the server time when this "
                                  "object was created."},
};

static void cells(json_object *o, long long now, json_object *out) {
  (void)now;
  cp_cell_name(out, o);
  cp_cell_str(out, cp_field_str(o, "metadata.creationTimestamp"));
}

const struct cp_strategy cp_strategy_limitranges = {
    .group = "",
    .resource = "limitranges",
    /* LimitRanger admission reads them (policy_cache.h). */
    .flags = CP_STRATEGY_ADMISSION_STATE,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
