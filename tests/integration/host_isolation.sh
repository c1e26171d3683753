#!/usr/bin/env bash
# Crash containment (issue #14). With isolation = process, a plugin that
# dereferences NULL in reconcile crashes only its own child process: the
# crash line (plugin, key, signal, backtrace) reaches the host's log
# through the child's tagged output, the supervisor logs the exit and
# restarts the child with doubling backoff, kubectl is answered throughout
# and an in-process plugin keeps reconciling, /readyz and /metrics show
# it; SIGHUP with a changed section restarts the child; SIGTERM stops it
# with the host. In-process, the same crash ends the host, but only after
# the same line names the plugin and the key.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/tests/plugins/crasher.so" "$B/tests/plugins/mirror.so" \
  "$plugins/"
write_ini() { # DATA_DIR ISOLATION
  cat <<INI
[host]
data_dir = $1
plugin_dir = $plugins
log_level = info
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.crasher]
enabled = true
isolation = $2
[plugin.mirror]
enabled = true
INI
}
boom() { # NAME MODE: a ConfigMap the crasher trips on
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  annotations: {crasher.cplane.io/crash: %s}\n' "$1" "$2"
}
mirrored() { # NAME: a ConfigMap the in-process mirror plugin copies
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, labels: {mirror: "yes"}}\ndata: {a: "1"}\n' "$1"
}

write_ini "$TMP/data" process >"$TMP/c.ini"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
host=$!
PIDS+=("$host")
wait_for_log "$TMP/log" "ready: 1 plugin(s) running"
wait_for_log "$TMP/log" "1 plugin(s) isolated in their own process"
wait_for_log "$TMP/log" "supervisor: plugin crasher started in its own process: pid"
wait_for_log "$TMP/log" "^plugin crasher\[[0-9]*\]| .*crasher: started: 1 worker"
child=$(grep -o 'plugin crasher started in its own process: pid [0-9]*' "$TMP/log" | grep -o '[0-9]*$')
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
# The host's own line (its children announce theirs, tagged).
health=$(grep -v '^plugin ' "$TMP/log" | grep -o -m1 'health and metrics on http://[0-9.:]*' | sed 's/.* on //')
ready=$(curl -s "$health/readyz?verbose")
echo "$ready" | grep "^\[+\]plugin crasher ok (isolated, pid $child)" >/dev/null ||
  fail "/readyz lacks the isolated plugin: $ready"
# The child is a host of its own: it reconciles over the same API server.
mirrored calm | K create -f - >/dev/null || fail "create calm"
wait_for_log "$TMP/log" "^plugin crasher\[$child\]| .*plugin crasher: reconciled default/calm"
wait_for_log "$TMP/log" "mirror default/calm -> calm-mirror: 201"
pass "an isolated plugin runs in its own process against the same API server"

# Its queue and reconcile counters live in the child: the host's /metrics
# shows them beside its own, each family whole.
wait_for_log "$TMP/log" "^plugin crasher\[$child\]| .*health and metrics on http://127.0.0.1:"
curl -sf "$health/metrics" >"$TMP/metrics" || fail "/metrics"
grep -E '^controller_runtime_reconcile_total\{controller="crasher",result="success"\} [1-9]' "$TMP/metrics" >/dev/null ||
  fail "the isolated plugin's reconciles are not in /metrics: $(grep crasher "$TMP/metrics")"
grep -E '^controller_runtime_reconcile_total\{controller="mirror",result="success"\} [0-9]' "$TMP/metrics" >/dev/null ||
  fail "the in-process plugin's reconciles went missing: $(grep reconcile_total "$TMP/metrics")"
[ "$(grep -c '^# TYPE controller_runtime_reconcile_total ' "$TMP/metrics")" = 1 ] || fail "a family is split in two"
out=$(promtool check metrics <"$TMP/metrics" 2>&1) || fail "promtool check metrics (merged): $out"
pass "an isolated plugin's own counters reach the host's /metrics"

