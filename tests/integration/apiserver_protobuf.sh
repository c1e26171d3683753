#!/usr/bin/env bash
# Protobuf with the real kubectl: every `kubectl create <kind>` form of
# kubectl 1.32 sends a protobuf body, which the server must read (never a
# 415) and answer in protobuf (kubectl then prints "<kind>/<name>
# created"); objects, lists, Status and watch events come back in
# protobuf when Accept prefers it, Tables stay JSON. /openapi/v2 in JSON
# and protobuf with ETag/304, kubectl explain over it, and a file with one
# unmappable kind applies the rest (kubectl falls back to v2).
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
mkdir -m 755 "$TMP/noplugins"
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
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" |
  sed 's/.* on //')
[ -n "$url" ] || fail "no API server URL in the log"
KC="$TMP/data/admin.kubeconfig"
K() { kubectl --kubeconfig "$KC" --cache-dir "$TMP/cache" \
  --request-timeout=20s "$@"; }
TOKEN=$(grep -o 'token: .*' "$KC" | sed -n 1p | awk '{print $2}')
C() { curl -sk --max-time 20 -H "Authorization: Bearer $TOKEN" "$@"; }
PB=application/vnd.kubernetes.protobuf

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.pem" \
  -out "$TMP/c.pem" -subj /CN=pb -days 1 2>/dev/null
K create namespace pb >/dev/null || fail "create namespace pb"

# create NAME ARGS...: runs `kubectl ARGS` at -v=8; the POST must not be a
# 415 and must have gone as protobuf. Served kinds are created and the
# answer was protobuf; a kind this build does not serve yet is a 404.
created=() notyet=()
create() {
  local name=$1 code
  shift
  K -v=8 "$@" >"$TMP/out" 2>&1 && rc=0 || rc=$?
  grep -q 'Content-Type: application/vnd.kubernetes.protobuf' "$TMP/out" ||
    { cat "$TMP/out" >&2; fail "$name: kubectl sent no protobuf body"; }
  code=$(awk '/\] POST /{p=1} p && /Response Status:/{print; exit}' \
    "$TMP/out" | grep -o 'Status: [0-9]*' | cut -d' ' -f2)
  case "$code" in
  201)
    [ "$rc" = 0 ] || { cat "$TMP/out" >&2; fail "$name: 201 but kubectl failed"; }
    grep -A8 'Response Headers' "$TMP/out" |
      grep "Content-Type: $PB" >/dev/null ||
      { cat "$TMP/out" >&2; fail "$name: the answer was not protobuf"; }
    grep -q ' created$' "$TMP/out" || fail "$name: kubectl printed no 'created'"
    created+=("$name")
    ;;
  404) notyet+=("$name") ;;
  *) cat "$TMP/out" >&2; fail "$name: POST answered $code, not 201 or 404" ;;
  esac
}
create namespace create namespace pb2
create configmap create configmap cm1 -n pb --from-literal=a=1 --from-literal=b=two
create secret-generic create secret generic s1 -n pb --from-literal=password=s3cr3t
create secret-tls create secret tls t1 -n pb --cert="$TMP/c.pem" --key="$TMP/k.pem"
create secret-docker-registry create secret docker-registry d1 -n pb \
  --docker-server=r.example --docker-username=u --docker-password=p
create deployment create deployment web -n pb --image=nginx:1.27 --replicas=2 --port=80
create job create job j1 -n pb --image=busybox -- echo hi
create cronjob create cronjob c1 -n pb --image=busybox --schedule="*/5 * * * *" -- date
create service-clusterip create service clusterip sc1 -n pb --tcp=80:8080
create service-nodeport create service nodeport sn1 -n pb --tcp=80:8080
create service-loadbalancer create service loadbalancer sl1 -n pb --tcp=443:8443
create service-externalname create service externalname se1 -n pb --external-name=db.example.com
create serviceaccount create serviceaccount sa1 -n pb
create role create role r1 -n pb --verb=get,list --resource=configmaps
create rolebinding create rolebinding rb1 -n pb --role=r1 --user=alice
create clusterrole create clusterrole cr1 --verb=get --resource=nodes
create clusterrolebinding create clusterrolebinding crb1 --clusterrole=cr1 --group=devs
create quota create quota q1 -n pb --hard=cpu=1,memory=1G,pods=10
create poddisruptionbudget create poddisruptionbudget pdb1 -n pb --selector=app=web --min-available=1
create priorityclass create priorityclass high --value=1000 --description=high
create ingress create ingress in1 -n pb --rule="foo.example/bar*=svc1:8080"
pass "kubectl create, protobuf both ways: ${created[*]}"
echo "   404 until the kind is served: ${notyet[*]:-none}"
for k in namespace configmap secret-generic secret-tls secret-docker-registry deployment; do
  [[ " ${created[*]} " == *" $k "* ]] || fail "$k was not created"
done

