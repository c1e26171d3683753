#!/usr/bin/env bash
# Deleting a CRD with kubectl waits for its custom resources, as kube's
# customresourcecleanup.apiextensions.k8s.io finalizer does: the CRD stays
# (deletionTimestamp, Terminating) while a resource's own finalizer holds
# that resource, new resources are refused, and the CRD goes once the
# last resource is gone.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
port = 0
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

cat >"$TMP/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
install_crd widgets.example.com 10 <"$TMP/crd.yaml"
got=$(K get crd widgets.example.com -o jsonpath='{.metadata.finalizers}')
[ "$got" = '["customresourcecleanup.apiextensions.k8s.io"]' ] ||
  fail "CRD finalizers: $got"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\n' |
  K create -f - >/dev/null || fail "create w1"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2, finalizers: [example.com/hold]}\n' |
  K create -f - >/dev/null || fail "create w2"
pass "a CRD gets the cleanup finalizer"

K delete crd widgets.example.com --wait=false >/dev/null || fail "delete CRD"
got=$(K get crd widgets.example.com -o jsonpath='{.metadata.deletionTimestamp}')
[ -n "$got" ] || fail "no deletionTimestamp on the deleted CRD"
got=$(K get crd widgets.example.com \
  -o jsonpath='{.status.conditions[?(@.type=="Terminating")].reason}')
[ "$got" = InstanceDeletionInProgress ] || fail "Terminating condition: $got"
out=$(printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w3}\n' |
  K create -f - 2>&1) && fail "w3 created while the CRD terminates: $out"
grep "create not allowed while custom resource definition is terminating" \
  <<<"$out" >/dev/null || fail "create while terminating: $out"
pass "a deleted CRD stays, terminating, and refuses new resources"

gone=0
for ((i = 0; i < 300; i++)); do
  out=$(K get wd w1 2>&1) || { gone=1; break; }
  sleep 0.1
done
[ "$gone" = 1 ] || fail "w1 still there 30 s after the CRD was deleted: $out"
grep NotFound <<<"$out" >/dev/null || fail "get w1: $out"
got=$(K get wd w2 -o jsonpath='{.metadata.deletionTimestamp}')
[ -n "$got" ] || fail "w2 is not being deleted"
sleep 1.5 # a cleanup pass or more: w2's finalizer still holds the CRD
got=$(K get crd widgets.example.com -o jsonpath='{.metadata.name}')
[ "$got" = widgets.example.com ] || fail "the CRD went while w2 was held"
pass "the cleanup deletes the free resource and marks the held one"

K patch wd w2 --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null ||
  fail "remove w2's finalizer"
gone=0
for ((i = 0; i < 300; i++)); do
  out=$(K get crd widgets.example.com 2>&1) || { gone=1; break; }
  sleep 0.1
done
[ "$gone" = 1 ] || fail "the CRD is still there 30 s after w2 was released"
grep NotFound <<<"$out" >/dev/null || fail "get crd: $out"
out=$(K get wd 2>&1) && fail "widgets still served after the CRD went: $out"
wait_for_log "$TMP/log" "customresourcedefinition widgets.example.com terminating"
wait_for_log "$TMP/log" "customresourcedefinition widgets.example.com: cleanup finished, 2 custom resource(s) deleted"
pass "once its last resource is gone the CRD goes and its type with it"
