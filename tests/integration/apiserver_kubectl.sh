#!/usr/bin/env bash
# The API server with the real kubectl: discovery, apply (create, then a
# strategic-merge 3-way patch), scale, label, the three patch types, a
# stale replace (409), watch, finalizers, describe, api-resources; and bad
# input over plain HTTP, each answered with the right Status code while
# the server stays up.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
printf 'admintok,admin,1,"system:masters"\nviewtok,viewer,2,"readers"\n' \
  >"$TMP/data/tokens.csv"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
tokens_file = $TMP/data/tokens.csv
[authz.readers]
groups = readers
verbs = get, list, watch
resources = configmaps
namespaces = default
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" |
  sed 's/.* on //')
[ -n "$url" ] || fail "no API server URL in the log"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

out=$(K version 2>&1) || fail "kubectl version: $out"
grep -q "Server Version: v1.32" <<<"$out" || fail "version: $out"
K get ns default -o name | grep -x "namespace/default" >/dev/null || fail "no default ns"
pass "discovery and version"

cat >"$TMP/app.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels: {app: nginx}
spec:
  replicas: 3
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata: {name: game-config}
data: {a: "1"}
EOF
out=$(K apply -f "$TMP/app.yaml" 2>&1) || fail "apply: $out"
grep -q "deployment.apps/nginx-deployment created" <<<"$out" ||
  fail "apply output: $out"
[ "$(K get deploy nginx-deployment -o jsonpath='{.metadata.generation}')" = 1 ] ||
  fail "generation after create"
sed -i 's/nginx:1.14.2/nginx:1.16.1/' "$TMP/app.yaml"
out=$(K apply -f "$TMP/app.yaml" 2>&1) || fail "re-apply: $out"
grep -q "configured" <<<"$out" || fail "re-apply output: $out"
got=$(K get deploy nginx-deployment -o \
  jsonpath='{.spec.template.spec.containers[0].image} {.metadata.generation} {.spec.template.spec.containers[0].ports[0].containerPort}')
[ "$got" = "nginx:1.16.1 2 80" ] || fail "after strategic merge: $got"
pass "apply creates, then patches with a strategic merge"

K scale deploy nginx-deployment --replicas=7 >/dev/null || fail "scale"
[ "$(K get deploy nginx-deployment -o jsonpath='{.spec.replicas}')" = 7 ] ||
  fail "replicas after scale"
K label cm game-config tier=fe >/dev/null || fail "label"
[ "$(K get cm -l 'tier in (fe,be)' -o name)" = "configmap/game-config" ] ||
  fail "set-based selector"
[ -z "$(K get cm -l 'tier!=fe' -o name)" ] || fail "!= selector"
K patch cm game-config --type=json -p '[{"op":"add","path":"/data/b","value":"2"}]' >/dev/null ||
  fail "json patch"
K patch cm game-config --type=merge -p '{"data":{"c":"3"}}' >/dev/null ||
  fail "merge patch"
K patch deploy nginx-deployment --type=strategic \
  -p '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}' >/dev/null ||
  fail "strategic patch"
[ "$(K get deploy nginx-deployment -o jsonpath='{.spec.template.spec.containers[*].name}')" = "nginx sidecar" ] ||
  fail "strategic patch merged containers by name"
[ "$(K get cm game-config -o jsonpath='{.data.a}{.data.b}{.data.c}')" = 123 ] ||
  fail "patched data"
pass "scale, label, selectors, json/merge/strategic patch"

K get cm game-config -o yaml >"$TMP/cm.yaml"
sed -i 's/resourceVersion: .*/resourceVersion: "2"/' "$TMP/cm.yaml"
if out=$(K replace -f "$TMP/cm.yaml" 2>&1); then
  fail "a stale replace succeeded"
fi
grep -q "Conflict" <<<"$out" || fail "stale replace: $out"
pass "stale replace is a 409 Conflict"

