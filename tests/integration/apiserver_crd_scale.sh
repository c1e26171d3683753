#!/usr/bin/env bash
# A custom resource's scale subresource follows its definition's paths as
# kube's apiextensions-apiserver does: `kubectl scale` writes replicas at
# specReplicasPath (creating the objects on the way), `kubectl get
# --subresource=scale` reads spec/status replicas and the selector string
# at specReplicasPath/statusReplicasPath/labelSelectorPath; a definition
# whose paths are missing or outside .spec/.status is refused with
# kube's 422; discovery hashes the storage version in every served one.
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
port = 0
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

# crd SCALE: a Gadget definition (v1 stored, v1beta1 served too) whose
# subresources.scale is SCALE (a flow mapping).
crd() {
  cat <<YAML
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
    subresources: {status: {}, scale: $1}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
}

# --- bad paths: kube's 422, nothing stored
refused() {
  local out
  out=$(crd "$1" | K apply -f - 2>&1) && fail "accepted scale $1: $out"
  grep -F -- "$2" <<<"$out" >/dev/null || fail "scale $1: no '$2' in: $out"
}
refused '{statusReplicasPath: .status.replicas}' \
  'spec.versions[0].subresources.scale.specReplicasPath: Required value'
refused '{specReplicasPath: .status.replicas, statusReplicasPath: .status.replicas}' \
  'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec'
refused '{specReplicasPath: .spec.replicas, statusReplicasPath: .spec.ready}' \
  'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: ".spec.ready": should be a json path under .status'
refused '{specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: spec.selector}' \
  'spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: "spec.selector": must be a simple json path starting with .'
refused '{specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .metadata.name}' \
  'spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: ".metadata.name": should be a json path under either .spec or .status'
K get crd gadgets.example.com >/dev/null 2>&1 && fail "a refused CRD was stored"
pass "a CRD with bad scale paths is refused with kube's messages"

# --- the paths are followed
crd '{specReplicasPath: .spec.size.count, statusReplicasPath: .status.readyReplicas, labelSelectorPath: .status.selector}' |
  install_crd gadgets.example.com
for i in $(seq 300); do
  K get --raw /apis/example.com/v1 >/dev/null 2>&1 && break
  sleep 0.1
done
K apply -f - >/dev/null <<'YAML' || fail "create gadgets"
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
spec: {size: {count: 2}, replicas: 7}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: bare}
spec: {}
YAML
K patch gadget g --subresource=status --type=merge \
  -p '{"status":{"readyReplicas":1,"replicas":9,"selector":"app=g,tier in (a,b)"}}' >/dev/null ||
  fail "patch status"
scale() { K get gadget "$1" --subresource=scale -o json | jq -r \
  '[.kind, (.spec.replicas|tostring), (.status.replicas|tostring), .status.selector // ""] | join(" ")'; }
[ "$(scale g)" = "Scale 2 1 app=g,tier in (a,b)" ] || fail "scale of g: $(scale g)"
[ "$(K get gadget g --subresource=scale -o jsonpath='{.spec.replicas}/{.status.replicas}')" = 2/1 ] ||
  fail "jsonpath of g's scale"
out=$(K scale gadget/g --replicas=5 2>&1) || fail "kubectl scale: $out"
[ "$(K get gadget g -o jsonpath='{.spec.size.count} {.spec.replicas} {.metadata.generation}')" = "5 7 2" ] ||
  fail "scale wrote: $(K get gadget g -o jsonpath='{.spec}')"
[ "$(scale g)" = "Scale 5 1 app=g,tier in (a,b)" ] || fail "scale of g after: $(scale g)"
pass "kubectl scale and get --subresource=scale follow the CRD's paths"

# No value at specReplicasPath: kube answers 500 on GET; kubectl scale
# (a PUT/patch carrying replicas) creates spec.size on the way.
out=$(K get --raw /apis/example.com/v1/namespaces/default/gadgets/bare/scale 2>&1) &&
  fail "scale of bare answered: $out"
grep -F 'the spec replicas field ".spec.size.count" does not exist' <<<"$out" >/dev/null ||
  fail "bare scale: $out"
out=$(K scale gadget/bare --replicas=3 2>&1) || fail "kubectl scale bare: $out"
[ "$(K get gadget bare -o jsonpath='{.spec.size.count}')" = 3 ] ||
  fail "bare after scale: $(K get gadget bare -o jsonpath='{.spec}')"
pass "a missing replicas value: kube's 500 on GET, created by a scale"

# --- discovery: both served versions carry the storage version's hash
want=$(python3 -c 'import hashlib,base64; print(base64.b64encode(hashlib.sha256(b"example.com/v1/Gadget").digest()[:8]).decode())')
svh() { K get --raw "/apis/example.com/$1" | jq -r '.resources[] | select(.name == "gadgets") | .storageVersionHash'; }
[ "$(svh v1)" = "$want" ] || fail "v1 hash $(svh v1), want $want"
[ "$(svh v1beta1)" = "$want" ] || fail "v1beta1 hash $(svh v1beta1), want $want"
pass "discovery hashes the storage version in every served version"
