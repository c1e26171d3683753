#!/bin/bash
# horizontalpodautoscaler with nodesim's simulated usage: kubectl top pods
# and nodes show figures; `kubectl autoscale` scales a Deployment up when
# its pods' cplane.io/nodesim-cpu rises, and back down after the
# stabilization window of its behavior when it falls.
set -u
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 2\nusage_interval = 1s'
INI_horizontalpodautoscaler=$'sync_period = 1s\ncpu_initialization_period = 0s'
start_cplane replicaset deployment scheduler nodesim horizontalpodautoscaler ||
  fail "cplane did not start"

replicas() { K get deploy web -o jsonpath='{.spec.replicas}'; }
top_pods_show() { K top pods --no-headers 2>/dev/null | grep "$1" >/dev/null; }
top_nodes_show() { K top nodes --no-headers 2>/dev/null | grep "$1" >/dev/null; }
utilization_is() {
  K get hpa web \
    -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}' |
    grep -x "$1" >/dev/null
}
replicas_at_least() { [ "$(replicas)" -ge "$1" ]; }
replicas_are() { [ "$(replicas)" = "$1" ]; }
running_pods_are() {
  [ "$(K get pods -l app=web --field-selector=status.phase=Running -o name |
    wc -l)" = "$1" ]
}
# On the pods themselves: a pod created later uses usage_fraction (0.5) of
# its request, the 50% target.
set_cpu() {
  K annotate pods -l app=web --overwrite "cplane.io/nodesim-cpu=$1" >/dev/null
}
rescale_events() {
  K get events --field-selector reason=SuccessfulRescale \
    -o jsonpath='{.items[*].message}'
}

cat <<'Y' | K apply -f - >/dev/null || fail "apply deployment"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx
        resources: {requests: {cpu: 100m, memory: 64Mi}}
Y
wait_until 20 top_pods_show '^web-.* 50m '
pass "kubectl top pods: $(K top pods --no-headers | tr -s ' ')"
# PodMetrics are computed from the pod (nothing stored): its name and
# labels, so that `kubectl top pods -l` and the HPA select on them.
pod=$(K get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
[ "$(K get pods.metrics.k8s.io "$pod" -o jsonpath='{.kind}/{.metadata.name}/{.metadata.labels.app}/{.window}')" = "PodMetrics/$pod/web/1s" ] ||
  fail "PodMetrics of $pod: $(K get pods.metrics.k8s.io "$pod" -o yaml 2>&1)"
K top pods -l app=web --no-headers | grep "^$pod " >/dev/null ||
  fail "top pods -l app=web: $(K top pods -l app=web 2>&1)"
[ -z "$(K top pods -l app=none --no-headers 2>/dev/null)" ] ||
  fail "top pods -l app=none: $(K top pods -l app=none 2>&1)"
[ "$(K get pod "$pod" -o jsonpath='{.kind}/{.status.phase}')" = Pod/Running ] ||
  fail "the pod under its metrics: $(K get pod "$pod" -o yaml 2>&1)"
pass "PodMetrics computed from the pod, label selector honoured"
# The node declares its model once; nothing else is written for usage.
[ "$(K get node sim-0 -o jsonpath='{.metadata.annotations.cplane\.io/nodesim-usage-interval}/{.metadata.annotations.cplane\.io/nodesim-usage-fraction}')" = 1s/0.5 ] ||
  fail "usage model on sim-0: $(K get node sim-0 -o yaml)"
pass "nodes declare their usage model"
# metrics.k8s.io is read-only, as metrics-server serves it.
out=$(printf '%s\n' 'apiVersion: metrics.k8s.io/v1beta1' 'kind: NodeMetrics' \
  'metadata: {name: bad}' 'usage: {cpu: 1}' | K create -f - 2>&1) &&
  fail "a NodeMetrics was created"
echo "$out" | grep '(MethodNotAllowed).*the server does not allow this method on the requested resource' >/dev/null ||
  fail "create NodeMetrics: $out"
out=$(K delete pods.metrics.k8s.io "$pod" 2>&1) && fail "a PodMetrics was deleted"
echo "$out" | grep MethodNotAllowed >/dev/null || fail "delete PodMetrics: $out"
out=$(K get --raw '/apis/metrics.k8s.io/v1beta1/pods?watch=true' 2>&1) &&
  fail "a PodMetrics watch: $out"
echo "$out" | grep 'MethodNotAllowed' >/dev/null || fail "watch PodMetrics: $out"
pass "create, delete and watch of metrics: 405"
# The pod's node: its 50m plus the idle 50m.
wait_until 20 top_nodes_show '^sim-. *100m '
pass "kubectl top nodes: $(K top nodes --no-headers | tr -s ' ' | paste -sd';')"

K autoscale deployment web --cpu-percent=50 --min=1 --max=5 >/dev/null ||
  fail "kubectl autoscale"
# A short scale-down window, so that the test need not wait 300 s.
K patch hpa web --type=merge -p \
  '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":3}}}}' \
  >/dev/null || fail "patch behavior"
wait_until 15 utilization_is 50
pass "HPA sees 50% of request"
[ "$(K get horizontalpodautoscalers.v1.autoscaling web \
  -o jsonpath='{.status.currentCPUUtilizationPercentage}')" = 50 ] ||
  fail "autoscaling/v1 status: $(K get horizontalpodautoscalers.v1.autoscaling web -o yaml)"
pass "autoscaling/v1 shows currentCPUUtilizationPercentage 50"
replicas_are 1 || fail "scaled at target: $(replicas)"

# 150m of 100m: 150%, three times the 50% target: 1 -> 3 pods, then
# (150 + 50 + 50) / 3 is still over: up to maxReplicas.
set_cpu 150m || fail "raise cpu"
wait_until 20 replicas_at_least 3
pass "scaled up to $(replicas)"
wait_until 20 replicas_are 5
pass "scaled up to maxReplicas 5"
rescale_events | grep 'New size: [0-9]*; reason: cpu resource utilization (percentage of request) above target' >/dev/null ||
  fail "no SuccessfulRescale event: $(rescale_events)"
pass "SuccessfulRescale event"
K get hpa web -o jsonpath='{.status.conditions[?(@.type=="ScalingActive")].reason}' |
  grep -x ValidMetricFound >/dev/null || fail "ScalingActive: $(K get hpa web -o yaml)"
pass "ScalingActive ValidMetricFound"

# Back under target: down to minReplicas after the 3 s window.
wait_until 20 running_pods_are 5
set_cpu 5m || fail "lower cpu"
wait_until 30 replicas_are 1
pass "scaled back down to 1"
rescale_events | grep 'reason: All metrics below target' >/dev/null ||
  fail "no scale-down event: $(rescale_events)"
pass "scale-down event"
