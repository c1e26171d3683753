#!/usr/bin/env bash
# The job plugin end to end with kubectl, with the scheduler and nodesim:
# a Job of 5 completions and parallelism 2 completes, never more than 2
# pods active; a failing Job stops at backoffLimit with FailureTarget
# then Failed (BackoffLimitExceeded); an Indexed Job's pods carry their
# index and completedIndexes reads "0-2"; suspend deletes the active pods
# and resume brings them back; podFailurePolicy FailJob on an exit code;
# a deleted Job's running pods lose their tracking finalizer (so that the
# garbage collector, or a user, can delete them).
#
# Pods finish through finish_pod (a status patch: phase and a terminated
# container state, as a kubelet writes it): nodesim's run_seconds is an
# hour here, so the test decides when each pod ends; the last Job's pods
# carry cplane.io/nodesim-run-seconds and nodesim finishes them.
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 3\nrun_seconds = 1h' INI_job=$'backoff_base = 200ms\nbackoff_max = 1s' \
  start_cplane scheduler nodesim job

# finish_pod NAME CODE: the pod's container exits with CODE.
finish_pod() {
  local phase=Succeeded reason=Completed now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  [ "$2" = 0 ] || { phase=Failed; reason=Error; }
  K patch pod "$1" --subresource=status --type=merge -p "{\"status\":{
    \"phase\":\"$phase\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],
    \"containerStatuses\":[{\"name\":\"c\",\"image\":\"busybox\",\"imageID\":\"\",
    \"ready\":false,\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":$2,
    \"reason\":\"$reason\",\"startedAt\":\"$now\",\"finishedAt\":\"$now\"}}}]}}" \
    >/dev/null 2>&1 || true # nodesim may have finished it first
}
# running JOB: its pods that are Running.
running() {
  K get pods -l "batch.kubernetes.io/job-name=$1" \
    --field-selector=status.phase=Running -o name | sed 's|^pod/||'
}
# active JOB: its pods neither finished nor being deleted.
active() {
  K get pods -l "batch.kubernetes.io/job-name=$1" -o json |
    jq '[.items[] | select(.metadata.deletionTimestamp == null and
         .status.phase != "Succeeded" and .status.phase != "Failed")] | length'
}
cond() { # JOB TYPE: the condition's status/reason
  K get job "$1" -o json |
    jq -r --arg t "$2" '.status.conditions[]? | select(.type == $t) |
      "\(.status)/\(.reason)"'
}
is_cond() { [ "$(cond "$1" "$2")" = "$3" ]; }
running_is() { [ "$(running "$1" | wc -l)" = "$2" ]; }
active_is() { [ "$(active "$1")" = "$2" ]; }
pods_are() { [ "$(K get pods -l "batch.kubernetes.io/job-name=$1" -o name | wc -l)" = "$2" ]; }
# finish_until JOB CODE TYPE STATUS/REASON: finishes JOB's running pods
# with exit CODE until its condition TYPE reads STATUS/REASON (20 s).
finish_until() {
  local i p
  for i in $(seq 200); do
    is_cond "$1" "$3" "$4" && return 0
    for p in $(running "$1"); do finish_pod "$p" "$2"; done
    sleep 0.1
  done
  fail "$1: no $3 $4: $(K get job "$1" -o jsonpath='{.status}')"
}
job() { # NAME EXTRA-SPEC-YAML [TEMPLATE-ANNOTATIONS]
  cat <<EOF2 | K apply -f - >/dev/null || fail "apply job $1"
apiVersion: batch/v1
kind: Job
metadata: {name: $1}
spec:
$2
  template:
    metadata: {annotations: {${3:-}}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
EOF2
}

# 1. completions 5, parallelism 2: finish pods as they run.
job five $'  completions: 5\n  parallelism: 2'
max=0
for i in $(seq 300); do
  n=$(active five)
  [ "$n" -gt "$max" ] && max=$n
  is_cond five Complete True/CompletionsReached && break
  for p in $(running five); do finish_pod "$p" 0; done
  sleep 0.1
done
is_cond five Complete True/CompletionsReached ||
  fail "five did not complete: $(K get job five -o jsonpath='{.status}')"
[ "$max" -le 2 ] || fail "five had $max active pods (parallelism 2)"
[ "$(K get job five -o jsonpath='{.status.succeeded}')" = 5 ] ||
  fail "five: succeeded $(K get job five -o jsonpath='{.status.succeeded}')"
[ "$(K get pods -l batch.kubernetes.io/job-name=five -o name | wc -l)" = 5 ] ||
  fail "five made more than 5 pods"
is_cond five SuccessCriteriaMet True/CompletionsReached || fail "no SuccessCriteriaMet"
K get job five -o jsonpath='{.status.completionTime}' | grep . >/dev/null ||
  fail "five has no completionTime"
fins=$(K get pods -l batch.kubernetes.io/job-name=five -o json |
  jq '[.items[].metadata.finalizers // [] | .[]] | length')
[ "$fins" = 0 ] || fail "five's pods still hold $fins finalizer(s)"
K get events --field-selector involvedObject.name=five -o json |
  jq -r '.items[].reason' | sort -u | tr '\n' ' ' | grep "Completed SuccessfulCreate" >/dev/null ||
  fail "five's events: $(K get events --field-selector involvedObject.name=five)"
pass "completions 5, parallelism 2: Complete, never more than 2 active, finalizers gone"

# 2. backoffLimit 1: each pod fails; the second failure fails the Job.
job fails $'  backoffLimit: 1' 'cplane.io/nodesim-exit-code: "1"'
finish_until fails 1 Failed True/BackoffLimitExceeded
is_cond fails FailureTarget True/BackoffLimitExceeded || fail "no FailureTarget"
[ "$(K get job fails -o jsonpath='{.status.failed}')" = 2 ] ||
  fail "fails: failed $(K get job fails -o jsonpath='{.status.failed}')"
K get job fails -o jsonpath='{.status.conditions[?(@.type=="Failed")].message}' |
  grep "Job has reached the specified backoff limit" >/dev/null || fail "Failed message"
pass "backoffLimit 1: FailureTarget then Failed, BackoffLimitExceeded, 2 failed"

# 3. Indexed: 3 completions, each pod carries its index.
job idx $'  completions: 3\n  parallelism: 3\n  completionMode: Indexed'
wait_until 20 running_is idx 3
got=$(K get pods -l batch.kubernetes.io/job-name=idx -o json | jq -r '.items[] |
  [.metadata.annotations["batch.kubernetes.io/job-completion-index"],
   .metadata.labels["batch.kubernetes.io/job-completion-index"], .spec.hostname,
   (.spec.containers[0].env[] | select(.name == "JOB_COMPLETION_INDEX") | .valueFrom.fieldRef.fieldPath)]
  | join(" ")' | sort)
want=$(printf '%s\n' "0 0 idx-0" "1 1 idx-1" "2 2 idx-2" |
  sed "s/\$/ metadata.annotations['batch.kubernetes.io\/job-completion-index']/")
[ "$got" = "$want" ] || fail "Indexed pods: $got"
for p in $(running idx); do finish_pod "$p" 0; done
wait_until 20 is_cond idx Complete True/CompletionsReached
[ "$(K get job idx -o jsonpath='{.status.completedIndexes}')" = 0-2 ] ||
  fail "completedIndexes: $(K get job idx -o jsonpath='{.status.completedIndexes}')"
pass "Indexed: index annotation, label, hostname, env; completedIndexes 0-2"

# 4. suspend deletes the active pods; resume brings them back.
job sus $'  completions: 2\n  parallelism: 2'
wait_until 20 active_is sus 2
K patch job sus --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
wait_until 20 is_cond sus Suspended True/JobSuspended
wait_until 20 pods_are sus 0
[ "$(K get job sus -o jsonpath='{.status.failed}')" = "" ] ||
  [ "$(K get job sus -o jsonpath='{.status.failed}')" = 0 ] ||
  fail "suspend counted failures: $(K get job sus -o jsonpath='{.status}')"
K patch job sus --type=merge -p '{"spec":{"suspend":false}}' >/dev/null
wait_until 20 is_cond sus Suspended False/JobResumed
wait_until 20 active_is sus 2
pass "suspend deletes the active pods uncounted; resume recreates them"

# 5. podFailurePolicy FailJob on exit code 42.
cat <<'EOF2' | K apply -f - >/dev/null || fail "apply pfp"
apiVersion: batch/v1
kind: Job
metadata: {name: pfp}
spec:
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: c, operator: In, values: [42]}
  template:
    metadata: {annotations: {cplane.io/nodesim-exit-code: "42"}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
EOF2
finish_until pfp 42 Failed True/PodFailurePolicy
K get job pfp -o jsonpath='{.status.conditions[?(@.type=="Failed")].message}' |
  grep "^Container c for pod default/pfp-.* failed with exit code 42 matching FailJob rule at index 0$" >/dev/null ||
  fail "pfp message: $(K get job pfp -o jsonpath='{.status.conditions}')"
pass "podFailurePolicy FailJob on exit code 42: Failed/PodFailurePolicy"

# 6. A Job deleted while its pods run: their tracking finalizer goes.
wait_until 20 active_is sus 2
K delete job sus --wait=false >/dev/null
held() {
  [ "$(K get pods -l batch.kubernetes.io/job-name=sus -o json |
    jq '[.items[].metadata.finalizers // [] | .[] |
         select(. == "batch.kubernetes.io/job-tracking")] | length')" = "$1" ]
}
wait_until 20 held 0
pass "a deleted Job's running pods lose the tracking finalizer"

# 7. Left to nodesim: pods that run 1 s and exit 0 complete the Job.
job auto $'  completions: 3\n  parallelism: 2' '"cplane.io/nodesim-run-seconds": "1"'
wait_until 30 is_cond auto Complete True/CompletionsReached
[ "$(K get job auto -o jsonpath='{.status.succeeded}')" = 3 ] ||
  fail "auto: $(K get job auto -o jsonpath='{.status}')"
pass "a Job whose pods nodesim runs to completion completes"