boom boom reconcile | K create -f - >/dev/null || fail "create boom"
wait_for_log "$TMP/log" "^plugin crasher\[$child\]| .* ERROR crash: plugin crasher crashed in reconcile default/boom: SIGSEGV (fault address 0x0)"
wait_for_log "$TMP/log" "^plugin crasher\[$child\]| crash: backtrace: .*crasher"
wait_for_log "$TMP/log" "supervisor: plugin crasher crashed: .* restarting in 1.0 s (back-off)"
# The crash window: the API server answers, the in-process plugin works.
K get cm boom -o name >/dev/null || fail "kubectl during the crash window"
mirrored during | K create -f - >/dev/null || fail "create during the crash"
wait_for_log "$TMP/log" "mirror default/during -> during-mirror: 201"
[ "$(K get cm during-mirror -o jsonpath='{.data.a}')" = 1 ] || fail "no mirror during the crash"
kill -0 "$host" || fail "the host died with its isolated plugin"
pass "the crash line names plugin, key and signal with a backtrace; the host and mirror keep working"

# boom is still there: every restart crashes again, further apart.
wait_for_log "$TMP/log" "supervisor: plugin crasher restarted: pid [0-9]* (restart 1)" 20
wait_for_log "$TMP/log" "supervisor: plugin crasher crashed: .* restarting in 2.0 s (back-off)" 20
wait_for_log "$TMP/log" "supervisor: plugin crasher crashed: .* restarting in 4.0 s (back-off)" 30
ready=$(curl -s "$health/readyz?verbose")
code=$(curl -s -o /dev/null -w '%{http_code}' "$health/readyz")
[ "$code" = 503 ] || fail "/readyz $code while the plugin is backing off: $ready"
echo "$ready" | grep "^\[-\]plugin crasher: its process is not running" >/dev/null ||
  fail "/readyz does not name the crashed plugin: $ready"
K get cm boom -o name >/dev/null || fail "kubectl between restarts"
curl -sf "$health/metrics" >"$TMP/metrics" || fail "/metrics"
grep -E '^cplane_plugin_crashes_total\{plugin="crasher"\} ([3-9]|[1-9][0-9])$' "$TMP/metrics" >/dev/null ||
  fail "crashes not counted: $(grep plugin_ "$TMP/metrics")"
grep -E '^cplane_plugin_restarts_total\{plugin="crasher"\} ([2-9]|[1-9][0-9])$' "$TMP/metrics" >/dev/null ||
  fail "restarts not counted: $(grep plugin_ "$TMP/metrics")"
out=$(promtool check metrics <"$TMP/metrics" 2>&1) || fail "promtool check metrics: $out"
pass "restarts back off 1 s, 2 s, 4 s; /readyz fails meanwhile; crashes and restarts counted"

# Fixed (the object goes): the next start stays up and /readyz is green.
K delete cm boom >/dev/null || fail "delete boom"
restarts=$(grep -c 'supervisor: plugin crasher restarted' "$TMP/log")
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c 'supervisor: plugin crasher restarted' "$TMP/log")" -gt "$restarts" ] && break
  sleep 0.1
done
for ((i = 0; i < 100; i++)); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$health/readyz")" = 200 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$health/readyz")" = 200 ] ||
  fail "/readyz after recovery: $(curl -s "$health/readyz?verbose")"
pass "once the bad object is gone the plugin stays up"

# SIGHUP with a changed section: the child restarts (re-exec), no crash.
crashes=$(curl -s "$health/metrics" | grep '^cplane_plugin_crashes_total{plugin="crasher"}')
sed -i 's/^isolation = process$/isolation = process\nwant = yes/' "$TMP/c.ini"
kill -HUP "$host"
wait_for_log "$TMP/log" "supervisor: plugin crasher changed: restarting its process"
wait_for_log "$TMP/log" "supervisor: plugin crasher stopped for a restart (exited with status 0)"
[ "$(curl -s "$health/metrics" | grep '^cplane_plugin_crashes_total{plugin="crasher"}')" = "$crashes" ] ||
  fail "a reload restart counted as a crash"
