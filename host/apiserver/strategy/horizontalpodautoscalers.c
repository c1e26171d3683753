/*
 * horizontalpodautoscalers - autoscaling HorizontalPodAutoscaler, served
 * as v2 and v1 over the same stored (v2) objects, as kube's pkg/registry/
 * autoscaling/horizontalpodautoscaler: status reset on create,
 * SetDefaults_HorizontalPodAutoscaler (minReplicas 1; in v2 the CPU 80%
 * metric when none is given and the behavior's unset rules),
 * ValidateHorizontalPodAutoscaler, and the v1 <-> v2 conversion of
 * hpa_convert.h.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/hpa_convert.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

static int is_v1(json_object *obj) {
  const char *av = cp_field_str(obj, "apiVersion");

  return av != NULL && strcmp(av, "autoscaling/v1") == 0;
}

static json_object *policy(const char *type, int value, int period) {
  json_object *p = json_object_new_object();

  json_object_object_add(p, "type", json_object_new_string(type));
  json_object_object_add(p, "value", json_object_new_int(value));
  json_object_object_add(p, "periodSeconds", json_object_new_int(period));
  return p;
}

/* GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: the unset parts
 * of a rule given. */
static void rules_defaults(json_object *behavior, int up) {
  json_object *r = cp_field_obj(behavior, up ? "scaleUp" : "scaleDown");
  json_object *ps;

  if (r == NULL)
    return;
  cp_field_default(r, "stabilizationWindowSeconds",
                   json_object_new_int(up ? 0 : 300));
  cp_field_default(r, "selectPolicy", json_object_new_string("Max"));
  if (cp_field_at(r, "policies") != NULL)
    return;
  ps = json_object_new_array();
  if (up)
    json_object_array_add(ps, policy("Pods", 4, 15));
  json_object_array_add(ps, policy("Percent", 100, 15));
  cp_field_set(r, "policies", ps);
}

static json_object *default_metric(void) {
  json_object *m = json_object_new_object();

  cp_field_set(m, "type", json_object_new_string("Resource"));
  cp_field_set(m, "resource.name", json_object_new_string("cpu"));
  cp_field_set(m, "resource.target.type",
               json_object_new_string("Utilization"));
  cp_field_set(m, "resource.target.averageUtilization",
               json_object_new_int(80));
  return m;
}

void cp_defaults_hpa(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec"), *ms, *b;

  if (spec == NULL)
    return;
  cp_field_default(spec, "minReplicas", json_object_new_int(1));
  if (is_v1(obj))
    return;
  ms = cp_field_typed(spec, "metrics", json_type_array);
  if (ms == NULL || json_object_array_length(ms) == 0) {
    ms = json_object_new_array();
    json_object_array_add(ms, default_metric());
    cp_field_set(spec, "metrics", ms);
  }
  if ((b = cp_field_typed(spec, "behavior", json_type_object)) != NULL) {
    rules_defaults(b, 1);
    rules_defaults(b, 0);
  }
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  json_object *status = json_object_new_object();

  (void)w;
  cp_defaults_hpa(obj);
  if (is_v1(obj))
    json_object_object_add(status, "currentReplicas", json_object_new_int(0));
  json_object_object_add(status, "desiredReplicas", json_object_new_int(0));
  cp_field_set(obj, "status", status);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  cp_defaults_hpa(obj);
}

/* validateMetricTarget. */
static void check_target(json_object *t, const char *at,
                         struct cp_field_errors *errs) {
  const char *type = cp_field_str(t, "type");
  int64_t u;

  if (type == NULL)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "must specify a metric target type", "%s.type", at);
  else if (strcmp(type, "Utilization") != 0 && strcmp(type, "Value") != 0 &&
           strcmp(type, "AverageValue") != 0) {
    char value[96];

    snprintf(value, sizeof value, "\"%.80s\"", type);
    cp_field_errors_addf(errs, CP_FIELD_INVALID, value,
                         "must be either Utilization, Value, or AverageValue",
                         "%s.type", at);
  }
  if (cp_field_int(t, "averageUtilization", &u) && u < 1) {
    char value[32];

    snprintf(value, sizeof value, "%lld", (long long)u);
    cp_field_errors_addf(errs, CP_FIELD_INVALID, value, "must be greater than 0",
                         "%s.averageUtilization", at);
  }
}

