#!/usr/bin/env python3
"""Writes host/apiserver/schemas/kinds_workloads.json: the OpenAPI v3
definitions of the workload and policy kinds (apps DaemonSet, StatefulSet,
ControllerRevision; batch Job, CronJob; policy PodDisruptionBudget;
autoscaling v1 and v2 HorizontalPodAutoscaler; scheduling PriorityClass;
node RuntimeClass), field for field as k8s.io/api types them and as
kube-apiserver's /openapi/v3 publishes them: formats, x-kubernetes-*
list/map markers and patch merge keys. Descriptions are left out (the
upstream text is long and kubectl explain is not served from here).

Definitions other files hold (meta.json, core.json) are referred to by
"$ref" and never defined here; types that other helpers' kinds define
(core/v1 PersistentVolumeClaim, meta/v1 Condition) are written inline so
that the files never define one name twice.

Run: python3 tools/gen_kinds_workloads.py > host/apiserver/schemas/kinds_workloads.json
"""
import json
import sys

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
CORE = "io.k8s.api.core.v1."


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def obj(props, required=None, **extra):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = required
    o.update(extra)
    return o


S = {"type": "string"}
I32 = {"type": "integer", "format": "int32"}
I64 = {"type": "integer", "format": "int64"}
B = {"type": "boolean"}
T = {"type": "string", "format": "date-time"}
IOS = {"x-kubernetes-int-or-string": True}
STRMAP = {"type": "object", "additionalProperties": S}
QTY = {"x-kubernetes-int-or-string": True}  # resource.Quantity
QTYMAP = {"type": "object", "additionalProperties": QTY}


def arr(items, **extra):
    a = {"type": "array", "items": items}
    a.update(extra)
    return a


def atomic(items):
    return arr(items, **{"x-kubernetes-list-type": "atomic"})


def map_list(items, key="type"):
    return arr(items, **{"x-kubernetes-patch-merge-key": key,
                         "x-kubernetes-patch-strategy": "merge",
                         "x-kubernetes-list-type": "map",
                         "x-kubernetes-list-map-keys": [key]})


def kind(group, version, k, spec=None, status=None, extra=None,
         required=None):
    props = {"apiVersion": S, "kind": S, "metadata": ref(META + "ObjectMeta")}
    if spec:
        props["spec"] = ref(spec)
    if status:
        props["status"] = ref(status)
    props.update(extra or {})
    o = obj(props, required)
    o["x-kubernetes-group-version-kind"] = [
        {"group": group, "version": version, "kind": k}]
    return o


def condition(*times):
    props = {"type": S, "status": S, "reason": S, "message": S}
    for t in times:
        props[t] = T
    return obj(props, ["type", "status"])


# metav1.Condition, inline (kube: status.conditions of PDBs).
META_CONDITION = obj({"type": S, "status": S, "observedGeneration": I64,
                      "lastTransitionTime": T, "reason": S, "message": S},
                     ["type", "status", "lastTransitionTime", "reason",
                      "message"])

# core/v1 PersistentVolumeClaim as a StatefulSet's volumeClaimTemplates
# item: inline (kinds_core.json serves the kind itself).
PVC = obj({
    "apiVersion": S, "kind": S, "metadata": ref(META + "ObjectMeta"),
    "spec": obj({
        "accessModes": atomic(S),
        "selector": ref(META + "LabelSelector"),
        "resources": obj({"limits": QTYMAP, "requests": QTYMAP}),
        "volumeName": S, "storageClassName": S, "volumeMode": S,
        "dataSource": obj({"apiGroup": S, "kind": S, "name": S},
                          ["kind", "name"],
                          **{"x-kubernetes-map-type": "atomic"}),
        "dataSourceRef": obj({"apiGroup": S, "kind": S, "name": S,
                              "namespace": S}, ["kind", "name"]),
        "volumeAttributesClassName": S}),
    "status": obj({"phase": S, "accessModes": atomic(S),
                   "capacity": QTYMAP,
                   "conditions": map_list(condition("lastProbeTime",
                                                    "lastTransitionTime"))},
                  **{"x-kubernetes-preserve-unknown-fields": True}),
})

A = "io.k8s.api.apps.v1."
BT = "io.k8s.api.batch.v1."
P = "io.k8s.api.policy.v1."
A1 = "io.k8s.api.autoscaling.v1."
A2 = "io.k8s.api.autoscaling.v2."
SC = "io.k8s.api.scheduling.v1."
N = "io.k8s.api.node.v1."