# Unchanged again: nothing restarts.
n=$(grep -c 'changed: restarting its process' "$TMP/log")
kill -HUP "$host"
wait_for_log "$TMP/log" "SIGHUP: .* re-read" 10
sleep 0.5
[ "$(grep -c 'changed: restarting its process' "$TMP/log")" = "$n" ] || fail "an unchanged plugin was restarted"
pass "SIGHUP restarts a changed isolated plugin, not an unchanged one"

# isolation changed by SIGHUP: the plugin moves into the host, and back.
sed -i 's/^isolation = process$/isolation = in-process/' "$TMP/c.ini"
kill -HUP "$host"
wait_for_log "$TMP/log" "supervisor: plugin crasher stopped: exited with status 0"
wait_for_log "$TMP/log" "^[-0-9T:.Z]* INFO  loader: loaded plugin crasher 1.0.0"
wait_for_log "$TMP/log" "^[-0-9T:.Z]* INFO  crasher: started"
curl -s "$health/readyz?verbose" | grep '^\[+\]plugin crasher ok$' >/dev/null ||
  fail "/readyz after moving in: $(curl -s "$health/readyz?verbose")"
n=$(grep -c 'plugin crasher started in its own process' "$TMP/log")
sed -i 's/^isolation = in-process$/isolation = process/' "$TMP/c.ini"
kill -HUP "$host"
wait_for_log "$TMP/log" "plugin crasher disabled by the new configuration"
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c 'plugin crasher started in its own process' "$TMP/log")" -gt "$n" ] && break
  sleep 0.1
done
[ "$(grep -c 'plugin crasher started in its own process' "$TMP/log")" -gt "$n" ] ||
  fail "not isolated again after SIGHUP"
pass "SIGHUP moves a plugin between in-process and isolated"

last=$(grep -oE 'plugin crasher (started in its own process|restarted): pid [0-9]*' "$TMP/log" | tail -1 | grep -o '[0-9]*$')
kill -TERM "$host"
wait_exit "$host" 30
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
expect_log "$TMP/log" "supervisor: plugin crasher stopped: exited with status 0"
kill -0 "$last" 2>/dev/null && fail "the isolated plugin's process $last outlived the host"
pass "SIGTERM stops the isolated plugin with the host"

# The host killed outright: its child follows (PR_SET_PDEATHSIG).
write_ini "$TMP/data3" process >"$TMP/c3.ini"
"$B/cplane" -c "$TMP/c3.ini" >"$TMP/log3" 2>&1 &
host=$!
PIDS+=("$host")
wait_for_log "$TMP/log3" "^plugin crasher\[[0-9]*\]| .*crasher: started"
child=$(grep -o 'plugin crasher started in its own process: pid [0-9]*' "$TMP/log3" | grep -o '[0-9]*$')
kill -KILL "$host"
wait_exit "$host" 10
for ((i = 0; i < 100; i++)); do
  kill -0 "$child" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$child" 2>/dev/null && { kill -KILL "$child"; fail "the child outlived a killed host"; }
pass "a host killed outright takes its isolated plugin with it"

# With leader election the child starts only once this host leads.
write_ini "$TMP/data5" process >"$TMP/c5.ini"
sed -i 's/^listen = 127.0.0.1:0$/&\nleader_elect = true\nleader_lease = 3s\nleader_renew_deadline = 2s\nleader_retry = 500ms/' "$TMP/c5.ini"
"$B/cplane" -c "$TMP/c5.ini" >"$TMP/log5" 2>&1 &
host=$!
PIDS+=("$host")
wait_for_log "$TMP/log5" "1 plugin(s) isolated in their own process, started when leading"
wait_for_log "$TMP/log5" "supervisor: plugin crasher started in its own process"
lead=$(grep -n -m1 'became the leader' "$TMP/log5" | cut -d: -f1)
start=$(grep -n -m1 'plugin crasher started in its own process' "$TMP/log5" | cut -d: -f1)
[ -n "$lead" ] && [ "$start" -gt "$lead" ] || fail "the child started before leading (lines $lead, $start)"
wait_for_log "$TMP/log5" "^plugin crasher\[[0-9]*\]| .*crasher: started"
kill -TERM "$host"
wait_exit "$host" 30
[ "$RC" -eq 0 ] || { cat "$TMP/log5"; fail "exit status $RC after SIGTERM (leader)"; }
pass "with leader election the isolated plugin's child runs only on the leader"

