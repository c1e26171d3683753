#!/usr/bin/env bash
# Issue #12: one request must never crash the server or poison what later
# readers get. Against the real server, with kubectl and curl: DELETE on a
# collection without selectors (kubectl delete --all), malformed continue
# tokens (also from a user allowed only to list), DeleteOptions of the
# wrong type, non-JSON bodies (NaN, 1e400, comments, duplicate keys),
# a JSON patch copy bomb and too many operations, a pod without
# containers, a conflicting CRD, a list at a future resourceVersion and
# limit at the top of int64. After each the server must still answer.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
printf 'admintok,admin,1,"system:masters"\npodtok,lister,2,"podlisters"\n' \
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
[authz.podlisters]
groups = podlisters
verbs = list
resources = pods
namespaces = default
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
wait_for_log "$TMP/log" "ready: "
url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" |
  sed 's/.* on //')
[ -n "$url" ] || fail "no API server URL in the log"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

# req METHOD PATH [CONTENT-TYPE BODY-FILE [TOKEN]] -> HTTP code; body in resp
req() {
  local args=(-s -o "$TMP/resp" -w '%{http_code}' --cacert
    "$TMP/data/pki/ca.crt" -H "Authorization: Bearer ${5-admintok}"
    -X "$1")
  [ -n "${3:-}" ] && args+=(-H "Content-Type: $3" --data-binary "@$4")
  curl "${args[@]}" "$url$2"
}
expect() { # WANT-CODE WANT-TEXT METHOD PATH [CT FILE [TOKEN]]
  local want=$1 text=$2 got
  shift 2
  got=$(req "$@")
  [ "$got" = "$want" ] || { cat "$TMP/resp"; fail "$1 $2: HTTP $got, want $want"; }
  [ -z "$text" ] || grep -F -- "$text" "$TMP/resp" >/dev/null ||
    fail "$1 $2: no '$text' in $(head -c 400 "$TMP/resp")"
}
alive() {
  kill -0 "$SERVER" 2>/dev/null || { tail -30 "$TMP/log"; fail "server died: $1"; }
  [ "$(req GET /api/v1/namespaces/default)" = 200 ] || fail "server not answering after $1"
}
CM=/api/v1/namespaces/default/configmaps

# kubectl delete --all sends DELETE on the collection without selectors.
for i in 1 2 3; do K create configmap "c$i" --from-literal=k=v >/dev/null; done
out=$(K delete cm --all 2>&1) || fail "kubectl delete cm --all: $out"
grep -q 'configmap "c2" deleted' <<<"$out" || fail "delete --all: $out"
[ -z "$(K get cm -o name)" ] || fail "configmaps left after delete --all"
alive "DELETE collection"
pass "kubectl delete cm --all (DELETE on a collection, no selector)"

# Malformed continue tokens: 400, from a user who may only list pods too.
expect 400 "invalid continue token" GET "$CM?continue=1.zz"
expect 400 "invalid continue token" GET \
  "/api/v1/namespaces/default/pods?continue=1.zz" "" "" podtok
expect 400 "" GET "$CM?limit=1&continue=0.61"
alive "continue=1.zz"
K create configmap p1 >/dev/null
K create configmap p2 >/dev/null
[ "$(K get cm --chunk-size=1 -o name | wc -l)" = 2 ] || fail "paged list"
pass "malformed continue tokens are 400; paging still works"

# DeleteOptions of the wrong type: 400 as Go's decoder words it.
printf '{"dryRun":"All"}' >"$TMP/dopt"
expect 400 'cannot unmarshal string into Go struct field DeleteOptions.dryRun of type []string' \
  DELETE "$CM/p1" application/json "$TMP/dopt"
K get cm p1 >/dev/null || fail "p1 deleted by a refused request"
alive "dryRun string"
pass "DeleteOptions with dryRun as a string is 400"

# Non-JSON never reaches the store.
for body in '{"metadata":{"name":"n1"},"data":{"a":NaN}}' \
  '{"metadata":{"name":"n2"},"data":{"a":"x"},"x":1e400}' \
  '{"metadata":{"name":"n3"},"data":{"a":"x"},}' \
  '{"metadata":{"name":"n4"}}/*c*/' \
  "{'metadata':{'name':'n5'}}" \
  '{"metadata":{"name":"n6"},"data":{"a\u0000b":"x"}}'; do
  printf '%s' "$body" >"$TMP/nj"
  expect 400 "" POST $CM application/json "$TMP/nj"
done
printf '{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}' >"$TMP/crd"
expect 201 "" POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions \
  application/json "$TMP/crd"
W=/apis/example.com/v1/namespaces/default/widgets
for i in $(seq 300); do
  [ "$(req GET $W)" = 200 ] && break
  sleep 0.1
