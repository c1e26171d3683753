#!/usr/bin/env bash
# The official JavaScript client (@kubernetes/client-node 1.4, installed
# from the npm registry into a cache beside the build) against cplane: an
# informer's cache stays equal to the server's list under churn.
. "$(dirname "$0")/lib/common.sh"

command -v node >/dev/null || fail "node is not installed"
mods="$B/npm/node_modules/@kubernetes/client-node"
if [ ! -f "$mods/package.json" ]; then
  mkdir -p "$B/npm"
  (cd "$B/npm" && timeout 600 npm install --no-audit --no-fund --silent \
    @kubernetes/client-node@1.4 >npm.log 2>&1) ||
    { cat "$B/npm/npm.log"; fail "npm install @kubernetes/client-node@1.4"; }
fi
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
port = 0
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
cp "$(dirname "$0")/clients/node_informer.mjs" "$B/npm/"
(cd "$B/npm" && timeout 120 node node_informer.mjs "$TMP/data/admin.kubeconfig") ||
  { tail -30 "$TMP/log"; fail "client-node informer"; }
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "client-node informer"
