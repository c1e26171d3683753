#!/usr/bin/env bash
# What the per-kind strategies give kubectl: `kubectl get all` lists the
# kinds kube puts in "all" (pods, deployments, replicasets among ours)
# and not the others; a patch that changes nothing is "(no change)"; a
# ConfigMap has no metadata.generation; a Deployment whose selector does
# not match its template is refused with kube's words; kube-node-lease
# comes back after it is deleted.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

K create deployment web --image=nginx >/dev/null || fail "create deployment"
K create configmap cfg --from-literal=a=b >/dev/null || fail "create cm"
K run p1 --image=nginx >/dev/null || fail "run pod"
out=$(K get all 2>&1) || fail "get all: $out"
grep -q '^deployment.apps/web' <<<"$out" || fail "get all, no deployment: $out"
grep -q '^pod/p1' <<<"$out" || fail "get all, no pod: $out"
if grep -q configmap <<<"$out"; then fail "get all lists configmaps: $out"; fi
pass "kubectl get all"

rv=$(K get cm cfg -o jsonpath='{.metadata.resourceVersion}')
out=$(K patch cm cfg --type=merge -p '{"data":{"a":"b"}}' 2>&1) ||
  fail "no-op patch: $out"
grep -q '(no change)' <<<"$out" || fail "no-op patch: $out"
[ "$(K get cm cfg -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ] ||
  fail "a no-op patch wrote"
[ -z "$(K get cm cfg -o jsonpath='{.metadata.generation}')" ] ||
  fail "a ConfigMap has a generation"
[ "$(K get deploy web -o jsonpath='{.metadata.generation}')" = 1 ] ||
  fail "a Deployment has no generation 1"
pass "no-op patch and generation"

cat >"$TMP/bad.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: other}}
    spec: {containers: [{name: c, image: nginx}]}
YAML
out=$(K apply -f "$TMP/bad.yaml" 2>&1) && fail "mismatched selector applied"
grep -qF 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`' <<<"$out" ||
  fail "mismatched selector: $out"
pass "selector must match the template"

K delete ns kube-node-lease --wait=false >/dev/null || fail "delete kube-node-lease"
K get ns kube-node-lease -o json |
  jq '.spec.finalizers = []' >"$TMP/fin.json" || fail "get kube-node-lease"
K replace --raw /api/v1/namespaces/kube-node-lease/finalize -f "$TMP/fin.json" \
  >/dev/null || fail "finalize kube-node-lease"
phase=$(K get ns kube-node-lease -o jsonpath='{.status.phase}' 2>&1)
[ "$phase" = Active ] || fail "kube-node-lease not recreated: $phase"
pass "kube-node-lease recreated"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