# What kubectl sent is what is stored: the decoder kept every field.
out=$(K get deployment web -n pb -o json)
jq -e '.spec.replicas == 2 and .spec.selector.matchLabels.app == "web" and
  .spec.template.spec.containers[0].image == "nginx:1.27" and
  .spec.template.spec.containers[0].ports[0].containerPort == 80' \
  <<<"$out" >/dev/null || fail "deployment as stored: $out"
out=$(K get secret s1 -n pb -o jsonpath='{.data.password}' | base64 -d)
[ "$out" = s3cr3t ] || fail "secret data: $out"
out=$(K get secret t1 -n pb -o jsonpath='{.type}')
[ "$out" = kubernetes.io/tls ] || fail "tls secret type: $out"
pass "bodies decoded field for field"

# kubectl run and expose send JSON (resource builder), not protobuf.
K run p1 -n pb --image=nginx:1.27 --port=80 >/dev/null || fail "kubectl run"
pass "kubectl run"

# Responses: object, list, Status in protobuf when Accept prefers it.
magic() { head -c 4 "$1" | od -An -c | tr -d ' \n'; }
C -H "Accept: $PB, application/json" -o "$TMP/o.pb" -D "$TMP/h" \
  "$url/api/v1/namespaces/pb/configmaps/cm1"
grep -qi "content-type: $PB" "$TMP/h" || fail "object not protobuf: $(cat "$TMP/h")"
[ "$(magic "$TMP/o.pb")" = 'k8s\0' ] || fail "no k8s magic"
grep -q ConfigMap "$TMP/o.pb" || fail "no ConfigMap TypeMeta"
C -H "Accept: $PB" -o "$TMP/l.pb" -D "$TMP/h" "$url/api/v1/namespaces/pb/configmaps"
grep -qi "content-type: $PB" "$TMP/h" || fail "list not protobuf"
grep -q ConfigMapList "$TMP/l.pb" || fail "no ConfigMapList TypeMeta"
code=$(C -H "Accept: $PB" -o "$TMP/s.pb" -D "$TMP/h" -w '%{http_code}' \
  "$url/api/v1/namespaces/pb/configmaps/nope")
[ "$code" = 404 ] || fail "missing object: $code"
grep -qi "content-type: $PB" "$TMP/h" || fail "Status not protobuf"
grep -q NotFound "$TMP/s.pb" || fail "Status has no reason"
# JSON clients and Tables are unchanged.
C -H "Accept: application/json" "$url/api/v1/namespaces/pb/configmaps/cm1" |
  jq -e '.data.b == "two"' >/dev/null || fail "JSON answer changed"
C -H "Accept: $PB;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1;g=meta.k8s.io, application/json" \
  "$url/api/v1/namespaces/pb/configmaps" | jq -e '.kind == "Table"' >/dev/null ||
  fail "a Table request did not get a JSON Table"
K get cm -n pb >/dev/null || fail "kubectl get"
pass "objects, lists and Status in protobuf; JSON and Table unchanged"

# client-go's typed Delete sends DeleteOptions in protobuf too.
python3 - >"$TMP/delopts.pb" <<'PY'
import sys
def v(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])
def f(num, data): return v(num << 3 | 2) + v(len(data)) + data
def i(num, n): return v(num << 3) + v(n)
tm = f(1, b"meta.k8s.io/v1") + f(2, b"DeleteOptions")
raw = i(1, 0) + f(4, b"Background")  # gracePeriodSeconds, propagationPolicy
sys.stdout.buffer.write(b"k8s\0" + f(1, tm) + f(2, raw) + f(3, b"") + f(4, b""))
PY
code=$(C -X DELETE -H "Content-Type: $PB" --data-binary @"$TMP/delopts.pb" \
  -o "$TMP/d.json" -w '%{http_code}' "$url/api/v1/namespaces/pb/configmaps/cm1")
[ "$code" = 200 ] || fail "DELETE with protobuf DeleteOptions: $code $(cat "$TMP/d.json")"
K create configmap cm1 -n pb --from-literal=a=1 --from-literal=b=two >/dev/null
pass "DELETE with a protobuf DeleteOptions body"

# A protobuf body of a served kind that does not decode is kube's 400
# (transformDecodeError), not a 415.
malformed() { # NAME BODY-FILE WANT-MESSAGE
  local code
  code=$(C -X POST -H "Content-Type: $PB" -H 'Accept: application/json' \
    --data-binary @"$2" -o "$TMP/m.json" -w '%{http_code}' \
    "$url/api/v1/namespaces/pb/configmaps")
  [ "$code" = 400 ] || fail "$1: $code $(cat "$TMP/m.json")"
  [ "$(jq -r '.reason+"|"+.message' "$TMP/m.json")" = "BadRequest|$3" ] ||
    fail "$1: $(cat "$TMP/m.json")"
}
printf 'garbage' >"$TMP/g.pb"
malformed garbage "$TMP/g.pb" \
  'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (67617262616765)'
