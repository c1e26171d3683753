#!/usr/bin/env bash
# The platform kinds with the real kubectl: networking (Ingress,
# IngressClass, NetworkPolicy), rbac (Role, ClusterRole, RoleBinding,
# ClusterRoleBinding, and the bootstrap ClusterRoles), storage
# (StorageClass, CSIDriver, CSINode, VolumeAttachment), admission webhook
# configurations, APIService and CertificateSigningRequest: discovery,
# create/apply, get -o yaml (kube's defaults), get -o wide, describe,
# delete; the objects kubectl's create subcommands build; the 422s kube
# answers; status subresources; and a trimmed mix of public manifests
# (ingress-nginx, metrics-server, cert-manager) applied whole.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
command -v openssl >/dev/null || fail "openssl is not installed"
mkdir -m 700 "$TMP/data" "$TMP/noplugins"
printf 'admintok,admin,1,"system:masters"\n' >"$TMP/data/tokens.csv"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
listen = 127.0.0.1:0
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
tokens_file = $TMP/data/tokens.csv
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" |
  sed 's/.* on //')
[ -n "$url" ] || fail "no API server URL in the log"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }
# expect_fail WANT CMD...: CMD fails with a message containing WANT.
# (kubectl apply prints the server's message as it is; create and patch
# reword it from the Status details.)
expect_fail() {
  local want=$1 out
  shift
  if out=$("$@" 2>&1); then fail "accepted: $* ($out)"; fi
  grep -F -- "$want" <<<"$out" >/dev/null || fail "want '$want', got: $out"
}
# message_is PATH JSON WANT: POSTing JSON to PATH answers 422 with the
# Status message WANT, as the server words it (kubectl rewords it).
message_is() {
  local body
  body=$(curl -sk -H "Authorization: Bearer admintok" \
    -H "Content-Type: application/json" --data-binary "$2" "$url$1")
  [ "$(jq -r .code <<<"$body")" = 422 ] || fail "$1: want 422, got $body"
  [ "$(jq -r .message <<<"$body")" = "$3" ] ||
    fail "$1: want message '$3', got $body"
}
# field_is RESOURCE NAME JSONPATH WANT
field_is() {
  local got
  got=$(K get "$1" "$2" ${5:+-n "$5"} -o "jsonpath=$3")
  [ "$got" = "$4" ] || fail "$1/$2 $3: want '$4', got '$got'"
}

# ------------------------------------------------------------ discovery
res=$(K api-resources --no-headers)
for want in "ingresses +ing +networking.k8s.io/v1 +true +Ingress" \
  "ingressclasses +networking.k8s.io/v1 +false +IngressClass" \
  "networkpolicies +netpol +networking.k8s.io/v1 +true +NetworkPolicy" \
  "roles +rbac.authorization.k8s.io/v1 +true +Role" \
  "clusterroles +rbac.authorization.k8s.io/v1 +false +ClusterRole" \
  "rolebindings +rbac.authorization.k8s.io/v1 +true +RoleBinding" \
  "clusterrolebindings +rbac.authorization.k8s.io/v1 +false" \
  "storageclasses +sc +storage.k8s.io/v1 +false +StorageClass" \
  "csidrivers +storage.k8s.io/v1 +false +CSIDriver" \
  "csinodes +storage.k8s.io/v1 +false +CSINode" \
  "volumeattachments +storage.k8s.io/v1 +false +VolumeAttachment" \
  "validatingwebhookconfigurations +admissionregistration.k8s.io/v1 +false" \
  "mutatingwebhookconfigurations +admissionregistration.k8s.io/v1 +false" \
  "apiservices +apiregistration.k8s.io/v1 +false +APIService" \
  "certificatesigningrequests +csr +certificates.k8s.io/v1 +false"; do
  grep -E "^$want" <<<"$res" >/dev/null || fail "api-resources lacks: $want"
done
pass "discovery lists the 15 platform kinds with kube's short names"

# ------------------------------------------------------------ bootstrap
for r in cluster-admin admin edit view; do
  K get clusterrole "$r" -o name >/dev/null || fail "no bootstrap clusterrole $r"
done
field_is clusterrole view '{.metadata.labels.rbac\.authorization\.k8s\.io/aggregate-to-edit}' true
field_is clusterrole admin '{.aggregationRule.clusterRoleSelectors[0].matchLabels}' \
  '{"rbac.authorization.k8s.io/aggregate-to-admin":"true"}'
field_is clusterrolebinding cluster-admin '{.subjects[0].name}' system:masters
pass "bootstrap ClusterRoles cluster-admin, admin, edit, view and binding"

