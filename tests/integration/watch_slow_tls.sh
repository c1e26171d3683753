#!/usr/bin/env bash
# A TLS watch that never reads, beside one that reads, while 9.4 MiB of
# events go out (the real cplane binary, TLS, watch_stream_bytes = 1 MiB
# from the INI): the reader gets every event, the stalled watch is closed
# (apiserver_terminated_watchers_total) and the server's RSS stays low,
# since the loop does not copy a stalled TLS client's backlog.
. "$(dirname "$0")/lib/common.sh"

/usr/bin/python3 -c 'import kubernetes' 2>/dev/null ||
  fail "python3-kubernetes is not installed (make deps installs it)"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
port = 0
watch_stream_bytes = 1048576
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
limit=200
[ "$VARIANT" = asan ] && limit=800
/usr/bin/python3 "$(dirname "$0")/clients/tls_slow_watch.py" \
  "$TMP/data/admin.kubeconfig" "${PIDS[0]}" "$limit" ||
  { tail -30 "$TMP/log"; fail "tls slow watch"; }
expect_log "$TMP/log" "Forcing configmaps watcher close due to unresponsiveness"
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "tls slow watch"