# With an external API server, the child reaches the same server as the
# host (its [host] api_server and kubeconfig), with its own credential.
mkdir -m 755 "$TMP/none"
cat >"$TMP/server.ini" <<INI
[host]
data_dir = $TMP/server
plugin_dir = $TMP/none
listen = 127.0.0.1:0
[apiserver]
port = 0
INI
"$B/cplane" -c "$TMP/server.ini" >"$TMP/server.log" 2>&1 &
server=$!
PIDS+=("$server")
wait_for_log "$TMP/server.log" "ready: " 30
url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/server.log" | sed 's/.* on //')
write_ini "$TMP/data6" process | sed "s|^\[host\]$|[host]\napi_server = external\nkubeconfig = $TMP/server/admin.kubeconfig|" >"$TMP/c6.ini"
"$B/cplane" -c "$TMP/c6.ini" >"$TMP/log6" 2>&1 &
host=$!
PIDS+=("$host")
# The child reaches it with its own kubeconfig only, never the host's.
wait_for_log "$TMP/log6" "^plugin crasher\[[0-9]*\]| .*plugins watch the API server at $url (kubeconfig $TMP/data6/isolated/crasher/kubeconfig"
KS() { kubectl --kubeconfig "$TMP/server/admin.kubeconfig" --cache-dir "$TMP/cache6" "$@"; }
mirrored ext | KS create -f - >/dev/null || fail "create ext"
wait_for_log "$TMP/log6" "^plugin crasher\[[0-9]*\]| .*plugin crasher: reconciled default/ext"
wait_for_log "$TMP/log6" "mirror default/ext -> ext-mirror: 201"
kill -TERM "$host" "$server"
wait_exit "$host" 30
[ "$RC" -eq 0 ] || { cat "$TMP/log6"; fail "exit status $RC after SIGTERM (external)"; }
wait_exit "$server" 30
pass "with an external API server the child connects as the host does"

# In-process: the same crash ends the host, but names plugin and key
# first.
write_ini "$TMP/data2" in-process >"$TMP/c2.ini"
"$B/cplane" -c "$TMP/c2.ini" >"$TMP/log2" 2>&1 &
host=$!
PIDS+=("$host")
wait_for_log "$TMP/log2" "ready: 2 plugin(s) running"
K2() { kubectl --kubeconfig "$TMP/data2/admin.kubeconfig" --cache-dir "$TMP/cache2" "$@"; }
# The host may die before kubectl has its answer.
boom boom2 reconcile | K2 create -f - >/dev/null 2>&1 || true
wait_exit "$host" 30
[ "$RC" -ne 0 ] || fail "the host survived an in-process crash with status 0"
expect_log "$TMP/log2" " ERROR crash: plugin crasher crashed in reconcile default/boom2: SIGSEGV (fault address 0x0), thread ctl-worker"
expect_log "$TMP/log2" "^crash: backtrace: "
# The crash line comes before anything a sanitizer prints about it.
first=$(grep -n -m1 -e 'ERROR crash: plugin crasher' -e 'AddressSanitizer' "$TMP/log2" | sed -n 1p)
case "$first" in *"ERROR crash: plugin crasher"*) ;; *) fail "crash line not first: $first" ;; esac
pass "in-process: the crash kills the host (status $RC) after naming plugin, key and backtrace"

# on_add: the object is named as the key.
write_ini "$TMP/data4" in-process >"$TMP/c4.ini"
"$B/cplane" -c "$TMP/c4.ini" >"$TMP/log4" 2>&1 &
host=$!
PIDS+=("$host")
wait_for_log "$TMP/log4" "ready: 2 plugin(s) running"
K4() { kubectl --kubeconfig "$TMP/data4/admin.kubeconfig" --cache-dir "$TMP/cache4" "$@"; }
boom boom4 on_add | K4 create -f - >/dev/null 2>&1 || true
wait_exit "$host" 30
expect_log "$TMP/log4" "ERROR crash: plugin crasher crashed in on_add default/boom4: SIGSEGV"
pass "a crash in on_add names the object"
