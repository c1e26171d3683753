/*
 * pod_template - the checks kube's validation makes of a workload's pod
 * template against the rest of its spec (ValidateDeploymentSpec,
 * ValidateReplicaSetSpec, and the DaemonSet, StatefulSet and Job ones):
 * for the strategies of the kinds that carry spec.selector and
 * spec.template.
 *
 * Threading: pure functions of their arguments.
 * Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_POD_TEMPLATE_H
#define CPLANE_HOST_APISERVER_STRATEGY_POD_TEMPLATE_H

#include "apiserver/field_errors.h"

struct json_object;

/* spec.selector (a metav1.LabelSelector) must select
 * spec.template.metadata.labels, else "spec.template.metadata.labels:
 * Invalid value: map[string]string{...}: `selector` does not match
 * template `labels`". An absent or malformed selector is the schema's
 * business and passes here. */
void cp_pod_template_check_selector(struct json_object *o,
                                    struct cp_field_errors *errs);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_POD_TEMPLATE_H */
