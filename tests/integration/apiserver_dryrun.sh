#!/usr/bin/env bash
# Server-side dry run and YAML bodies, as kube-apiserver answers them:
# kubectl create/apply/delete --dry-run=server and kubectl diff store
# nothing (resourceVersion unchanged, no watch event); a dry-run create of
# an existing name is 409; a dryRun other than All is kube's 422; a
# dry-run NodePort Service and a dry-run pod under a quota consume
# nothing; application/yaml bodies are read, their errors worded as kube's;
# the Python client's dry_run="All".
. "$(dirname "$0")/lib/common.sh"

INI_resourcequota=$'resync_period = 5m' start_cplane resourcequota

url=$(K config view --raw -o jsonpath='{.clusters[0].cluster.server}')
token=$(K config view --raw -o jsonpath='{.users[0].user.token}')
api() { # METHOD PATH CONTENT-TYPE [BODY] -> code, body in $TMP/resp
  curl -sk -o "$TMP/resp" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H "Content-Type: $3" -X "$1" ${4+--data-binary "$4"} "$url$2"
}
CMS=/api/v1/namespaces/default/configmaps
rv() { K get "$@" -o jsonpath='{.metadata.resourceVersion}'; }

cat >"$TMP/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {mode: one}
YAML
K apply -f "$TMP/cm.yaml" >/dev/null || fail "apply cfg"
rv0=$(rv cm cfg)

# Watch from here: a dry run must not show up in it.
curl -sk -N --max-time 60 -H "Authorization: Bearer $token" \
  "$url$CMS?watch=1&resourceVersion=$rv0" >"$TMP/watch" 2>/dev/null &
watcher=$!
sleep 0.5

# --- kubectl
out=$(K create configmap fresh --from-literal=a=b --dry-run=server -o json) ||
  fail "create --dry-run=server: $out"
echo "$out" | jq -e '.metadata.uid != null and .metadata.creationTimestamp != null' \
  >/dev/null || fail "dry-run create output: $out"
K get configmap fresh >/dev/null 2>&1 && fail "create --dry-run=server stored fresh"
pass "kubectl create --dry-run=server answers the object (uid, creationTimestamp) and stores nothing"

sed 's/mode: one/mode: two/' "$TMP/cm.yaml" >"$TMP/cm2.yaml"
diff_out=$(K diff -f "$TMP/cm2.yaml") && fail "kubectl diff found no change"
echo "$diff_out" | grep '^-  mode: one' >/dev/null && echo "$diff_out" | grep '^+  mode: two' >/dev/null ||
  fail "kubectl diff: $diff_out"
out=$(K apply -f "$TMP/cm2.yaml" --dry-run=server -o jsonpath='{.data.mode}') ||
  fail "apply --dry-run=server: $out"
[ "$out" = two ] || fail "apply --dry-run=server answered mode=$out"
K delete configmap cfg --dry-run=server >/dev/null || fail "delete --dry-run=server"
[ "$(K get cm cfg -o jsonpath='{.data.mode}')" = one ] || fail "cfg changed"
[ "$(rv cm cfg)" = "$rv0" ] || fail "resourceVersion moved: $rv0 -> $(rv cm cfg)"
pass "kubectl diff shows the change; apply and delete --dry-run=server answer and store nothing (resourceVersion $rv0)"

# --- the raw answers
code=$(api POST "$CMS?dryRun=All" application/json \
  '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"}}')
[ "$code" = 409 ] && [ "$(jq -r .reason "$TMP/resp")" = AlreadyExists ] ||
  fail "dry-run create of an existing name: $code $(cat "$TMP/resp")"
code=$(api POST "$CMS?dryRun=Yes" application/json '{"metadata":{"name":"x"}}')
[ "$code" = 422 ] && [ "$(jq -r .message "$TMP/resp")" = \
  'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"' ] ||
  fail "dryRun=Yes: $code $(cat "$TMP/resp")"
code=$(api DELETE "$CMS/cfg" application/json '{"dryRun":["All"]}')
[ "$code" = 200 ] || fail "DeleteOptions dryRun: $code $(cat "$TMP/resp")"
code=$(api PATCH "$CMS/cfg?dryRun=All" application/merge-patch+json '{"data":{"mode":"p"}}')
[ "$code" = 200 ] && [ "$(jq -r .metadata.resourceVersion "$TMP/resp")" = "$rv0" ] ||
  fail "dry-run patch: $code $(cat "$TMP/resp")"
