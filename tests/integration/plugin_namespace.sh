#!/usr/bin/env bash
# The namespace plugin end to end with kubectl: `kubectl delete namespace`
# returns once the namespace and everything in it (a ConfigMap, a Secret,
# a ReplicaSet and its pods) are gone; while it terminates nothing new may
# be created in it (403 Forbidden); other namespaces are left alone.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/namespace.so" "$B/plugins/replicaset.so" \
  "$B/plugins/garbagecollector.so" "$TMP/plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.namespace]
enabled = true
[plugin.replicaset]
enabled = true
[plugin.garbagecollector]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 3 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
# kubectl create sends protobuf, which the API server does not read.
mkns() { printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: "%s"}\n' "$1" | K apply -f -; }
KINDS=pods,configmaps,secrets,replicasets
count() { # RESOURCE NS: how many there are
  K get "$1" -n "$2" -o name 2>/dev/null | wc -l
}

mkns x >/dev/null || fail "create namespace"
[ "$(K get ns x -o jsonpath='{.spec.finalizers}/{.status.phase}')" = '["kubernetes"]/Active' ] ||
  fail "a new namespace: $(K get ns x -o jsonpath='{.spec}{.status}')"
cat <<'EOF2' | K apply -n x -f - >/dev/null || fail "apply the namespace's content"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {t: s3cret}
---
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
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n' |
  K apply -n default -f - >/dev/null || fail "a ConfigMap in default"
for i in $(seq 100); do [ "$(count pods x)" -eq 3 ] && break; sleep 0.1; done
[ "$(count pods x)" -eq 3 ] || fail "the ReplicaSet has $(count pods x) pods, want 3"
pass "namespace x holds a ConfigMap, a Secret and a ReplicaSet with 3 pods"

# Hold the namespace Terminating with a finalizer of our own, to see
# what a terminating namespace refuses.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\n' |
  K apply -n x -f - >/dev/null || fail "a held ConfigMap"
K delete namespace x --wait=false >/dev/null || fail "delete namespace (no wait)"
[ "$(K get ns x -o jsonpath='{.status.phase}')" = Terminating ] ||
  fail "phase after delete: $(K get ns x -o jsonpath='{.status.phase}')"
out=$(K create configmap late -n x --from-literal=a=b 2>&1) &&
  fail "created a ConfigMap in a terminating namespace"
case "$out" in
*"unable to create new content in namespace x because it is being terminated"*) ;;
*) fail "create in a terminating namespace: $out" ;;
esac
out=$(printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: late}\n' |
  K apply -n x -f - 2>&1) && fail "applied a Secret in a terminating namespace"
case "$out" in
*Forbidden*"unable to create new content in namespace x because it is being terminated"*) ;;
*) fail "apply in a terminating namespace: $out" ;;
esac
pass "a terminating namespace refuses new content (403 Forbidden)"

# Everything but the held ConfigMap goes; the namespace waits for it.
for i in $(seq 100); do
  [ "$(count $KINDS x)" -eq 1 ] && break; sleep 0.1
done
[ "$(K get $KINDS -n x -o name 2>/dev/null)" = configmap/held ] ||
  fail "left in x: $(K get $KINDS -n x -o name 2>&1)"
sleep 1
[ "$(K get ns x -o jsonpath='{.status.phase}')" = Terminating ] ||
  fail "the namespace went before its last object"
pass "the namespace is emptied and waits for an object's finalizers"

K patch cm held -n x --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null ||
  fail "release the held ConfigMap"
K wait --for=delete namespace/x --timeout=60s >/dev/null 2>&1 ||
  fail "namespace x still there: $(K get ns x -o yaml 2>&1)"
pass "then finalized and deleted"

# The whole path once more, as a user runs it: one delete that waits.
mkns y >/dev/null || fail "create namespace y"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n' |
  K apply -n y -f - >/dev/null || fail "content of y"
sed 's/web/api/g' <<'EOF2' | K apply -n y -f - >/dev/null || fail "apply rs in y"
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
for i in $(seq 100); do [ "$(count pods y)" -eq 3 ] && break; sleep 0.1; done
[ "$(count pods y)" -eq 3 ] || fail "y has $(count pods y) pods, want 3"
K delete namespace y --timeout=60s >/dev/null || fail "kubectl delete namespace y"
K get ns y >/dev/null 2>&1 && fail "namespace y outlived kubectl delete"
for r in pods configmaps secrets replicasets; do
  [ "$(K get "$r" -A -o jsonpath="{.items[?(@.metadata.namespace=='y')].metadata.name}")" = "" ] ||
    fail "$r left in y"
done
grep -q "namespace y: emptied and finalized" "$TMP/log" || fail "no INFO line for y"
pass "kubectl delete namespace y returns with y and its content gone"

[ "$(K get ns default -o jsonpath='{.status.phase}')" = Active ] || fail "default not Active"
K get cm keep -n default >/dev/null || fail "default lost its ConfigMap"
K delete namespace default >/dev/null 2>&1 && fail "deleted namespace default"
mkns x >/dev/null || fail "recreate namespace x"
[ "$(count $KINDS x)" -eq 0 ] || fail "a new x has old content"
pass "default is untouched and undeletable; a new x starts empty"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
