#!/usr/bin/env bash
# The official Python client (Debian python3-kubernetes) against cplane:
# typed objects, a watch through a 410 Expired, re-list and watch again.
. "$(dirname "$0")/lib/common.sh"

/usr/bin/python3 -c 'import kubernetes' 2>/dev/null ||
  fail "python3-kubernetes is not installed (make deps installs it)"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
compact_interval = 1s
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
/usr/bin/python3 "$(dirname "$0")/clients/python_watch.py" \
  "$TMP/data/admin.kubeconfig" || { cat "$TMP/log"; fail "python client"; }
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "python client"
