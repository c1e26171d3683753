#!/usr/bin/env bash
# A plugin watching a resource that is not served yet (a CRD not created):
# it is reported as waiting (one log line, a "[+]... waiting" line in
# /readyz), holds neither the other plugins nor /readyz, starts by itself
# once the CRD is created, and disabling it by SIGHUP ends the wait. It
# used to hold every plugin for the 60 s cache-sync wait and keep /readyz
# at 503 until a restart, even once disabled.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/plugins/template.so" "$B/tests/plugins/widgets.so" \
  "$plugins/"
write_ini() { # $1: widgets enabled (true/false)
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
[plugin.widgets]
enabled = $1
INI
}
write_ini true
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
pid=${PIDS[0]}
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
readyz() { # $1: file for the body; prints the status code
  curl -s -o "$1" -w '%{http_code}' "$health/readyz?verbose"
}

# Well within the 60 s the old host waited for the widgets cache.
wait_for_log "$TMP/log" "ready: 1 plugin(s) running, 1 waiting for a resource" 15
wait_for_log "$TMP/log" "template: started" 5
wait_for_log "$TMP/log" "plugin widgets waiting for widgets.example.com/v1 (not served)"
[ "$(grep -c "plugin widgets waiting for" "$TMP/log")" = 1 ] || fail "the wait is logged more than once"
if grep "widgets: started" "$TMP/log" >/dev/null; then fail "widgets started without its resource"; fi
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
code=$(readyz "$TMP/ready")
[ "$code" = 200 ] || fail "/readyz while widgets waits: $code: $(cat "$TMP/ready")"
grep -xF "[+]plugin widgets waiting for widgets.example.com/v1 (not served)" "$TMP/ready" >/dev/null ||
  fail "/readyz?verbose: $(cat "$TMP/ready")"
grep -xF "[+]plugin template ok" "$TMP/ready" >/dev/null || fail "/readyz?verbose: $(cat "$TMP/ready")"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c1, labels: {app: x}}\n' |
  K create -f - >/dev/null || fail "create configmap"
wait_for_log "$TMP/log" "plugin template: default/c1: 1 label(s)" 10
pass "a plugin waiting for a resource holds neither the others nor /readyz"

# Disabled by SIGHUP: the wait ends; enabled again: it waits again.
write_ini false
kill -HUP "$pid"
wait_for_log "$TMP/log" "plugin widgets disabled by the new configuration"
code=$(readyz "$TMP/ready")
[ "$code" = 200 ] || fail "/readyz after disabling widgets: $code"
if grep "widgets waiting" "$TMP/ready" >/dev/null; then fail "/readyz still has the wait: $(cat "$TMP/ready")"; fi
write_ini true
kill -HUP "$pid"
wait_for_log "$TMP/log" "plugin widgets enabled by the new configuration"
code=$(readyz "$TMP/ready")
grep -xF "[+]plugin widgets waiting for widgets.example.com/v1 (not served)" "$TMP/ready" >/dev/null ||
  fail "/readyz?verbose after re-enabling: $code $(cat "$TMP/ready")"
pass "disabling a waiting plugin by SIGHUP ends its wait"

# The CRD appears: the plugin starts by itself and sees widgets.
cat >"$TMP/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
K apply -f "$TMP/crd.yaml" >/dev/null || fail "create the CRD"
wait_for_log "$TMP/log" "plugin widgets started: widgets.example.com/v1 is served now" 20
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\n' |
  K create -f - >/dev/null || fail "create widget"
wait_for_log "$TMP/log" "widget default/w1 reconciled" 10
code=$(readyz "$TMP/ready")
[ "$code" = 200 ] || fail "/readyz after the CRD: $code: $(cat "$TMP/ready")"
grep -xF "[+]plugin widgets ok" "$TMP/ready" >/dev/null || fail "/readyz?verbose: $(cat "$TMP/ready")"
pass "the waiting plugin starts by itself once its resource is served"

kill -TERM "$pid"
wait_exit "$pid" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit $RC"; }
echo "host_not_served: 3 passed, 0 failed"
