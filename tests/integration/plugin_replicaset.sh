#!/usr/bin/env bash
# The replicaset and garbagecollector plugins end to end with kubectl: a
# ReplicaSet gets its pods (owned, labelled from the template), scales up
# and down, replaces a deleted pod, reports status; deleting it takes its
# pods along (Background, Foreground) or leaves them ownerless (Orphan).
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/replicaset.so" "$B/plugins/garbagecollector.so" \
  "$TMP/plugins/"
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
[plugin.replicaset]
enabled = true
workers = 2
[plugin.garbagecollector]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 2 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
pods() { K get pods -l "app=${APP:-web}" -o name | wc -l; }
wait_pods() { # N
  local i
  for i in $(seq 100); do [ "$(pods)" -eq "$1" ] && return 0; sleep 0.1; done
  K get pods -o wide >&2; tail -20 "$TMP/log" >&2
  fail "expected $1 pods, have $(pods)"
}
cat <<'EOF2' | K apply -f - >/dev/null || fail "apply rs"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx}]
EOF2
wait_pods 3
owner=$(K get pods -l app=web -o jsonpath='{.items[0].metadata.ownerReferences[0].name}')
[ "$owner" = web ] || fail "pods not owned by the ReplicaSet: $owner"
sleep 1
[ "$(pods)" -eq 3 ] || fail "more than 3 pods: $(pods) (double creation)"
for i in $(seq 300); do
  [ "$(K get rs web -o jsonpath='{.status.replicas}')" = 3 ] && break; sleep 0.1
done
[ "$(K get rs web -o jsonpath='{.status.replicas}/{.status.observedGeneration}')" = 3/1 ] ||
  fail "status: $(K get rs web -o jsonpath='{.status}')"
pass "a ReplicaSet gets exactly its replicas, owned and labelled"

K scale rs web --replicas=6 >/dev/null || fail "scale up"
wait_pods 6
K scale rs web --replicas=2 >/dev/null || fail "scale down"
wait_pods 2
pass "scale up and down"

victim=$(K get pods -l app=web -o jsonpath='{.items[0].metadata.name}'); victim=pod/$victim
K delete "$victim" --wait=false >/dev/null || fail "delete a pod"
sleep 0.5
wait_pods 2
K get "$victim" >/dev/null 2>&1 && fail "the deleted pod is back"
pass "a deleted pod is replaced"

K apply -f - >/dev/null <<'EOF2' || fail "create an orphan pod"
apiVersion: v1
kind: Pod
metadata: {name: stray, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
EOF2
K scale rs web --replicas=3 >/dev/null || fail "scale to 3"
for i in $(seq 100); do
  [ "$(K get pod stray -o jsonpath='{.metadata.ownerReferences[0].name}')" = web ] && break
  sleep 0.1
done
[ "$(K get pod stray -o jsonpath='{.metadata.ownerReferences[0].controller}')" = true ] ||
  fail "the matching orphan was not adopted"
sleep 0.5
wait_pods 3
pass "a matching orphan is adopted (and counted: no extra pod)"

K label pod stray app=other --overwrite >/dev/null || fail "relabel"
for i in $(seq 100); do
  [ -z "$(K get pod stray -o jsonpath='{.metadata.ownerReferences[*].uid}')" ] && break
  sleep 0.1
done
[ -z "$(K get pod stray -o jsonpath='{.metadata.ownerReferences[*].uid}')" ] ||
  fail "a pod that stopped matching was not released"
wait_pods 3
K delete pod stray --wait=false >/dev/null
pass "a pod that stops matching is released and replaced"

K delete rs web >/dev/null || fail "delete rs (Background)"
wait_pods 0
pass "Background: deleting a ReplicaSet deletes its pods"

mkrs() { # NAME
  sed "s/web/$1/g" <<'EOF2' | K apply -f - >/dev/null || fail "apply rs $1"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx}]
EOF2
}
APP=orph; mkrs orph; wait_pods 2
K delete rs orph --cascade=orphan --wait=false >/dev/null || fail "orphan delete"
for i in $(seq 100); do K get rs orph >/dev/null 2>&1 || break; sleep 0.1; done
K get rs orph >/dev/null 2>&1 && fail "the orphaned ReplicaSet stays"
sleep 1
[ "$(pods)" -eq 2 ] || fail "orphan deleted the pods"
[ -z "$(K get pods -l app=orph -o jsonpath='{.items[*].metadata.ownerReferences[*].uid}')" ] ||
  fail "orphans keep their ownerReferences"
pass "Orphan: the pods stay, without their owner"

APP=fg; mkrs fg; wait_pods 2
K delete rs fg --cascade=foreground >/dev/null || fail "foreground delete"
[ "$(pods)" -eq 0 ] || fail "foreground delete returned before the pods went"
K get rs fg >/dev/null 2>&1 && fail "the ReplicaSet outlived its foreground delete"
pass "Foreground: the pods go first, then the ReplicaSet"

# minReadySeconds: a pod counts as available only once it has been Ready
# that long, and the status catches up with nothing else changing.
sed 's/replicas: 2/replicas: 1\n  minReadySeconds: 5/' <<'EOF2' | K apply -f - >/dev/null || fail "apply rs slow"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: slow}
spec:
  replicas: 2
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec:
      containers: [{name: c, image: nginx}]
EOF2
APP=slow; wait_pods 1
pod=$(K get pods -l app=slow -o jsonpath='{.items[0].metadata.name}')
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t0=$(date +%s%N)
K patch pod "$pod" --subresource=status --type=merge -p "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}]}}" >/dev/null ||
  fail "mark the pod Ready"
rs_status() { K get rs slow -o jsonpath='{.status.readyReplicas}/{.status.availableReplicas}'; }
# Ready at once, available only minReadySeconds (5 s) after the pod's
# lastTransitionTime: 1/0 is expected while under 5 s have passed (a
# loaded machine may see the status first after them, and then 1/1 is
# right), 1/1 before them is the error.
for i in $(seq 300); do
  st=$(rs_status)
  [ "$st" = 1/0 ] || [ "$st" = 1/1 ] && break
  sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
case "$st" in
1/0) ;;
1/1) [ "$ms" -ge 4000 ] || fail "available ${ms} ms after Ready, before minReadySeconds (5 s)" ;;
*) fail "ready but not yet available: want 1/0, have $st" ;;
esac
for i in $(seq 300); do [ "$(rs_status)" = 1/1 ] && break; sleep 0.1; done
[ "$(rs_status)" = 1/1 ] || fail "available after minReadySeconds: want 1/1, have $(rs_status)"
pass "minReadySeconds: ready at once, available 5 s later"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
