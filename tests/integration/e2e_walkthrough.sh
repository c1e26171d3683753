#!/usr/bin/env bash
# The README's walk-through, as a user does it, on config/cplane.ini as
# shipped (every default plugin, 3 simulated nodes, SQLite): only the data
# directory, the ports and the node-failure timings are changed for the
# test. nginx Deployment from the Kubernetes docs -> 3 pods Running on the
# simulated nodes; scale to 10; a new image rolls out without dropping
# below maxUnavailable; a stopped node's pods are evicted and rescheduled;
# deleting the Deployment garbage-collects its pods; deleting a namespace
# empties it.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B"/plugins/*.so "$TMP/plugins/"
awk -v tmp="$TMP" '
  /^\[host\]/ { print; print "plugin_dir = " tmp "/plugins"; next }
  /^\[plugin.nodelifecycle\]/ { print; print "grace_period = 3s";
    print "default_toleration_seconds = 2"; print "check_interval = 1s"; next }
  /^\[plugin.nodesim\]/ { print; print "heartbeat = 1s"; next }
  /^\[apiserver\]/ { print; print "default_not_ready_toleration_seconds = 2";
    print "default_unreachable_toleration_seconds = 2"; next }
  /^data_dir = / { print "data_dir = " tmp "/data"; next }
  /^listen = / { print "listen = 127.0.0.1:0"; next }
  /^port = / { print "port = 0"; next }
  { print }' "$ROOT/config/cplane.ini" >"$TMP/c.ini"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
# Every plugin the shipped INI enables, however many that is.
enabled=$(grep -c '^enabled = true' "$TMP/c.ini")
wait_for_log "$TMP/log" "ready: $enabled plugin(s) running, 0 refused" 30
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
running() { # [NAMESPACE] -> count of Running nginx pods
  K get pods -n "${1:-default}" -l app=nginx \
    -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Running$' || true
}
wait_running() { # N SECONDS [NAMESPACE]
  local i limit
  limit=$(wait_limit "$2")
  for ((i = 0; i < limit * 10; i++)); do
    [ "$(running "${3:-}")" -eq "$1" ] && [ "$(K get pods -n "${3:-default}" -l app=nginx -o name | wc -l)" -eq "$1" ] &&
      return 0
    sleep 0.1
  done
  K get pods -n "${3:-default}" -o wide >&2; tail -30 "$TMP/log" >&2
  fail "expected $1 Running nginx pods within $limit s, have $(running "${3:-}")"
}

for i in $(seq 100); do
  [ "$(K get nodes -o name 2>/dev/null | wc -l)" -eq 3 ] && break; sleep 0.1
done
[ "$(K get nodes -o name | wc -l)" -eq 3 ] || fail "3 simulated nodes expected"
pass "3 simulated nodes registered"

t0=$(date +%s%N)
K apply -f "$ROOT/config/examples/nginx-deployment.yaml" >/dev/null || fail "apply"
wait_running 3 15
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
nodes=$(K get pods -l app=nginx -o jsonpath='{.items[*].spec.nodeName}')
for n in $nodes; do case "$n" in sim-*) ;; *) fail "pod on $n" ;; esac; done
[ -n "$(K get pods -l app=nginx -o jsonpath='{.items[0].status.podIP}')" ] || fail "no podIP"
K rollout status deployment/nginx-deployment --timeout=30s >/dev/null || fail "rollout status"
pass "nginx Deployment: 3 pods Running on simulated nodes in $ms ms ($nodes)"

# Server-side Tables: kubectl's usual columns, -o wide included.
K get pods -o wide >"$TMP/table" || fail "kubectl get pods -o wide"
head -1 "$TMP/table" | grep -E '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE' >/dev/null ||
  fail "pod table header: $(head -1 "$TMP/table")"
[ "$(grep -cE ' 1/1 +Running +0 +[0-9]+s +10\.[0-9.]+ +sim-[0-9]' "$TMP/table")" -eq 3 ] ||
  { cat "$TMP/table" >&2; fail "pod rows"; }