/* validateResourceSource (and its container form). */
static void check_resource(json_object *src, const char *at,
                           struct cp_field_errors *errs) {
  json_object *t = cp_field_at(src, "target");
  char tat[128];

  if (cp_field_str(src, "name") == NULL)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "must specify a resource name", "%s.name", at);
  snprintf(tat, sizeof tat, "%s.target", at);
  check_target(t, tat, errs);
  if (cp_field_at(t, "averageUtilization") == NULL &&
      cp_field_at(t, "averageValue") == NULL)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "must set either a target raw value or a target "
                         "utilization",
                         "%s.averageUtilization", tat);
  if (cp_field_at(t, "averageUtilization") != NULL &&
      cp_field_at(t, "averageValue") != NULL)
    cp_field_errors_addf(errs, CP_FIELD_FORBIDDEN, NULL,
                         "may not set both a target raw value and a target "
                         "utilization",
                         "%s.averageValue", tat);
}

/* validateMetricSpec: a known type, its source and no other. */
static void check_metric(json_object *m, size_t i,
                         struct cp_field_errors *errs) {
  static const char *const types[] = {"ContainerResource", "External",
                                      "Object", "Pods", "Resource", NULL};
  static const char *const fields[] = {"containerResource", "external",
                                       "object", "pods", "resource", NULL};
  const char *type = cp_field_str(m, "type");
  char at[64], path[96];
  size_t k, want = 5;

  snprintf(at, sizeof at, "spec.metrics[%zu]", i);
  for (k = 0; type != NULL && types[k] != NULL; k++)
    if (strcmp(types[k], type) == 0)
      want = k;
  if (type == NULL || type[0] == '\0')
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "must specify a metric source type", "%s.type", at);
  if (want == 5) {
    snprintf(path, sizeof path, "%s.type", at);
    cp_field_not_supported(errs, path, type != NULL ? type : "", types);
    return;
  }
  if (cp_field_at(m, fields[want]) == NULL)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "must populate information for the given metric "
                         "source",
                         "%s.%s", at, fields[want]);
  for (k = 0; fields[k] != NULL; k++)
    if (k != want && cp_field_at(m, fields[k]) != NULL)
      cp_field_errors_addf(errs, CP_FIELD_FORBIDDEN, NULL,
                           "must populate the given metric source only",
                           "%s.%s", at, fields[k]);
  if (want == 0 || want == 4) {
    snprintf(path, sizeof path, "%s.%s", at, fields[want]);
    if (cp_field_at(m, fields[want]) != NULL)
      check_resource(cp_field_at(m, fields[want]), path, errs);
  }
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_field_at(obj, "spec");
  int64_t min = 1, max = 0;

  (void)old;
  if (w->subresource != NULL)
    return;
  if (cp_field_str(spec, "scaleTargetRef.kind") == NULL)
    cp_field_required(errs, "spec.scaleTargetRef.kind", NULL);
  if (cp_field_str(spec, "scaleTargetRef.name") == NULL)
    cp_field_required(errs, "spec.scaleTargetRef.name", NULL);
  cp_check_at_least(spec, "spec", "minReplicas", 1, errs);
  if (cp_field_int(spec, "maxReplicas", &max) && max < 1)
    cp_field_invalid_int(errs, "spec.maxReplicas", max, "must be greater "
                                                        "than 0");
  cp_field_int(spec, "minReplicas", &min);
  if (max >= 1 && min >= 1 && max < min)
    cp_field_invalid_int(errs, "spec.maxReplicas", max,
                         "must be greater than or equal to `minReplicas`");
  cp_check_at_least(spec, "spec", "targetCPUUtilizationPercentage", 1, errs);
  {
    json_object *ms = cp_field_typed(spec, "metrics", json_type_array);
    size_t i;

    for (i = 0; ms != NULL && i < json_object_array_length(ms); i++)
      check_metric(json_object_array_get_idx(ms, i), i, errs);
  }
}

/* kube's formatHPAMetrics for the common cases: "cpu: 40%/80%",
 * "<unknown>/500m", up to two then "+ N more...". */
