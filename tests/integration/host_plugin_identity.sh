#!/usr/bin/env bash
# Each plugin calls the API as its own user (host/plugin/identity.h) and
# writes only what it declares (host/plugin/confine.h). With
# plugin_credentials = own the host issues each plugin a client
# certificate for system:serviceaccount:kube-system:<plugin>: the mirror
# fixture, granted configmap writes by an [authz.*] rule naming that user,
# works; the sneaky fixture, once its derived role is narrowed to reads,
# is refused by the API server with a 403 naming its own user (not the
# host's); and its Secret, which
# it neither watches nor declares, is refused by the host itself under
# confine_plugins = true (logged, counted in /metrics) before any
# request. An in-tree plugin (replicaset) works through its bootstrap
# role system:controller:replicaset, bound to its ServiceAccount.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/tests/plugins/mirror.so" "$B/tests/plugins/sneaky.so" \
  "$B/plugins/replicaset.so" "$plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $plugins
listen = 127.0.0.1:0
plugin_credentials = own
confine_plugins = true
[apiserver]
port = 0
disable_admission_plugins = ServiceAccount
[authz.mirror]
users = system:serviceaccount:kube-system:mirror
verbs = create, patch, delete
resources = configmaps
[plugin.mirror]
enabled = true
[plugin.sneaky]
enabled = true
[plugin.replicaset]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 3 plugin(s) running" 30
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

for p in mirror sneaky replicaset; do
  wait_for_log "$TMP/log" "plugin $p calls the API as system:serviceaccount:kube-system:$p"
  K -n kube-system get sa "$p" >/dev/null || fail "no ServiceAccount kube-system/$p"
done
# Third-party plugins get a role from their descriptor; in-tree ones
# their bootstrap role, bound to the same user.
K get clusterrole cplane:plugin:sneaky -o json |
  jq -e '.rules[] | select(.resources == ["configmaps"]) | .verbs == ["get","list","watch","create","update","patch","delete","deletecollection"]' >/dev/null ||
  fail "cplane:plugin:sneaky: $(K get clusterrole cplane:plugin:sneaky -o json)"
K get clusterrolebinding cplane:plugin:sneaky -o json |
  jq -e '.subjects[0] | .kind == "ServiceAccount" and .name == "sneaky" and .namespace == "kube-system"' >/dev/null ||
  fail "cplane:plugin:sneaky binding"
if K get clusterrole cplane:plugin:replicaset >/dev/null 2>&1; then
  fail "an in-tree plugin got a derived role"
fi
K get clusterrolebinding system:controller:replicaset -o json |
  jq -e '.subjects[0].name == "replicaset"' >/dev/null || fail "bootstrap binding"
[ "$(K auth can-i create pods --as system:serviceaccount:kube-system:replicaset)" = yes ] ||
  fail "replicaset's user cannot create pods"
pass "ServiceAccounts, derived role and bootstrap binding per plugin"

# The wait for the authorizer to see the new bindings (its watch).
for i in $(seq 300); do
  [ "$(K auth can-i create configmaps --as system:serviceaccount:kube-system:mirror)" = yes ] && break
  sleep 0.1
done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src, labels: {mirror: "yes"}}\ndata: {a: "1"}\n' |
  K create -f - >/dev/null || fail "create src"
wait_for_log "$TMP/log" "mirror default/src -> src-mirror: 201"
pass "a plugin granted by a rule naming its own user writes"

# The derived role lets sneaky write what it watches; narrowed to reads
# (the host rewrites it only at load), the API server judges its user.
K patch clusterrole cplane:plugin:sneaky --type=json -p '[{"op":"replace","path":"/rules","value":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch"]}]}]' >/dev/null ||
  fail "narrow sneaky's role"
for i in $(seq 300); do
  [ "$(K auth can-i create configmaps --as system:serviceaccount:kube-system:sneaky)" = no ] && break
  sleep 0.1
done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s, labels: {sneak: "yes"}}\n' |
  K create -f - >/dev/null || fail "create s"
wait_for_log "$TMP/log" "sneaky configmap default/s-copy: 403"
expect_log "$TMP/log" 'sneaky configmap default/s-copy: 403 configmaps is forbidden: User "system:serviceaccount:kube-system:sneaky" cannot create resource "configmaps"'
if K get cm s-copy >/dev/null 2>&1; then fail "sneaky wrote as the host"; fi
pass "a plugin whose role lacks a write gets 403 as its own user"

wait_for_log "$TMP/log" "sneaky secret default/s-secret: 403"
expect_log "$TMP/log" "plugin sneaky may not create secrets: it neither watches nor declares it"
if K get secret s-secret >/dev/null 2>&1; then fail "an undeclared write went through"; fi
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
curl -s "$health/metrics" | grep -x 'cplane_plugin_confined_writes_total{plugin="sneaky"} 1' >/dev/null ||
  fail "metrics: $(curl -s "$health/metrics" | grep confined)"
curl -s "$health/metrics" | grep -x 'cplane_plugin_confined_writes_total{plugin="mirror"} 0' >/dev/null ||
  fail "mirror confined"
pass "confine_plugins refuses an undeclared write in the host, counted"

cat <<YAML | K create -f - >/dev/null || fail "create rs"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
YAML
for i in $(seq 100); do
  [ "$(K get rs web -o jsonpath='{.status.replicas}')" = 2 ] && break
  sleep 0.1
done
[ "$(K get pods -l app=web -o name | wc -l)" = 2 ] || fail "replicaset made no pods: $(cat "$TMP/log")"
[ "$(K get rs web -o jsonpath='{.status.replicas}')" = 2 ] || fail "rs status"
pass "an in-tree plugin works through its bootstrap role"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 15
[ "$RC" = 0 ] || fail "exit status $RC"
if grep -q "ERROR" "$TMP/log"; then fail "errors: $(grep ERROR "$TMP/log")"; fi