# The create waits until the watch has listed (its header printed, over
# game-config; kubectl watches right after), so that it comes as an
# event, however slowly kubectl starts.
K get cm -w --request-timeout=60s >"$TMP/watch" 2>&1 &
wpid=$!
wait_until 30 grep '^NAME' "$TMP/watch"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\n' |
  K create -f - >/dev/null || fail "create watched"
wait_for_log "$TMP/watch" '^watched' 30 # watch saw no event? the file is printed
kill "$wpid" 2>/dev/null || true
pass "kubectl get -w sees a new object"

# kubectl >= 1.32 sends these three as protobuf.
K create namespace pbns >/dev/null || fail "kubectl create namespace (protobuf body)"
[ "$(K get ns pbns -o jsonpath='{.status.phase}')" = Active ] || fail "namespace pbns"
K create configmap pbcm -n pbns --from-literal=a=1 --from-literal=b=two >/dev/null ||
  fail "kubectl create configmap (protobuf body)"
[ "$(K get cm pbcm -n pbns -o jsonpath='{.data.a}/{.data.b}')" = 1/two ] ||
  fail "configmap data: $(K get cm pbcm -n pbns -o jsonpath='{.data}')"
K create secret generic pbsec -n pbns --from-literal=password='s3cr3t!' >/dev/null ||
  fail "kubectl create secret (protobuf body)"
[ "$(K get secret pbsec -n pbns -o jsonpath='{.data.password}' | base64 -d)" = 's3cr3t!' ] ||
  fail "secret data"
K create deployment pbdep -n pbns --image=nginx:1.27 --replicas=2 --port=80 >/dev/null ||
  fail "kubectl create deployment (protobuf body)"
[ "$(K get deploy pbdep -n pbns -o jsonpath='{.spec.replicas}/{.spec.selector.matchLabels.app}/{.spec.template.spec.containers[0].image}/{.spec.template.spec.containers[0].ports[0].containerPort}')" = 2/pbdep/nginx:1.27/80 ] ||
  fail "deployment spec: $(K get deploy pbdep -n pbns -o jsonpath='{.spec}')"
pass "kubectl create namespace, configmap, secret and deployment (protobuf bodies)"

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\n' |
  K create -f - >/dev/null || fail "create held"
K delete cm held --wait=false >/dev/null || fail "delete held"
[ -n "$(K get cm held -o jsonpath='{.metadata.deletionTimestamp}')" ] ||
  fail "held has no deletionTimestamp"
K patch cm held --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null ||
  fail "remove finalizer"
if K get cm held >/dev/null 2>&1; then fail "held still exists"; fi
K delete cm watched >/dev/null || fail "delete watched"
K delete deploy nginx-deployment --cascade=foreground --wait=false >/dev/null ||
  fail "foreground delete"
[ "$(K get deploy nginx-deployment -o jsonpath='{.metadata.finalizers}')" = '["foregroundDeletion"]' ] ||
  fail "foreground delete adds the foregroundDeletion finalizer"
pass "finalizers hold a deleted object until removed"

K describe cm game-config | grep "^Name: *game-config" >/dev/null || fail "describe"
K api-resources | grep "^deployments .*deploy .*apps/v1 .*true .*Deployment" >/dev/null ||
  fail "api-resources"
pass "describe and api-resources"

cat >"$TMP/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
install_crd widgets.example.com 10 <"$TMP/crd.yaml"
K api-resources | grep "^widgets .*wd .*example.com/v1 .*true .*Widget" >/dev/null ||
  fail "widgets missing from api-resources"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' >"$TMP/w.yaml"
K apply -f "$TMP/w.yaml" >/dev/null || fail "create widget"
sed -i 's/size: 3/size: 4/' "$TMP/w.yaml"
K apply -f "$TMP/w.yaml" >/dev/null || fail "re-apply widget (merge patch)"
[ "$(K get wd w1 -o jsonpath='{.spec.size} {.metadata.generation}')" = "4 2" ] ||
  fail "widget after re-apply"
pass "a CRD's custom resources are served, applied and listed"

