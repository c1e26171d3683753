#!/usr/bin/env bash
# The workload and policy kinds with the real kubectl and the Python
# client: create/apply/get (-o yaml, -o wide)/describe/delete of
# DaemonSet, StatefulSet, ControllerRevision, Job, CronJob,
# PodDisruptionBudget, HorizontalPodAutoscaler (v2 and v1 over the same
# objects), PriorityClass and RuntimeClass; what kubectl's create forms
# generate (job, cronjob, poddisruptionbudget, priorityclass); kubectl
# scale of a StatefulSet; the system PriorityClasses; a pod's priority
# from its class; and kube's 422s and 403s for bad objects.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
mkdir -m 755 "$TMP/noplugins"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }
# expect_fail WHAT PATTERN CMD...: CMD fails and says PATTERN.
expect_fail() {
  local what=$1 pattern=$2 out
  shift 2
  if out=$("$@" 2>&1); then fail "$what: accepted: $out"; fi
  grep -F -- "$pattern" <<<"$out" >/dev/null ||
    fail "$what: expected '$pattern' in: $out"
}

# --- discovery: every kind, its short names, "all" ----------------------
out=$(K api-resources)
for row in "daemonsets +ds +apps/v1" "statefulsets +sts +apps/v1" \
  "controllerrevisions +apps/v1" "jobs +batch/v1" "cronjobs +cj +batch/v1" \
  "poddisruptionbudgets +pdb +policy/v1" \
  "horizontalpodautoscalers +hpa +autoscaling/v2" \
  "priorityclasses +pc +scheduling.k8s.io/v1 +false" \
  "runtimeclasses +node.k8s.io/v1 +false"; do
  grep -E "^$row" <<<"$out" >/dev/null || fail "api-resources lacks $row: $out"
done
K api-versions | grep -x "autoscaling/v1" >/dev/null || fail "no autoscaling/v1"
pass "discovery"

# --- the system PriorityClasses ------------------------------------------
[ "$(K get pc system-node-critical -o jsonpath='{.value}')" = 2000001000 ] ||
  fail "system-node-critical"
[ "$(K get pc system-cluster-critical -o jsonpath='{.value} {.preemptionPolicy}')" = \
  "2000000000 PreemptLowerPriority" ] || fail "system-cluster-critical"
expect_fail "system class value" "may not be changed in an update." \
  K patch pc system-node-critical --type=merge -p '{"value":5}'
expect_fail "reserved name" "priority class names with 'system-' prefix are reserved" \
  K create -f - <<<'{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"system-mine"},"value":1}'
pass "system PriorityClasses"

# --- what kubectl create <kind> generates (kubectl sends these forms as
# protobuf; here the same objects go as YAML) ------------------------------
gen() { K create "$@" --dry-run=client -o yaml; }
gen job pi --image=perl:5.34 | K create -f - >/dev/null ||
  fail "create job"
gen cronjob hello --image=busybox --schedule='*/5 * * * *' |
  K create -f - >/dev/null || fail "create cronjob"
gen poddisruptionbudget web-pdb --selector=app=web --min-available=1 |
  K create -f - >/dev/null || fail "create pdb"
gen priorityclass gold --value=1000 --description="gold tier" |
  K create -f - >/dev/null || fail "create priorityclass"
[ "$(K get job pi -o jsonpath='{.spec.backoffLimit} {.spec.completions} {.spec.parallelism} {.spec.completionMode} {.spec.suspend} {.spec.podReplacementPolicy}')" = \
  "6 1 1 NonIndexed false TerminatingOrFailed" ] || fail "job defaults: $(K get job pi -o yaml)"
uid=$(K get job pi -o jsonpath='{.metadata.uid}')
[ "$(K get job pi -o jsonpath='{.spec.selector.matchLabels.batch\.kubernetes\.io/controller-uid}')" = "$uid" ] ||
  fail "job selector: $(K get job pi -o yaml)"
[ "$(K get job pi -o jsonpath='{.spec.template.metadata.labels.job-name} {.metadata.labels.batch\.kubernetes\.io/job-name}')" = "pi pi" ] ||
  fail "job labels: $(K get job pi -o yaml)"
[ "$(K get cj hello -o jsonpath='{.spec.concurrencyPolicy} {.spec.successfulJobsHistoryLimit} {.spec.failedJobsHistoryLimit} {.spec.suspend}')" = \
  "Allow 3 1 false" ] || fail "cronjob defaults"
