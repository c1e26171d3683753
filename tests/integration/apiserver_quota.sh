#!/usr/bin/env bash
# LimitRanger and ResourceQuota with kubectl: a LimitRange's defaults land
# on a pod (with kube's annotation) and its max refuses a bigger one in
# kube's words; a quota of 2 pods refuses the third with kube's message,
# the resourcequota plugin keeps status.used (a delete frees it), and
# `kubectl describe quota` prints it; a quota on requests.cpu wants every
# container to say its cpu request.
. "$(dirname "$0")/lib/common.sh"

INI_resourcequota=$'resync_period = 5m' start_cplane resourcequota

K create namespace lr >/dev/null || fail "create namespace lr"
K -n lr apply -f - >/dev/null <<'YAML' || fail "create the LimitRange"
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
    default: {cpu: 500m, memory: 128Mi}
    defaultRequest: {cpu: 250m}
YAML
pod() { # NS NAME [RESOURCES-JSON]
  K -n "$1" apply -f - <<EOF2
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$2"},
 "spec":{"containers":[{"name":"c","image":"nginx"${3:+,\"resources\":$3}}]}}
EOF2
}
pod lr plain >/dev/null || fail "create pod plain"
got=$(K -n lr get pod plain -o json)
echo "$got" | jq -e '.spec.containers[0].resources ==
  {"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"128Mi"}}' \
  >/dev/null || fail "defaults: $(echo "$got" | jq -c .spec.containers[0].resources)"
ann=$(echo "$got" | jq -r '.metadata.annotations["kubernetes.io/limit-ranger"]')
[ "$ann" = "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c" ] ||
  fail "annotation: $ann"
[ "$(echo "$got" | jq -r .status.qosClass)" = Burstable ] || fail "qosClass after defaults"
pass "a LimitRange's default and defaultRequest land on a pod, with kube's annotation"

err=$(pod lr big '{"limits":{"cpu":"2"}}' 2>&1) && fail "a pod over max was created"
echo "$err" | grep -F 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2' >/dev/null ||
  fail "over max: $err"
pass "a pod over the LimitRange's max is refused: $err"

K create namespace qt >/dev/null || fail "create namespace qt"
K -n qt create quota q --hard=pods=2 >/dev/null || fail "create the quota"
used() { [ "$(K -n qt get quota q -o jsonpath='{.status.used.pods}')" = "$1" ]; }
wait_until 10 used 0
[ "$(K -n qt get quota q -o jsonpath='{.status.hard.pods}')" = 2 ] || fail "status.hard"
pod qt p1 >/dev/null || fail "create p1"
pod qt p2 >/dev/null || fail "create p2"
err=$(pod qt p3 2>&1) && fail "a third pod was created past the quota"
echo "$err" | grep -F 'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2' >/dev/null ||
  fail "past the quota: $err"
used 2 || fail "status.used.pods: $(K -n qt get quota q -o jsonpath='{.status.used}')"
pass "quota pods=2: the third pod is refused in kube's words, status.used.pods is 2"

desc=$(K -n qt describe quota q)
echo "$desc" | grep -E '^Resource +Used +Hard$' >/dev/null && echo "$desc" | grep -E '^pods +2 +2$' >/dev/null ||
  fail "describe: $desc"
pass "kubectl describe quota: pods 2/2"

K -n qt delete pod p1 --wait=false >/dev/null || fail "delete p1"
wait_until 10 used 1
pod qt p3 >/dev/null || fail "p3 after a delete"
used 2 || fail "status.used.pods after p3: $(K -n qt get quota q -o jsonpath='{.status.used}')"
pass "a delete frees the quota (the plugin counts again) and the next pod fits"

K -n qt create quota cpu --hard=requests.cpu=1 >/dev/null || fail "create the cpu quota"
cpu_used() { [ -n "$(K -n qt get quota cpu -o jsonpath='{.status.used.requests\.cpu}')" ]; }
wait_until 10 cpu_used
K -n qt delete pod p2 --wait=false >/dev/null
wait_until 10 used 1
err=$(pod qt nocpu 2>&1) && fail "a pod without a cpu request was created"
echo "$err" | grep -F 'pods "nocpu" is forbidden: failed quota: cpu: must specify requests.cpu for: c' >/dev/null ||
  fail "constraints: $err"
pod qt small '{"requests":{"cpu":"600m"}}' >/dev/null || fail "a pod within requests.cpu"
err=$(pod qt more '{"requests":{"cpu":"600m"}}' 2>&1) && fail "a pod past requests.cpu was created"
echo "$err" | grep -F 'exceeded quota: cpu, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1' >/dev/null ||
  fail "requests.cpu: $err"
pass "requests.cpu: a container must say it, and the sum is bounded"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "ERROR|Sanitizer|runtime error" "$TMP/log" >&2 && fail "errors in the log"
pass "clean shutdown"
