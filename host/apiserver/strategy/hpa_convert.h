/*
 * hpa_convert - converting a HorizontalPodAutoscaler between
 * autoscaling/v2 (how it is stored) and autoscaling/v1, as kube's
 * pkg/apis/autoscaling/v1/conversion.go: v1 has one metric,
 * targetCPUUtilizationPercentage (and currentCPUUtilizationPercentage);
 * everything else v2 holds rides in v1's annotations and comes back:
 *
 *   autoscaling.alpha.kubernetes.io/metrics          other metric specs
 *   autoscaling.alpha.kubernetes.io/current-metrics  metric statuses
 *   autoscaling.alpha.kubernetes.io/conditions       status conditions
 *   autoscaling.alpha.kubernetes.io/behavior         spec.behavior
 *
 * (the metric lists in v1's alpha MetricSpec/MetricStatus shape, the
 * behavior as kube marshals its internal type: capitalised keys). A v1
 * object with no metric at all gets v2's default, CPU at 80%.
 *
 * Threading: pure. Ownership: obj is converted in place.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_HPA_CONVERT_H
#define CPLANE_HOST_APISERVER_STRATEGY_HPA_CONVERT_H

#include <json-c/json.h>

/* obj (either version) to version to ("v1" or "v2"). 0, or -1 for an
 * unknown version (obj unchanged). Converting to the version obj is in
 * does nothing. */
int cp_hpa_convert(json_object *obj, const char *to);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_HPA_CONVERT_H */
