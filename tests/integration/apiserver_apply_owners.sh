#!/usr/bin/env bash
# Who owns what after server-side apply, beyond apiserver_apply.sh: an
# apply on /scale (an autoscaling/v1 Scale) owns the parent's replicas
# with subresource scale and conflicts with the object's applier both
# ways, for a Deployment and a custom resource (specReplicasPath); the
# client-side apply upgrade takes over a field only while it is still
# as last applied; kubectl diff --server-side shows a change and stores
# nothing; a status sent on create is dropped where kube drops it
# (Deployment, a custom resource with a status subresource), kept for a
# Node; the deployment and replicaset plugins write under their own
# names.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/deployment.so" "$B/plugins/replicaset.so" \
  "$TMP/plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount
disable_admission_plugins = ServiceAccount
port = 0
[plugin.deployment]
enabled = true
[plugin.replicaset]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 2 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
TOKEN=$(awk '/token:/ {print $2; exit}' "$TMP/data/admin.kubeconfig")
SERVER=$(awk '/server:/ {print $2; exit}' "$TMP/data/admin.kubeconfig")
# owners OBJ: "manager/Operation[/subresource]" of each managedFields entry
owners() {
  K get "$@" -o json --show-managed-fields |
    jq -r '[(.metadata.managedFields // [])[] | "\(.manager)/\(.operation)" +
      (if .subresource then "/" + .subresource else "" end)] | join(" ")'
}
fields() { # OBJ MANAGER: its fieldsV1, compact
  K get "$1" -o json --show-managed-fields |
    jq -c --arg m "$2" '.metadata.managedFields[] | select(.manager == $m) | .fieldsV1'
}
apply_scale() { # PATH QUERY REPLICAS NAME: PATCH an apply Scale, body to $TMP/st
  printf 'apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: %s}\nspec: {replicas: %s}\n' \
    "$4" "$3" >"$TMP/scale.yaml"
  curl -sk -H "Authorization: Bearer $TOKEN" -X PATCH \
    -H 'Content-Type: application/apply-patch+yaml' \
    --data-binary @"$TMP/scale.yaml" "$SERVER$1/scale?$2" >"$TMP/st"
}

cat >"$TMP/d.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
YAML

# --- a status sent on create: dropped for a Deployment, kept for a Node
{ cat "$TMP/d.yaml"; echo "status: {replicas: 7, readyReplicas: 7}"; } |
  sed 's/name: web$/name: ghost/' |
  K create --dry-run=server -o json -f - | jq -e '.status == {}' >/dev/null ||
  fail "a Deployment kept the status it was created with"
cat <<YAML | K create -f - >/dev/null || fail "node create"
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {capacity: {cpu: "4"}}
YAML
[ "$(K get node n1 -o jsonpath='{.status.capacity.cpu}')" = 4 ] ||
  fail "a Node lost the status it was created with"
pass "a create drops the status where kube's strategy does"

# --- the plugins write under their own names
K apply --server-side -f "$TMP/d.yaml" >/dev/null || fail "apply web"
wait_until 20 sh -c "kubectl --kubeconfig '$TMP/data/admin.kubeconfig' get rs -l app=web -o name | grep . >/dev/null"
rs=$(K get rs -l app=web -o name | sed -n 1p)
owners "$rs" | grep -cw "deployment/Update" >/dev/null || fail "rs owners: $(owners "$rs")"
wait_until 20 sh -c "kubectl --kubeconfig '$TMP/data/admin.kubeconfig' get pods -l app=web -o name | grep . >/dev/null"
pod=$(K get pods -l app=web -o name | sed -n 1p)
owners "$pod" | grep -cw "replicaset/Update" >/dev/null || fail "pod owners: $(owners "$pod")"
owners deploy/web "$rs" | grep cplane-host >/dev/null && fail "cplane-host still owns"
pass "plugins' writes are owned by the plugin (deployment, replicaset)"

# --- apply on /scale: its own manager, conflicts both ways
D=/apis/apps/v1/namespaces/default/deployments/web
apply_scale $D "fieldManager=hpa" 5 web
jq -e '.code == 409 and .message == "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas" and
  .details.causes[0].field == ".spec.replicas"' "$TMP/st" >/dev/null ||
  { cat "$TMP/st"; fail "scale apply: no conflict with the applier"; }
apply_scale $D "fieldManager=hpa&force=true" 5 web
jq -e '.kind == "Scale" and .spec.replicas == 5' "$TMP/st" >/dev/null ||
  { cat "$TMP/st"; fail "forced scale apply"; }