# A second version shares the objects (no conversion): each serves them
# with its own apiVersion, in a get and in a watch; served: false takes
# it away at once.
K patch crd widgets.example.com --type=json -p '[{"op":"add","path":"/spec/versions/-","value":{"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}]' \
  >/dev/null || fail "add version v2"
[ "$(K get --raw /apis/example.com | jq -r '[.kind, .preferredVersion.version, (.versions | map(.version) | join(","))] | join(" ")')" = "APIGroup v2 v2,v1" ] ||
  fail "/apis/example.com: $(K get --raw /apis/example.com 2>&1)"
[ "$(K get widgets.v2.example.com w1 -o jsonpath='{.apiVersion} {.spec.size}')" = "example.com/v2 4" ] ||
  fail "w1 through v2: $(K get widgets.v2.example.com w1 -o json 2>&1)"
K get widgets.v2.example.com -w --output-watch-events -o json >"$TMP/w2.watch" 2>&1 &
wpid=$!
wait_for_log "$TMP/w2.watch" '"ADDED"' # the watch has listed: the label comes after
K label widgets.v1.example.com w1 seen=yes >/dev/null || fail "label w1 through v1"
wait_for_log "$TMP/w2.watch" '"seen": *"yes"'
kill "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
jq -e -s 'map(select(.type == "MODIFIED")) | .[-1].object |
  .apiVersion == "example.com/v2" and .metadata.labels.seen == "yes"' \
  "$TMP/w2.watch" >/dev/null || fail "v2 watch: $(cat "$TMP/w2.watch")"
K patch crd widgets.example.com --type=json -p '[{"op":"replace","path":"/spec/versions/1/served","value":false}]' \
  >/dev/null || fail "stop serving v2"
out=$(K get widgets.v2.example.com w1 2>&1) && fail "v2 still served: $out"
[ "$(K get widgets.v1.example.com w1 -o jsonpath='{.apiVersion}')" = "example.com/v1" ] ||
  fail "w1 through v1 after v2 went"
pass "a CRD's versions share its objects, each with its own apiVersion; served: false stops one"

# Deleting the CRD takes its resources and its type away; creating it
# again serves an empty type.
K delete crd widgets.example.com >/dev/null || fail "delete CRD"
out=$(K get wd 2>&1) && fail "widgets still served after the CRD went: $out"
K api-resources | grep "^widgets " >/dev/null && fail "widgets still in api-resources"
K apply -f "$TMP/crd.yaml" >/dev/null || fail "re-create CRD"
K wait --for=condition=Established crd/widgets.example.com --timeout=60s >/dev/null ||
  fail "re-created CRD not Established"
[ -z "$(K get wd -o name 2>&1)" ] || fail "old widgets came back: $(K get wd -o name 2>&1)"
K apply -f "$TMP/w.yaml" >/dev/null || fail "create widget after re-create"
[ "$(K get wd w1 -o jsonpath='{.spec.size} {.metadata.generation}')" = "4 1" ] ||
  fail "widget after re-create"
pass "deleting a CRD deletes its resources and stops serving them; re-creating it serves it again"

