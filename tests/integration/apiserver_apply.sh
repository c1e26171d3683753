#!/usr/bin/env bash
# Server-side apply and managedFields with the real clients: kubectl
# apply --server-side creates; another manager changing the same field
# gets a conflict naming the first; --force-conflicts takes it; a field
# removed from the file goes; containers (by name) and ports (by
# containerPort and protocol) merge item by item; an object of
# client-side apply is taken over cleanly; /status of a custom resource;
# dry run stores nothing; Update managers of create, patch and scale;
# the Python and JavaScript clients apply.
. "$(dirname "$0")/lib/common.sh"

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
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
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

deploy() { # REPLICAS [extra label line]
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web${2:-}}
spec:
  replicas: $1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1
        ports: [{containerPort: 80}]
YAML
}

# --- create through apply, and its managedFields as kube writes them
deploy 2 >"$TMP/d.yaml"
K apply --server-side -f "$TMP/d.yaml" | grep "serverside-applied" >/dev/null ||
  fail "apply --server-side did not create"
[ "$(owners deploy/web)" = "kubectl/Apply" ] || fail "owners: $(owners deploy/web)"
want='{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}'
[ "$(fields deploy/web kubectl)" = "$want" ] ||
  fail "fieldsV1: $(fields deploy/web kubectl)"
# kubectl hides them unless asked
K get deploy web -o yaml | grep managedFields >/dev/null && fail "managedFields shown"
pass "apply --server-side creates, with kube's fieldsV1"

# --- a second manager conflicts; force takes the field
deploy 3 >"$TMP/d3.yaml"
K apply --server-side --field-manager=other -f "$TMP/d3.yaml" \
  >"$TMP/out" 2>&1 && fail "no conflict"
grep -q 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' \
  "$TMP/out" || { cat "$TMP/out"; fail "conflict message"; }
TOKEN=$(awk '/token:/ {print $2; exit}' "$TMP/data/admin.kubeconfig")
SERVER=$(awk '/server:/ {print $2; exit}' "$TMP/data/admin.kubeconfig")
curl -sk -H "Authorization: Bearer $TOKEN" -X PATCH \
  -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary "$(K create --dry-run=client -f "$TMP/d3.yaml" -o json)" \
  "$SERVER/apis/apps/v1/namespaces/default/deployments/web?fieldManager=other" \
  >"$TMP/st"
jq -e '.code == 409 and .reason == "Conflict" and
  .details.causes == [{"reason":"FieldManagerConflict",
    "message":"conflict with \"kubectl\"","field":".spec.replicas"}]' \
  "$TMP/st" >/dev/null || { cat "$TMP/st"; fail "409 Status"; }
# a YAML body, as kube reads apply patches
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yml}\ndata: {k: "1"}\n' >"$TMP/y.yaml"
curl -sk -H "Authorization: Bearer $TOKEN" -X PATCH \
  -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$TMP/y.yaml" \
  "$SERVER/api/v1/namespaces/default/configmaps/yml?fieldManager=yaml" >"$TMP/st"
jq -e '.data.k == "1" and .metadata.managedFields[0].manager == "yaml"' \
  "$TMP/st" >/dev/null || { cat "$TMP/st"; fail "YAML apply"; }
printf -- '- a\n' >"$TMP/list.yaml"
curl -sk -H "Authorization: Bearer $TOKEN" -X PATCH \
  -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$TMP/list.yaml" \
  "$SERVER/api/v1/namespaces/default/configmaps/yml?fieldManager=yaml" >"$TMP/st"
jq -e '.code == 400 and (.message | startswith("error decoding YAML: "))' \
  "$TMP/st" >/dev/null || { cat "$TMP/st"; fail "YAML list apply"; }
K apply --server-side --field-manager=other --force-conflicts -f "$TMP/d3.yaml" >/dev/null ||
  fail "--force-conflicts"
[ "$(K get deploy web -o jsonpath='{.spec.replicas}')" = 3 ] || fail "not forced"
fields deploy/web kubectl | grep 'f:replicas' >/dev/null && fail "kubectl kept replicas"
fields deploy/web other | grep 'f:replicas' >/dev/null || fail "other lacks replicas"
pass "a conflict names the owner; --force-conflicts takes the field"

# --- a field removed from the file is removed from the object
deploy 2 ", tier: front" | sed '/replicas/d' >"$TMP/d4.yaml"
K apply --server-side -f "$TMP/d4.yaml" >/dev/null || fail "apply with tier"
[ "$(K get deploy web -o jsonpath='{.metadata.labels.tier}')" = front ] || fail "tier"
deploy 2 | sed '/replicas/d' >"$TMP/d5.yaml"
K apply --server-side -f "$TMP/d5.yaml" >/dev/null || fail "apply without tier"
[ -z "$(K get deploy web -o jsonpath='{.metadata.labels.tier}')" ] ||
  fail "tier not removed"
[ "$(K get deploy web -o jsonpath='{.spec.replicas}')" = 3 ] ||
  fail "replicas (owned by other) went"
pass "fields no longer applied are removed, others' stay"

