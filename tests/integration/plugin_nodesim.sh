#!/usr/bin/env bash
# The nodesim plugin's simulated containers with kubectl, on one node and
# pods bound to it directly: a restartPolicy Never pod with run-seconds 1
# Succeeds (Completed), one with exit-code 3 Fails (Error); an OnFailure
# one restarts (restartCount, CrashLoopBackOff); a pod mounting a missing
# Secret stays ContainerCreating with a FailedMount event and runs once
# the Secret is created; a readinessProbe's initialDelaySeconds holds
# Ready; a restartPolicy Always pod runs on.
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 1\nheartbeat = 1s\npod_start_delay = 100ms' \
  start_cplane nodesim
node_ready() {
  [ "$(K get node sim-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
wait_until 20 node_ready
pass "node sim-0 is Ready"

pod() { # NAME POLICY ANNOTATIONS(json) EXTRA-SPEC [EXTRA-CONTAINER] (json members, or "")
  K apply -f - >/dev/null <<EOF2 || fail "create pod $1"
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","namespace":"default",
 "annotations":$3},
 "spec":{"nodeName":"sim-0","restartPolicy":"$2",
  "containers":[{"name":"main","image":"busybox"${5:-}}]$4}}
EOF2
}
jp() { K get pod "$1" -o jsonpath="$2" 2>/dev/null; }
column() { K get pod "$1" --no-headers 2>/dev/null | awk -v c="$2" '{print $c}'; }
is() { [ "$(jp "$1" "$2")" = "$3" ]; }
col_is() { [ "$(column "$1" "$2")" = "$3" ]; }

pod done Never '{"cplane.io/nodesim-run-seconds":"1"}' ""
pod fail Never '{"cplane.io/nodesim-run-seconds":"1","cplane.io/nodesim-exit-code":"3"}' ""
pod crash OnFailure '{"cplane.io/nodesim-run-seconds":"1","cplane.io/nodesim-exit-code":"1"}' ""
pod web Always '{}' ""
pod creds Always '{}' ',"volumes":[{"name":"creds","secret":{"secretName":"db"}}]'
pod slow Always '{}' "" ',"readinessProbe":{"initialDelaySeconds":5,"exec":{"command":["true"]}}'

# Readiness first: its window is the shortest.
wait_until 10 is slow '{.status.phase}' Running
is slow '{.status.conditions[?(@.type=="Ready")].status}' False ||
  fail "slow is Ready before its initialDelaySeconds"
col_is slow 2 0/1 || fail "slow: READY $(column slow 2), want 0/1"
wait_until 10 is slow '{.status.containerStatuses[0].ready}' true
col_is slow 2 1/1 || fail "slow: READY $(column slow 2), want 1/1"
pass "a readiness delay holds Ready, then it is Ready"

wait_until 10 is done '{.status.phase}' Succeeded
col_is done 3 Completed || fail "done: STATUS $(column done 3)"
is done '{.status.containerStatuses[0].state.terminated.reason}' Completed ||
  fail "done: not terminated Completed"
is done '{.status.conditions[?(@.type=="Ready")].reason}' PodCompleted ||
  fail "done: Ready reason is not PodCompleted"
pass "a Never pod with run-seconds 1 Succeeds (Completed)"

wait_until 10 is fail '{.status.phase}' Failed
col_is fail 3 Error || fail "fail: STATUS $(column fail 3)"
is fail '{.status.containerStatuses[0].state.terminated.exitCode}' 3 ||
  fail "fail: exit code $(jp fail '{.status.containerStatuses[0].state.terminated.exitCode}')"
pass "a Never pod with exit-code 3 Fails (Error)"

# Back-off windows: 2-12 s, then 13-33 s after it started; each check
# below holds in and out of them.
wait_until 15 col_is crash 3 CrashLoopBackOff
is crash '{.status.phase}' Running || fail "crash: phase $(jp crash '{.status.phase}')"
[ "$(jp crash '{.status.containerStatuses[0].restartCount}')" -ge 1 ] ||
  fail "crash: restartCount $(jp crash '{.status.containerStatuses[0].restartCount}')"
is crash '{.status.containerStatuses[0].lastState.terminated.exitCode}' 1 ||
  fail "crash: lastState $(jp crash '{.status.containerStatuses[0].lastState}')"
pass "an OnFailure pod restarts (restartCount $(column crash 4)), in CrashLoopBackOff between"

col_is creds 3 ContainerCreating || fail "creds: STATUS $(column creds 3)"
is creds '{.status.phase}' Pending || fail "creds: not Pending"
msg=$(K get events --field-selector involvedObject.name=creds,reason=FailedMount \
  -o jsonpath='{.items[0].type} {.items[0].message}')
[ "$msg" = 'Warning MountVolume.SetUp failed for volume "creds" : secret "db" not found' ] ||
  fail "creds: FailedMount event: $msg"
K create secret generic db --from-literal=password=x >/dev/null || fail "create secret"
wait_until 15 is creds '{.status.phase}' Running
pass "a pod mounting a missing Secret waits in ContainerCreating, then runs"

is web '{.status.phase}' Running && col_is web 2 1/1 || fail "web is not Running and ready"
pass "an Always pod runs on"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