# Bad input: each gets its Status code and the server stays up.
code() { # METHOD PATH CONTENT-TYPE BODY-FILE [TOKEN] -> HTTP code
  curl -s -o "$TMP/resp" -w '%{http_code}' --cacert "$TMP/data/pki/ca.crt" \
    -H "Authorization: Bearer ${5-admintok}" -X "$1" -H "Content-Type: $3" \
    --data-binary "@$4" "$url$2"
}
expect_code() { # WANT METHOD PATH CONTENT-TYPE BODY-FILE [TOKEN]
  local got
  got=$(code "$2" "$3" "$4" "$5" "${6-admintok}")
  [ "$got" = "$1" ] || { cat "$TMP/resp"; fail "$2 $3: HTTP $got, want $1"; }
  jq -e ".kind == \"Status\" and .code == $1" "$TMP/resp" >/dev/null ||
    fail "$2 $3: not a Status with code $1: $(head -c 300 "$TMP/resp")"
}
CM=/api/v1/namespaces/default/configmaps
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":' >"$TMP/bad"
expect_code 400 POST $CM application/json "$TMP/bad"
head -c 4194304 /dev/zero | tr '\0' ' ' >"$TMP/big"
expect_code 413 POST $CM application/json "$TMP/big"
python3 -c 'print("{\"a\":" * 10000 + "1" + "}" * 10000)' >"$TMP/deep"
expect_code 400 POST $CM application/json "$TMP/deep"
printf '{"metadata":{"name":"Bad_Name"}}' >"$TMP/badname"
expect_code 422 POST $CM application/json "$TMP/badname"
printf '{"metadata":{"name":"x","namespace":"other"}}' >"$TMP/otherns"
expect_code 400 POST $CM application/json "$TMP/otherns"
# A protobuf body of a served kind that does not decode: kube's 400.
printf '\x0ak8s\x00' >"$TMP/pb"
expect_code 400 POST $CM application/vnd.kubernetes.protobuf "$TMP/pb"
printf '' >"$TMP/empty"
expect_code 400 GET "$CM?labelSelector=a%20in%20(" application/json "$TMP/empty"
expect_code 400 GET "$CM?limit=abc" application/json "$TMP/empty"
expect_code 404 GET /api/v1/namespaces/default/widgets application/json "$TMP/empty"
expect_code 404 GET $CM/nope application/json "$TMP/empty"
expect_code 404 POST /api/v1/namespaces/nons/configmaps application/json "$TMP/badname"
expect_code 422 PATCH $CM/game-config application/apply-patch+yaml "$TMP/empty"
[ "$(K get cm game-config -o jsonpath='{.data.a}')" = 1 ] ||
  fail "the server lost data after bad input"
pass "bad input gets the right Status and loses nothing"

# Who may do what: tokens and [authz.*] rules over TLS.
grep -q "certificate-authority-data:" "$TMP/data/admin.kubeconfig" ||
  fail "the kubeconfig has no CA"
[ "$(stat -c %a "$TMP/data/admin.kubeconfig")" = 600 ] ||
  fail "the kubeconfig (it holds a token) is not private"
expect_code 401 GET $CM application/json "$TMP/empty" ""
expect_code 401 GET $CM application/json "$TMP/empty" wrongtoken
expect_code 401 GET /apis application/json "$TMP/empty" ""
[ "$(code GET /version application/json "$TMP/empty" "")" = 200 ] ||
  fail "/version must be public"
[ "$(code GET $CM application/json "$TMP/empty" viewtok)" = 200 ] ||
  fail "viewer cannot list configmaps in default"
expect_code 403 POST $CM application/json "$TMP/badname" viewtok
grep -q 'configmaps is forbidden: User \\"viewer\\" cannot create resource \\"configmaps\\" in API group \\"\\" in the namespace \\"default\\"' "$TMP/resp" ||
  fail "403 message: $(cat "$TMP/resp")"
expect_code 403 GET /api/v1/namespaces/kube-system/configmaps application/json "$TMP/empty" viewtok
expect_code 403 GET /api/v1/namespaces/default/pods application/json "$TMP/empty" viewtok
# Plain HTTP on the TLS port gets Go's 400, never a resource.
out=$(curl -s -i "http://${url#https://}/version") || true
grep -q "^HTTP/1.0 400 Bad Request" <<<"$out" ||
  fail "plain HTTP on the TLS port: $out"
pass "TLS, tokens and authorization rules"

curl -sf --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer admintok" \
  "$url/metrics" >"$TMP/metrics" || fail "GET /metrics"
grep -q '^apiserver_request_total{code="201",resource="configmaps",verb="create"} [1-9]' \
  "$TMP/metrics" || fail "no create count in /metrics"
grep -q '^apiserver_request_duration_seconds_bucket{resource="deployments",verb="patch",le="+Inf"}' \
  "$TMP/metrics" || fail "no patch latency in /metrics"
command -v promtool >/dev/null || fail "promtool is not installed"
out=$(promtool check metrics <"$TMP/metrics" 2>&1) ||
  fail "promtool check metrics: $out"
pass "/metrics passes promtool check metrics"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
