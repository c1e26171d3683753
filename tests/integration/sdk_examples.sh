#!/usr/bin/env bash
# The SDK's example controllers (sdk/examples/) on the real daemon with the
# embedded API server, the deployment and replicaset plugins, and kubectl:
# done-after-delay waits for its CRD (task-crd.yaml), then a Task gets its
# finalizer, turns Done after spec.delaySeconds and is gone
# spec.deleteAfterSeconds later, with Done and Deleting events;
# configmap-hash puts the ConfigMap's hash in a Deployment's pod template,
# and an edit of the ConfigMap changes it and brings a new ReplicaSet.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/replicaset.so" "$B/plugins/deployment.so" \
  "$B/plugins/configmap-hash.so" "$B/plugins/done-after-delay.so" \
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
[plugin.deployment]
enabled = true
[plugin.configmap-hash]
enabled = true
[plugin.done-after-delay]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for_log "$TMP/log" "ready: 3 plugin(s) running, 1 waiting for a resource" 30
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

# until_ok SECONDS CMD...: runs CMD (a function too) every 0.2 s until it
# succeeds; 1 when it never did.
until_ok() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# ---- done-after-delay ---------------------------------------------------
K apply -f "$ROOT/sdk/examples/task-crd.yaml" >/dev/null || fail "create the Task CRD"
K wait --for=condition=Established crd/tasks.example.cplane.io --timeout=60s >/dev/null ||
  fail "the Task CRD is not established"
wait_for_log "$TMP/log" "done-after-delay: started" 30
# The schema bounds the delays: a bad one is refused by the API server.
if out=$(printf '%s' '{"apiVersion":"example.cplane.io/v1","kind":"Task",
  "metadata":{"name":"bad"},"spec":{"delaySeconds":-1}}' | K create -f - 2>&1); then
  fail "a negative delay was accepted: $out"
fi
grep -F 'spec.delaySeconds' <<<"$out" >/dev/null || fail "the refusal does not name the field: $out"
start=$(date +%s)
printf '%s' '{"apiVersion":"example.cplane.io/v1","kind":"Task",
  "metadata":{"name":"t1"},"spec":{"delaySeconds":2,"deleteAfterSeconds":5}}' |
  K create -f - >/dev/null || fail "create Task t1"
has_finalizer() { # $1: task
  [ "$(K get task "$1" -o jsonpath='{.metadata.finalizers[0]}')" = example.cplane.io/cleanup ]
}
until_ok 10 has_finalizer t1 ||
  fail "t1 has no finalizer: $(K get task t1 -o json)"
# (Not Done before its delay: checked by the time below, as a check of the
# conditions here could race the 2 s on a loaded machine.)
K wait --for=condition=Done task/t1 --timeout=60s >/dev/null ||
  fail "t1 never Done: $(K get task t1 -o json)"
done_at=$(date +%s)
[ $((done_at - start)) -ge 2 ] || fail "t1 Done after $((done_at - start))s, before its 2s delay"
[ "$(K get task t1 -o jsonpath='{.status.conditions[0].reason}')" = DelayElapsed ] ||
  fail "reason: $(K get task t1 -o json)"
pass "a Task gets the finalizer, then Done after its delay (status subresource)"
K wait --for=delete task/t1 --timeout=30s >/dev/null 2>&1 ||
  fail "t1 was not deleted: $(K get task t1 -o json 2>&1)"
reasons=$(K get events --field-selector involvedObject.name=t1 \
  -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}' | sort | tr '\n' ' ')
[ "$reasons" = "Deleting Done " ] || fail "events about t1: '$reasons'"
pass "the Done Task is deleted after deleteAfterSeconds, finalizer removed; events Done, Deleting"

# A Task deleted early loses the finalizer and goes at once.
printf '%s' '{"apiVersion":"example.cplane.io/v1","kind":"Task",
  "metadata":{"name":"t2"},"spec":{"delaySeconds":3600}}' |
  K create -f - >/dev/null || fail "create Task t2"
until_ok 10 has_finalizer t2 ||
  fail "t2 has no finalizer"
K delete task t2 --timeout=20s >/dev/null || fail "t2 was not deleted: $(K get task t2 -o json 2>&1)"
pass "a Task deleted before Done is let go by the finalizer"

# ---- configmap-hash -----------------------------------------------------
K create configmap web-config --from-literal=greeting=hello >/dev/null || fail "create configmap"
cat <<'YAML' | K create -f - >/dev/null || fail "create deployment"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {example.cplane.io/configmap: web-config}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
YAML
hash() { # $1: deploy/web or a replicaset
  K get "${1:-deploy/web}" -o jsonpath='{.spec.template.metadata.annotations.example\.cplane\.io/config-hash}'
}
hash_is_not() { [ "$(hash)" != "$1" ]; }
replicasets_at_least() { [ "$(K get rs -l app=web -o name | wc -l)" -ge "$1" ]; }
until_ok 20 hash_is_not "" ||
  fail "no config-hash in the pod template: $(K get deploy web -o json)"
h1=$(hash)
until_ok 20 replicasets_at_least 1 ||
  fail "no ReplicaSet for web"
rs1=$(K get rs -l app=web -o name | sort)
pass "the Deployment's pod template carries the ConfigMap hash ($h1)"

K patch configmap web-config --type merge -p '{"data":{"greeting":"bonjour"}}' >/dev/null ||
  fail "edit configmap"
until_ok 20 hash_is_not "$h1" ||
  fail "the hash did not change: $(K get deploy web -o json)"
h2=$(hash)
until_ok 20 replicasets_at_least 2 ||
  fail "no new ReplicaSet after the edit: $(K get rs -o wide)"
new=$(K get rs -l app=web -o name | sort | comm -13 <(echo "$rs1") -)
[ "$(hash "$new")" = "$h2" ] ||
  fail "the new ReplicaSet $new has not the new hash $h2"
# One Event per hash: the message names it, so they do not aggregate.
msgs=$(K get events --field-selector involvedObject.name=web,reason=ConfigHashChanged \
  -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | sort | tr '\n' ' ')
[ "$msgs" = "$(printf '%s\n' "ConfigMap web-config has hash $h1" \
  "ConfigMap web-config has hash $h2" | sort | tr '\n' ' ')" ] ||
  fail "ConfigHashChanged events: '$msgs'"
pass "editing the ConfigMap changes the hash ($h2) and rolls out a new ReplicaSet"

# The same data again (a no-op edit) writes nothing.
rv=$(K get deploy web -o jsonpath='{.metadata.resourceVersion}')
K annotate configmap web-config touched=yes >/dev/null
sleep 1
[ "$(K get deploy web -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ] ||
  fail "an edit keeping the data wrote the Deployment: $(K get deploy web -o json)"
# Neither logged a warning (a failed write, a write from a callback).
if grep -E "(WARN|ERROR) +(configmap-hash|done-after-delay):" "$TMP/log" >/dev/null; then
  fail "the examples logged warnings: $(grep -E 'configmap-hash|done-after-delay' "$TMP/log")"
fi
pass "an edit that keeps the data keeps the hash"

# A clean stop: under ASan, the plugins' leaks are checked at exit.
kill -TERM "$pid"
wait_exit "$pid" 30; rc=$RC
[ "$rc" -eq 0 ] || { tail -50 "$TMP/log"; fail "cplane exited with $rc"; }
pass "the host stops cleanly with the examples running"
echo "sdk_examples: 7 passed, 0 failed"