K get nodes | grep -cE '^sim-[0-9] +Ready ' | grep -x 3 >/dev/null || fail "node table: $(K get nodes)"
K get deployment nginx-deployment | grep -E '^nginx-deployment +3/3 +3 +3 ' >/dev/null ||
  fail "deployment table: $(K get deployment nginx-deployment)"
pass "kubectl get prints the pod, node and Deployment columns"

K scale deployment/nginx-deployment --replicas=10 >/dev/null || fail "scale"
wait_running 10 20
K rollout status deployment/nginx-deployment --timeout=30s >/dev/null || fail "rollout status after scale"
pass "scaled to 10, all Running"

# maxUnavailable 25% of 10 = 2 (rounded down): at least 8 Ready throughout.
K set image deployment/nginx-deployment nginx=nginx:1.16.1 >/dev/null || fail "set image"
min=10
for i in $(seq 300); do
  r=$(K get deployment nginx-deployment -o jsonpath='{.status.availableReplicas}')
  [ -n "$r" ] && [ "$r" -lt "$min" ] && min=$r
  [ "$(K get deployment nginx-deployment -o jsonpath='{.status.updatedReplicas}/{.status.replicas}/{.status.availableReplicas}')" = 10/10/10 ] && break
  sleep 0.1
done
K rollout status deployment/nginx-deployment --timeout=60s >/dev/null || fail "rollout of the new image"
[ "$min" -ge 8 ] || fail "availability fell to $min during the rolling update (floor 8)"
imgs=$(K get pods -l app=nginx -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)
[ "$imgs" = "nginx:1.16.1" ] || fail "pods still on other images: $imgs"
wait_running 10 20
pass "rolling update to nginx:1.16.1; available never below $min (floor 8)"

victims=$(K get pods -l app=nginx --field-selector spec.nodeName=sim-1 -o name | wc -l)
K annotate node sim-1 cplane.io/nodesim-stopped=true >/dev/null || fail "stop sim-1"
for i in $(seq 200); do
  [ "$(K get pods -l app=nginx --field-selector spec.nodeName=sim-1 -o name | wc -l)" -eq 0 ] && break
  sleep 0.1
done
[ "$(K get pods -l app=nginx --field-selector spec.nodeName=sim-1 -o name | wc -l)" -eq 0 ] ||
  fail "pods stay on the stopped node sim-1"
wait_running 10 20
left=$(K get pods -l app=nginx -o jsonpath='{.items[*].spec.nodeName}' | tr ' ' '\n' | sort -u | tr '\n' ' ')
case "$left" in *sim-1*) fail "rescheduled onto the dead node: $left" ;; esac
K get node sim-1 -o jsonpath='{.spec.taints[*].key}' | grep node.kubernetes.io/unreachable >/dev/null ||
  fail "sim-1 has no unreachable taint"
pass "stopped node sim-1: its $victims pod(s) evicted and rescheduled onto $left"
K annotate node sim-1 cplane.io/nodesim-stopped- >/dev/null

K delete deployment nginx-deployment >/dev/null || fail "delete deployment"
for i in $(seq 200); do
  [ "$(K get pods -l app=nginx -o name | wc -l)" -eq 0 ] && [ "$(K get rs -o name | wc -l)" -eq 0 ] && break
  sleep 0.1
done
[ "$(K get pods -l app=nginx -o name | wc -l)" -eq 0 ] || fail "pods outlived their Deployment"
[ "$(K get rs -o name | wc -l)" -eq 0 ] || fail "ReplicaSets outlived their Deployment"
pass "deleting the Deployment garbage-collects its ReplicaSets and pods"

K apply -f - >/dev/null <<'EOF2' || fail "create namespace"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
EOF2
K apply -n shop -f "$ROOT/config/examples/nginx-deployment.yaml" >/dev/null || fail "apply in shop"
wait_running 3 15 shop
K delete namespace shop --timeout=60s >/dev/null || fail "kubectl delete namespace did not complete"
K get namespace shop >/dev/null 2>&1 && fail "namespace shop still there"
[ "$(K get pods -A -l app=nginx -o name | wc -l)" -eq 0 ] || fail "pods of shop left behind"
pass "kubectl delete namespace completes and takes everything in it"

grep -E ' ERROR ' "$TMP/log" >&2 && fail "errors in the log"
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown, no errors logged"
