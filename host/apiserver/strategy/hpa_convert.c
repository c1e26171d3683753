/*
 * hpa_convert - see hpa_convert.h.
 */
#include "apiserver/strategy/hpa_convert.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/fields.h"

#define ANN "autoscaling.alpha.kubernetes.io/"
#define ANN_METRICS ANN "metrics"
#define ANN_CURRENT ANN "current-metrics"
#define ANN_CONDITIONS ANN "conditions"
#define ANN_BEHAVIOR ANN "behavior"
#define DEFAULT_CPU 80

/* Copies src's member from into dst as to (when present). */
static void move(json_object *dst, const char *to, json_object *src,
                 const char *from) {
  json_object *v = cp_field_at(src, from);

  if (v != NULL && !json_object_is_type(v, json_type_null))
    cp_field_set(dst, to, json_object_get(v));
}

static void set_str(json_object *o, const char *path, const char *s) {
  cp_field_set(o, path, json_object_new_string(s));
}

static int is_cpu_utilization(json_object *m, const char *what) {
  const char *type = cp_field_str(m, "type");
  const char *name = cp_field_str(m, "resource.name");
  char path[64];

  snprintf(path, sizeof path, "resource.%s.averageUtilization", what);
  return type != NULL && strcmp(type, "Resource") == 0 && name != NULL &&
         strcmp(name, "cpu") == 0 && cp_field_at(m, path) != NULL;
}

/* ------------------------------------------------- the metric table */

/* One member of a metric source: its path under the v1 member and under
 * the v2 one. V1_ZERO: a Quantity v1 holds by value, "0" when v2 has
 * none (kube's conversion of a nil pointer). */
#define V1_ZERO 1u
struct hpa_field {
  const char *v1, *v2;
  unsigned flags;
};

/* One metric source type, the same table driving both directions. v2
 * names its target's type: util_v1 present -> Utilization, avg_v1
 * present -> AverageValue, else target_type. */
struct hpa_source {
  const char *type;   /* "Resource", ... */
  const char *member; /* "resource", ... */
  const struct hpa_field *spec, *status;
  const char *util_v1, *avg_v1, *target_type;
};

#define END {NULL, NULL, 0}
static const struct hpa_field resource_spec[] = {
    {"name", "name", 0},
    {"container", "container", 0},
    {"targetAverageUtilization", "target.averageUtilization", 0},
    {"targetAverageValue", "target.averageValue", 0},
    END};
static const struct hpa_field resource_status[] = {
    {"name", "name", 0},
    {"container", "container", 0},
    {"currentAverageUtilization", "current.averageUtilization", 0},
    {"currentAverageValue", "current.averageValue", V1_ZERO},
    END};
static const struct hpa_field pods_spec[] = {
    {"metricName", "metric.name", 0},
    {"targetAverageValue", "target.averageValue", V1_ZERO},
    {"selector", "metric.selector", 0},
    END};
static const struct hpa_field pods_status[] = {
    {"metricName", "metric.name", 0},
    {"currentAverageValue", "current.averageValue", V1_ZERO},
    {"selector", "metric.selector", 0},
    END};
static const struct hpa_field object_spec[] = {
    {"target", "describedObject", 0},
    {"metricName", "metric.name", 0},
    {"targetValue", "target.value", V1_ZERO},
    {"selector", "metric.selector", 0},
    {"averageValue", "target.averageValue", 0},
    END};
static const struct hpa_field object_status[] = {
    {"target", "describedObject", 0},
    {"metricName", "metric.name", 0},
    {"currentValue", "current.value", V1_ZERO},
    {"selector", "metric.selector", 0},
    {"averageValue", "current.averageValue", 0},
    END};
static const struct hpa_field external_spec[] = {
    {"metricName", "metric.name", 0},
    {"metricSelector", "metric.selector", 0},
    {"targetValue", "target.value", 0},
    {"targetAverageValue", "target.averageValue", 0},
    END};