D = {}

# ---------------------------------------------------------------- apps/v1
D[A + "DaemonSet"] = kind("apps", "v1", "DaemonSet", A + "DaemonSetSpec",
                          A + "DaemonSetStatus")
D[A + "DaemonSetSpec"] = obj({
    "selector": ref(META + "LabelSelector"),
    "template": ref(CORE + "PodTemplateSpec"),
    "updateStrategy": ref(A + "DaemonSetUpdateStrategy"),
    "minReadySeconds": I32,
    "revisionHistoryLimit": I32,
}, ["selector", "template"])
D[A + "DaemonSetUpdateStrategy"] = obj({
    "type": {"type": "string", "enum": ["OnDelete", "RollingUpdate"]},
    "rollingUpdate": obj({"maxUnavailable": IOS, "maxSurge": IOS}),
})
D[A + "DaemonSetStatus"] = obj({
    "currentNumberScheduled": I32, "numberMisscheduled": I32,
    "desiredNumberScheduled": I32, "numberReady": I32,
    "observedGeneration": I64, "updatedNumberScheduled": I32,
    "numberAvailable": I32, "numberUnavailable": I32,
    "collisionCount": I32,
    "conditions": map_list(condition("lastTransitionTime")),
}, ["currentNumberScheduled", "numberMisscheduled",
    "desiredNumberScheduled", "numberReady"])

D[A + "StatefulSet"] = kind("apps", "v1", "StatefulSet",
                            A + "StatefulSetSpec", A + "StatefulSetStatus")
D[A + "StatefulSetSpec"] = obj({
    "replicas": I32,
    "selector": ref(META + "LabelSelector"),
    "template": ref(CORE + "PodTemplateSpec"),
    "volumeClaimTemplates": atomic(PVC),
    "serviceName": S,
    "podManagementPolicy": {"type": "string",
                            "enum": ["OrderedReady", "Parallel"]},
    "updateStrategy": ref(A + "StatefulSetUpdateStrategy"),
    "revisionHistoryLimit": I32,
    "minReadySeconds": I32,
    "persistentVolumeClaimRetentionPolicy": obj({
        "whenDeleted": S, "whenScaled": S}),
    "ordinals": obj({"start": I32}),
}, ["selector", "template"])
D[A + "StatefulSetUpdateStrategy"] = obj({
    "type": {"type": "string", "enum": ["OnDelete", "RollingUpdate"]},
    "rollingUpdate": obj({"partition": I32, "maxUnavailable": IOS}),
})
D[A + "StatefulSetStatus"] = obj({
    "observedGeneration": I64, "replicas": I32, "readyReplicas": I32,
    "currentReplicas": I32, "updatedReplicas": I32,
    "currentRevision": S, "updateRevision": S, "collisionCount": I32,
    "availableReplicas": I32,
    "conditions": map_list(condition("lastTransitionTime")),
}, ["replicas"])

D[A + "ControllerRevision"] = kind(
    "apps", "v1", "ControllerRevision",
    extra={"data": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": True},
           "revision": I64},
    required=["revision"])

# ---------------------------------------------------------------- batch/v1
D[BT + "Job"] = kind("batch", "v1", "Job", BT + "JobSpec", BT + "JobStatus")
D[BT + "JobSpec"] = obj({
    "parallelism": I32, "completions": I32, "activeDeadlineSeconds": I64,
    "podFailurePolicy": obj({"rules": atomic(obj({
        "action": S,
        "onExitCodes": obj({"containerName": S, "operator": S,
                            "values": arr(I32, **{
                                "x-kubernetes-list-type": "set"})},
                           ["operator", "values"]),
        "onPodConditions": atomic(obj({"type": S, "status": S},
                                      ["type"])),
    }, ["action"]))}, ["rules"]),
    "successPolicy": obj({"rules": atomic(obj({
        "succeededIndexes": S, "succeededCount": I32}))}, ["rules"]),
    "backoffLimit": I32, "backoffLimitPerIndex": I32, "maxFailedIndexes": I32,
    "selector": ref(META + "LabelSelector"),
    "manualSelector": B,
    "template": ref(CORE + "PodTemplateSpec"),
    "ttlSecondsAfterFinished": I32,
    "completionMode": {"type": "string", "enum": ["Indexed", "NonIndexed"]},
    "suspend": B,
    "podReplacementPolicy": {"type": "string",
                             "enum": ["Failed", "TerminatingOrFailed"]},
    "managedBy": S,
})  # template: a Go struct, never "missing"; the strategy validates it
D[BT + "JobStatus"] = obj({
    "conditions": arr(condition("lastProbeTime", "lastTransitionTime"), **{
        "x-kubernetes-patch-merge-key": "type",
        "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-list-type": "atomic"}),
    "startTime": T, "completionTime": T, "active": I32, "succeeded": I32,
    "failed": I32, "terminating": I32, "completedIndexes": S,
    "failedIndexes": S,
    "uncountedTerminatedPods": obj({"succeeded": arr(S, **{
        "x-kubernetes-list-type": "set"}), "failed": arr(S, **{
            "x-kubernetes-list-type": "set"})}),
    "ready": I32,
})
D[BT + "JobTemplateSpec"] = obj({"metadata": ref(META + "ObjectMeta"),
                                 "spec": ref(BT + "JobSpec")})