done
printf '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"v":NaN}}' >"$TMP/w"
expect 400 "invalid character 'N'" POST $W application/json "$TMP/w"
printf '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w2"},"spec":{"v":1.5}}' >"$TMP/w"
expect 201 "" POST $W application/json "$TMP/w"
K get widgets -o json | jq -e '.items | length == 1' >/dev/null ||
  fail "widgets list not readable by kubectl"
/usr/bin/python3 - "$TMP/data/admin.kubeconfig" <<'PY' || fail "client-go style list failed"
import sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
items = client.CustomObjectsApi().list_namespaced_custom_object(
    "example.com", "v1", "default", "widgets")["items"]
assert [i["metadata"]["name"] for i in items] == ["w2"], items
PY
pass "NaN, 1e400, comments, quotes, trailing commas, NUL keys are 400; lists stay readable"

# Duplicate keys: Strict -> 400, Warn -> a warning, Ignore -> last wins.
printf '{"metadata":{"name":"d1","name":"d2"}}' >"$TMP/dup"
expect 400 'strict decoding error: duplicate field \"metadata.name\"' \
  POST "$CM?fieldValidation=Strict" application/json "$TMP/dup"
curl -s -D "$TMP/hdr" -o "$TMP/resp" --cacert "$TMP/data/pki/ca.crt" \
  -H "Authorization: Bearer admintok" -H "Content-Type: application/json" \
  --data-binary "@$TMP/dup" "$url$CM" >/dev/null
grep -i '^warning: 299 - "duplicate field \\"metadata.name\\""' "$TMP/hdr" >/dev/null ||
  fail "no duplicate-field warning: $(cat "$TMP/hdr")"
K get cm d2 >/dev/null || fail "last name did not win"
pass "duplicate fields follow fieldValidation"

# JSON patch: a copy bomb is refused before it grows; 10001 ops are 413.
python3 -c '
import json
print(json.dumps([{"op":"copy","from":"/metadata","path":"/metadata/annotations/x%d" % i} for i in range(40)]))' >"$TMP/bomb"
printf '[{"op":"add","path":"/metadata/annotations","value":{}}]' >"$TMP/ann"
expect 200 "" PATCH "$CM/p1" application/json-patch+json "$TMP/ann"
expect 422 "Unable to complete the copy, the accumulated size increase of copy is" \
  PATCH "$CM/p1" application/json-patch+json "$TMP/bomb"
python3 -c '
import json
print(json.dumps([{"op":"test","path":"/metadata/name","value":"p1"}] * 10001))' >"$TMP/many"
expect 413 "The allowed maximum operations in a JSON patch is 10000, got 10001" \
  PATCH "$CM/p1" application/json-patch+json "$TMP/many"
alive "patch bomb"
rss=$(ps -o rss= -p "$SERVER" | tr -d ' ')
[ "$rss" -lt 400000 ] || fail "server RSS ${rss} KiB after the copy bomb"
pass "JSON patch copy bomb is 422 (RSS ${rss} KiB), 10001 operations are 413"

# A pod without containers is 422, as kube validates it.
printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"empty"},"spec":{}}' >"$TMP/pod"
expect 422 'Pod \"empty\" is invalid: spec.containers: Required value' \
  POST /api/v1/namespaces/default/pods application/json "$TMP/pod"
printf '{"metadata":{"name":"fin","finalizers":[null]}}' >"$TMP/fin"
expect 422 "metadata.finalizers[0]" POST $CM application/json "$TMP/fin"
pass "pod without containers and a null finalizer are 422"

# Two CRDs of one group with the same kind: the second is not accepted.
sed 's/widgets/gadgets/g' "$TMP/crd" >"$TMP/crd2"
expect 201 "" POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions \
  application/json "$TMP/crd2"
st=$(K get crd gadgets.example.com -o jsonpath='{.status.conditions[?(@.type=="NamesAccepted")].status}/{.status.conditions[?(@.type=="NamesAccepted")].reason}/{.status.conditions[?(@.type=="NamesAccepted")].message}')
[ "$st" = 'False/KindConflict/"Widget" is already in use' ] || fail "gadgets: $st"
expect 404 "" GET /apis/example.com/v1/namespaces/default/gadgets
pass "a CRD whose kind is taken gets NamesAccepted=False KindConflict and is not served"

# A list beyond the current revision is 504 Timeout; limit at INT64_MAX.
expect 504 "Too large resource version" GET "$CM?resourceVersion=999999999"
jq -e '.reason == "Timeout" and .details.causes[0].reason == "ResourceVersionTooLarge"' \
  "$TMP/resp" >/dev/null || fail "504 Status: $(cat "$TMP/resp")"
expect 200 "" GET "$CM?limit=9223372036854775807"
expect 400 "" GET "$CM?limit=9223372036854775808"
alive "limit"
pass "future resourceVersion is 504 Timeout; limit=INT64_MAX is served"

grep -E "AddressSanitizer|runtime error|Assertion" "$TMP/log" && fail "sanitizer or assertion report"
pass "server alive and clean"
