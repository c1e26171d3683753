/*
 * spec - see spec.h.
 */
#include "spec.h"

#include <stdio.h>
#include <string.h>

void hpa_default_rules(int up, struct hpa_rules *r) {
  memset(r, 0, sizeof *r);
  r->select = HPA_SELECT_MAX;
  if (up) {
    r->window_s = 0;
    r->policies[0] = (struct hpa_policy){HPA_POLICY_PODS, 4, 15};
    r->policies[1] = (struct hpa_policy){HPA_POLICY_PERCENT, 100, 15};
    r->n_policies = 2;
  } else {
    r->window_s = HPA_DOWNSCALE_WINDOW_S;
    r->policies[0] = (struct hpa_policy){HPA_POLICY_PERCENT, 100, 15};
    r->n_policies = 1;
  }
}

/* An int at path within [lo, hi] into *out; 1 when present and valid, 0
 * when absent, -1 when of another type or out of range. */
static int bounded_int(const struct cplane_host_api *api,
                       const cplane_object *o, const char *path, int64_t lo,
                       int64_t hi, int32_t *out) {
  int64_t v;
  int rc = api->object_int(o, path, &v);

  if (rc == CPLANE_ENOENT)
    return 0;
  if (rc != CPLANE_OK || v < lo || v > hi)
    return -1;
  *out = (int32_t)v;
  return 1;
}

/* spec.behavior.<dir> over kube's defaults (copyHPAScalingRules: each
 * member given replaces the default's). */
static const char *read_rules(const struct cplane_host_api *api,
                              const cplane_object *hpa, const char *dir,
                              struct hpa_rules *r) {
  char path[128], p[160];
  const char *sel, *type;
  int i, n;

  snprintf(path, sizeof path, "spec.behavior.%s", dir);
  snprintf(p, sizeof p, "%s.stabilizationWindowSeconds", path);
  if (bounded_int(api, hpa, p, 0, HPA_MAX_WINDOW_S, &r->window_s) < 0)
    return "stabilizationWindowSeconds: an integer from 0 to 3600";
  snprintf(p, sizeof p, "%s.selectPolicy", path);
  if ((sel = api->object_string(hpa, p)) != NULL) {
    if (strcmp(sel, "Max") == 0)
      r->select = HPA_SELECT_MAX;
    else if (strcmp(sel, "Min") == 0)
      r->select = HPA_SELECT_MIN;
    else if (strcmp(sel, "Disabled") == 0)
      r->select = HPA_SELECT_DISABLED;
    else
      return "selectPolicy: Max, Min or Disabled";
  }
  snprintf(p, sizeof p, "%s.policies", path);
  if ((n = api->object_len(hpa, p)) < 0)
    return NULL; /* absent: the defaults */
  if (n > HPA_MAX_POLICIES)
    return "policies: at most 16";
  r->n_policies = 0;
  for (i = 0; i < n; i++) {
    struct hpa_policy *pol = &r->policies[r->n_policies];

    snprintf(p, sizeof p, "%s.policies[%d].type", path, i);
    type = api->object_string(hpa, p);
    if (type != NULL && strcmp(type, "Pods") == 0)
      pol->type = HPA_POLICY_PODS;
    else if (type != NULL && strcmp(type, "Percent") == 0)
      pol->type = HPA_POLICY_PERCENT;
    else
      return "policies: type Pods or Percent";
    snprintf(p, sizeof p, "%s.policies[%d].value", path, i);
    if (bounded_int(api, hpa, p, 1, INT32_MAX, &pol->value) != 1)
      return "policies: value a positive integer";
    snprintf(p, sizeof p, "%s.policies[%d].periodSeconds", path, i);
    if (bounded_int(api, hpa, p, 1, HPA_MAX_PERIOD_S, &pol->period_s) != 1)
      return "policies: periodSeconds an integer from 1 to 1800";
    r->n_policies++;
  }
  return NULL;
}

/* spec.metrics[i] when it is a Resource metric of cpu or memory: 1 (and
 * *m set), 0 to skip it, or -1 with *err. */
