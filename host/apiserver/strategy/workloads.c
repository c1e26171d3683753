/*
 * workloads - the checks the workload strategies share; see workloads.h.
 */
#include "apiserver/strategy/workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/fields.h"

void cp_check_at_least(json_object *obj, const char *prefix,
                       const char *field, long long min,
                       struct cp_field_errors *errs) {
  char detail[64], value[32], path[160];
  int64_t v;

  if (!cp_field_int(obj, field, &v) || v >= min)
    return;
  snprintf(detail, sizeof detail, "must be greater than or equal to %lld",
           min);
  snprintf(value, sizeof value, "%lld", (long long)v);
  snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", field);
  cp_field_errors_add(errs, CP_FIELD_INVALID, path, value, detail);
}

void cp_check_nonnegative(json_object *obj, const char *prefix,
                          const char *field, struct cp_field_errors *errs) {
  cp_check_at_least(obj, prefix, field, 0, errs);
}

/* A scalar as kube prints a bad value: strings quoted, numbers and
 * booleans bare, absent as null. */
static void render(json_object *v, char *buf, size_t len) {
  if (v == NULL || json_object_is_type(v, json_type_null))
    snprintf(buf, len, "null");
  else if (json_object_is_type(v, json_type_string))
    snprintf(buf, len, "\"%s\"", json_object_get_string(v));
  else
    snprintf(buf, len, "%s",
             json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

void cp_check_immutable(json_object *obj, json_object *old,
                        const char *prefix, const char *field,
                        struct cp_field_errors *errs) {
  json_object *a = cp_field_at(obj, field), *b = cp_field_at(old, field);
  char value[256], path[160];

  if (json_object_equal(a, b))
    return;
  render(a, value, sizeof value);
  snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", field);
  cp_field_errors_add(errs, CP_FIELD_INVALID, path, value,
                      "field is immutable");
}

long long cp_decimal(const char *s) {
  char *end = NULL;
  long long v;

  if (s == NULL || *s == '\0')
    return 0;
  v = strtoll(s, &end, 10);
  return end != NULL && *end == '\0' ? v : 0;
}

void cp_workload_defaults(const char *group, const char *kind,
                          json_object *obj) {
  static const struct {
    const char *group, *kind;
    void (*fn)(json_object *);
  } kinds[] = {
      {"apps", "DaemonSet", cp_defaults_daemonset},
      {"apps", "StatefulSet", cp_defaults_statefulset},
      {"batch", "Job", cp_defaults_job},
      {"batch", "CronJob", cp_defaults_cronjob},
      {"autoscaling", "HorizontalPodAutoscaler", cp_defaults_hpa},
      {"scheduling.k8s.io", "PriorityClass", cp_defaults_priorityclass},
  };
  size_t i;

  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].group, group) == 0 &&
        strcmp(kinds[i].kind, kind) == 0) {
      kinds[i].fn(obj);
      return;
    }
}