[ "$(K get pdb web-pdb -o jsonpath='{.spec.minAvailable} {.status.expectedPods}')" = "1 0" ] ||
  fail "pdb: $(K get pdb web-pdb -o yaml)"
[ "$(K get pc gold -o jsonpath='{.value} {.preemptionPolicy}')" = "1000 PreemptLowerPriority" ] ||
  fail "priorityclass"
pass "kubectl create job, cronjob, poddisruptionbudget, priorityclass"

# --- apply of the apps kinds, ControllerRevision, RuntimeClass -------------
cat >"$TMP/apps.yaml" <<'YAML'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {disk: ssd}
      containers: [{name: agent, image: "fluentd:1.16"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: web-1}
revision: 1
data: {spec: {template: {}}}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
YAML
K apply -f "$TMP/apps.yaml" >/dev/null || fail "apply apps kinds"
# Again: nothing changes. (kubectl resends a StatefulSet's
# volumeClaimTemplates, a list it replaces whole, since the server's
# defaults are in it: "configured", as against kube; its spec stays.)
K apply -f "$TMP/apps.yaml" | grep -c unchanged | grep -x 3 >/dev/null ||
  fail "second apply changed something"
[ "$(K get sts web -o jsonpath='{.metadata.generation}')" = 1 ] ||
  fail "a second apply changed the statefulset: $(K get sts web -o yaml)"
[ "$(K get ds agent -o jsonpath='{.spec.updateStrategy.type} {.spec.updateStrategy.rollingUpdate.maxUnavailable} {.spec.revisionHistoryLimit} {.metadata.annotations.deprecated\.daemonset\.template\.generation}')" = \
  "RollingUpdate 1 10 1" ] || fail "daemonset defaults: $(K get ds agent -o yaml)"
[ "$(K get sts web -o jsonpath='{.spec.podManagementPolicy} {.spec.updateStrategy.rollingUpdate.partition} {.spec.persistentVolumeClaimRetentionPolicy.whenScaled} {.spec.volumeClaimTemplates[0].spec.volumeMode}')" = \
  "OrderedReady 0 Retain Filesystem" ] || fail "statefulset defaults: $(K get sts web -o yaml)"
K get sts web -o yaml | grep -E "^  (replicas|availableReplicas): 0$" >/dev/null ||
  fail "statefulset status: $(K get sts web -o yaml)"
K set image ds/agent agent=fluentd:1.17 >/dev/null || fail "set image ds"
[ "$(K get ds agent -o jsonpath='{.metadata.annotations.deprecated\.daemonset\.template\.generation} {.metadata.generation}')" = "2 2" ] ||
  fail "daemonset template generation: $(K get ds agent -o yaml)"
K scale statefulset web --replicas=4 >/dev/null || fail "scale sts"
[ "$(K get sts web -o jsonpath='{.spec.replicas}')" = 4 ] || fail "scaled sts"
[ "$(K get --raw /apis/apps/v1/namespaces/default/statefulsets/web/scale | jq -r '.kind + " " + .apiVersion + " " + (.spec.replicas|tostring)')" = \
  "Scale autoscaling/v1 4" ] || fail "sts scale subresource"
expect_fail "sts serviceName change" "updates to statefulset spec for fields other than" \
  K patch sts web --type=merge -p '{"spec":{"serviceName":"other"}}'
expect_fail "runtimeclass handler change" 'handler: Invalid value: "runc": field is immutable' \
  K patch runtimeclass gvisor --type=merge -p '{"handler":"runc"}'
pass "apply, scale and update rules of DaemonSet, StatefulSet, ControllerRevision, RuntimeClass"

# --- HorizontalPodAutoscaler: v2 and v1 over the same objects --------------
cat >"$TMP/hpa.yaml" <<'YAML'
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: web}
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Pods
    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "10"}}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: old}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: web}
  maxReplicas: 3
  targetCPUUtilizationPercentage: 70
YAML
K apply -f "$TMP/hpa.yaml" >/dev/null || fail "apply hpa"
v1=$(K get horizontalpodautoscalers.v1.autoscaling web -o json)
[ "$(jq -r '.apiVersion + " " + (.spec.targetCPUUtilizationPercentage|tostring) + " " + (.spec.minReplicas|tostring)' <<<"$v1")" = \
  "autoscaling/v1 60 1" ] || fail "hpa as v1: $v1"
[ "$(jq -r '.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"]' <<<"$v1")" = \
  '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}}]' ] ||
  fail "hpa v1 metrics annotation: $v1"