# ------------------------------------------------------------ networking
cat >"$TMP/net.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: Params, name: p}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: tls}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: b.example.com
    http:
      paths:
      - {path: /api, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {matchLabels: {app: web}}
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 53}]}]
YAML
K apply -f "$TMP/net.yaml" >/dev/null || fail "apply networking kinds"
field_is ingressclass nginx '{.spec.parameters.scope}' Cluster
field_is netpol np '{.spec.policyTypes}' '["Ingress","Egress"]'
field_is netpol np '{.spec.egress[0].ports[0].protocol}' TCP
field_is ingress web '{.metadata.generation}' 1
out=$(K describe ingress web) || fail "describe ingress"
grep -E "Ingress Class: +nginx" <<<"$out" >/dev/null || fail "describe: $out"
grep -E "b.example.com" <<<"$out" >/dev/null || fail "describe: $out"
K describe netpol np >/dev/null || fail "describe netpol"
pass "Ingress, IngressClass, NetworkPolicy: apply, kube's defaults, describe"

# The status subresource: a main update keeps status, /status sets it.
K patch ingress web --subresource=status --type=merge \
  -p '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}' >/dev/null ||
  fail "ingress status patch"
K patch ingress web --type=merge -p '{"status":{"loadBalancer":{"ingress":[]}},"metadata":{"labels":{"x":"y"}}}' >/dev/null
field_is ingress web '{.status.loadBalancer.ingress[0].ip}' 192.0.2.1
pass "Ingress status subresource"

# -o wide: kube's columns once the verbs print through the strategies.
wide=$(K get ingress,ingressclass,netpol -o wide)
if grep -E "^NAME +CLASS +HOSTS +ADDRESS +PORTS +AGE" <<<"$wide" >/dev/null; then
  grep -E "^ingress.networking.k8s.io/web +nginx +a.example.com,b.example.com +192.0.2.1 +80, 443 " <<<"$wide" >/dev/null ||
    fail "ingress row: $wide"
  grep -E "^ingressclass.networking.k8s.io/nginx +k8s.io/ingress-nginx +Params.k8s.example.com/p " <<<"$wide" >/dev/null ||
    fail "ingressclass row: $wide"
  grep -E "^networkpolicy.networking.k8s.io/np +app=web " <<<"$wide" >/dev/null ||
    fail "netpol row: $wide"
  pass "get -o wide prints kube's columns"
else
  echo "skip: Table columns come from the strategies once table.c asks them"
fi

message_is /apis/networking.k8s.io/v1/namespaces/default/ingresses \
  '{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"nopt"},"spec":{"rules":[{"http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}' \
  'Ingress.networking.k8s.io "nopt" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'
expect_fail 'spec.controller: Invalid value: "k8s.io/other": field is immutable' \
  K patch ingressclass nginx --type=merge -p '{"spec":{"controller":"k8s.io/other"}}'
expect_fail 'spec.ingress[0].from[0]: Required value: must specify a peer' \
  K apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nopeer}
spec: {ingress: [{from: [{}]}]}
YAML
pass "networking 422s as kube words them"

# ------------------------------------------------------------ rbac
# The objects `kubectl create role|clusterrole|rolebinding|
# clusterrolebinding|ingress` build; the subcommands themselves send
# protobuf, which the server takes only once protobuf decoding is
# generic: accept that 415 and send the same objects as JSON.
create_form() {
  local out
  if out=$(K create "$@" 2>&1); then return 0; fi
  grep -E "UnsupportedMediaType|unknown format \(application/vnd.kubernetes.protobuf\)" <<<"$out" >/dev/null ||
    fail "kubectl create $*: $out"
  K create "$@" --dry-run=client -o json | K create -f - >/dev/null ||
    fail "kubectl create $* (as JSON)"
}
create_form role pod-reader --verb=get,list --resource=pods
create_form clusterrole node-reader --verb=get,watch --resource=nodes
create_form clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true
create_form rolebinding rb --role=pod-reader --user=alice --group=devs \
  --serviceaccount=default:builder
create_form clusterrolebinding crb --clusterrole=node-reader --user=bob
create_form ingress simple --rule="foo.example.com/bar=svc1:8080"
field_is role pod-reader '{.rules[0].verbs}' '["get","list"]'
field_is clusterrole agg '{.aggregationRule.clusterRoleSelectors[0].matchLabels}' \
  '{"rbac.example.com/aggregate":"true"}'
field_is rolebinding rb '{.subjects[0].apiGroup}' rbac.authorization.k8s.io
field_is rolebinding rb '{.roleRef.kind}/{.roleRef.name}' Role/pod-reader
field_is ingress simple '{.spec.rules[0].http.paths[0].pathType}' Exact
out=$(K describe rolebinding rb) || fail "describe rolebinding"
grep -E "ServiceAccount +builder +default" <<<"$out" >/dev/null || fail "describe: $out"
K describe clusterrole node-reader >/dev/null || fail "describe clusterrole"
pass "kubectl create role/clusterrole/rolebinding/clusterrolebinding/ingress objects"

