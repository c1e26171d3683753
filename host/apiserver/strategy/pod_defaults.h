/*
 * pod_defaults - what kube sets on a pod beyond the schema's `default`s
 * (those give restartPolicy, dnsPolicy, schedulerName,
 * terminationGracePeriodSeconds, terminationMessagePath/Policy, port
 * protocols; schema.c's hooks imagePullPolicy):
 *
 *   cp_pod_spec_defaults  SetDefaults_PodSpec and friends, on a pod's
 *                         spec and every pod template's: securityContext
 *                         {}, emptyDir {} for a volume with no source,
 *                         fieldRef.apiVersion "v1" (env and downward API
 *                         volumes, projected ones too);
 *   cp_pod_defaults       SetDefaults_Pod, on pods only (not templates):
 *                         enableServiceLinks true, a container's requests
 *                         defaulted from its limits (the spec's defaults
 *                         are cp_pod_spec_defaults', called apart);
 *   cp_pod_status_on_create  the pod strategy's PrepareForCreate: status
 *                         replaced by {phase: Pending, qosClass} (kube's
 *                         qos.GetPodQOS), plus the PodScheduled=False
 *                         SchedulingGated condition for a gated pod;
 *   cp_pod_default_tolerations  the DefaultTolerationSeconds admission
 *                         plugin: NoExecute tolerations of not-ready and
 *                         unreachable nodes for 300s unless the pod
 *                         tolerates those taints already.
 *
 * All of them are cheap walks of the pod (the create hot path) and
 * idempotent, and skip members of the wrong type (validation reports
 * them).
 *
 * Threading: pure; any request thread.
 * Ownership: borrow the pod and change it in place.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_POD_DEFAULTS_H
#define CPLANE_HOST_APISERVER_STRATEGY_POD_DEFAULTS_H

#include <json-c/json.h>
#include <stdint.h>

void cp_pod_spec_defaults(json_object *spec);
void cp_pod_defaults(json_object *pod);
void cp_pod_status_on_create(json_object *pod);
/* not_ready_s, unreachable_s: their tolerationSeconds (0: kube's 300). */
void cp_pod_default_tolerations(json_object *pod, int64_t not_ready_s,
                                int64_t unreachable_s);

/* "Guaranteed", "Burstable" or "BestEffort" for pod (after defaults). */
const char *cp_pod_qos_class(json_object *pod);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_POD_DEFAULTS_H */
