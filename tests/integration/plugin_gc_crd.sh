#!/usr/bin/env bash
# The garbagecollector plugin over custom resources, with kubectl: a CRD
# created after the collector started is covered without a restart; a
# Widget owning ConfigMaps deleted with --cascade=orphan loses its orphan
# finalizer and goes, its ConfigMaps released; with foreground, the
# ConfigMaps go first; in the background, after it; deleting the CRD
# ends (no Terminating for ever). And a ReplicaSet deleted with
# --cascade=orphan leaves its pods as they were: no replacement pod.
. "$(dirname "$0")/lib/common.sh"

INI_garbagecollector=$'scan_interval = 300ms' start_cplane garbagecollector replicaset

K apply -f - >/dev/null <<'YAML' || fail "create the CRD"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
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
YAML
K wait --for condition=established --timeout=60s crd/widgets.example.com >/dev/null ||
  fail "CRD not established"
wait_for_log "$TMP/log" "covering example.com/v1/widgets (Widget)" 10

uid() { K get "$1" "$2" -o jsonpath='{.metadata.uid}'; }
widget() { # NAME: a Widget
  K apply -f - >/dev/null <<EOF2 || fail "create widget $1"
{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"$1"}}
EOF2
}
owned_cm() { # NAME WIDGET BLOCK: a ConfigMap the Widget owns
  K apply -f - >/dev/null <<EOF2 || fail "create configmap $1"
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"$1","ownerReferences":[
 {"apiVersion":"example.com/v1","kind":"Widget","name":"$2","uid":"$(uid widget "$2")","blockOwnerDeletion":$3}]}}
EOF2
}
absent() { ! K get "$1" "$2" >/dev/null 2>&1; }
refs() { K get configmap "$1" -o jsonpath='{.metadata.ownerReferences}'; }
no_refs() { [ -z "$(refs "$1")" ]; }

widget w1
owned_cm o1 w1 true
owned_cm o2 w1 false
K delete widget w1 --cascade=orphan --wait=false >/dev/null || fail "delete w1"
wait_until 10 absent widget w1
K get configmap o1 o2 >/dev/null || fail "orphaned ConfigMaps were deleted"
no_refs o1 || fail "o1 still names its owner: $(refs o1)"
no_refs o2 || fail "o2 still names its owner: $(refs o2)"
expect_log "$TMP/log" "Widget default/w1: removed finalizer orphan"
pass "a custom resource deleted with --cascade=orphan goes; its ConfigMaps stay, released"

widget w2
owned_cm f1 w2 true
K delete widget w2 --cascade=foreground --wait=false >/dev/null || fail "delete w2"
wait_until 10 absent configmap f1
wait_until 10 absent widget w2
pass "--cascade=foreground deletes the ConfigMaps, then the custom resource"

widget w3
owned_cm b1 w3 false
K delete widget w3 >/dev/null || fail "delete w3"
wait_until 20 absent configmap b1
pass "a custom resource deleted in the background takes its ConfigMaps"

widget w4
owned_cm c4 w4 false
K delete widget w4 --cascade=orphan --wait=false >/dev/null || fail "delete w4"
K delete crd widgets.example.com --wait=false >/dev/null || fail "delete the CRD"
wait_until 20 absent crd widgets.example.com
K get configmap c4 >/dev/null || fail "c4, orphaned, was deleted"
pass "the CRD, with a custom resource deleted with --cascade=orphan, is deleted"

K apply -f - >/dev/null <<'YAML' || fail "create the ReplicaSet"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
YAML
three() { [ "$(K get pods -l app=web -o name | wc -l)" -eq 3 ]; }
wait_until 10 three
before=$(K get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
K delete replicaset web --cascade=orphan >/dev/null || fail "delete the ReplicaSet"
wait_until 10 absent replicaset web
sleep 1
after=$(K get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
[ "$before" = "$after" ] || fail "pods changed: before '$before', after '$after'"
[ -z "$(K get pods -l app=web -o jsonpath='{.items[*].metadata.ownerReferences}')" ] ||
  fail "orphaned pods still name the ReplicaSet"
pass "a ReplicaSet deleted with --cascade=orphan leaves its 3 pods, released, none added"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "ERROR|Sanitizer|runtime error" "$TMP/log" >&2 && fail "errors in the log"
pass "clean shutdown"
