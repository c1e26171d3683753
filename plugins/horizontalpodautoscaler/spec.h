/*
 * spec - reads an autoscaling/v2 HorizontalPodAutoscaler's spec into
 * struct hpa_spec, each field checked for its type and bounded, with
 * kube's defaults for what is unset (minReplicas 1, the CPU 80% metric
 * when there is none, a behavior's unset rules as
 * GenerateHPAScaleUpRules/GenerateHPAScaleDownRules make them, the
 * scale-down window 300 s).
 *
 * Ownership: the strings in *out point into hpa (borrowed).
 * Threading: pure function of a borrowed object.
 */
#ifndef HPA_SPEC_H
#define HPA_SPEC_H

#include <cplane/cplane.h>

#include "hpa.h"

/* NULL, or what is wrong with the spec (static text): a metric that is
 * not Resource, or a Resource metric of another resource, is skipped,
 * not an error. */
const char *hpa_read_spec(const struct cplane_host_api *api,
                          const cplane_object *hpa, struct hpa_spec *out);
/* kube's default rules for a direction (up: 1), window and policies. */
void hpa_default_rules(int up, struct hpa_rules *r);

#endif
