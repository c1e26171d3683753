#!/usr/bin/env bash
# A plugin's own identity where the host has no CA key to issue it a
# certificate (host/plugin/identity.h, identity_token.h): it gets a
# ServiceAccount token of kube-system/<plugin> by TokenRequest, as
# kube-controller-manager does.
# 1. An isolated plugin (isolation = process): its child process reaches
#    the API through the admin kubeconfig only. The sneaky fixture's copy
#    is written (201) through its derived role; once that role is
#    narrowed, the API server refuses it with a 403 naming its own user,
#    and confine_plugins refuses its undeclared Secret inside the child.
#    After a crash (SIGKILL of the child) and a hot upgrade (a new .so
#    and SIGHUP) the new child calls as the plugin again.
# 2. A host started with only a kubeconfig to a separately started API
#    server: the in-process sneaky plugin writes as its ServiceAccount
#    (201, then the 403 naming its user once its role is narrowed).
. "$(dirname "$0")/lib/common.sh"

USER_RE='User "system:serviceaccount:kube-system:sneaky" cannot create resource "configmaps"'
plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/tests/plugins/sneaky.so" "$plugins/"

# sneak NAME: a ConfigMap the sneaky fixture copies.
sneak() {
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, labels: {sneak: "yes"}}\n' "$1"
}
# can_create ANSWER KUBECTL...: sneaky's user may create configmaps (yes/no).
can_create() {
  local want=$1
  shift
  [ "$("$@" auth can-i create configmaps --as system:serviceaccount:kube-system:sneaky 2>/dev/null)" = "$want" ]
}
# narrow KUBECTL...: sneaky's derived role down to reads, and wait until
# the authorizer sees it.
narrow() {
  "$@" patch clusterrole cplane:plugin:sneaky --type=json -p '[{"op":"replace","path":"/rules","value":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch"]}]}]' >/dev/null ||
    fail "narrow sneaky's role"
  wait_until 10 can_create no "$@"
}
child_pid() {
  grep -o '^plugin sneaky\[[0-9]*\]| .*calls the API as' "$TMP/log" | tail -1 |
    sed 's/^plugin sneaky\[\([0-9]*\)\].*/\1/'
}
# token_lines N: the host has given a child its own token N times or
# more, and the last child says it calls with it.
token_lines() {
  [ "$(grep -c "plugin sneaky's process calls the API as system:serviceaccount:kube-system:sneaky (ServiceAccount token, 3600 s; $TMP/data/isolated/sneaky/kubeconfig)" "$TMP/log")" -ge "$1" ] &&
    [ "$(grep -c "^plugin sneaky\[[0-9]*\]| .*plugin sneaky calls the API as system:serviceaccount:kube-system:sneaky (its host's ServiceAccount token, kubeconfig $TMP/data/isolated/sneaky/kubeconfig)" "$TMP/log")" -ge "$1" ]
}

# ---- 1. isolated, embedded API server -----------------------------------
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
audit_policy_file = $TMP/audit-policy.yaml
audit_log_path = $TMP/audit.log
[plugin.sneaky]
enabled = true
isolation = process
INI
printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: "", resources: [configmaps]}]\n' >"$TMP/audit-policy.yaml"
# KUBECONFIG in the host's environment must not reach the child.
KUBECONFIG="$TMP/data/admin.kubeconfig" "$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
host=$!
PIDS+=("$host")
wait_until 30 token_lines 1
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
K -n kube-system get sa sneaky >/dev/null || fail "no ServiceAccount kube-system/sneaky"
K get clusterrolebinding cplane:plugin:sneaky >/dev/null || fail "no binding"
wait_until 10 can_create yes K
sneak s0 | K create -f - >/dev/null || fail "create s0"
wait_for_log "$TMP/log" "sneaky configmap default/s0-copy: 201"
K get cm s0-copy >/dev/null || fail "no s0-copy"
pass "an isolated plugin's child gets its ServiceAccount's token and writes"

# What the child holds: its own kubeconfig (0600, in a 0700 directory),
# never the admin's: not on its command line, not in its environment, and
# its list and watch arrive as the plugin too (the audit log's user).
own="$TMP/data/isolated/sneaky"
pid=$(child_pid)
[ -n "$pid" ] || fail "no child pid in the log"
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
case "$cmdline" in
*"--kubeconfig $own/kubeconfig "*) ;;
*) fail "the child's command line lacks its own kubeconfig: $cmdline" ;;
esac
case "$cmdline" in *admin.kubeconfig*) fail "the child was given the admin kubeconfig: $cmdline" ;; esac
if tr '\0' '\n' <"/proc/$pid/environ" | grep '^KUBECONFIG=' >/dev/null; then fail "the child inherited KUBECONFIG"; fi
for f in "$own" "$own/token" "$own/kubeconfig" "$own/ca.crt"; do
  m=$(stat -c %a "$f")
  { [ -d "$f" ] && [ "$m" = 700 ]; } || { [ -f "$f" ] && [ "$m" = 600 ]; } || fail "$f has mode $m"
