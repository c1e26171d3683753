#!/usr/bin/env bash
# A host that watches an API server in another process, through its
# kubeconfig: events reach the plugins, the API server is killed and
# restarted mid-stream, and the plugins' view converges to the server's
# state again (the reflector resumes, or relists when its revision was
# compacted meanwhile), with no missed and no phantom objects.
. "$(dirname "$0")/lib/common.sh"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -m 755 "$TMP/none" "$TMP/plugins"
install -m 0755 "$B/tests/plugins/mirror.so" "$TMP/plugins/"
cat >"$TMP/server.ini" <<INI
[host]
data_dir = $TMP/server
plugin_dir = $TMP/none
listen = 127.0.0.1:0
[apiserver]
port = $port
compact_interval = 1s
INI
cat >"$TMP/host.ini" <<INI
[host]
api_server = external
kubeconfig = $TMP/server/admin.kubeconfig
data_dir = $TMP/host
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[plugin.mirror]
enabled = true
INI
start_server() {
  "$B/cplane" -c "$TMP/server.ini" >>"$TMP/server.log" 2>&1 &
  PIDS+=($!)
  server=$!
  wait_for_log "$TMP/server.log" "ready: " 30
}
start_server
K() { kubectl --kubeconfig "$TMP/server/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
mk() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, labels: {mirror: "yes"}}\ndata: {v: "%s"}\n' "$1" "$2" |
  K apply -f - >/dev/null || fail "apply $1"; }
mk a 1
"$B/cplane" -c "$TMP/host.ini" >"$TMP/host.log" 2>&1 &
PIDS+=($!)
host=$!
wait_for_log "$TMP/host.log" "plugins watch the API server at https://127.0.0.1:$port"
wait_for_log "$TMP/host.log" "mirror default/a -> a-mirror: 201"
pass "a host in another process follows the API server through its kubeconfig"

kill -9 "$server"
wait "$server" 2>/dev/null || true
sleep 1
: >"$TMP/server.log"
start_server
mk b 2
mk a 3
K delete cm a >/dev/null
sleep 2.5 # compaction passes the host's last revision
wait_for_log "$TMP/host.log" "mirror default/b -> b-mirror: 201" 40
wait_for_log "$TMP/host.log" "delete default/a-mirror: 200" 40
if K get cm a-mirror >/dev/null 2>&1; then fail "phantom a-mirror"; fi
[ "$(K get cm b-mirror -o jsonpath='{.data.v}')" = 2 ] || fail "b-mirror data"
if grep -q "relisting" "$TMP/host.log"; then how="relisted"; else how="resumed"; fi
pass "after an API server restart the host $how and converged"

kill -TERM "$host"
wait_exit "$host" 20
[ "$RC" -eq 0 ] || { cat "$TMP/host.log"; fail "host exit $RC"; }
pass "clean shutdown"