wide=$(K get rolebinding rb -o wide)
if grep -E "^NAME +ROLE +AGE +USERS +GROUPS +SERVICEACCOUNTS" <<<"$wide" >/dev/null; then
  grep -E "^rb +Role/pod-reader +[0-9]+s +alice +devs +default/builder" <<<"$wide" >/dev/null ||
    fail "rolebinding row: $wide"
  pass "get rolebinding -o wide prints kube's columns"
fi

message_is /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings \
  '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"noref"}}' \
  'RoleBinding.rbac.authorization.k8s.io "noref" is invalid: [roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole", roleRef.name: Required value]'
expect_fail 'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef' \
  K patch rolebinding rb --type=merge -p '{"roleRef":{"name":"other"}}'
expect_fail 'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"' \
  K apply -f - <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bad}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x}
YAML
expect_fail 'rules[0].verbs: Required value: verbs must contain at least one value' \
  K apply -f - <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: noverbs}
rules: [{apiGroups: [""], resources: [pods]}]
YAML
K label rolebinding rb team=a >/dev/null || fail "a binding's other fields change"
pass "rbac 422s as kube words them; roleRef immutable"

# ------------------------------------------------------------ storage
cat >"$TMP/sto.yaml" <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: csi.example.com
parameters: {type: ssd}
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: csi.example.com}
spec: {podInfoOnMount: true}
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: sim-1}
spec:
  drivers: [{name: csi.example.com, nodeID: sim-1, topologyKeys: [topology.example.com/zone]}]
---
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: va1}
spec: {attacher: csi.example.com, nodeName: sim-1, source: {persistentVolumeName: pv1}}
YAML
K apply -f "$TMP/sto.yaml" >/dev/null || fail "apply storage kinds"
field_is sc fast '{.reclaimPolicy}/{.volumeBindingMode}' Delete/Immediate
field_is csidriver csi.example.com '{.spec.attachRequired}/{.spec.fsGroupPolicy}/{.spec.volumeLifecycleModes}' \
  'true/ReadWriteOnceWithFSType/["Persistent"]'
K patch volumeattachment va1 --subresource=status --type=merge \
  -p '{"status":{"attached":true}}' >/dev/null || fail "va status"
field_is volumeattachment va1 '{.status.attached}' true
for r in sc/fast csidriver/csi.example.com csinode/sim-1 volumeattachment/va1; do
  K describe "$r" >/dev/null || fail "describe $r"
done
wide=$(K get sc -o wide)
if grep -E "^NAME +PROVISIONER +RECLAIMPOLICY +VOLUMEBINDINGMODE +ALLOWVOLUMEEXPANSION +AGE" <<<"$wide" >/dev/null; then
  grep -E "^fast \(default\) +csi.example.com +Delete +Immediate +false " <<<"$wide" >/dev/null ||
    fail "sc row: $wide"
  pass "get sc prints kube's columns"
fi
expect_fail 'parameters: Forbidden: updates to parameters are forbidden.' \
  K patch sc fast --type=merge -p '{"parameters":{"type":"hdd"}}'
expect_fail 'provisioner: Forbidden: updates to provisioner are forbidden.' \
  K patch sc fast --type=merge -p '{"provisioner":"other.example.com"}'
expect_fail 'provisioner: Required value' K create -f - <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: noprov}
YAML
expect_fail 'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName' \
  K apply -f - <<'YAML'
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: va2}
spec: {attacher: csi.example.com, nodeName: sim-1, source: {}}
YAML
pass "StorageClass, CSIDriver, CSINode, VolumeAttachment: defaults, status, 422s"

# ------------------------------------------------------------ admission
cat >"$TMP/wh.yaml" <<'YAML'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: vwc}
webhooks:
- name: check.example.com
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {namespace: default, name: hook}}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
YAML
K apply -f "$TMP/wh.yaml" >/dev/null || fail "apply webhook"
field_is validatingwebhookconfiguration vwc \
  '{.webhooks[0].failurePolicy}/{.webhooks[0].matchPolicy}/{.webhooks[0].timeoutSeconds}/{.webhooks[0].clientConfig.service.port}/{.webhooks[0].rules[0].scope}' \
  'Fail/Equivalent/10/443/*'
field_is validatingwebhookconfiguration vwc '{.webhooks[0].namespaceSelector}' '{}'
K describe validatingwebhookconfiguration vwc >/dev/null || fail "describe vwc"
expect_fail 'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun' \
  K apply -f - <<'YAML'
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: mwc}
webhooks:
- name: m.example.com
  admissionReviewVersions: [v1]
  clientConfig: {url: "https://hook.example.com/m"}
YAML
pass "webhook configurations: kube's defaults and 422s"

