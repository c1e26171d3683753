#!/usr/bin/env bash
# Leader election: two hosts (each with its API server, both on one etcd)
# run the template plugin; exactly one leads and runs workers. kill -9 the
# leader: the other takes over within the lease. SIGTERM a leader: it
# hands the lease back at once. A SIGUSR1 from outside never starts a
# standby's workers (leadership is only the lease).
. "$(dirname "$0")/lib/common.sh"

[ -x /usr/bin/etcd ] || fail "etcd is not installed (Debian etcd-server)"
# cplane gives etcd 5 s at start: do not race a slow etcd start (CI).
start_etcd
cport=$ETCD_PORT
mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/template.so" "$TMP/plugins/"
start_host() { # NAME
  cat >"$TMP/$1.ini" <<INI
[host]
data_dir = $TMP/$1
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
leader_elect = true
leader_lease = 3s
leader_renew_deadline = 2s
leader_retry = 500ms
[apiserver]
port = 0
store = etcd
etcd_endpoints = http://127.0.0.1:$cport
[plugin.template]
enabled = true
INI
  "$B/cplane" -c "$TMP/$1.ini" >"$TMP/$1.log" 2>&1 &
  PIDS+=($!)
  eval "pid_$1=$!"
}
start_host a
wait_for_log "$TMP/a.log" "became the leader" 30
wait_for_log "$TMP/a.log" "template: started"
start_host b
wait_for_log "$TMP/b.log" "is campaigning" 30
sleep 3
if grep -q "became the leader" "$TMP/b.log"; then fail "two leaders"; fi
if grep -q "template: started" "$TMP/b.log"; then fail "a follower runs workers"; fi
pass "exactly one host leads and runs workers"

# SIGUSR1 was once the elector's "you lead" signal: from outside, it must
# change nothing (and not kill the process either).
kill -USR1 "$pid_b"
kill -USR2 "$pid_b"
wait_for_log "$TMP/b.log" "ignoring SIGUSR1 from pid $$"
wait_for_log "$TMP/b.log" "ignoring SIGUSR2 from pid $$"
sleep 1
kill -0 "$pid_b" || fail "SIGUSR1/2 killed the standby"
if grep -q "template: started" "$TMP/b.log"; then fail "kill -USR1 started a standby's workers"; fi
pass "kill -USR1 on a standby does not start its workers"

t0=$(date +%s)
kill -9 "$pid_a"
wait_for_log "$TMP/b.log" "became the leader" 20
wait_for_log "$TMP/b.log" "template: started"
took=$(( $(date +%s) - t0 ))
[ "$took" -le 8 ] || fail "take-over took ${took}s with a 3s lease"
pass "kill -9 the leader: the other takes over in ${took}s"

start_host c
wait_for_log "$TMP/c.log" "is campaigning" 30
kill -TERM "$pid_b"
wait_exit "$pid_b" 20
[ "$RC" -eq 0 ] || fail "leader exit status $RC"
expect_log "$TMP/b.log" "released the lease"
wait_for_log "$TMP/c.log" "became the leader" 10
pass "a clean stop hands the lease to the standby"
kill -TERM "$pid_c"
wait_exit "$pid_c" 20
[ "$RC" -eq 0 ] || fail "exit $RC"
