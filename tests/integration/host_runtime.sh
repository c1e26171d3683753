#!/usr/bin/env bash
# The host runtime against cplane's own API server: reflectors feed the
# plugins' caches from a real watch (label selector passed to the server),
# reconcile runs on the events, and writes made through the host API
# (create, merge patch, delete) come back through the server. A reconcile
# that never returns shows in the log, the stuck-calls gauge and /readyz
# while it is stuck, and SIGTERM still stops the host within
# shutdown_timeout.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/plugins/template.so" "$B/tests/plugins/mirror.so" \
  "$B/tests/plugins/good.so" "$B/tests/plugins/stuck.so" "$plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $plugins
log_level = info
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.template]
enabled = true
label = app
[plugin.good]
enabled = false
[plugin.mirror]
enabled = true
INI
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before, labels: {app: early}}\n' >"$TMP/before.yaml"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 2 plugin(s) running"
expect_log "$TMP/log" "of 2 cache(s) synced"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

K create -f "$TMP/before.yaml" >/dev/null || fail "create before"
wait_for_log "$TMP/log" "plugin template: default/before: 1 label(s), app=early"
pass "a watch event reaches the plugin's reconcile"

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src, labels: {mirror: "yes"}}\ndata: {a: "1"}\n' |
  K create -f - >/dev/null || fail "create src"
wait_for_log "$TMP/log" "mirror default/src -> src-mirror: 201"
[ "$(K get cm src-mirror -o jsonpath='{.data.a}')" = 1 ] || fail "mirror not created"
K patch cm src --type=merge -p '{"data":{"b":"2"}}' >/dev/null || fail "patch src"
wait_for_log "$TMP/log" "mirror default/src -> src-mirror: 200"
[ "$(K get cm src-mirror -o jsonpath='{.data.b}')" = 2 ] || fail "mirror not patched"
K delete cm src >/dev/null || fail "delete src"
wait_for_log "$TMP/log" "delete default/src-mirror: 200"
if K get cm src-mirror >/dev/null 2>&1; then fail "mirror not deleted"; fi
pass "host API writes: create, 409 then merge patch, delete"

# The selector is applied by the server: an unlabelled map never reaches
# the mirror plugin.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n' | K create -f - >/dev/null
wait_for_log "$TMP/log" "plugin template: default/plain: 0 label(s)"
sleep 0.5
if grep -q "mirror default/plain" "$TMP/log"; then fail "selector not applied"; fi
pass "label selectors narrow a plugin's watch"

# SIGHUP: disable mirror, then enable it again.
sed -i '/^\[plugin.mirror\]/,$ s/enabled = true/enabled = false/' "$TMP/c.ini"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "plugin mirror disabled by the new configuration"
wait_for_log "$TMP/log" "mirror: stopped"
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
curl -s "$health/readyz?verbose" | grep -xF '[+]plugin mirror disabled by the configuration' >/dev/null ||
  fail "/readyz of a disabled plugin: $(curl -s "$health/readyz?verbose")"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: while-off, labels: {mirror: "yes"}}\n' |
  K create -f - >/dev/null
sleep 1
if K get cm while-off-mirror >/dev/null 2>&1; then fail "a disabled plugin still ran"; fi
sed -i '/^\[plugin.mirror\]/,$ s/enabled = false/enabled = true/' "$TMP/c.ini"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "plugin mirror enabled by the new configuration"
curl -s "$health/readyz?verbose" | grep -xF '[+]plugin mirror ok' >/dev/null ||
  fail "/readyz of a re-enabled plugin: $(curl -s "$health/readyz?verbose")"
# Re-enabled, it sees the cache again (replayed) and catches up.
wait_for_log "$TMP/log" "mirror default/while-off -> while-off-mirror: 201"
printf '[host]\nbogus = 1\n' >"$TMP/c.ini.bad"
cp "$TMP/c.ini" "$TMP/c.ini.good"
cp "$TMP/c.ini.bad" "$TMP/c.ini"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "keeping the running configuration"
cp "$TMP/c.ini.good" "$TMP/c.ini"
sed -i '/^\[plugin.good\]/,/^\[/ s/enabled = false/enabled = true/' "$TMP/c.ini"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "loaded plugin good"
wait_for_log "$TMP/log" "good: started"
pass "SIGHUP disables and re-enables a plugin, loads a new one; a bad file changes nothing"

