#!/usr/bin/env bash
# The scheduler plugin with kubectl: pods land on nodes that fit
# (resources, nodeSelector, required affinity, taints and tolerations,
# host ports, hard topology spread); a pod that fits nowhere gets
# PodScheduled=False with the reasons and a FailedScheduling event, and is
# bound as soon as a node change makes room; pods for another scheduler
# are left alone.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/scheduler.so" "$TMP/plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
[plugin.scheduler]
enabled = true
workers = 4
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 1 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

mknode() { # NAME CPU LABELS(json) TAINTS(json)
  K apply -f - >/dev/null <<EOF2 || fail "create node $1"
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$1","labels":$3},
 "spec":{"taints":$4}}
EOF2
  K patch node "$1" --subresource=status --type=merge -p \
    "{\"status\":{\"allocatable\":{\"cpu\":\"$2\",\"memory\":\"4Gi\",\"pods\":\"10\"},
      \"capacity\":{\"cpu\":\"$2\",\"memory\":\"4Gi\",\"pods\":\"10\"}}}" \
    >/dev/null || fail "node status $1"
}
mknode n1 2 '{"zone":"a","kubernetes.io/hostname":"n1"}' '[]'
mknode n2 2 '{"zone":"b","disk":"ssd","kubernetes.io/hostname":"n2"}' '[]'
mknode n3 2 '{"zone":"c","kubernetes.io/hostname":"n3"}' \
  '[{"key":"dedicated","value":"x","effect":"NoSchedule"}]'

mkpod() { # NAME SPEC-EXTRAS(json members, may be empty) [CPU]
  K apply -f - >/dev/null <<EOF2 || fail "create pod $1"
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","labels":{"app":"${APP:-x}"}},
 "spec":{$2 "containers":[{"name":"c","image":"nginx",
   "resources":{"requests":{"cpu":"${3:-100m}","memory":"64Mi"}}${PORTS:-}}]}}
EOF2
}
node_of() { K get pod "$1" -o jsonpath='{.spec.nodeName}'; }
wait_bound() { # NAME -> prints node
  local i n
  for i in $(seq 100); do
    n=$(node_of "$1"); [ -n "$n" ] && { echo "$n"; return 0; }; sleep 0.1
  done
  K get pod "$1" -o yaml >&2; tail -20 "$TMP/log" >&2
  fail "pod $1 was not bound"
}
cond_msg() { K get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}'; }
wait_unschedulable() { # NAME PATTERN
  local i
  for i in $(seq 100); do
    cond_msg "$1" | grep -- "$2" >/dev/null && return 0; sleep 0.1
  done
  K get pod "$1" -o yaml >&2; fail "pod $1: no PodScheduled=False matching '$2'"
}

mkpod plain ""
n=$(wait_bound plain)
[ "$n" = n1 ] || [ "$n" = n2 ] || fail "plain pod on $n (n3 is tainted)"
for i in $(seq 300); do
  K get events --field-selector involvedObject.name=plain -o jsonpath='{.items[*].reason}' |
    grep Scheduled >/dev/null && break; sleep 0.1
done
K get events -o jsonpath='{.items[*].message}' | grep "Successfully assigned default/plain to $n" \
  >/dev/null || fail "no Scheduled event for pod plain"
pass "a pod is bound to an untainted node, with a Scheduled event"

mkpod sel '"nodeSelector":{"disk":"ssd"},'
[ "$(wait_bound sel)" = n2 ] || fail "nodeSelector disk=ssd not honoured"
mkpod aff '"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}]}}},'
[ "$(wait_bound aff)" = n1 ] || fail "required node affinity zone In (a) not honoured"
mkpod tol '"nodeSelector":{"zone":"c"},"tolerations":[{"key":"dedicated","operator":"Equal","value":"x","effect":"NoSchedule"}],'
[ "$(wait_bound tol)" = n3 ] || fail "a tolerating pod did not reach the tainted node"
pass "nodeSelector, required node affinity and tolerations"

mkpod notol '"nodeSelector":{"zone":"c"},'
wait_unschedulable notol "0/3 nodes are available: "
msg=$(cond_msg notol)
echo "$msg" | grep "untolerated taint" >/dev/null || fail "taint reason missing: $msg"
echo "$msg" | grep "node affinity/selector" >/dev/null || fail "selector reason missing: $msg"
[ "$(K get pod notol -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].reason}')" = Unschedulable ] ||
  fail "PodScheduled reason is not Unschedulable"
for i in $(seq 300); do
  K get events --field-selector involvedObject.name=notol,reason=FailedScheduling -o name |
    grep . >/dev/null && break; sleep 0.1
done
[ "$(K get events --field-selector involvedObject.name=notol,reason=FailedScheduling -o name | wc -l)" -ge 1 ] ||
  fail "no FailedScheduling event"
pass "an unschedulable pod gets PodScheduled=False ($msg) and an event"

mkpod big '' 3
wait_unschedulable big "Insufficient cpu"
K patch node n1 --subresource=status --type=merge -p '{"status":{"allocatable":{"cpu":"8"}}}' >/dev/null
[ "$(wait_bound big)" = n1 ] || fail "the big pod did not go to the grown node"
pass "a node change makes room and the waiting pod is bound at once"

PORTS=',"ports":[{"containerPort":80,"hostPort":8080}]' mkpod hp1 '"nodeSelector":{"disk":"ssd"},'
[ "$(wait_bound hp1)" = n2 ] || fail "hp1 not on n2"
PORTS=',"ports":[{"containerPort":80,"hostPort":8080}]' mkpod hp2 '"nodeSelector":{"disk":"ssd"},'
wait_unschedulable hp2 "free ports"
pass "host ports conflict"

spread='"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"spread"}}}],"nodeSelector":{"kubernetes.io/os":"linux"},'
K label node n1 n2 kubernetes.io/os=linux >/dev/null
for i in 1 2 3 4; do APP=spread mkpod "sp$i" "$spread"; done
for i in 1 2 3 4; do wait_bound "sp$i" >/dev/null; done
a=$(K get pods -l app=spread -o jsonpath='{.items[*].spec.nodeName}' | tr ' ' '\n' | grep -c n1 || true)
b=$(K get pods -l app=spread -o jsonpath='{.items[*].spec.nodeName}' | tr ' ' '\n' | grep -c n2 || true)
[ "$a" = 2 ] && [ "$b" = 2 ] || fail "spread over zones a/b is $a/$b, want 2/2"
pass "hard topology spread: 2 and 2 across two zones"

mkpod other '"schedulerName":"someone-else",'
sleep 1
[ -z "$(node_of other)" ] || fail "a pod for another scheduler was bound"
pass "pods for another schedulerName are left alone"

K delete pod big --wait=false >/dev/null
K patch node n1 --subresource=status --type=merge -p '{"status":{"allocatable":{"cpu":"2"}}}' >/dev/null
mkpod fill1 '"nodeSelector":{"zone":"a"},' 1500m
[ "$(wait_bound fill1)" = n1 ] || fail "fill1 not on n1"
mkpod fill2 '"nodeSelector":{"zone":"a"},' 1500m
wait_unschedulable fill2 "Insufficient cpu"
K delete pod fill1 >/dev/null
[ "$(wait_bound fill2)" = n1 ] || fail "fill2 not bound after fill1 went"
pass "a deleted pod frees its node for a waiting one"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