static void metric_text(json_object *spec, json_object *st, char *buf,
                        size_t len) {
  const char *type = cp_field_str(spec, "type");
  const char *k = NULL;
  json_object *t, *c;
  int64_t v;
  char cur[64] = "<unknown>", tgt[64] = "<auto>";

  if (type == NULL) {
    snprintf(buf, len, "<unknown>");
    return;
  }
  if (strcmp(type, "Resource") == 0)
    k = "resource";
  else if (strcmp(type, "ContainerResource") == 0)
    k = "containerResource";
  if (k != NULL) {
    char path[64];

    snprintf(path, sizeof path, "%s.target", k);
    t = cp_field_at(spec, path);
    snprintf(path, sizeof path, "%s.current", k);
    c = cp_field_at(st, path);
    if (cp_field_str(t, "averageValue") != NULL) {
      if (cp_field_str(c, "averageValue") != NULL)
        snprintf(cur, sizeof cur, "%s", cp_field_str(c, "averageValue"));
      snprintf(tgt, sizeof tgt, "%s", cp_field_str(t, "averageValue"));
    } else {
      if (cp_field_int(c, "averageUtilization", &v))
        snprintf(cur, sizeof cur, "%lld%%", (long long)v);
      if (cp_field_int(t, "averageUtilization", &v))
        snprintf(tgt, sizeof tgt, "%lld%%", (long long)v);
    }
    snprintf(path, sizeof path, "%s.name", k);
    snprintf(buf, len, "%s: %s/%s", cp_field_str(spec, path)
                                        ? cp_field_str(spec, path)
                                        : "",
             cur, tgt);
    return;
  }
  k = strcmp(type, "Pods") == 0       ? "pods"
      : strcmp(type, "Object") == 0   ? "object"
      : strcmp(type, "External") == 0 ? "external"
                                      : NULL;
  t = k != NULL ? cp_field_at(cp_field_at(spec, k), "target") : NULL;
  c = k != NULL ? cp_field_at(cp_field_at(st, k), "current") : NULL;
  if (cp_field_str(t, "averageValue") != NULL) {
    if (cp_field_str(c, "averageValue") != NULL)
      snprintf(cur, sizeof cur, "%s", cp_field_str(c, "averageValue"));
    snprintf(buf, len, "%s/%s%s", cur, cp_field_str(t, "averageValue"),
             strcmp(type, "Pods") == 0 ? "" : " (avg)");
  } else {
    if (cp_field_str(c, "value") != NULL)
      snprintf(cur, sizeof cur, "%s", cp_field_str(c, "value"));
    snprintf(buf, len, "%s/%s", cur,
             cp_field_str(t, "value") ? cp_field_str(t, "value") : "<none>");
  }
}

static void targets_cell(json_object *obj, json_object *out) {
  json_object *ms = cp_field_typed(obj, "spec.metrics", json_type_array);
  json_object *ss = cp_field_typed(obj, "status.currentMetrics",
                                   json_type_array);
  size_t n = ms != NULL ? json_object_array_length(ms) : 0, i;
  char buf[512] = "", one[160];
  int v1cpu = -1;

  if (n == 0 && is_v1(obj)) {
    /* A v1 object as stored before conversion: its one CPU target. */
    int64_t t, c;

    if (cp_field_int(obj, "spec.targetCPUUtilizationPercentage", &t)) {
      if (cp_field_int(obj, "status.currentCPUUtilizationPercentage", &c))
        snprintf(buf, sizeof buf, "cpu: %lld%%/%lld%%", (long long)c,
                 (long long)t);
      else
        snprintf(buf, sizeof buf, "cpu: <unknown>/%lld%%", (long long)t);
      v1cpu = 1;
    }
  }
  if (n == 0) {
    cp_cell_str(out, v1cpu > 0 ? buf : "<none>");
    return;
  }
  for (i = 0; i < n && i < 2; i++) {
    json_object *st = ss != NULL && i < json_object_array_length(ss)
                          ? json_object_array_get_idx(ss, i)
                          : NULL;

    metric_text(json_object_array_get_idx(ms, i), st, one, sizeof one);
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
             i > 0 ? ", " : "", one);
  }
  if (n > 2)
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " + %zu more...",
             n - 2);
  cp_cell_str(out, buf);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Reference", "string", "", 0, ""},
    {"Targets", "string", "", 0, ""},
    {"MinPods", "string", "", 0, ""},
    {"MaxPods", "integer", "", 0, ""},
    {"Replicas", "integer", "", 0, ""},
    {"Age", "string", "", 0, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  const char *kind = cp_field_str(obj, "spec.scaleTargetRef.kind");
  const char *name = cp_field_str(obj, "spec.scaleTargetRef.name");
  char ref[512], min[32] = "<unset>";
  int64_t v;

  cp_cell_name(out, obj);
  snprintf(ref, sizeof ref, "%s/%s", kind ? kind : "", name ? name : "");
  cp_cell_str(out, ref);
  targets_cell(obj, out);
  if (cp_field_int(obj, "spec.minReplicas", &v))
    snprintf(min, sizeof min, "%lld", (long long)v);
  cp_cell_str(out, min);
  cp_cell_int(out, cp_field_int_or(obj, "spec.maxReplicas", 0));
  cp_cell_int(out, cp_field_int_or(obj, "status.currentReplicas", 0));
  cp_cell_age(out, obj, now);
}

static const char *const categories[] = {"all", NULL};

const struct cp_strategy cp_strategy_horizontalpodautoscalers = {
    .group = "autoscaling",
    .resource = "horizontalpodautoscalers",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
    .storage_version = "v2",
    .convert = cp_hpa_convert,
};