static int read_metric(const struct cplane_host_api *api,
                       const cplane_object *hpa, int i, struct hpa_metric *m,
                       const char **err) {
  char p[96];
  const char *type, *ttype, *qty;
  int64_t milli;

  snprintf(p, sizeof p, "spec.metrics[%d].type", i);
  if ((type = api->object_string(hpa, p)) == NULL ||
      strcmp(type, "Resource") != 0)
    return 0;
  snprintf(p, sizeof p, "spec.metrics[%d].resource.name", i);
  m->resource = api->object_string(hpa, p);
  if (m->resource == NULL ||
      (strcmp(m->resource, "cpu") != 0 && strcmp(m->resource, "memory") != 0))
    return 0;
  snprintf(p, sizeof p, "spec.metrics[%d].resource.target.type", i);
  ttype = api->object_string(hpa, p);
  if (ttype != NULL && strcmp(ttype, "Utilization") == 0) {
    snprintf(p, sizeof p,
             "spec.metrics[%d].resource.target.averageUtilization", i);
    m->target_type = HPA_TARGET_UTILIZATION;
    if (bounded_int(api, hpa, p, 1, INT32_MAX, &m->utilization) == 1)
      return 1;
    *err = "invalid resource metric source: neither an average utilization "
           "target nor an average value (usage) target was set";
    return -1;
  }
  if (ttype != NULL && strcmp(ttype, "AverageValue") == 0) {
    snprintf(p, sizeof p, "spec.metrics[%d].resource.target.averageValue", i);
    qty = api->object_string(hpa, p);
    m->target_type = HPA_TARGET_AVERAGE_VALUE;
    if (cplane_quantity_parse_milli(qty, &milli, NULL) == CPLANE_OK &&
        milli > 0) {
      m->average_milli = milli;
      return 1;
    }
  }
  *err = "invalid resource metric source: neither an average utilization "
         "target nor an average value (usage) target was set";
  return -1;
}

const char *hpa_read_spec(const struct cplane_host_api *api,
                          const cplane_object *hpa, struct hpa_spec *out) {
  const char *err = NULL;
  int i, n, rc;

  memset(out, 0, sizeof *out);
  out->target_api_version =
      api->object_string(hpa, "spec.scaleTargetRef.apiVersion");
  out->target_kind = api->object_string(hpa, "spec.scaleTargetRef.kind");
  out->target_name = api->object_string(hpa, "spec.scaleTargetRef.name");
  if (out->target_kind == NULL || out->target_name == NULL)
    return "spec.scaleTargetRef: kind and name are required";
  out->min_replicas = 1;
  if (bounded_int(api, hpa, "spec.minReplicas", 0, INT32_MAX,
                  &out->min_replicas) < 0 ||
      bounded_int(api, hpa, "spec.maxReplicas", 1, INT32_MAX,
                  &out->max_replicas) != 1)
    return "spec.minReplicas/maxReplicas: integers, maxReplicas at least 1";
  hpa_default_rules(1, &out->up);
  hpa_default_rules(0, &out->down);
  out->has_behavior = api->object_type(hpa, "spec.behavior") ==
                      CPLANE_TYPE_OBJECT;
  if (out->has_behavior &&
      ((err = read_rules(api, hpa, "scaleUp", &out->up)) != NULL ||
       (err = read_rules(api, hpa, "scaleDown", &out->down)) != NULL))
    return err;
  n = api->object_len(hpa, "spec.metrics");
  if (n <= 0) { /* kube's default: CPU at 80% */
    out->metrics[0] = (struct hpa_metric){"cpu", HPA_TARGET_UTILIZATION, 80, 0};
    out->n_metrics = 1;
    return NULL;
  }
  for (i = 0; i < n && out->n_metrics < HPA_MAX_METRICS; i++) {
    rc = read_metric(api, hpa, i, &out->metrics[out->n_metrics], &err);
    if (rc < 0)
      return err;
    out->n_metrics += rc;
  }
  return NULL;
}
