#!/usr/bin/env bash
# API aggregation as kube-aggregator does it: an APIService naming a
# selector-less Service whose EndpointSlice points at a small HTTPS
# extension server (clients/extension_apiserver.py) routes
# /apis/example.cplane.io/v1 to it, with the front-proxy client
# certificate and X-Remote-User/Group; discovery lists its resources;
# Available follows kube's reasons (ServiceNotFound, MissingEndpoints,
# Passed, FailedDiscoveryCheck) and a stopped server answers 503.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data" "$TMP/noplugins"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
port = 0
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }
[ -s "$TMP/data/pki/front-proxy-client.crt" ] || fail "no front-proxy client certificate"

# The extension server's CA and serving certificate (<svc>.<ns>.svc).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$TMP/ext-ca.key" -out "$TMP/ext-ca.crt" -days 2 -subj /CN=ext-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$TMP/ext.key" -out "$TMP/ext.csr" -subj /CN=ext 2>/dev/null
printf 'subjectAltName=DNS:ext.default.svc\n' >"$TMP/ext.ext"
openssl x509 -req -in "$TMP/ext.csr" -CA "$TMP/ext-ca.crt" -CAkey "$TMP/ext-ca.key" \
  -CAcreateserial -days 2 -extfile "$TMP/ext.ext" -out "$TMP/ext.crt" 2>/dev/null
start_ext() {
  rm -f "$TMP/ext.port"
  python3 "$ROOT/tests/integration/clients/extension_apiserver.py" "$TMP/ext.crt" \
    "$TMP/ext.key" "$TMP/data/pki/front-proxy-ca.crt" "$TMP/ext.port" &
  EXT_PID=$!
  PIDS+=($EXT_PID)
  wait_until 10 test -s "$TMP/ext.port"
}
start_ext
port=$(cat "$TMP/ext.port")

avail() {
  K get apiservice v1.example.cplane.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}/{.status.conditions[?(@.type=="Available")].reason}'
}
avail_is() { [ "$(avail)" = "$1" ]; }
K apply -f - >/dev/null <<EOF
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.example.cplane.io}
spec:
  group: example.cplane.io
  version: v1
  groupPriorityMinimum: 1000
  versionPriority: 15
  caBundle: $(base64 -w0 <"$TMP/ext-ca.crt")
  service: {namespace: default, name: ext, port: 443}
EOF
wait_until 10 avail_is False/ServiceNotFound
K get apiservice v1.example.cplane.io -o jsonpath='{.status.conditions[0].message}' |
  grep 'service/ext in "default" is not present' >/dev/null || fail "$(K get apiservice v1.example.cplane.io -o yaml)"
K apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec:
  ports: [{name: https, port: 443, targetPort: $port}]
EOF
wait_until 10 avail_is False/MissingEndpoints
K apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-1
  namespace: default
  labels: {kubernetes.io/service-name: ext}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
ports: [{name: https, port: $port, protocol: TCP}]
EOF
wait_until 10 avail_is True/Passed
pass "Available: ServiceNotFound, MissingEndpoints, then Passed"
cm=$(K get configmap -n kube-system extension-apiserver-authentication -o json)
[ "$(echo "$cm" | jq -r '.data["requestheader-allowed-names"]')" = '["front-proxy-client"]' ] &&
  [ "$(echo "$cm" | jq -r '.data["requestheader-client-ca-file"]')" = "$(cat "$TMP/data/pki/front-proxy-ca.crt")" ] &&
  [ "$(echo "$cm" | jq -r '.data["client-ca-file"]')" = "$(cat "$TMP/data/pki/ca.crt")" ] ||
  fail "extension-apiserver-authentication: $cm"
pass "kube-system/extension-apiserver-authentication tells extension servers whom to trust"

out=$(K get widgets -n default -o json) || fail "get widgets: $out"
ann() { echo "$out" | jq -r ".items[0].metadata.annotations[\"$1\"]"; }
[ "$(ann remote-user)" = admin ] || fail "X-Remote-User: $(ann remote-user)"
echo "$(ann remote-groups)" | grep system:masters >/dev/null || fail "X-Remote-Group: $(ann remote-groups)"
[ "$(ann client-cn)" = front-proxy-client ] || fail "client certificate: $(ann client-cn)"
out=$(K get wdg w9 -n default -o json) || fail "get wdg w9: $out"
[ "$(echo "$out" | jq -r .metadata.name)" = w9 ] || fail "$out"
out=$(K get --raw '/apis/example.cplane.io/v1/namespaces/default/widgets?limit=5&labelSelector=a%3Db')
q=$(echo "$out" | jq -r '.items[0].metadata.annotations.query')
echo "&$q&" | grep '&limit=5&' >/dev/null && echo "&$q&" | grep '&labelSelector=a%3Db&' >/dev/null ||
  fail "query not passed through: $q"