printf 'k8s\0' >"$TMP/e.pb"
malformed "empty body" "$TMP/e.pb" \
  'the object provided is unrecognized (must be of type ConfigMap): empty body (6b387300)'
printf 'k8s\0\n\017\n\002v1\022\011ConfigMap\022\004\n\377\377\377' >"$TMP/t.pb"
malformed truncated "$TMP/t.pb" \
  'ConfigMap in version "v1" cannot be handled as a ConfigMap: unexpected EOF'
[ -z "$(K get configmaps -n pb -o name | grep -v cm1 || true)" ] || fail "a malformed body stored something"
pass "a malformed protobuf body is kube's 400 BadRequest"

# Watch: 4-byte length frames of a WatchEvent whose object is enveloped.
C -N -H "Accept: $PB" -D "$TMP/wh" -o "$TMP/w.pb" \
  "$url/api/v1/namespaces/pb/configmaps?watch=1&timeoutSeconds=2" || true
grep -qi "content-type: $PB;stream=watch" "$TMP/wh" ||
  fail "watch not protobuf: $(cat "$TMP/wh")"
python3 - "$TMP/w.pb" <<'PY' || fail "watch frames"
import sys
b = open(sys.argv[1], "rb").read()
n = 0
while b:
    ln = int.from_bytes(b[:4], "big")
    ev, b = b[4:4 + ln], b[4 + ln:]
    assert len(ev) == ln and ev[0] == 0x0a, "frame"
    assert ev[2:2 + ev[1]] == b"ADDED", ev[:10]
    assert b"k8s\x00" in ev and b"ConfigMap" in ev
    n += 1
assert n >= 1, "no events"
PY
pass "watch events in protobuf frames"

# /openapi/v2: JSON, protobuf (what kubectl reads), ETag and 304.
C -D "$TMP/h" -o "$TMP/v2.json" "$url/openapi/v2"
jq -e '.swagger == "2.0" and
  (.definitions["io.k8s.api.apps.v1.Deployment"]."x-kubernetes-group-version-kind"[0].kind == "Deployment") and
  ([.. | objects | ."$ref"? // empty | select(startswith("#/components"))] | length == 0)' \
  "$TMP/v2.json" >/dev/null || fail "/openapi/v2 JSON"
etag=$(grep -i '^etag:' "$TMP/h" | cut -d' ' -f2- | tr -d '\r')
[ -n "$etag" ] || fail "no ETag"
code=$(C -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/openapi/v2")
[ "$code" = 304 ] || fail "If-None-Match: $code"
code=$(C -o "$TMP/v2.pb" -w '%{http_code} %{content_type}' \
  -H 'Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf' \
  "$url/openapi/v2")
[ "$code" = "200 application/com.github.proto-openapi.spec.v2.v1.0+protobuf" ] ||
  fail "protobuf v2: $code"
code=$(C -o /dev/null -w '%{http_code}' -H 'Accept: text/html' "$url/openapi/v2")
[ "$code" = 406 ] || fail "text/html: $code"
K explain deployment.spec.replicas --output=plaintext-openapiv2 >"$TMP/out" 2>&1 ||
  { cat "$TMP/out" >&2; fail "kubectl explain over v2"; }
grep -q 'FIELD: *replicas' "$TMP/out" || fail "explain: $(cat "$TMP/out")"
pass "/openapi/v2 JSON, protobuf, 304, 406, kubectl explain"

# A CRD changes the document (cached by the registry's generation).
K apply -f - >/dev/null <<'EOF' || fail "CRD"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
EOF
for i in $(seq 1 50); do
  C "$url/openapi/v2" | jq -e '.definitions["com.example.v1.Gadget"]' \
    >/dev/null && break
  sleep 0.2
done
C "$url/openapi/v2" | jq -e '.definitions["com.example.v1.Gadget"].properties.spec.properties.size.type == "integer"' \
  >/dev/null || fail "the CRD's schema is not in /openapi/v2"
code=$(C -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/openapi/v2")
[ "$code" = 200 ] || fail "old ETag after a CRD: $code"
pass "/openapi/v2 follows CRDs"

# One kind kubectl cannot map must not abort the file: the rest applies
# and the error names the one (kubectl falls back to /openapi/v2).
cat >"$TMP/mixed.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: mixed-a, namespace: pb}
data: {a: "1"}
---
apiVersion: nowhere.example.com/v1
kind: Widget
metadata: {name: w, namespace: pb}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mixed-b, namespace: pb}
data: {b: "2"}
EOF
K apply -f "$TMP/mixed.yaml" >"$TMP/out" 2>&1 && fail "apply of an unmappable kind succeeded"
grep -q 'no matches for kind "Widget"' "$TMP/out" || fail "apply: $(cat "$TMP/out")"
grep -q 'failed to download openapi' "$TMP/out" && fail "apply: $(cat "$TMP/out")"
K get cm mixed-a mixed-b -n pb >/dev/null || fail "the mappable objects were not applied"
pass "apply with an unmappable kind applies the rest"
