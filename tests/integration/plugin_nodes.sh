#!/usr/bin/env bash
# The nodesim and nodelifecycle plugins end to end with kubectl: simulated
# nodes register Ready with capacity and renew their Leases; a pod bound to
# one runs and turns Ready with a pod IP; a node that stops heartbeating
# goes Ready=Unknown with the unreachable NoExecute taint, its intolerant
# pod is evicted after its toleration while a tolerating one stays; the
# node coming back loses the taint and is Ready again; deleting a pod on a
# live node works; a node that never posted status nor renewed a Lease
# goes Ready=Unknown (NodeStatusNeverUpdated) with the taints.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/nodesim.so" "$B/plugins/nodelifecycle.so" \
  "$B/plugins/replicaset.so" "$TMP/plugins/"
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
default_not_ready_toleration_seconds = 2
default_unreachable_toleration_seconds = 2
[plugin.nodesim]
enabled = true
count = 3
heartbeat = 1s
pod_start_delay = 100ms
cpu = 8
memory = 32Gi
labels = zone=z1
[plugin.nodelifecycle]
enabled = true
grace_period = 3s
default_toleration_seconds = 2
check_interval = 1s
[plugin.replicaset]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 3 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
# jp OBJECT JSONPATH: the value, or "" when the object is not there.
jp() { K get "$1" ${NS:+-n "$NS"} -o jsonpath="$2" 2>/dev/null || true; }
ready() { jp "node/$1" '{.status.conditions[?(@.type=="Ready")].status}'; }
taint() { jp "node/$1" '{.spec.taints[?(@.key=="node.kubernetes.io/unreachable")].effect}' | tr " " "\n" | grep -x NoExecute; }
# until_true SECONDS WHAT CMD...: polls CMD every 0.1 s.
until_true() {
  local limit what=$2 i
  limit=$(wait_limit "$1")
  shift 2
  for ((i = 0; i < limit * 10; i++)); do "$@" && return 0; sleep 0.1; done
  K get nodes -o yaml >&2 || true
  K get pods -o wide >&2 || true
  tail -30 "$TMP/log" >&2
  fail "$what (after ${limit}s)"
}
all_ready() {
  local n
  for n in sim-0 sim-1 sim-2; do [ "$(ready $n)" = True ] || return 1; done
}
until_true 10 "3 simulated nodes Ready" all_ready
[ "$(K get nodes -o name | wc -l)" -eq 3 ] || fail "not exactly 3 nodes"
[ "$(jp node/sim-1 '{.status.capacity.cpu}/{.status.allocatable.memory}/{.status.capacity.pods}')" = 8/32Gi/110 ] ||
  fail "capacity: $(jp node/sim-1 '{.status.capacity}')"
[ "$(jp node/sim-1 '{.metadata.labels.zone}/{.metadata.labels.kubernetes\.io/hostname}/{.metadata.annotations.cplane\.io/nodesim}')" = z1/sim-1/true ] ||
  fail "labels: $(jp node/sim-1 '{.metadata}')"
[ -n "$(jp node/sim-1 '{.status.addresses[?(@.type=="InternalIP")].address}')" ] ||
  fail "no InternalIP"
pass "3 simulated nodes register Ready with capacity, labels and addresses"

lease() { NS=kube-node-lease jp lease/sim-1 '{.spec.renewTime}'; }
has_lease() { [ -n "$(lease)" ]; }
until_true 10 "a lease for sim-1" has_lease
[ "$(NS=kube-node-lease jp lease/sim-1 '{.spec.holderIdentity}/{.spec.leaseDurationSeconds}')" = sim-1/40 ] ||
  fail "lease: $(NS=kube-node-lease jp lease/sim-1 '{.spec}')"
first=$(lease)
[[ "$first" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z$ ]] ||
  fail "renewTime is not RFC 3339 with microseconds: $first"
renewed() { [ "$(lease)" != "$first" ]; }
until_true 5 "the lease of sim-1 renewed" renewed
pass "leases are renewed (renewTime advances)"
# kubectl describe node finds the node's Lease under its name in
# kube-node-lease (kube prints "Failed to get lease" otherwise).
desc=$(K describe node sim-1)
grep -q "^  HolderIdentity:  sim-1$" <<<"$desc" || fail "describe node: no lease: $desc"
! grep -q "Failed to get lease" <<<"$desc" || fail "describe node: Failed to get lease"
pass "kubectl describe node shows the node's Lease"

mkpod() { # NAME NODE [TOLERATIONS_JSON]
  K apply -f - >/dev/null <<EOF || fail "create pod $1"
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1"},
 "spec":{"nodeName":"$2","containers":[{"name":"c","image":"nginx"}],
         "tolerations":${3:-[]}}}