pass "409 AlreadyExists for a dry-run create of cfg; dryRun=Yes is kube's 422; DeleteOptions' dryRun and a dry-run patch store nothing"

# A real create last: the watch sees it, and nothing before it.
K create configmap marker >/dev/null || fail "create marker"
wait_until 20 grep -q '"name":"marker"' "$TMP/watch"
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
[ "$(wc -l <"$TMP/watch")" = 1 ] || fail "dry runs made watch events: $(cat "$TMP/watch")"
[ "$(rv cm cfg)" = "$rv0" ] || fail "resourceVersion moved"
pass "no watch event from any dry run (the watch sees the real create after them)"

# --- YAML bodies
code=$(api POST "$CMS" application/yaml $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  num: "1"\n')
[ "$code" = 201 ] && [ "$(K get cm from-yaml -o jsonpath='{.data.num}')" = 1 ] ||
  fail "YAML create: $code $(cat "$TMP/resp")"
code=$(api PUT "$CMS/from-yaml" application/yaml $'metadata: {name: from-yaml}\ndata: {num: "2"}\n')
[ "$code" = 200 ] && [ "$(K get cm from-yaml -o jsonpath='{.data.num}')" = 2 ] ||
  fail "YAML update: $code $(cat "$TMP/resp")"
code=$(api POST "$CMS" application/yaml $'metadata:\n  name: x\n   bad: 1\n')
msg=$(jq -r .message "$TMP/resp")
[ "$code" = 400 ] && case "$msg" in
  'the object provided is unrecognized (must be of type ConfigMap): error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context ('*) ;;
  *) false ;; esac || fail "YAML error: $code $msg"
code=$(api PATCH "$CMS/from-yaml" application/yaml 'data: {}')
[ "$code" = 415 ] || fail "YAML patch: $code"
pass "application/yaml bodies create and update; a YAML error is kube's 400 ($msg); a YAML patch is 415"

# --- nothing consumed: NodePorts, quota
svc() { # NAME NODEPORT [dry]
  K apply ${3:+--dry-run=server} -f - <<EOF2
{"apiVersion":"v1","kind":"Service","metadata":{"name":"$1"},
 "spec":{"type":"NodePort","ports":[{"port":80,"nodePort":$2}]}}
EOF2
}
svc dry 30123 dry >/dev/null || fail "dry-run NodePort service"
K get svc dry >/dev/null 2>&1 && fail "dry-run service stored"
svc real 30123 >/dev/null || fail "nodePort 30123 was taken by a dry run"
pass "a dry-run NodePort Service takes no NodePort (a real one gets 30123 after it)"

K create namespace qt >/dev/null || fail "create namespace qt"
K -n qt create quota q --hard=pods=1 >/dev/null || fail "create the quota"
used() { [ "$(K -n qt get quota q -o jsonpath='{.status.used.pods}')" = "$1" ]; }
wait_until 10 used 0
qrv=$(K -n qt get quota q -o jsonpath='{.metadata.resourceVersion}')
pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}'
echo "$pod" | K -n qt create --dry-run=server -f - >/dev/null || fail "dry-run pod"
used 0 && [ "$(K -n qt get quota q -o jsonpath='{.metadata.resourceVersion}')" = "$qrv" ] ||
  fail "the dry run charged the quota: $(K -n qt get quota q -o jsonpath='{.status.used}')"
echo "$pod" | K -n qt create -f - >/dev/null || fail "the pod after a dry run"
pass "a dry-run pod under quota pods=1 charges nothing (the real pod fits after it)"

# --- the Python client
/usr/bin/python3 - "$TMP/data/admin.kubeconfig" <<'PY' || fail "python dry_run"
import sys
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-dry"), data={"a": "b"})
out = v1.create_namespaced_config_map("default", cm, dry_run="All")
assert out.metadata.uid, out
try:
    v1.read_namespaced_config_map("py-dry", "default")
    sys.exit("py-dry was stored")
except ApiException as e:
    assert e.status == 404, e
v1.delete_namespaced_config_map("cfg", "default", dry_run="All")
assert v1.read_namespaced_config_map("cfg", "default").data["mode"] == "one"
PY
pass "the Python client's dry_run=\"All\" create and delete store nothing"