[ "$(K get deploy web -o jsonpath='{.spec.replicas}')" = 5 ] || fail "replicas"
owners deploy/web | grep -cw "hpa/Apply/scale" >/dev/null || fail "owners: $(owners deploy/web)"
[ "$(fields deploy/web hpa)" = '{"f:spec":{"f:replicas":{}}}' ] ||
  fail "hpa fields: $(fields deploy/web hpa)"
fields deploy/web kubectl | grep 'f:replicas' >/dev/null && fail "kubectl kept replicas"
K apply --server-side -f "$TMP/d.yaml" >"$TMP/out" 2>&1 && fail "no conflict back"
grep -q 'conflict with "hpa" with subresource "scale": .spec.replicas' "$TMP/out" ||
  { cat "$TMP/out"; fail "conflict with the scale applier"; }
# a Deployment is not a Scale (kube's words)
curl -sk -H "Authorization: Bearer $TOKEN" -X PATCH \
  -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$TMP/d.yaml" \
  "$SERVER$D/scale?fieldManager=hpa" >"$TMP/st"
jq -e '.code == 400 and .message == "Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: autoscaling/v1"' \
  "$TMP/st" >/dev/null || { cat "$TMP/st"; fail "a Deployment to /scale"; }
apply_scale $D "fieldManager=hpa&dryRun=All" 9 web
[ "$(K get deploy web -o jsonpath='{.spec.replicas}')" = 5 ] || fail "dry run stored"
pass "apply on a Deployment's /scale owns replicas as kube's ScaleHandler"

install_crd widgets.example.com <<YAML
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
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.ready}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
          status: {type: object, properties: {ready: {type: integer}}}
YAML
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\nstatus: {ready: 3}\n' |
  K apply --server-side -f - >/dev/null || fail "widget apply"
[ -z "$(K get widget w -o jsonpath='{.status}')" ] ||
  fail "a custom resource kept the status it was created with"
W=/apis/example.com/v1/namespaces/default/widgets/w
apply_scale $W "fieldManager=hpa" 4 w
jq -e '.code == 409 and .details.causes[0].field == ".spec.replicas"' \
  "$TMP/st" >/dev/null || { cat "$TMP/st"; fail "widget scale conflict"; }
apply_scale $W "fieldManager=hpa&force=true" 4 w
[ "$(K get widget w -o jsonpath='{.spec.size}')" = 4 ] || fail "widget size"
[ "$(fields widget/w hpa)" = '{"f:spec":{"f:size":{}}}' ] ||
  fail "widget hpa fields: $(fields widget/w hpa)"
pass "apply on a custom resource's /scale owns its specReplicasPath"

# --- the client-side apply upgrade takes only what is still as applied
cat >"$TMP/cs.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: cs}
data: {p: "1", q: "1"}
YAML
K apply -f "$TMP/cs.yaml" >/dev/null || fail "client-side apply"
K patch cm cs --field-manager=other --type=merge -p '{"data":{"q":"5"}}' >/dev/null
sed -i 's/p: "1", q: "1"/p: "2", q: "1"/' "$TMP/cs.yaml"
K apply --server-side -f "$TMP/cs.yaml" >"$TMP/out" 2>&1 &&
  fail "a drifted field was taken over"
grep -q 'conflict with "other" using v1: .data.q' "$TMP/out" ||
  { cat "$TMP/out"; fail "drift conflict"; }
sed -i 's/q: "1"/q: "5"/' "$TMP/cs.yaml"
K apply --server-side -f "$TMP/cs.yaml" >/dev/null || fail "upgrade as live"
[ "$(K get cm cs -o jsonpath='{.data.p}')" = 2 ] || fail "p not taken over"
pass "the last-applied upgrade takes a field only while live matches it"

# --- kubectl diff --server-side
sed 's/replicas: 2/replicas: 5/; s/image: nginx/image: nginx:2/' "$TMP/d.yaml" >"$TMP/d2.yaml"
set +e
K diff --server-side --force-conflicts -f "$TMP/d2.yaml" >"$TMP/diff" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$TMP/diff"; fail "diff --server-side exit $rc"; }
grep -q '^+.*image: nginx:2' "$TMP/diff" || { cat "$TMP/diff"; fail "diff output"; }
[ "$(K get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')" = nginx ] ||
  fail "diff stored"
sed 's/replicas: 2/replicas: 5/' "$TMP/d.yaml" >"$TMP/d3.yaml"
K apply --server-side --force-conflicts -f "$TMP/d3.yaml" >/dev/null
K diff --server-side -f "$TMP/d3.yaml" >"$TMP/diff" 2>&1 ||
  { cat "$TMP/diff"; fail "diff of no change"; }
pass "kubectl diff --server-side shows a change and stores nothing"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