health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
[ -n "$health" ] || fail "no health endpoint in the log"
[ "$(curl -s "$health/healthz")" = ok ] || fail "/healthz"
curl -s "$health/readyz?verbose" | grep '^\[+\]cache configmaps synced' >/dev/null ||
  fail "/readyz: $(curl -s "$health/readyz?verbose")"
# With the embedded API server, the store's health is the host's too.
curl -s "$health/readyz?verbose" | grep '^\[+\]store ok' >/dev/null ||
  fail "/readyz lacks the store: $(curl -s "$health/readyz?verbose")"
curl -sf "$health/metrics" >"$TMP/metrics" || fail "/metrics"
grep -q '^workqueue_adds_total{name="mirror"} [1-9]' "$TMP/metrics" ||
  fail "no mirror queue adds in /metrics"
grep -q '^controller_runtime_reconcile_total{controller="mirror",result="success"} [1-9]' \
  "$TMP/metrics" || fail "no mirror reconciles in /metrics"
grep -q '^cplane_reflector_events_total{resource="configmaps"} [1-9]' \
  "$TMP/metrics" || fail "no reflector events in /metrics"
out=$(promtool check metrics <"$TMP/metrics" 2>&1) ||
  fail "promtool check metrics: $out"
pass "host /healthz, /readyz and /metrics (promtool-clean)"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"

# A reconcile that never returns: reported while stuck, and the stop is
# bounded (3 s) instead of waiting for it forever.
cat >"$TMP/s.ini" <<INI
[host]
data_dir = $TMP/sdata
plugin_dir = $plugins
log_level = info
listen = 127.0.0.1:0
shutdown_timeout = 3s
[apiserver]
port = 0
[plugin.stuck]
enabled = true
workers = 2
reconcile_deadline = 1s
INI
"$B/cplane" -c "$TMP/s.ini" >"$TMP/slog" 2>&1 &
spid=$!
PIDS+=("$spid")
wait_for_log "$TMP/slog" "ready: 1 plugin(s) running"
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/slog" | sed 's/.* on //')
S() { kubectl --kubeconfig "$TMP/sdata/admin.kubeconfig" --cache-dir "$TMP/scache" "$@"; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "$health/readyz")" = 200 ] ||
  fail "/readyz before anything is stuck: $(curl -s "$health/readyz?verbose")"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stuck-1}\n' | S create -f - >/dev/null
wait_for_log "$TMP/slog" "stuck: reconcile default/stuck-1 is stuck: running for" 15
curl -s "$health/metrics" | grep '^cplane_plugin_stuck_calls{plugin="stuck"} 1$' >/dev/null ||
  fail "no stuck call in /metrics: $(curl -s "$health/metrics" | grep stuck)"
code=$(curl -s -o "$TMP/ready" -w '%{http_code}' "$health/readyz?verbose")
[ "$code" = 503 ] || fail "/readyz with a stuck reconcile: $code"
grep '^\[-\]plugin stuck: reconcile default/stuck-1 stuck for' "$TMP/ready" >/dev/null ||
  fail "/readyz?verbose does not name the stuck call: $(cat "$TMP/ready")"
[ "$(curl -s "$health/livez")" = ok ] || fail "/livez is about the process"
pass "a stuck reconcile shows in the log, /metrics and /readyz while stuck"

t0=$(date +%s)
kill -TERM "$spid"
wait_exit "$spid" 15
took=$(( $(date +%s) - t0 ))
[ "$RC" -eq 1 ] || { cat "$TMP/slog"; fail "exit status $RC after an abandoned stop, want 1"; }
[ "$took" -le 8 ] || fail "stop took ${took}s with shutdown_timeout = 3s"
expect_log "$TMP/slog" "stuck: abandoning reconcile default/stuck-1, running for"
expect_log "$TMP/slog" "stop did not finish within shutdown_timeout (3.0 s): abandoning 1 plugin call(s)"
pass "SIGTERM with a stuck plugin exits within shutdown_timeout (${took}s)"