# --- containers by name and ports by containerPort+protocol, per item
cat >"$TMP/side.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: nginx
        ports: [{containerPort: 443}]
      - name: sidecar
        image: busybox
YAML
K apply --server-side --field-manager=side -f "$TMP/side.yaml" >/dev/null ||
  fail "sidecar apply"
got=$(K get deploy web -o json | jq -c '[.spec.template.spec.containers[] |
  {name, image, ports: [.ports[]?.containerPort]}]')
[ "$got" = '[{"name":"nginx","image":"nginx:1","ports":[80,443]},{"name":"sidecar","image":"busybox","ports":[]}]' ] ||
  fail "list items: $got"
pass "containers and ports merge item by item"

# --- client-side apply, then server-side takes over without conflict
cat >"$TMP/cs.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: cs}
data: {x: "1", y: "1"}
YAML
K apply -f "$TMP/cs.yaml" >/dev/null || fail "client-side apply"
sed -i 's/x: "1"/x: "2"/' "$TMP/cs.yaml"
K apply --server-side -f "$TMP/cs.yaml" >"$TMP/out" 2>&1 ||
  { cat "$TMP/out"; fail "server-side over client-side"; }
[ "$(K get cm cs -o jsonpath='{.data.x}')" = 2 ] || fail "take-over value"
K get cm cs -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}' |
  jq -e '.data.x == "2"' >/dev/null || fail "last-applied not kept in step"
fields cm/cs kubectl-client-side-apply | grep 'f:x' >/dev/null &&
  fail "client-side apply kept data.x"
pass "client-side apply is taken over by apply --server-side"

# --- Update managers: create, patch, scale
K create configmap made --from-literal=a=1 >/dev/null
[ "$(owners cm/made)" = "kubectl-create/Update" ] || fail "create: $(owners cm/made)"
K patch cm made --type=merge -p '{"data":{"b":"2"}}' >/dev/null
[ "$(owners cm/made)" = "kubectl-create/Update kubectl-patch/Update" ] ||
  fail "patch: $(owners cm/made)"
fields cm/made kubectl-patch | grep '"f:b"' >/dev/null || fail "patch fields"
K scale deploy web --replicas=4 >/dev/null
owners deploy/web | grep "kubectl/Update/scale" >/dev/null || fail "scale: $(owners deploy/web)"
fields deploy/web other | grep 'f:replicas' >/dev/null && fail "scale left other replicas"
# [{}] resets them
K patch cm made --type=merge -p '{"metadata":{"managedFields":[{}]}}' >/dev/null
[ -z "$(owners cm/made)" ] || fail "reset: $(owners cm/made)"
pass "create, patch and scale record Update managers; [{}] resets"

# --- /status of a custom resource
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
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
          status: {type: object, properties: {ready: {type: integer}}}
YAML
cat >"$TMP/w.yaml" <<YAML
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 1}
status: {ready: 9}
YAML
sed '/^status/d' "$TMP/w.yaml" | K apply --server-side -f - >/dev/null ||
  fail "widget apply"
K apply --server-side -f "$TMP/w.yaml" >/dev/null || fail "widget apply"
[ -z "$(K get widget w -o jsonpath='{.status.ready}')" ] ||
  fail "main resource apply set status"
K apply --server-side --subresource=status --field-manager=st -f "$TMP/w.yaml" \
  >/dev/null || fail "status apply"
[ "$(K get widget w -o jsonpath='{.status.ready}')" = 9 ] || fail "status not applied"
[ "$(owners widget/w)" = "kubectl/Apply st/Apply/status" ] ||
  fail "status owners: $(owners widget/w)"
pass "apply on /status of a custom resource"

# --- dry run stores nothing
deploy 7 >"$TMP/d7.yaml"
K apply --server-side --force-conflicts --dry-run=server -f "$TMP/d7.yaml" |
  grep "serverside-applied (server dry run)" >/dev/null || fail "dry run apply"
[ "$(K get deploy web -o jsonpath='{.spec.replicas}')" = 4 ] || fail "dry run stored"
sed 's/name: web$/name: ghost/' "$TMP/d7.yaml" >"$TMP/ghost.yaml"
K apply --server-side --dry-run=server -f "$TMP/ghost.yaml" >/dev/null ||
  fail "dry run create"
K get deploy ghost >/dev/null 2>&1 && fail "dry run created"
pass "apply with dryRun=All stores nothing"

# --- the clients
/usr/bin/python3 "$(dirname "$0")/clients/apply_clients.py" \
  "$TMP/data/admin.kubeconfig" || fail "python apply"
if [ -f "$B/npm/node_modules/@kubernetes/client-node/package.json" ]; then
  cp "$(dirname "$0")/clients/node_apply.mjs" "$B/npm/"
  (cd "$B/npm" && timeout 60 node node_apply.mjs "$TMP/data/admin.kubeconfig") ||
    fail "client-node apply"
  pass "python and client-node apply server-side"
else
  pass "python applies server-side (client-node not installed: apiserver_node.sh installs it)"
fi

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
