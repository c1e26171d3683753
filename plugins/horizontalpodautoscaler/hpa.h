/*
 * hpa - what the horizontalpodautoscaler plugin's modules share: an
 * autoscaling/v2 HorizontalPodAutoscaler's spec as the controller reads
 * it (spec.h fills it), its limits, and kube's constants.
 *
 * Ownership: plain values; the strings point into the HPA object the
 * spec was read from and live as long as it is held.
 *
 * Threading: none of its own.
 */
#ifndef HPA_HPA_H
#define HPA_HPA_H

#include <stdint.h>

#define HPA_MAX_METRICS 16
#define HPA_MAX_POLICIES 16
/* kube: --horizontal-pod-autoscaler-tolerance */
#define HPA_TOLERANCE 0.1
/* kube: --horizontal-pod-autoscaler-downscale-stabilization (the window
 * of an HPA without behavior, and a behavior's scaleDown default). */
#define HPA_DOWNSCALE_WINDOW_S 300
/* kube's bounds on a behavior (validation refuses more). */
#define HPA_MAX_WINDOW_S 3600
#define HPA_MAX_PERIOD_S 1800

/* math.h's ceil() and fabs() for the values here (|x| < 2^62), without
 * linking libm into the plugin. The float arithmetic is kube's, so that
 * 10 * (1 + 10/100.0) rounds up to 12 here as there. */
static inline int64_t hpa_ceil(double x) {
  int64_t t = (int64_t)x;

  return (double)t < x ? t + 1 : t;
}
static inline double hpa_fabs(double x) { return x < 0 ? -x : x; }

enum hpa_target_type { HPA_TARGET_UTILIZATION, HPA_TARGET_AVERAGE_VALUE };

/* One Resource metric (cpu or memory). */
struct hpa_metric {
  const char *resource;  /* "cpu", "memory" */
  int target_type;       /* HPA_TARGET_* */
  int32_t utilization;   /* percent of requests */
  int64_t average_milli; /* AverageValue, in thousandths */
};

enum hpa_policy_type { HPA_POLICY_PODS, HPA_POLICY_PERCENT };
enum hpa_select { HPA_SELECT_MAX, HPA_SELECT_MIN, HPA_SELECT_DISABLED };

struct hpa_policy {
  int type; /* HPA_POLICY_* */
  int32_t value, period_s;
};

/* HPAScalingRules with kube's defaults filled in. */
struct hpa_rules {
  int32_t window_s;
  int select; /* HPA_SELECT_* */
  struct hpa_policy policies[HPA_MAX_POLICIES];
  int n_policies;
};

struct hpa_spec {
  const char *target_api_version, *target_kind, *target_name;
  int32_t min_replicas, max_replicas;
  int has_behavior; /* spec.behavior given: the rules below apply */
  struct hpa_rules up, down;
  struct hpa_metric metrics[HPA_MAX_METRICS];
  int n_metrics;
};

#endif
