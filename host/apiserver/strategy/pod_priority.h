/*
 * pod_priority - kube's Priority admission plugin for pods
 * (plugin/pkg/admission/priority), for the pods strategy's mutate hook:
 * on create, spec.priorityClassName (or the globalDefault class when
 * none is named) sets spec.priority and spec.preemptionPolicy; a pod
 * naming a class that does not exist, or carrying a priority or policy
 * other than its class's, is refused with kube's 403:
 *
 *   pods "web" is forbidden: no PriorityClass with name gold was found
 *
 * With no default class a pod gets priority 0 and PreemptLowerPriority.
 * On update the stored priority and policy are kept when the new object
 * leaves them out. Subresource writes (status, binding) are not looked
 * at.
 *
 * Threading: any request thread. Ownership: pod/old borrowed; pod is
 * changed in place.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_POD_PRIORITY_H
#define CPLANE_HOST_APISERVER_STRATEGY_POD_PRIORITY_H

#include <json-c/json.h>

#include "apiserver/strategy/strategy.h"

/* Returns 0, or -1 having set rs to the refusal (403, or 500 when the
 * store failed). The pods strategy's mutate calls it first:
 *   if (cp_pod_priority_admit(w, obj, old, rs) < 0) return -1; */
int cp_pod_priority_admit(const struct cp_strategy_write *w, json_object *pod,
                          json_object *old, struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_POD_PRIORITY_H */