EOF
}
running() { [ "$(jp "pod/$1" '{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}')" = Running/True ]; }
mkpod web sim-1
until_true 5 "pod web Running and Ready" running web
ip=$(jp pod/web '{.status.podIP}')
[[ "$ip" =~ ^10\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "podIP: '$ip'"
[ "$(jp pod/web '{.status.hostIP}')" = "$(jp node/sim-1 '{.status.addresses[?(@.type=="InternalIP")].address}')" ] ||
  fail "hostIP is not sim-1's address"
[ "$(jp pod/web '{.status.containerStatuses[0].ready}/{.status.containerStatuses[0].started}')" = true/true ] ||
  fail "containerStatuses: $(jp pod/web '{.status.containerStatuses}')"
[ -n "$(jp pod/web '{.status.containerStatuses[0].state.running.startedAt}')" ] ||
  fail "no state.running.startedAt"
for c in PodScheduled Initialized ContainersReady Ready; do
  [ "$(jp pod/web "{.status.conditions[?(@.type==\"$c\")].status}")" = True ] ||
    fail "condition $c: $(jp pod/web '{.status.conditions}')"
done
mkpod web2 sim-1
until_true 5 "pod web2 Running" running web2
[ "$(jp pod/web2 '{.status.podIP}')" != "$ip" ] || fail "two pods share $ip"
pass "a pod bound to sim-1 runs, Ready, with its own podIP ($ip)"

mkpod tolerant sim-1 '[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute"}]'
until_true 5 "pod tolerant Running" running tolerant
K annotate node sim-1 cplane.io/nodesim-stopped=true >/dev/null ||
  fail "annotate"
t0=$SECONDS
unreachable() { [ "$(ready sim-1)" = Unknown ] && [ "$(taint sim-1)" = NoExecute ]; }
until_true 8 "sim-1 Ready=Unknown with the unreachable taint" unreachable
[ "$(jp node/sim-1 '{.spec.taints[?(@.effect=="NoSchedule")].key}')" = node.kubernetes.io/unreachable ] ||
  fail "no unreachable NoSchedule taint: $(jp node/sim-1 '{.spec.taints}')"
[ "$(jp node/sim-1 '{.status.conditions[?(@.type=="Ready")].reason}')" = NodeStatusUnknown ] ||
  fail "reason: $(jp node/sim-1 '{.status.conditions}')"
# As kube: the kubelet's pressure conditions go Unknown with Ready.
[ "$(jp node/sim-1 '{.status.conditions[?(@.type=="MemoryPressure")].status}')" = Unknown ] ||
  fail "MemoryPressure: $(jp node/sim-1 '{.status.conditions}')"
[ "$(jp node/sim-1 '{.status.conditions[?(@.type=="MemoryPressure")].reason}')" = NodeStatusUnknown ] ||
  fail "MemoryPressure reason: $(jp node/sim-1 '{.status.conditions}')"
[ "$(ready sim-0)/$(ready sim-2)" = True/True ] || fail "a live node went too"
expect_log "$TMP/log" "node sim-1 is unreachable"
pass "a stopped node goes Ready=Unknown with the NoExecute taint in $((SECONDS - t0)) s"

gone() { ! K get pod "$1" >/dev/null 2>&1; }
until_true 6 "pod web evicted" gone web
until_true 2 "pod web2 evicted too" gone web2
expect_log "$TMP/log" "evicting pod default/web from unreachable node sim-1"
sleep 1
K get pod tolerant >/dev/null 2>&1 || fail "the tolerating pod was evicted"
pass "pods without a toleration are evicted; a tolerating pod stays"

K annotate node sim-1 cplane.io/nodesim-stopped- >/dev/null || fail "resume"
back() { [ "$(ready sim-1)" = True ] && [ -z "$(taint sim-1)" ]; }
until_true 6 "sim-1 Ready again without the taint" back
wait_for_log "$TMP/log" "node sim-1 is reachable again" 5
running tolerant || fail "the tolerating pod is not running after resume"
pass "a resumed node is Ready again and loses the taint"

mkpod late sim-2
until_true 5 "pod late Running" running late
K delete pod late --wait=true --timeout=10s >/dev/null || fail "delete pod late"
gone late || fail "pod late still there"
pass "a pod on a live node is deleted"

# A node registered by hand, whose kubelet never posts status nor a Lease.
K create -f - >/dev/null <<'YAML' || fail "create node ghost"
apiVersion: v1
kind: Node
metadata:
  name: ghost
YAML
never() { [ "$(ready ghost)" = Unknown ] && [ "$(taint ghost)" = NoExecute ]; }
until_true 8 "ghost Ready=Unknown with the unreachable taint" never
[ "$(jp node/ghost '{.status.conditions[?(@.type=="Ready")].reason}')" = NodeStatusNeverUpdated ] ||
  fail "reason: $(jp node/ghost '{.status.conditions}')"
[ "$(jp node/ghost '{.status.conditions[?(@.type=="Ready")].message}')" = "Kubelet never posted node status." ] ||
  fail "message: $(jp node/ghost '{.status.conditions}')"
[ "$(jp node/ghost '{.status.conditions[?(@.type=="PIDPressure")].status}')" = Unknown ] ||
  fail "PIDPressure: $(jp node/ghost '{.status.conditions}')"
K delete node ghost >/dev/null || fail "delete node ghost"
pass "a node that never posted status goes Ready=Unknown (NodeStatusNeverUpdated), tainted"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
# Nodes outlive the simulator; the log is clean of sanitizer reports.
grep -E "ERROR|Sanitizer|runtime error" "$TMP/log" >&2 && fail "errors in the log"
pass "clean shutdown"