# ------------------------------------------------------------ aggregation
K apply -f - >/dev/null <<'YAML' || fail "apply apiservice"
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.custom.example.com}
spec: {group: custom.example.com, version: v1beta1, groupPriorityMinimum: 1000,
  versionPriority: 15, service: {namespace: default, name: custom}}
YAML
field_is apiservice v1beta1.custom.example.com '{.spec.service.port}' 443
K describe apiservice v1beta1.custom.example.com >/dev/null || fail "describe apiservice"
expect_fail 'metadata.name: Invalid value: "v1.wrong.example.com": must be `spec.version+"."+spec.group`: "v1beta1.custom.example.com"' \
  K apply -f - <<'YAML'
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.wrong.example.com}
spec: {group: custom.example.com, version: v1beta1, groupPriorityMinimum: 1000, versionPriority: 15}
YAML
pass "APIService: defaults and the version.group name"

# ------------------------------------------------------------ certificates
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$TMP/k.pem" -subj "/CN=system:node:sim-1/O=system:nodes" \
  -out "$TMP/csr.pem" 2>/dev/null || fail "openssl req"
cat >"$TMP/csr.yaml" <<YAML
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: node-csr}
spec:
  request: $(base64 -w0 <"$TMP/csr.pem")
  signerName: kubernetes.io/kubelet-serving
  expirationSeconds: 86400
  usages: [digital signature, server auth]
YAML
K create -f "$TMP/csr.yaml" >/dev/null || fail "create csr"
out=$(K get csr node-csr)
grep -E "node-csr +[0-9]+s +kubernetes.io/kubelet-serving" <<<"$out" >/dev/null ||
  grep -E "^node-csr +[0-9]+s$" <<<"$out" >/dev/null || fail "get csr: $out"
K describe csr node-csr >/dev/null || fail "describe csr"
K patch csr node-csr --type=merge -p '{"spec":{"signerName":"example.com/other"}}' >/dev/null
field_is csr node-csr '{.spec.signerName}' kubernetes.io/kubelet-serving
expect_fail 'status.conditions: Forbidden: updates may not add a condition of type "Approved"' \
  K patch csr node-csr --subresource=status --type=merge \
  -p '{"status":{"conditions":[{"type":"Approved","status":"True"}]}}'
sed -i 's/^  request: .*/  request: aGVsbG8=/; s/name: node-csr/name: bad-csr/' "$TMP/csr.yaml"
expect_fail 'spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE REQUEST' \
  K apply -f "$TMP/csr.yaml"
pass "CertificateSigningRequest: a real CSR verified, spec immutable, approval not by update"

# ------------------------------------------------------------ public manifests
M="$ROOT/tests/integration/manifests/platform_mix.yaml"
out=$(K apply -f "$M" 2>&1) || fail "apply manifest mix: $out"
want=$(grep -c '^kind:' "$M")
got=$(grep -cE ' (created|configured|unchanged)$' <<<"$out")
[ "$got" = "$want" ] || fail "manifest mix: $got of $want objects: $out"
K get role,rolebinding -n ingress-nginx -o name | grep -c . | grep -x 4 >/dev/null ||
  fail "ingress-nginx roles and bindings"
for o in clusterrole/ingress-nginx clusterrolebinding/ingress-nginx-admission \
  ingressclass/nginx validatingwebhookconfiguration/ingress-nginx-admission \
  apiservice/v1beta1.metrics.k8s.io mutatingwebhookconfiguration/cert-manager-webhook; do
  K get "$o" -o name >/dev/null || fail "manifest mix: no $o"
done
pass "public manifest mix: all $want objects created"

# ------------------------------------------------------------ delete
# The namespace waits for its finalizer (no namespace controller here).
K delete --wait=false -f "$M" >/dev/null || fail "delete manifest mix"
for r in ingress/web ingress/simple ingressclass/nginx netpol/np role/pod-reader \
  clusterrole/node-reader clusterrole/agg rolebinding/rb clusterrolebinding/crb sc/fast \
  csidriver/csi.example.com csinode/sim-1 volumeattachment/va1 \
  validatingwebhookconfiguration/vwc apiservice/v1beta1.custom.example.com \
  csr/node-csr; do
  K delete "$r" >/dev/null 2>&1 || { [ "$r" = ingressclass/nginx ] && continue; fail "delete $r"; }
done
left=$(K get ingress,netpol,role,rolebinding,sc,csidriver,csinode,volumeattachment,validatingwebhookconfiguration,mutatingwebhookconfiguration,csr -A -o name)
[ -z "$left" ] || fail "left after delete: $left"
grep -E "ERROR|AddressSanitizer|runtime error" "$TMP/log" && fail "server log has errors"
pass "every platform object deleted; server log clean"

# Under ASan a leak or an error makes the exit status nonzero.
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