D[BT + "CronJob"] = kind("batch", "v1", "CronJob", BT + "CronJobSpec",
                         BT + "CronJobStatus")
D[BT + "CronJobSpec"] = obj({
    "schedule": S, "timeZone": S, "startingDeadlineSeconds": I64,
    "concurrencyPolicy": {"type": "string",
                          "enum": ["Allow", "Forbid", "Replace"]},
    "suspend": B,
    "jobTemplate": ref(BT + "JobTemplateSpec"),
    "successfulJobsHistoryLimit": I32, "failedJobsHistoryLimit": I32,
}, ["schedule", "jobTemplate"])
D[BT + "CronJobStatus"] = obj({
    "active": atomic(ref(CORE + "ObjectReference")),
    "lastScheduleTime": T, "lastSuccessfulTime": T,
})

# ---------------------------------------------------------------- policy/v1
D[P + "PodDisruptionBudget"] = kind(
    "policy", "v1", "PodDisruptionBudget", P + "PodDisruptionBudgetSpec",
    P + "PodDisruptionBudgetStatus")
D[P + "PodDisruptionBudgetSpec"] = obj({
    "minAvailable": IOS, "maxUnavailable": IOS,
    "selector": ref(META + "LabelSelector"),
    "unhealthyPodEvictionPolicy": {"type": "string",
                                   "enum": ["AlwaysAllow",
                                            "IfHealthyBudget"]},
})
D[P + "PodDisruptionBudgetStatus"] = obj({
    "observedGeneration": I64,
    "disruptedPods": {"type": "object", "additionalProperties": T},
    "disruptionsAllowed": I32, "currentHealthy": I32, "desiredHealthy": I32,
    "expectedPods": I32,
    "conditions": map_list(META_CONDITION),
}, ["disruptionsAllowed", "currentHealthy", "desiredHealthy",
    "expectedPods"])

# ------------------------------------------------------------ autoscaling
def target_ref(prefix):
    return obj({"kind": S, "name": S, "apiVersion": S}, ["kind", "name"],
               **{"x-kubernetes-map-type": "atomic"})


D[A1 + "HorizontalPodAutoscaler"] = kind(
    "autoscaling", "v1", "HorizontalPodAutoscaler",
    A1 + "HorizontalPodAutoscalerSpec", A1 + "HorizontalPodAutoscalerStatus")
D[A1 + "HorizontalPodAutoscalerSpec"] = obj({
    "scaleTargetRef": target_ref(A1),
    "minReplicas": I32, "maxReplicas": I32,
    "targetCPUUtilizationPercentage": I32,
}, ["scaleTargetRef", "maxReplicas"])
D[A1 + "HorizontalPodAutoscalerStatus"] = obj({
    "observedGeneration": I64, "lastScaleTime": T, "currentReplicas": I32,
    "desiredReplicas": I32, "currentCPUUtilizationPercentage": I32,
}, ["currentReplicas", "desiredReplicas"])

METRIC_TARGET = obj({"type": S, "value": QTY, "averageValue": QTY,
                     "averageUtilization": I32}, ["type"])
METRIC_VALUE = obj({"value": QTY, "averageValue": QTY,
                    "averageUtilization": I32})
METRIC_ID = obj({"name": S, "selector": ref(META + "LabelSelector")},
                ["name"])
D[A2 + "HorizontalPodAutoscaler"] = kind(
    "autoscaling", "v2", "HorizontalPodAutoscaler",
    A2 + "HorizontalPodAutoscalerSpec", A2 + "HorizontalPodAutoscalerStatus")
