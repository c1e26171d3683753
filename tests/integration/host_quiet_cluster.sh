#!/usr/bin/env bash
# A quiet cluster keeps its controllers sighted: after more than a minute
# without a single write (longer than the server's 60 s bookmark interval,
# and than the 50 s read timeout that once ended every idle watch), a new
# Deployment is rolled out at once - its ReplicaSet and pods made and its
# status updated within 30 s of its create (timed with curl, not kubectl;
# the pass line prints the figure, about 0.1-2 s). A watch that died in
# the quiet without a failure would be noticed only at the reflector's
# 150 s idle timeout, 80 s after the create, so 30 s tells it apart on
# any machine (2 s, then 5 s, were missed under ASan at load 30) - and
# no reflector counted a failure
# (cplane_reflector_failures_total stays 0: a watch that ends or idles is
# re-watched, not backed off). QUIET_S sets the idle time (70 s; 55 s
# under ASan to keep the suite short, still past the old 50 s).
. "$(dirname "$0")/lib/common.sh"

command -v jq >/dev/null || fail "jq is not installed"
QUIET_S=${QUIET_S:-$([ "$VARIANT" = asan ] && echo 55 || echo 70)}
mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/replicaset.so" "$B/plugins/garbagecollector.so" \
  "$B/plugins/deployment.so" "$TMP/plugins/"
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
[plugin.garbagecollector]
enabled = true
[plugin.deployment]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 3 plugin(s) running"
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
failures() { # the sum of cplane_reflector_failures_total over resources
  curl -sf "$health/metrics" |
    awk '/^cplane_reflector_failures_total\{/ { s += $2; n++ }
         END { if (n == 0) print "none"; else print s }'
}
watches() {
  curl -sf "$health/metrics" |
    awk '/^cplane_reflector_watches_total\{/ { s += $2 } END { print s + 0 }'
}
[ "$(failures)" = 0 ] || fail "reflector failures at the start: $(failures)"

sleep "$QUIET_S"
pass "quiet for $QUIET_S s"

# The time is the controllers' (watch, queue, writes), so the Deployment
# is created and polled with curl: kubectl's own start-up (a cold
# discovery cache on its first call, hundreds of ms per call under load)
# once made up most of what was measured.
server=$(sed -n 's/^ *server: *//p' "$TMP/data/admin.kubeconfig" | sed -n 1p)
token=$(sed -n 's/^ *token: *//p' "$TMP/data/admin.kubeconfig" | sed -n 1p)
api() { # PATH [curl args...]: the response body
  local path=$1
  shift
  curl -sf --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $token" \
    "$server$path" "$@"
}
api /version >/dev/null || fail "curl cannot reach $server"
start=$(date +%s%N)
api /apis/apps/v1/namespaces/default/deployments -X POST \
  -H 'Content-Type: application/json' -d '{"apiVersion":"apps/v1",
  "kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,
  "selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{
  "labels":{"app":"web"}},"spec":{"containers":[{"name":"c",
  "image":"nginx"}]}}}}' >/dev/null || fail "create the Deployment"
while [ $((($(date +%s%N) - start) / 1000000)) -lt 30000 ]; do
  got=$(api /apis/apps/v1/namespaces/default/deployments/web |
    jq -r '"\(.status.updatedReplicas)/\(.status.replicas)"')
  [ "$got" = 2/2 ] && [ "$(api '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb' |
    jq '.items | length')" = 2 ] && break
  sleep 0.02
done
took=$((($(date +%s%N) - start) / 1000000))
[ "$got" = 2/2 ] || fail "the Deployment is not rolled out after ${took} ms: status $got"
[ "$took" -lt 30000 ] || fail "the Deployment took ${took} ms (want < 30 s)"
pass "a Deployment made after ${QUIET_S}s of quiet is rolled out in ${took} ms"

[ "$(failures)" = 0 ] || {
  grep reflector "$TMP/log" >&2 || true
  fail "cplane_reflector_failures_total is $(failures), want 0"
}
pass "no reflector failure ($(watches) watches restarted)"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