static const struct hpa_field external_status[] = {
    {"metricName", "metric.name", 0},
    {"metricSelector", "metric.selector", 0},
    {"currentValue", "current.value", V1_ZERO},
    {"currentAverageValue", "current.averageValue", 0},
    END};
#undef END

static const struct hpa_source sources[] = {
    {"Resource", "resource", resource_spec, resource_status,
     "targetAverageUtilization", NULL, "AverageValue"},
    {"ContainerResource", "containerResource", resource_spec, resource_status,
     "targetAverageUtilization", NULL, "AverageValue"},
    {"Pods", "pods", pods_spec, pods_status, NULL, NULL, "AverageValue"},
    {"Object", "object", object_spec, object_status, NULL, "averageValue",
     "Value"},
    {"External", "external", external_spec, external_status, NULL,
     "targetAverageValue", "Value"},
};

static const struct hpa_source *source_of(const char *type) {
  size_t i;

  for (i = 0; type != NULL && i < sizeof sources / sizeof sources[0]; i++)
    if (strcmp(sources[i].type, type) == 0)
      return &sources[i];
  return NULL;
}

/* 1 when a v2 path lives in the target or current object. */
static int in_value(const char *v2) {
  return strncmp(v2, "target.", 7) == 0 || strncmp(v2, "current.", 8) == 0;
}

/* Metric m (a spec when spec, else a status) converted to version v1
 * (to_v1) or v2, by the table: a new object. */
static json_object *convert_metric(json_object *m, int spec, int to_v1) {
  const char *type = cp_field_str(m, "type");
  const struct hpa_source *src = source_of(type);
  const struct hpa_field *f;
  json_object *o = json_object_new_object(), *r, *in;

  if (o == NULL || type == NULL)
    return o;
  set_str(o, "type", type);
  if (src == NULL)
    return o;
  r = cp_field_obj(o, src->member);
  in = cp_field_at(m, src->member);
  if (to_v1) {
    for (f = spec ? src->spec : src->status; f->v1 != NULL; f++) {
      move(r, f->v1, in, f->v2);
      if ((f->flags & V1_ZERO) && cp_field_at(r, f->v1) == NULL)
        set_str(r, f->v1, "0");
    }
    return o;
  }
  /* v2: the metric's identity first, then its target (type first) or
   * current value, as kube's Go structs order them. */
  for (f = spec ? src->spec : src->status; f->v1 != NULL; f++)
    if (!in_value(f->v2))
      move(r, f->v2, in, f->v1);
  if (spec)
    set_str(r, "target.type",
            src->util_v1 != NULL && cp_field_at(in, src->util_v1) != NULL
                ? "Utilization"
            : src->avg_v1 != NULL && cp_field_at(in, src->avg_v1) != NULL
                ? "AverageValue"
                : src->target_type);
  else
    cp_field_obj(r, "current");
  for (f = spec ? src->spec : src->status; f->v1 != NULL; f++)
    if (in_value(f->v2))
      move(r, f->v2, in, f->v1);
  return o;
}

/* A copy of o with every key's first letter changed by fn (kube stores
 * the behavior annotation as its internal Go type: capitalised keys;
 * reading it back is case-insensitive). */
static json_object *recase(json_object *o, int (*fn)(int)) {
  json_object *out;
  size_t i;

  if (json_object_is_type(o, json_type_array)) {
    out = json_object_new_array();
    for (i = 0; out != NULL && i < json_object_array_length(o); i++)
      json_object_array_add(out, recase(json_object_array_get_idx(o, i), fn));
    return out;
  }
  if (!json_object_is_type(o, json_type_object))
    return json_object_get(o);
  out = json_object_new_object();
  if (out == NULL)
    return NULL;
  json_object_object_foreach(o, k, v) {
    char key[128];

    snprintf(key, sizeof key, "%s", k);
    key[0] = (char)fn((unsigned char)key[0]);
    json_object_object_add(out, key, recase(v, fn));
  }
  return out;
}