D[A2 + "MetricTarget"] = METRIC_TARGET
D[A2 + "MetricValueStatus"] = METRIC_VALUE
D[A2 + "MetricIdentifier"] = METRIC_ID
D[A2 + "CrossVersionObjectReference"] = target_ref(A2)
D[A2 + "MetricSpec"] = obj({
    "type": S,
    "object": obj({"describedObject": ref(A2 + "CrossVersionObjectReference"),
                   "target": ref(A2 + "MetricTarget"),
                   "metric": ref(A2 + "MetricIdentifier")},
                  ["describedObject", "target", "metric"]),
    "pods": obj({"metric": ref(A2 + "MetricIdentifier"),
                 "target": ref(A2 + "MetricTarget")}, ["metric", "target"]),
    "resource": obj({"name": S, "target": ref(A2 + "MetricTarget")},
                    ["name", "target"]),
    "containerResource": obj({"name": S, "target": ref(A2 + "MetricTarget"),
                              "container": S},
                             ["name", "target", "container"]),
    "external": obj({"metric": ref(A2 + "MetricIdentifier"),
                     "target": ref(A2 + "MetricTarget")},
                    ["metric", "target"]),
}, ["type"])
D[A2 + "MetricStatus"] = obj({
    "type": S,
    "object": obj({"metric": ref(A2 + "MetricIdentifier"),
                   "current": ref(A2 + "MetricValueStatus"),
                   "describedObject":
                       ref(A2 + "CrossVersionObjectReference")},
                  ["metric", "current", "describedObject"]),
    "pods": obj({"metric": ref(A2 + "MetricIdentifier"),
                 "current": ref(A2 + "MetricValueStatus")},
                ["metric", "current"]),
    "resource": obj({"name": S, "current": ref(A2 + "MetricValueStatus")},
                    ["name", "current"]),
    "containerResource": obj({"name": S,
                              "current": ref(A2 + "MetricValueStatus"),
                              "container": S},
                             ["name", "current", "container"]),
    "external": obj({"metric": ref(A2 + "MetricIdentifier"),
                     "current": ref(A2 + "MetricValueStatus")},
                    ["metric", "current"]),
}, ["type"])
SCALING_RULES = obj({
    "stabilizationWindowSeconds": I32, "selectPolicy": S,
    "policies": atomic(obj({"type": S, "value": I32, "periodSeconds": I32},
                           ["type", "value", "periodSeconds"])),
    "tolerance": QTY,
})
D[A2 + "HPAScalingRules"] = SCALING_RULES
D[A2 + "HorizontalPodAutoscalerSpec"] = obj({
    "scaleTargetRef": ref(A2 + "CrossVersionObjectReference"),
    "minReplicas": I32, "maxReplicas": I32,
    "metrics": atomic(ref(A2 + "MetricSpec")),
    "behavior": obj({"scaleUp": ref(A2 + "HPAScalingRules"),
                     "scaleDown": ref(A2 + "HPAScalingRules")}),
}, ["scaleTargetRef", "maxReplicas"])
D[A2 + "HorizontalPodAutoscalerStatus"] = obj({
    "observedGeneration": I64, "lastScaleTime": T, "currentReplicas": I32,
    "desiredReplicas": I32,
    "currentMetrics": atomic(ref(A2 + "MetricStatus")),
    "conditions": map_list(condition("lastTransitionTime")),
}, ["desiredReplicas"])

# ------------------------------------------------------- scheduling, node
D[SC + "PriorityClass"] = kind(
    "scheduling.k8s.io", "v1", "PriorityClass",
    extra={"value": I32, "globalDefault": B, "description": S,
           "preemptionPolicy": {"type": "string",
                                "enum": ["Never", "PreemptLowerPriority"]}},
    required=["value"])
D[N + "RuntimeClass"] = kind(
    "node.k8s.io", "v1", "RuntimeClass",
    extra={"handler": S,
           "overhead": obj({"podFixed": QTYMAP}),
           "scheduling": obj({
               "nodeSelector": dict(STRMAP,
                                    **{"x-kubernetes-map-type": "atomic"}),
               "tolerations": atomic(ref(CORE + "Toleration"))})},
    required=["handler"])

json.dump({"components": {"schemas": D}}, sys.stdout, indent=1,
          sort_keys=True)
sys.stdout.write("\n")
