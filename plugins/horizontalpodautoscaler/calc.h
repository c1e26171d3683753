/*
 * calc - kube's replica calculator for Resource metrics
 * (pkg/controller/podautoscaler/replica_calculator.go): from the target's
 * pods and what the metrics API reports for them, the replica count a
 * utilization target (percent of requests) or an average value target
 * asks for, with the tolerance, and kube's handling of pods that are
 * missing metrics (counted at 100% of request or the target on a scale
 * down, 0 on a scale up), not yet ready (CPU: within the initialization
 * period, or never ready; counted as 0 on a scale up, else left out),
 * pending (unready) and deleted or failed (ignored).
 *
 * Ownership: the caller's arrays, borrowed. Threading: pure functions.
 */
#ifndef HPA_CALC_H
#define HPA_CALC_H

#include <stddef.h>
#include <stdint.h>

enum hpa_pod_phase { HPA_POD_PENDING, HPA_POD_RUNNING, HPA_POD_FAILED,
                     HPA_POD_OTHER };

/* One pod the target's selector matches. */
struct hpa_pod {
  const char *name;
  int phase;    /* HPA_POD_* */
  int deleting; /* metadata.deletionTimestamp set */
  /* Ready condition: -1 none, 0 False, 1 otherwise; its
   * lastTransitionTime and status.startTime in ms (-1: none). */
  int ready;
  int64_t ready_since_ms, start_ms;
  /* What the metrics API reports: the pod's containers summed (milli),
   * when has_metric; its timestamp and window in ms. */
  int has_metric;
  int64_t metric, metric_ts_ms, window_ms;
  /* The containers' requests of the resource summed (milli); the name of
   * a container without one, or NULL. */
  int64_t request;
  const char *missing_request;
};

struct hpa_calc_args {
  const char *resource;     /* "cpu" gets the readiness rules */
  int utilization;          /* 1: target is utilization, 0: average value */
  int32_t target_util;      /* percent */
  int64_t target_avg_milli; /* average value */
  int32_t current_replicas;
  double tolerance;
  int64_t now_ms, cpu_init_ms, readiness_delay_ms;
};

struct hpa_calc_result {
  int32_t replicas;
  int32_t utilization;  /* percent (utilization targets) */
  int64_t average_milli; /* raw average usage per pod */
  char error[256];       /* "" when replicas is valid */
};

/* Fills *r; on failure r->error says why in kube's words. */
void hpa_calc_replicas(const struct hpa_calc_args *a, struct hpa_pod *pods,
                       size_t n, struct hpa_calc_result *r);

#endif
