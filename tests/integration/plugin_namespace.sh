#!/usr/bin/env bash
# The namespace plugin end to end with kubectl: `kubectl delete namespace`
# returns once the namespace and everything in it (a ConfigMap, a Secret,
# a ReplicaSet and its pods; Deployments, custom resources) are gone;
# while it terminates nothing new may be created in it (403 Forbidden);
# content held by finalizers - custom resources too - keeps it, with
# kube's conditions saying why; other namespaces are left alone.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/namespace.so" "$B/plugins/replicaset.so" \
  "$B/plugins/garbagecollector.so" "$B/plugins/deployment.so" "$TMP/plugins/"
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
[plugin.namespace]
enabled = true
[plugin.replicaset]
enabled = true
[plugin.garbagecollector]
enabled = true
[plugin.deployment]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 4 plugin(s) running"
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

# deletecollection without selectors (the namespace controller's call)
# empties a collection; it once crashed the server.
mkns q >/dev/null || fail "create namespace q"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n' |
  K apply -n q -f - >/dev/null || fail "ConfigMaps in q"
K delete --raw /api/v1/namespaces/q/configmaps >/dev/null ||
  fail "deletecollection of q's ConfigMaps"
[ "$(count configmaps q)" -eq 0 ] || fail "deletecollection left $(count configmaps q)"
pass "deletecollection empties a collection"

# Custom resources are content too: found through discovery.
cat >"$TMP/crd.yaml" <<'EOF2'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF2
K apply -f "$TMP/crd.yaml" >/dev/null || fail "create the CRD"
K wait --for=condition=Established crd/widgets.example.com --timeout=60s >/dev/null ||
  fail "CRD not Established"

# Three Deployments, a ConfigMap and a custom resource; the namespace is
# deleted 3 s later. Nothing may outlive it: once it is gone, lists in
# its name must come back empty.
mkns z >/dev/null || fail "create namespace z"
for d in d1 d2 d3; do
  sed "s/NAME/$d/g" <<'EOF2'
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  replicas: 2
  selector: {matchLabels: {app: NAME}}
  template:
    metadata: {labels: {app: NAME}}
    spec:
      containers: [{name: c, image: nginx}]
EOF2
done | K apply -n z -f - >/dev/null || fail "Deployments in z"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' |
  K apply -n z -f - >/dev/null || fail "a ConfigMap and a Widget in z"
sleep 3
K delete namespace z --wait=false >/dev/null || fail "delete namespace z"
for i in $(seq 300); do K get ns z >/dev/null 2>&1 || break; sleep 0.1; done
K get ns z >/dev/null 2>&1 && fail "namespace z still there: $(K get ns z -o yaml)"
left=$(K get deployments,replicasets,pods,configmaps,widgets -n z -o name 2>&1)
[ -z "$left" ] || fail "left behind in the deleted namespace z: $left"
pass "Deployments, a ConfigMap and a Widget are gone before their namespace"

# A custom resource held by its finalizer holds the namespace, and the
# namespace's conditions say so in kube's words.
mkns h >/dev/null || fail "create namespace h"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: held, finalizers: [example.com/hold]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' |
  K apply -n h -f - >/dev/null || fail "content of h"
K delete namespace h --wait=false >/dev/null || fail "delete namespace h"
cond() { # TYPE: status/reason/message of the namespace's condition
  K get ns h -o jsonpath="{.status.conditions[?(@.type==\"$1\")]['status','reason','message']}"
}
want_remaining="True SomeResourcesRemain Some resources are remaining: widgets.example.com has 1 resource instances"
for i in $(seq 100); do
  [ "$(cond NamespaceContentRemaining)" = "$want_remaining" ] && break; sleep 0.1
done
[ "$(cond NamespaceContentRemaining)" = "$want_remaining" ] ||
  fail "NamespaceContentRemaining: $(cond NamespaceContentRemaining)"
[ "$(cond NamespaceFinalizersRemaining)" = "True SomeFinalizersRemain Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances" ] ||
  fail "NamespaceFinalizersRemaining: $(cond NamespaceFinalizersRemaining)"
[ "$(cond NamespaceDeletionDiscoveryFailure)" = "False ResourcesDiscovered All resources successfully discovered" ] ||
  fail "NamespaceDeletionDiscoveryFailure: $(cond NamespaceDeletionDiscoveryFailure)"
[ "$(cond NamespaceDeletionContentFailure)" = "False ContentDeleted All content successfully deleted, may be waiting on finalization" ] ||
  fail "NamespaceDeletionContentFailure: $(cond NamespaceDeletionContentFailure)"
[ "$(count configmaps h)" -eq 0 ] || fail "h's ConfigMap is still there"
[ -n "$(K get widget held -n h -o jsonpath='{.metadata.deletionTimestamp}')" ] ||
  fail "the held Widget was not deleted"
sleep 1
[ "$(K get ns h -o jsonpath='{.status.phase}')" = Terminating ] ||
  fail "namespace h went before its held Widget"
pass "a held Widget keeps its namespace Terminating, with kube's conditions"
K patch widget held -n h --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null ||
  fail "release the held Widget"
K wait --for=delete namespace/h --timeout=30s >/dev/null 2>&1 ||
  fail "namespace h still there: $(K get ns h -o yaml 2>&1)"
pass "released, the Widget goes and then its namespace"

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