v2=$(K get horizontalpodautoscalers.v2.autoscaling old -o json)
[ "$(jq -r '.apiVersion + " " + .spec.metrics[0].resource.name + " " + (.spec.metrics[0].resource.target.averageUtilization|tostring)' <<<"$v2")" = \
  "autoscaling/v2 cpu 70" ] || fail "v1 hpa as v2: $v2"
K get hpa -o name | sort | tr '\n' ' ' | grep -x "horizontalpodautoscaler.autoscaling/old horizontalpodautoscaler.autoscaling/web " >/dev/null ||
  fail "get hpa: $(K get hpa -o name)"
K get horizontalpodautoscalers.v1.autoscaling -o name | wc -l | grep -x 2 >/dev/null ||
  fail "list hpa v1"
# A v1 update keeps the metrics only v2 can say.
K patch horizontalpodautoscalers.v1.autoscaling web --type=merge \
  -p '{"spec":{"maxReplicas":7}}' >/dev/null || fail "patch hpa through v1"
[ "$(K get hpa web -o jsonpath='{.spec.maxReplicas} {.spec.metrics[*].type}')" = "7 Pods Resource" ] ||
  fail "hpa after a v1 patch: $(K get hpa web -o yaml)"
expect_fail "hpa min > max" 'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`' \
  K create -f - <<<'{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"bad"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"x"},"minReplicas":3,"maxReplicas":2}}'
pass "hpa v2 and v1 over the same objects"

# --- Table output as kubectl get prints it ---------------------------------
# (The Table is built from each strategy's columns once the verbs use the
# strategies; until then the server prints NAME and AGE only.)
# first/last LINE of a command's output (no pipe from kubectl into head:
# under pipefail its SIGPIPE would fail the test).
first() { local o; o=$("$@") || return 1; head -1 <<<"$o"; }
last() { local o; o=$("$@") || return 1; tail -1 <<<"$o"; }
if first K get pc gold | grep VALUE >/dev/null; then
  first K get pc gold | grep -E "^NAME +VALUE +GLOBAL-DEFAULT +AGE +PREEMPTIONPOLICY$" >/dev/null ||
    fail "pc columns: $(K get pc gold)"
  first K get ds agent -o wide | grep -E "^NAME +DESIRED +CURRENT +READY +UP-TO-DATE +AVAILABLE +NODE SELECTOR +AGE +CONTAINERS +IMAGES +SELECTOR$" >/dev/null ||
    fail "ds wide columns: $(K get ds agent -o wide)"
  last K get ds agent -o wide | grep -E "disk=ssd .* agent +fluentd:1.17 +app=agent$" >/dev/null ||
    fail "ds wide row: $(K get ds agent -o wide)"
  last K get sts web | grep -E "^web +0/4 " >/dev/null || fail "sts row: $(K get sts web)"
  first K get job pi -o wide | grep -E "^NAME +STATUS +COMPLETIONS +DURATION +AGE +CONTAINERS +IMAGES +SELECTOR$" >/dev/null ||
    fail "job columns: $(K get job pi -o wide)"
  last K get job pi | grep -E "^pi +Running +0/1 " >/dev/null || fail "job row: $(K get job pi)"
  last K get cj hello | grep -E '^hello +\*/5 \* \* \* \* +<none> +False +0 +<none> ' >/dev/null ||
    fail "cronjob row: $(K get cj hello)"
  last K get pdb web-pdb | grep -E "^web-pdb +1 +N/A +0 " >/dev/null || fail "pdb row: $(K get pdb)"
  last K get hpa web | grep -E "^web +StatefulSet/web +<unknown>/10, cpu: <unknown>/60% +1 +7 +0 " >/dev/null ||
    fail "hpa row: $(K get hpa web)"
  first K get controllerrevision web-1 | grep -E "^NAME +CONTROLLER +REVISION +AGE$" >/dev/null ||
    fail "controllerrevision columns"
  last K get runtimeclass gvisor | grep -E "^gvisor +runsc " >/dev/null || fail "runtimeclass row"
  pass "kubectl get columns (-o wide)"
else
  echo "skip: strategy-driven Table columns (the verbs do not use the strategies' columns yet)"
fi
# The "all" category comes with the strategies' categories in discovery.
if K api-resources -o wide | grep -E "^jobs .*[[ ,]all([] ,]|$)" >/dev/null; then
  all=$(K get all -o name)
  grep -E "^(daemonset.apps/agent|statefulset.apps/web|job.batch/pi|cronjob.batch/hello|horizontalpodautoscaler.autoscaling/web)$" <<<"$all" |
    wc -l | grep -x 5 >/dev/null || fail "get all: $all"
  pass "kubectl get all"