done
if grep -l "$(cat "$TMP/data/admin.kubeconfig" | grep -o 'token: .*' | sed 's/token: //')" "$own"/* >/dev/null 2>&1; then
  fail "the admin's token is in the child's directory"
fi
# The child keeps no capability and cannot gain one.
grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$pid/status" || fail "the child has capabilities: $(grep Cap "/proc/$pid/status")"
grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status" || fail "no_new_privs is not set in the child"
# kubectl reads the child's kubeconfig (tokenFile) as the child does.
[ "$(kubectl --kubeconfig "$own/kubeconfig" --cache-dir "$TMP/cache-own" auth whoami -o jsonpath='{.status.userInfo.username}')" = system:serviceaccount:kube-system:sneaky ] ||
  fail "the child's kubeconfig is not the plugin's user"
watched_as_sneaky() {
  grep '"verb":"watch"' "$TMP/audit.log" | grep '"resource":"configmaps"' |
    grep '"username":"system:serviceaccount:kube-system:sneaky"' >/dev/null
}
wait_until 10 watched_as_sneaky || fail "no watch of configmaps by the plugin's user in the audit log"
# Nothing else lists or watches configmaps here (the host runs no
# in-process plugin): every list and watch is the child's.
if grep '"resource":"configmaps"' "$TMP/audit.log" | grep '"verb":"\(list\|watch\)"' |
  grep -v '"username":"system:serviceaccount:kube-system:sneaky"' | grep . >/dev/null; then
  fail "the child's informer listed or watched as another user"
fi
pass "the child holds only its own credential: informers and writes as the plugin"

narrow K
sneak s1 | K create -f - >/dev/null || fail "create s1"
wait_for_log "$TMP/log" "sneaky configmap default/s1-copy: 403"
expect_log "$TMP/log" "^plugin sneaky\[[0-9]*\]| .*sneaky configmap default/s1-copy: 403 configmaps is forbidden: $USER_RE"
if K get cm s1-copy >/dev/null 2>&1; then fail "the isolated plugin wrote as the host"; fi
pass "an isolated plugin's write its role lacks is refused as its own user"

wait_for_log "$TMP/log" "sneaky secret default/s1-secret: 403"
expect_log "$TMP/log" "^plugin sneaky\[[0-9]*\]| .*plugin sneaky may not create secrets"
if K get secret s1-secret >/dev/null 2>&1; then fail "an undeclared write went through"; fi
# Counted as in-process: the child's counter in the host's /metrics.
addr=$(grep -o '^[0-9TZ:.-]* INFO  cplane: health and metrics on http://[0-9.:]*' "$TMP/log" | sed -n 1p | sed 's|.*http://||')
confined() {
  curl -sf "http://$addr/metrics" | grep '^cplane_plugin_confined_writes_total{plugin="sneaky"} [1-9]' >/dev/null
}
wait_until 10 confined || fail "the child's refused write is not counted in the host's /metrics"
pass "confine_plugins applies in the isolated plugin's child"

# A crash: the supervisor restarts the child, which asks for a new token
# (and, at load, puts the derived role back as its descriptor says: narrow
# it again).
pid=$(child_pid)
[ -n "$pid" ] || fail "no child pid in the log"
kill -9 "$pid"
wait_for_log "$TMP/log" "plugin sneaky crashed: killed by signal 9"
wait_until 20 token_lines 2
wait_for_log "$TMP/log" "sneaky configmap default/s1-copy: 201"
narrow K
sneak s2 | K create -f - >/dev/null || fail "create s2"
wait_for_log "$TMP/log" "sneaky configmap default/s2-copy: 403 configmaps is forbidden: $USER_RE"
pass "after a crash the restarted child calls as the plugin again"

# A hot upgrade: a new build of the file and SIGHUP restart the child.
install -m 0755 "$B/tests/plugins/sneaky.so" "$plugins/sneaky.so.new"
mv "$plugins/sneaky.so.new" "$plugins/sneaky.so"
kill -HUP "$host"
wait_for_log "$TMP/log" "plugin sneaky changed: restarting its process"
wait_until 20 token_lines 3
wait_for_log "$TMP/log" "sneaky configmap default/s2-copy: 201"
narrow K
sneak s3 | K create -f - >/dev/null || fail "create s3"
wait_for_log "$TMP/log" "sneaky configmap default/s3-copy: 403 configmaps is forbidden: $USER_RE"
pass "after a hot upgrade the new child calls as the plugin again"

kill -TERM "$host"
wait_exit "$host" 30
[ "$RC" = 0 ] || fail "exit status $RC"
if grep ERROR "$TMP/log" | grep -v "plugin sneaky crashed: killed by signal 9" >/dev/null; then
  fail "errors: $(grep ERROR "$TMP/log")"
fi

# ---- 2. a host with only a kubeconfig to an external API server ---------
mkdir -m 755 "$TMP/none"
cat >"$TMP/server.ini" <<INI
[host]
data_dir = $TMP/server
plugin_dir = $TMP/none
listen = 127.0.0.1:0
[apiserver]
port = 0
disable_admission_plugins = ServiceAccount
INI
"$B/cplane" -c "$TMP/server.ini" >"$TMP/server.log" 2>&1 &
server=$!
PIDS+=("$server")
wait_for_log "$TMP/server.log" "ready: " 30
cat >"$TMP/ext.ini" <<INI
[host]
api_server = external
kubeconfig = $TMP/server/admin.kubeconfig
listen = 127.0.0.1:0
plugin_dir = $plugins
[plugin.sneaky]
enabled = true
INI
"$B/cplane" -c "$TMP/ext.ini" >"$TMP/ext.log" 2>&1 &
ext=$!
PIDS+=("$ext")
wait_for_log "$TMP/ext.log" "ready: 1 plugin(s) running" 30
expect_log "$TMP/ext.log" "plugin sneaky calls the API as system:serviceaccount:kube-system:sneaky (ServiceAccount token, 3600 s)"
KS() { kubectl --kubeconfig "$TMP/server/admin.kubeconfig" --cache-dir "$TMP/cache2" "$@"; }
KS -n kube-system get sa sneaky >/dev/null || fail "no ServiceAccount on the external server"
wait_until 10 can_create yes KS
sneak e0 | KS create -f - >/dev/null || fail "create e0"
wait_for_log "$TMP/ext.log" "sneaky configmap default/e0-copy: 201"
narrow KS
sneak e1 | KS create -f - >/dev/null || fail "create e1"
wait_for_log "$TMP/ext.log" "sneaky configmap default/e1-copy: 403 configmaps is forbidden: $USER_RE"
if KS get cm e1-copy >/dev/null 2>&1; then fail "the plugin wrote as the host"; fi
pass "against an external API server a plugin calls with its ServiceAccount token"

kill -TERM "$ext"
wait_exit "$ext" 30
[ "$RC" = 0 ] || fail "exit status $RC (external host)"
kill -TERM "$server"
wait_exit "$server" 30
if grep -q "ERROR" "$TMP/ext.log"; then fail "errors: $(grep ERROR "$TMP/ext.log")"; fi