static void annotate(json_object *obj, const char *key, json_object *v) {
  json_object *ann = cp_field_obj(obj, "metadata.annotations");

  if (ann != NULL && v != NULL)
    json_object_object_add(
        ann, key,
        json_object_new_string(json_object_to_json_string_ext(
            v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
}

/* ---------------------------------------------------------- v2 -> v1 */

static void to_v1(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec");
  json_object *status = cp_field_at(obj, "status");
  json_object *metrics = cp_field_typed(spec, "metrics", json_type_array);
  json_object *current =
      cp_field_typed(status, "currentMetrics", json_type_array);
  json_object *conds = cp_field_typed(status, "conditions", json_type_array);
  json_object *behavior = cp_field_at(spec, "behavior");
  json_object *other = json_object_new_array(), *cur = json_object_new_array();
  size_t i;

  for (i = 0; metrics != NULL && i < json_object_array_length(metrics); i++) {
    json_object *m = json_object_array_get_idx(metrics, i);

    if (is_cpu_utilization(m, "target")) {
      if (cp_field_at(spec, "targetCPUUtilizationPercentage") == NULL)
        move(spec, "targetCPUUtilizationPercentage", m,
             "resource.target.averageUtilization");
      continue;
    }
    json_object_array_add(other, convert_metric(m, 1, 1));
  }
  for (i = 0; current != NULL && i < json_object_array_length(current); i++) {
    json_object *m = json_object_array_get_idx(current, i);

    if (is_cpu_utilization(m, "current") &&
        cp_field_at(status, "currentCPUUtilizationPercentage") == NULL)
      move(status, "currentCPUUtilizationPercentage", m,
           "resource.current.averageUtilization");
    json_object_array_add(cur, convert_metric(m, 0, 1));
  }
  if (json_object_array_length(other) > 0)
    annotate(obj, ANN_METRICS, other);
  if (json_object_array_length(cur) > 0)
    annotate(obj, ANN_CURRENT, cur);
  if (behavior != NULL && json_object_is_type(behavior, json_type_object)) {
    /* kube marshals its Go struct: ScaleUp before ScaleDown. */
    json_object *b = json_object_new_object();

    if (cp_field_at(behavior, "scaleUp") != NULL)
      json_object_object_add(
          b, "ScaleUp", recase(cp_field_at(behavior, "scaleUp"), toupper));
    if (cp_field_at(behavior, "scaleDown") != NULL)
      json_object_object_add(
          b, "ScaleDown",
          recase(cp_field_at(behavior, "scaleDown"), toupper));
    annotate(obj, ANN_BEHAVIOR, b);
    json_object_put(b);
  }
  if (conds != NULL && json_object_array_length(conds) > 0)
    annotate(obj, ANN_CONDITIONS, conds);
  json_object_put(other);
  json_object_put(cur);
  json_object_object_del(spec, "metrics");
  json_object_object_del(spec, "behavior");
  if (status != NULL && json_object_is_type(status, json_type_object)) {
    json_object_object_del(status, "currentMetrics");
    json_object_object_del(status, "conditions");
    cp_field_default(status, "currentReplicas", json_object_new_int(0));
  }
}

/* ---------------------------------------------------------- v1 -> v2 */

static const char *ann_str(json_object *obj, const char *key) {
  json_object *ann = cp_field_typed(obj, "metadata.annotations",
                                    json_type_object);
  json_object *v = NULL;

  if (ann == NULL || !json_object_object_get_ex(ann, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static json_object *take(json_object *obj, const char *key, json_type want) {
  json_object *ann = cp_field_typed(obj, "metadata.annotations",
                                    json_type_object);
  const char *s = ann_str(obj, key);
  json_object *v = s != NULL ? json_tokener_parse(s) : NULL;

  if (ann != NULL)
    json_object_object_del(ann, key);
  if (v != NULL && !json_object_is_type(v, want)) {
    json_object_put(v);
    v = NULL;
  }
  return v;
}

static json_object *cpu_metric(const char *what, json_object *pct) {
  json_object *m = json_object_new_object();
  char path[64];

  set_str(m, "type", "Resource");
  set_str(m, "resource.name", "cpu");
  if (strcmp(what, "target") == 0)
    set_str(m, "resource.target.type", "Utilization");
  snprintf(path, sizeof path, "resource.%s.averageUtilization", what);
  cp_field_set(m, path, pct);
  return m;
}

static void to_v2(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec");
  json_object *status = cp_field_at(obj, "status");
  json_object *other = take(obj, ANN_METRICS, json_type_array);
  json_object *cur = take(obj, ANN_CURRENT, json_type_array);
  json_object *conds = take(obj, ANN_CONDITIONS, json_type_array);
  json_object *behavior = take(obj, ANN_BEHAVIOR, json_type_object);
  json_object *cpu = cp_field_typed(spec, "targetCPUUtilizationPercentage",
                                    json_type_int);
  json_object *metrics = json_object_new_array(), *cms;
  size_t i;

  for (i = 0; other != NULL && i < json_object_array_length(other); i++)
    json_object_array_add(
        metrics, convert_metric(json_object_array_get_idx(other, i), 1, 0));
  if (cpu != NULL)
    json_object_array_add(metrics, cpu_metric("target", json_object_get(cpu)));
  if (json_object_array_length(metrics) == 0)
    json_object_array_add(metrics,
                          cpu_metric("target", json_object_new_int(DEFAULT_CPU)));
  cp_field_set(spec, "metrics", metrics);
  json_object_object_del(spec, "targetCPUUtilizationPercentage");
  if (behavior != NULL && json_object_object_length(behavior) > 0)
    cp_field_set(spec, "behavior", recase(behavior, tolower));
  if (status != NULL && json_object_is_type(status, json_type_object)) {
    json_object *ccpu = cp_field_typed(
        status, "currentCPUUtilizationPercentage", json_type_int);

    if (cur != NULL) {
      cms = json_object_new_array();
      for (i = 0; i < json_object_array_length(cur); i++)
        json_object_array_add(
            cms, convert_metric(json_object_array_get_idx(cur, i), 0, 0));
      cp_field_set(status, "currentMetrics", cms);
    } else if (ccpu != NULL) {
      cms = json_object_new_array();
      json_object_array_add(cms, cpu_metric("current", json_object_get(ccpu)));
      cp_field_set(status, "currentMetrics", cms);
    }
    json_object_object_del(status, "currentCPUUtilizationPercentage");
    /* v2's currentReplicas is omitempty. */
    if (cp_field_int_or(status, "currentReplicas", 1) == 0)
      json_object_object_del(status, "currentReplicas");
    if (conds != NULL)
      cp_field_set(status, "conditions", json_object_get(conds));
  }
  json_object_put(other);
  json_object_put(cur);
  json_object_put(conds);
  json_object_put(behavior);
}

int cp_hpa_convert(json_object *obj, const char *to) {
  const char *av = cp_field_str(obj, "apiVersion");
  const char *from = av != NULL && strncmp(av, "autoscaling/", 12) == 0
                         ? av + 12
                         : NULL;

  if (strcmp(to, "v1") != 0 && strcmp(to, "v2") != 0)
    return -1;
  if (from == NULL || strcmp(from, to) == 0)
    return from == NULL ? -1 : 0;
  if (strcmp(to, "v1") == 0)
    to_v1(obj);
  else
    to_v2(obj);
  cp_field_set(obj, "apiVersion", json_object_new_string(
                                      strcmp(to, "v1") == 0
                                          ? "autoscaling/v1"
                                          : "autoscaling/v2"));
  return 0;
}
