#!/usr/bin/env bash
# The podgc plugin with kubectl: terminated pods beyond
# terminated_pod_gc_threshold go, oldest first; a pod bound to a node that
# does not exist is, after the quarantine, marked Failed with the
# DisruptionTarget condition (DeletionByPodGC) and deleted; a terminating
# pod that was never scheduled is force-deleted; running pods on a live
# node stay.
. "$(dirname "$0")/lib/common.sh"

INI_podgc=$'terminated_pod_gc_threshold = 2\ngc_interval = 500ms\norphan_quarantine = 2s' \
  start_cplane podgc

K apply -f - >/dev/null <<'YAML' || fail "create node n1"
apiVersion: v1
kind: Node
metadata: {name: n1}
YAML
pod() { # NAME NODE [FINALIZER]
  K apply -f - >/dev/null <<EOF2 || fail "create pod $1"
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1"${3:+,\"finalizers\":[\"$3\"]}},
 "spec":{${2:+\"nodeName\":\"$2\",}"containers":[{"name":"c","image":"nginx"}]}}
EOF2
}
phase() { # NAME PHASE
  K patch pod "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"phase\":\"$2\"}}" >/dev/null || fail "set $1 $2"
}
absent() { ! K get pod "$1" >/dev/null 2>&1; }

pod live n1
phase live Running
for p in done-1 done-2 done-3 done-4; do
  pod "$p" n1
  phase "$p" Succeeded
done
wait_until 10 absent done-1
wait_until 5 absent done-2
sleep 1
K get pod done-3 done-4 live >/dev/null || fail "pods within the threshold were deleted"
pass "4 terminated pods, threshold 2: the 2 oldest go; the rest and a running pod stay"

# Not marked within its 2 s quarantine: checked only when the look came
# back within 2 s of the pod's creation (a loaded machine's kubectl calls
# can take longer, and the pod may then rightly be gone).
t0=$(date +%s%N)
pod orphan ghost example.com/hold
phase orphan Running
sleep 0.5
dt=$(K get pod orphan -o jsonpath='{.metadata.deletionTimestamp}')
if [ $((($(date +%s%N) - t0) / 1000000)) -lt 2000 ]; then
  [ -z "$dt" ] || fail "the orphan went before its quarantine"
fi
marked() { [ -n "$(K get pod orphan -o jsonpath='{.metadata.deletionTimestamp}')" ]; }
wait_until 10 marked
[ "$(K get pod orphan -o jsonpath='{.status.phase}')" = Failed ] ||
  fail "orphan phase: $(K get pod orphan -o jsonpath='{.status.phase}')"
cond=$(K get pod orphan -o jsonpath='{.status.conditions[?(@.type=="DisruptionTarget")]}')
echo "$cond" | jq -e '.status == "True" and .reason == "DeletionByPodGC" and .message == "PodGC: node no longer exists"' >/dev/null ||
  fail "DisruptionTarget: $cond"
[ "$(K get pod orphan -o jsonpath='{.metadata.deletionGracePeriodSeconds}')" = 0 ] ||
  fail "not deleted with grace 0"
K patch pod orphan --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
wait_until 5 absent orphan
pass "a pod on a node that does not exist: Failed, DisruptionTarget/DeletionByPodGC, deleted after the quarantine"

pod unscheduled "" example.com/hold
K delete pod unscheduled --wait=false >/dev/null || fail "delete unscheduled"
wait_for_log "$TMP/log" "pod default/unscheduled: deleted (terminating, never scheduled)" 5
K patch pod unscheduled --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
wait_until 5 absent unscheduled
K get pod live >/dev/null || fail "the running pod went"
pass "a terminating pod never scheduled is force-deleted"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "ERROR|Sanitizer|runtime error" "$TMP/log" >&2 && fail "errors in the log"
pass "clean shutdown"