else
  echo "skip: kubectl get all (discovery does not list the strategies' categories yet)"
fi
for r in ds/agent sts/web controllerrevision/web-1 job/pi cj/hello pdb/web-pdb hpa/web pc/gold runtimeclass/gvisor; do
  K get "$r" -o yaml >/dev/null || fail "get $r -o yaml"
  K describe "$r" >"$TMP/describe" 2>&1 || { cat "$TMP/describe"; fail "describe $r"; }
  grep -E "^Name: +${r#*/}$" "$TMP/describe" >/dev/null || fail "describe $r: $(cat "$TMP/describe")"
done
pass "get -o yaml and describe of every kind"

# --- kube's 422s and 403s ---------------------------------------------------
expect_fail "job without template" 'spec.template.spec.containers: Required value' \
  K create -f - <<<'{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"nt"},"spec":{}}'
expect_fail "job restartPolicy" 'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"' \
  K create -f - <<<'{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"nt"},"spec":{}}'
expect_fail "ds selector" 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`' \
  K create -f - <<<'{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"bad"},"spec":{"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}'
expect_fail "sts selector" '`selector` does not match template `labels`' \
  K create -f - <<<'{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"bad"},"spec":{"serviceName":"x","selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}'
expect_fail "job manual selector" '`selector` does not match template `labels`' \
  K create -f - <<<'{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"bad"},"spec":{"manualSelector":true,"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}}'
expect_fail "cron schedule" 'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]' \
  K create -f - <<<'{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"bad"},"spec":{"schedule":"every minute","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}}}}'
expect_fail "pdb both" 'minAvailable and maxUnavailable cannot be both set' \
  K create -f - <<<'{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"bad"},"spec":{"minAvailable":1,"maxUnavailable":1}}'
out=$(curl -sk -o "$TMP/body" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $(grep -o 'token: .*' "$TMP/data/admin.kubeconfig" | sed -n 1p | cut -d' ' -f2)" \
  -H 'Content-Type: application/json' \
  "$(grep -o 'server: .*' "$TMP/data/admin.kubeconfig" | cut -d' ' -f2)/apis/batch/v1/namespaces/default/jobs" \
  -d '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"nt"},"spec":{}}')
[ "$out" = 422 ] && [ "$(jq -r '.reason + " " + .details.kind + " " + (.details.causes|length|tostring)' "$TMP/body")" = "Invalid Job 2" ] ||
  fail "job 422 over HTTP: $out $(cat "$TMP/body")"
pass "kube's 422s for bad workload objects"

# --- a pod's priority from its PriorityClass ---------------------------------
# (The pods strategy calls the Priority admission once the verbs use the
# strategies; the unit tests run it directly until then.)
if K create -f - >/dev/null 2>&1 <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hi"},"spec":{"priorityClassName":"gold","containers":[{"name":"c","image":"x"}]}}' &&
  [ "$(K get pod hi -o jsonpath='{.spec.priority}')" = 1000 ]; then
  expect_fail "unknown class" 'pods "lo" is forbidden: no PriorityClass with name nope was found' \
    K create -f - <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"lo"},"spec":{"priorityClassName":"nope","containers":[{"name":"c","image":"x"}]}}'
  pass "pod priority from its PriorityClass"
else
  echo "skip: pod Priority admission (the pods strategy does not call it yet)"
fi

# --- delete ------------------------------------------------------------------
for r in ds/agent sts/web controllerrevision/web-1 job/pi cj/hello pdb/web-pdb hpa/web hpa/old pc/gold runtimeclass/gvisor; do
  K delete "$r" >/dev/null || fail "delete $r"
done
K get pc -o name | sort | tr '\n' ' ' | grep -x "priorityclass.scheduling.k8s.io/system-cluster-critical priorityclass.scheduling.k8s.io/system-node-critical " >/dev/null ||
  fail "after deletes: $(K get pc -o name)"
pass "delete of every kind"

# --- the Python client --------------------------------------------------------
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null ||
  fail "python3-kubernetes is not installed (make deps installs it)"
/usr/bin/python3 "$(dirname "$0")/clients/python_workloads.py" \
  "$TMP/data/admin.kubeconfig" || { tail -20 "$TMP/log"; fail "python client"; }
pass "python client: Job and StatefulSet"
# A clean exit: under ASan, a leak on any path above fails it.
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