pass "kubectl get on the aggregated group reaches the extension server as the caller"

# A watch streams: its events arrive while the extension server still
# holds the stream open (30 s of events), as the caller, and the client
# leaving closes the extension server's connection.
token=$(K config view --raw --minify -o jsonpath='{.users[0].user.token}')
server=$(K config view --minify -o jsonpath='{.clusters[0].cluster.server}')
curl -sN --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $token" \
  "$server/apis/example.cplane.io/v1/namespaces/default/widgets?watch=1" >"$TMP/watch.out" &
WATCH_PID=$!
PIDS+=($WATCH_PID)
wait_until 10 grep -q '"name": "w2"' "$TMP/watch.out"
[ -e "$TMP/ext.port.watch-closed" ] && fail "the extension server's watch ended early"
[ "$(head -1 "$TMP/watch.out" | jq -r '.type + " " + .object.metadata.annotations["remote-user"]')" = "ADDED admin" ] ||
  fail "watch event: $(head -1 "$TMP/watch.out")"
kill "$WATCH_PID"
wait_until 10 test -e "$TMP/ext.port.watch-closed"
pass "an aggregated watch streams its events; the client leaving closes the backend's"
rm -f "$TMP/ext.port.watch-closed"
# Until w3 shows (not a fixed 4 s: kubectl alone may take longer to
# start on a loaded machine), then the client leaves.
kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" \
  get widgets -n default --watch -o name >"$TMP/kwatch.out" 2>&1 &
KWATCH_PID=$!
PIDS+=($KWATCH_PID)
wait_for_log "$TMP/kwatch.out" '^widget.example.cplane.io/w3$' 30
kill "$KWATCH_PID" 2>/dev/null || true
wait "$KWATCH_PID" 2>/dev/null || true
wait_until 10 test -e "$TMP/ext.port.watch-closed"
pass "kubectl get --watch on an aggregated resource shows events as they come"

K api-resources --api-group=example.cplane.io | grep '^widgets *wdg *example.cplane.io/v1 *true *Widget' >/dev/null ||
  fail "api-resources: $(K api-resources --api-group=example.cplane.io)"
K get --raw /apis | jq -e '.groups[] | select(.name=="example.cplane.io")' >/dev/null ||
  fail "/apis does not list the group"
K get --raw /apis/example.cplane.io | jq -e '.preferredVersion.version=="v1"' >/dev/null ||
  fail "/apis/example.cplane.io"
pass "discovery lists the aggregated group and its resources"

# A watch open when the extension server goes: its response ends too.
curl -sN --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $token" \
  "$server/apis/example.cplane.io/v1/namespaces/default/widgets?watch=1" >"$TMP/watch2.out" &
WATCH_PID=$!
PIDS+=($WATCH_PID)
wait_until 10 grep -q '"name": "w1"' "$TMP/watch2.out"
kill "$EXT_PID"
wait "$EXT_PID" 2>/dev/null || true
wait_until 10 bash -c "! kill -0 $WATCH_PID"
wait "$WATCH_PID" || fail "the watch did not end cleanly when its extension server went"
wait_until 10 avail_is False/FailedDiscoveryCheck
K get apiservice v1.example.cplane.io -o jsonpath='{.status.conditions[0].message}' |
  grep "failing or missing response from https://127.0.0.1:$port/apis/example.cplane.io/v1" >/dev/null ||
  fail "$(K get apiservice v1.example.cplane.io -o yaml)"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --cacert "$TMP/data/pki/ca.crt" \
  -H "Authorization: Bearer $token" "$server/apis/example.cplane.io/v1/namespaces/default/widgets")
[ "$code" = 503 ] || fail "a stopped extension server: HTTP $code $(cat "$TMP/body")"
grep -q "service unavailable" "$TMP/body" || fail "$(cat "$TMP/body")"
K get ns default >/dev/null || fail "the server is wedged"
pass "a stopped extension server: Available False (FailedDiscoveryCheck), 503"

K delete apiservice v1.example.cplane.io >/dev/null
code_is() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/data/pki/ca.crt" \
    -H "Authorization: Bearer $token" "$server$2")" = "$1" ]
}
wait_until 10 code_is 404 /apis/example.cplane.io/v1/namespaces/default/widgets
pass "a deleted APIService stops routing"

# A clean stop: the signer's and aggregator's threads end, nothing leaks.
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 30
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "Sanitizer|runtime error" "$TMP/log" >&2 && fail "sanitizer reports in the log"
pass "clean stop"
