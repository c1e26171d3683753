#!/usr/bin/env bash
# The cronjob and ttlafterfinished plugins end to end with kubectl. The
# cronjob plugin runs with its test-only clock_scale = 60 (a scheduled
# minute every second), so a `* * * * *` CronJob shows minutes of
# behaviour in seconds: Jobs named <cronjob>-<minutes>, history limits
# keeping the newest, suspend, Forbid skipping while a Job runs,
# `kubectl create job --from=cronjob/x` not taken as a scheduled run, and
# a finished Job with ttlSecondsAfterFinished 1 deleted (propagationPolicy
# Foreground, as kube's controller deletes: the Job goes once the garbage
# collector has removed its foregroundDeletion finalizer, or, while the
# collector does not cover Jobs, stays marked for deletion). No Job controller runs: the test
# finishes Jobs by writing their status, as one would.
. "$(dirname "$0")/lib/common.sh"

INI_cronjob=$'clock_scale = 60' start_cplane cronjob ttlafterfinished garbagecollector

cronjob() { # NAME POLICY
  cat <<EOF2 | K apply -f - >/dev/null || fail "apply cronjob $1"
apiVersion: batch/v1
kind: CronJob
metadata: {name: $1}
spec:
  schedule: "* * * * *"
  concurrencyPolicy: $2
  successfulJobsHistoryLimit: 2
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata: {labels: {cron: $1}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: busybox}]
EOF2
}
jobs_of() { K get jobs -l "cron=$1" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort; }
count() { jobs_of "$1" | grep -c . || true; }
at_least() { [ "$(count "$1")" -ge "$2" ]; } # CRONJOB N
exactly() { [ "$(count "$1")" -eq "$2" ]; }
finish() { # JOB
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  K patch job "$1" --subresource=status --type=merge -p "{\"status\":{\
\"startTime\":\"$now\",\"completionTime\":\"$now\",\"succeeded\":1,\
\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},\
{\"type\":\"Complete\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}]}}" >/dev/null ||
    fail "finish $1"
}

# Allow: a Job a (scaled) minute, named for its minute, owned, annotated.
cronjob every Allow
wait_until 15 at_least every 3
first=$(jobs_of every | sed -n 1p)
[[ "$first" =~ ^every-[0-9]{8}$ ]] || fail "job name $first"
[ "$(K get job "$first" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')" = CronJob/every ] ||
  fail "$first not owned by the CronJob"
K get job "$first" -o jsonpath='{.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}' |
  grep -E '^[0-9-]{10}T[0-9:]{8}Z$' >/dev/null || fail "no scheduled-timestamp annotation"
[ -n "$(K get cronjob every -o jsonpath='{.status.lastScheduleTime}')" ] || fail "no lastScheduleTime"
pass "a * * * * * CronJob creates Jobs"

# Suspend: no new minute starts.
K patch cronjob every --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
sleep 1
last=$(jobs_of every | tail -1)
sleep 3
[ "$(jobs_of every | tail -1)" = "$last" ] || fail "a suspended CronJob created $(jobs_of every | tail -1)"
pass "suspend stops creating"

# History: every Job finishes; the two newest stay, the rest go.
for j in $(jobs_of every); do finish "$j"; done
wait_until 15 exactly every 2
[ "$(jobs_of every | tail -1)" = "$last" ] || fail "the newest Job did not stay: $(jobs_of every | xargs)"
no_active() { [ -z "$(K get cronjob "$1" -o jsonpath='{.status.active}')" ]; }
wait_until 10 no_active every
[ -n "$(K get cronjob every -o jsonpath='{.status.lastSuccessfulTime}')" ] || fail "no lastSuccessfulTime"
pass "successfulJobsHistoryLimit keeps the newest 2"

# Forbid: one Job at a time; the next starts once it finished.
cronjob forbid Forbid
wait_until 15 at_least forbid 1
sleep 3
[ "$(count forbid)" -eq 1 ] || fail "Forbid ran $(count forbid) Jobs at once"
wait_until 10 sh -c "kubectl --kubeconfig $TMP/data/admin.kubeconfig get events \
  --field-selector reason=JobAlreadyActive -o name | grep . >/dev/null"
one=$(jobs_of forbid)
finish "$one"
wait_until 10 at_least forbid 2
pass "Forbid skips while a Job is active"

# kubectl create job --from: accepted, controlled by the CronJob, never
# counted as one of its scheduled runs.
K create job manual --from=cronjob/forbid >/dev/null || fail "create job --from"
[ "$(K get job manual -o jsonpath='{.metadata.annotations.cronjob\.kubernetes\.io/instantiate}')" = manual ] ||
  fail "no instantiate annotation"
sleep 2
K get cronjob forbid -o jsonpath='{.status.active[*].name}' | grep -w manual >/dev/null &&
  fail "the manual Job was taken as a scheduled one"
K get job manual >/dev/null 2>&1 || fail "the manual Job is gone"
pass "kubectl create job --from=cronjob/forbid"
K delete cronjob every forbid >/dev/null

# ttlSecondsAfterFinished: 1 s after it finished, the Job goes.
cat <<'EOF2' | K apply -f - >/dev/null || fail "apply job"
apiVersion: batch/v1
kind: Job
metadata: {name: short}
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
EOF2
finish short
deleted() { # gone, or deleted in the foreground and waiting for the collector
  local f
  f=$(K get job short -o jsonpath='{.metadata.deletionTimestamp} {.metadata.finalizers}' 2>/dev/null) || return 0
  case "$f" in ?*" "*foregroundDeletion*) return 0 ;; esac
  return 1
}
wait_until 10 deleted
pass "a finished Job with ttlSecondsAfterFinished 1 is deleted"
