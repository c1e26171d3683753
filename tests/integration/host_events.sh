#!/usr/bin/env bash
# Events recorded by a plugin (the recorder fixture) through the host's
# event recorder, seen by kubectl: one Event whose count grows as the same
# event is recorded again (kube's aggregation), shown by `kubectl describe`
# of the object; a change to a Secret the ConfigMap controls reconciles
# the ConfigMap (enqueue_owner); cplane_plugin_events_total in /metrics;
# and no dispatch-write warning for a plugin that writes from reconcile.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/tests/plugins/recorder.so" "$plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $plugins
log_level = info
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.recorder]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 1 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

count() {
  K get events --field-selector involvedObject.name=web \
    -o jsonpath='{range .items[*]}{.reason}={.count}{"\n"}{end}' 2>/dev/null |
    sed -n 's/^Synced=//p'
}
# wait_count N: the Synced Event about web reaches count N or more.
wait_count() {
  local i c
  for ((i = 0; i < 100; i++)); do
    c=$(count)
    [ -n "$c" ] && [ "$c" -ge "$1" ] && return 0
    sleep 0.2
  done
  fail "Synced count is '${c:-none}', wanted >= $1; events: $(K get events -o wide 2>&1)"
}

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, labels: {events: "yes"}}\n' |
  K create -f - >/dev/null || fail "create web"
wait_count 1
K annotate cm web round=2 >/dev/null
wait_count 2
K annotate cm web round=3 --overwrite >/dev/null
wait_count 3
[ "$(K get events --field-selector involvedObject.name=web -o name | wc -l)" -eq 1 ] ||
  fail "more than one Event: $(K get events)"
ev=$(K get events --field-selector involvedObject.name=web -o json)
[ "$(jq -r '.items[0].involvedObject.kind' <<<"$ev")" = ConfigMap ] || fail "kind: $ev"
[ "$(jq -r '.items[0].source.component' <<<"$ev")" = recorder ] || fail "source: $ev"
[ "$(jq -r '.items[0].message' <<<"$ev")" = "ConfigMap web synced" ] || fail "message: $ev"
[ "$(jq -r '.items[0].involvedObject.uid' <<<"$ev")" = "$(K get cm web -o jsonpath='{.metadata.uid}')" ] ||
  fail "uid: $ev"
K describe cm web >"$TMP/describe"
grep -E 'Normal +Synced .* recorder +ConfigMap web synced' "$TMP/describe" >/dev/null ||
  fail "describe shows no Synced event: $(cat "$TMP/describe")"
pass "events aggregate into one Event with a count; kubectl get/describe show it"

# A Secret controlled by web: its changes reconcile web (enqueue_owner).
uid=$(K get cm web -o jsonpath='{.metadata.uid}')
before=$(count)
cat <<YAML | K create -f - >/dev/null || fail "create secret"
apiVersion: v1
kind: Secret
metadata:
  name: child
  labels: {events-child: "yes"}
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: web, uid: "$uid", controller: true}
YAML
wait_count $((before + 1))
pass "a controlled Secret's change reconciles its ConfigMap"

health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
curl -s "$health/metrics" >"$TMP/metrics"
grep '^cplane_plugin_events_total{plugin="recorder",result="created"} 1$' "$TMP/metrics" >/dev/null ||
  fail "created: $(grep events_total "$TMP/metrics")"
grep -E '^cplane_plugin_events_total\{plugin="recorder",result="aggregated"\} [3-9]' "$TMP/metrics" >/dev/null ||
  fail "aggregated: $(grep events_total "$TMP/metrics")"
if grep -q "called from on_" "$TMP/log"; then fail "dispatch-write warning for a clean plugin"; fi
pass "cplane_plugin_events_total"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
echo "host_events: 3 passed, 0 failed"
