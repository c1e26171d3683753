/*
 * calc - see calc.h.
 */
#include "calc.h"

#include "hpa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What groupPods makes of a pod. */
enum { COUNTED, UNREADY, MISSING, IGNORED };

static int cpu_unready(const struct hpa_calc_args *a, const struct hpa_pod *p) {
  if (p->ready < 0 || p->start_ms < 0)
    return 1;
  if (p->start_ms + a->cpu_init_ms > a->now_ms)
    /* Still initializing: unready, or no full window measured since it
     * turned ready. */
    return p->ready == 0 ||
           p->metric_ts_ms < p->ready_since_ms + p->window_ms;
  /* Past it: left out only when unready and never ready since start. */
  return p->ready == 0 &&
         p->start_ms + a->readiness_delay_ms > p->ready_since_ms;
}

static int group(const struct hpa_calc_args *a, const struct hpa_pod *p) {
  if (p->deleting || p->phase == HPA_POD_FAILED)
    return IGNORED;
  if (p->phase == HPA_POD_PENDING)
    return UNREADY;
  if (!p->has_metric)
    return MISSING;
  if (strcmp(a->resource, "cpu") == 0 && cpu_unready(a, p))
    return UNREADY;
  return COUNTED;
}

/* The usage ratio over the pods counted (value[i] >= 0 marks one), and
 * the utilization and raw average. -1 when nothing matched. */
static double ratio_of(const struct hpa_calc_args *a,
                       const struct hpa_pod *pods, const int64_t *value,
                       size_t n, int32_t *util, int64_t *avg) {
  int64_t total = 0, requests = 0, count = 0;
  size_t i;

  for (i = 0; i < n; i++) {
    if (value[i] < 0)
      continue;
    total += value[i];
    requests += pods[i].request;
    count++;
  }
  if (count == 0)
    return -1;
  *avg = total / count;
  if (!a->utilization)
    return (double)*avg / (double)a->target_avg_milli;
  if (requests == 0)
    return -1;
  *util = (int32_t)(total * 100 / requests);
  return (double)*util / (double)a->target_util;
}

void hpa_calc_replicas(const struct hpa_calc_args *a, struct hpa_pod *pods,
                       size_t n, struct hpa_calc_result *r) {
  int64_t *value = NULL;
  int *kind = NULL;
  size_t i, ready = 0, unready = 0, missing = 0, counted = 0;
  double ratio, new_ratio;
  int64_t avg = 0, new_avg;
  int32_t util = 0, new_util, want;

  memset(r, 0, sizeof *r);
  r->replicas = a->current_replicas;
  if (n == 0) {
    snprintf(r->error, sizeof r->error,
             "no pods returned by selector while calculating replica count");
    return;
  }
  for (i = 0; i < n; i++)
    if (a->utilization && pods[i].missing_request != NULL) {
      snprintf(r->error, sizeof r->error,
               "missing request for %s in container %s of Pod %s",
               a->resource, pods[i].missing_request, pods[i].name);
      return;
    }
  if ((value = malloc(n * sizeof *value)) == NULL ||
      (kind = malloc(n * sizeof *kind)) == NULL) {
    snprintf(r->error, sizeof r->error, "out of memory");
    goto out;
  }
  for (i = 0; i < n; i++) {
    kind[i] = group(a, &pods[i]);
    value[i] = kind[i] == COUNTED ? pods[i].metric : -1;
    ready += kind[i] == COUNTED;
    unready += kind[i] == UNREADY;
    missing += kind[i] == MISSING;
  }
  if (ready == 0) {
    snprintf(r->error, sizeof r->error,
             "did not receive metrics for targeted pods (pods might be "
             "unready)");
    goto out;
  }
  if ((ratio = ratio_of(a, pods, value, n, &util, &avg)) < 0) {
    snprintf(r->error, sizeof r->error,
             "no metrics returned matched known pods");
    goto out;
  }
  r->utilization = util;
  r->average_milli = avg;
  if (!(unready > 0 && ratio > 1.0) && missing == 0) {
    if (hpa_fabs(1.0 - ratio) > a->tolerance)
      r->replicas = (int32_t)hpa_ceil(ratio * (double)ready);
    goto out;
  }
  /* Fill in the pods left out, against the direction of the change, and
   * look again. */
  for (i = 0; i < n; i++) {
    if (kind[i] == MISSING && ratio < 1.0)
      value[i] = a->utilization
                     ? pods[i].request *
                           (a->target_util > 100 ? a->target_util : 100) / 100
                     : a->target_avg_milli;
    else if (kind[i] == MISSING && ratio > 1.0)
      value[i] = 0;
    else if (kind[i] == UNREADY && ratio > 1.0)
      value[i] = 0;
    counted += value[i] >= 0;
  }
  new_ratio = ratio_of(a, pods, value, n, &new_util, &new_avg);
  if (new_ratio < 0 || hpa_fabs(1.0 - new_ratio) <= a->tolerance ||
      (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0))
    goto out;
  want = (int32_t)hpa_ceil(new_ratio * (double)counted);
  /* A change in the count alone must not turn the direction. */
  if ((new_ratio < 1.0 && want > a->current_replicas) ||
      (new_ratio > 1.0 && want < a->current_replicas))
    goto out;
  r->replicas = want;
out:
  free(value);
  free(kind);
}
