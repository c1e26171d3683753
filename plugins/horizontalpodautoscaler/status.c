/*
 * status - see status.h.
 */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cond_types[HPA_N_CONDS] = {
    "AbleToScale", "ScalingActive", "ScalingLimited"};

void hpa_status_cond(struct hpa_status *st, int i, const char *status,
                     const char *reason, const char *message) {
  snprintf(st->messages[i], sizeof st->messages[i], "%s", message);
  st->conds[i] = (struct cplane_condition){cond_types[i], status, reason,
                                           st->messages[i], 0};
}

/* currentMetrics as JSON text (malloc'd), or NULL out of memory. */
static char *metrics_json(const struct hpa_status *st) {
  struct cplane_strbuf b = {0};
  char avg[CPLANE_QUANTITY_LEN];
  int i;

  cplane_strbuf_add(&b, "[");
  for (i = 0; i < st->n_metrics; i++) {
    const struct hpa_metric_status *m = &st->metrics[i];

    cplane_quantity_format(m->average_milli, CPLANE_QUANTITY_DECIMAL_SI, avg,
                           sizeof avg);
    cplane_strbuf_addf(&b,
                       "%s{\"type\":\"Resource\",\"resource\":{\"name\":\"%s\","
                       "\"current\":{",
                       i ? "," : "", m->resource);
    if (m->utilization)
      cplane_strbuf_addf(&b, "\"averageUtilization\":%d,",
                         (int)m->average_utilization);
    cplane_strbuf_addf(&b, "\"averageValue\":\"%s\"}}}", avg);
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}

static int64_t int_at(const struct cplane_host_api *api,
                      const cplane_object *o, const char *path) {
  int64_t v = -1;

  api->object_int(o, path, &v);
  return v;
}

/* 1 when the stored currentMetrics differ from text. */
static int metrics_changed(const struct cplane_host_api *api,
                           const cplane_object *hpa, const char *text) {
  char *old = api->object_json(hpa, "status.currentMetrics");
  int changed;

  if (old == NULL)
    return strcmp(text, "[]") != 0;
  changed = strcmp(old, text) != 0;
  api->free(old);
  return changed;
}

char *hpa_status_patch(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *hpa,
                       const struct hpa_status *st, int *nomem) {
  struct cplane_condition set[HPA_N_CONDS];
  char *metrics = NULL, *conds = NULL, *patch = NULL, *ts = NULL, now[40];
  int i, n = 0, changed = 0, rc;

  *nomem = 0;
  for (i = 0; i < HPA_N_CONDS; i++)
    if (st->conds[i].type != NULL)
      set[n++] = st->conds[i];
  if ((metrics = metrics_json(st)) == NULL ||
      (rc = cplane_conditions_set(api, ctx, hpa, "status.conditions", set, n,
                                  &conds, &changed)) != CPLANE_OK)
    goto nomem;
  changed = changed || st->rescaled ||
            int_at(api, hpa, "status.currentReplicas") != st->current ||
            int_at(api, hpa, "status.desiredReplicas") != st->desired ||
            int_at(api, hpa, "status.observedGeneration") !=
                api->object_generation(hpa) ||
            metrics_changed(api, hpa, metrics);
  if (!changed)
    goto out;
  /* Merge patch: arrays replace the stored ones; no metrics is null
   * (kube's omitempty), which removes them. lastScaleTime only moves on
   * a rescale. */
  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  /* The stored time, escaped, or null when there is none. */
  if ((ts = api->json_format(
           "%s", st->rescaled ? now
                              : api->object_string(hpa,
                                                   "status.lastScaleTime"))) ==
      NULL)
    goto nomem;
  patch = api->json_format(
      "{'status':{'observedGeneration':%lld,'currentReplicas':%d,"
      "'desiredReplicas':%d,'currentMetrics':%j,'conditions':%j,"
      "'lastScaleTime':%j}}",
      (long long)api->object_generation(hpa), (int)st->current,
      (int)st->desired, st->n_metrics ? metrics : "null", conds, ts);
  if (patch == NULL)
    goto nomem;
  goto out;
nomem:
  *nomem = 1;
out:
  free(metrics);
  api->free(conds);
  api->free(ts);
  return patch;
}
