#!/usr/bin/env bash
# The core kinds of issue #13 with the real kubectl: create/apply/get
# (-o yaml, -o wide)/describe/delete of Service, Endpoints,
# ServiceAccount, PersistentVolume, PersistentVolumeClaim, ResourceQuota,
# LimitRange, PodTemplate, ReplicationController (with its scale) and
# EndpointSlice; the `kubectl create service|serviceaccount|quota` forms;
# `kubectl expose`; kube's defaults and 422s; the ClusterIP and NodePort
# allocation (taken, out of range, released on delete, dry run keeps
# nothing) and the repair pass at start.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
mkdir -m 755 "$TMP/noplugins"
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
INI
# start LOG: a fresh log per start, so that a restart never reads the
# previous server's "ready" line.
start() {
  "$B/cplane" -c "$TMP/c.ini" >"$TMP/$1" 2>&1 &
  PIDS+=($!)
  SRV=$!
  wait_for_log "$TMP/$1" "ready: " 30
}
start log
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

# --- discovery: short names, categories, the kubernetes Service
out=$(K api-resources 2>&1) || fail "api-resources: $out"
for row in "services +svc +v1 +true +Service" "endpoints +ep +v1 +true +Endpoints" \
  "serviceaccounts +sa +v1 +true +ServiceAccount" \
  "persistentvolumes +pv +v1 +false +PersistentVolume" \
  "persistentvolumeclaims +pvc +v1 +true +PersistentVolumeClaim" \
  "resourcequotas +quota +v1 +true +ResourceQuota" \
  "limitranges +limits +v1 +true +LimitRange" "podtemplates +v1 +true +PodTemplate" \
  "replicationcontrollers +rc +v1 +true +ReplicationController" \
  "endpointslices +discovery.k8s.io/v1 +true +EndpointSlice"; do
  grep -Eq "^$row" <<<"$out" || fail "api-resources lacks '$row': $out"
done
[ "$(K get svc kubernetes -o jsonpath='{.spec.clusterIP} {.spec.ports[0].port}')" = "10.96.0.1 443" ] ||
  fail "kubernetes Service: $(K get svc kubernetes -o yaml 2>&1)"
port=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" | sed 's/.*://')
K describe svc kubernetes | grep -E "^Endpoints: +127\.0\.0\.1:$port$" >/dev/null ||
  fail "kubernetes Endpoints: $(K describe svc kubernetes)"
[ "$(K get endpointslices kubernetes -o jsonpath='{.endpoints[0].addresses[0]} {.ports[0].port}')" = "127.0.0.1 $port" ] ||
  fail "kubernetes EndpointSlice: $(K get endpointslices kubernetes -o yaml)"
pass "discovery lists the core kinds; default/kubernetes holds 10.96.0.1, its endpoints the server"

# --- kubectl create service / serviceaccount / quota. kubectl sends these
# as protobuf, which the server decodes once the protobuf work lands;
# until then the same objects go through create -f as JSON.
kcreate() {
  local out
  out=$(K create "$@" 2>&1) && return 0
  grep -q "unknown format (application/vnd.kubernetes.protobuf)" <<<"$out" ||
    fail "kubectl create $*: $out"
  K create "$@" --dry-run=client -o json | K create -f - >/dev/null ||
    fail "kubectl create $* (as JSON)"
}
kcreate service clusterip web --tcp=80:8080
kcreate service nodeport np --tcp=80:8080
kcreate service loadbalancer lb --tcp=443:8443
kcreate service externalname ext --external-name=example.com
kcreate serviceaccount builder
kcreate quota q1 --hard=pods=10,cpu=2
got=$(K get svc web -o jsonpath='{.spec.type} {.spec.clusterIP} {.spec.ports[0].targetPort} {.spec.sessionAffinity} {.spec.ipFamilyPolicy} {.spec.internalTrafficPolicy}')
grep -Eq '^ClusterIP 10\.(9[6-9]|10[0-9]|11[01])\.[0-9]+\.[0-9]+ 8080 None SingleStack Cluster$' <<<"$got" ||
  fail "clusterip Service: $got"
np=$(K get svc np -o jsonpath='{.spec.ports[0].nodePort}')
[ "$np" -ge 30000 ] && [ "$np" -le 32767 ] || fail "NodePort $np"
[ "$(K get svc lb -o jsonpath='{.spec.externalTrafficPolicy} {.spec.allocateLoadBalancerNodePorts}')" = "Cluster true" ] ||
  fail "LoadBalancer defaults: $(K get svc lb -o yaml)"
[ -n "$(K get svc lb -o jsonpath='{.spec.ports[0].nodePort}')" ] || fail "LoadBalancer without NodePort"
[ -z "$(K get svc ext -o jsonpath='{.spec.clusterIP}')" ] || fail "ExternalName got a ClusterIP"
[ "$(K get sa builder -o name)" = serviceaccount/builder ] || fail "serviceaccount"
[ "$(K get quota q1 -o jsonpath='{.spec.hard.pods}')" = 10 ] || fail "quota"
pass "kubectl create service clusterip|nodeport|loadbalancer|externalname, serviceaccount, quota"

K create deployment web2 --image=nginx >/dev/null 2>&1 ||
  K create deployment web2 --image=nginx --dry-run=client -o json | K create -f - >/dev/null ||
  fail "create deployment"
out=$(K expose deployment web2 --port=80 2>&1) || fail "expose: $out"
ip=$(K get svc web2 -o jsonpath='{.spec.clusterIP}')
[ -n "$ip" ] || fail "exposed Service without ClusterIP"
[ "$(K get svc web2 -o jsonpath='{.spec.selector.app}')" = web2 ] || fail "expose selector"
hdr=$(K get svc 2>&1 | sed -n 1p)
if grep -q "CLUSTER-IP" <<<"$hdr"; then
  K get svc web2 | grep -E "^web2 +ClusterIP +$ip +<none> +80/TCP +[0-9]+s$" >/dev/null ||
    fail "get svc: $(K get svc web2)"
  K get svc np -o wide | grep -E "^np +NodePort +[0-9.]+ +<none> +80:$np/TCP +[0-9]+s +app=np$" >/dev/null ||
    fail "get svc -o wide: $(K get svc np -o wide)"
  K get svc lb | grep -E "^lb +LoadBalancer .* <pending> +443:[0-9]+/TCP" >/dev/null ||
    fail "get svc lb: $(K get svc lb)"
  pass "kubectl get svc prints kube's columns (-o wide: SELECTOR)"
else
  echo "skip: Table columns from the strategies come with the split of handlers.c ($hdr)"
fi
pass "kubectl expose deployment: a Service with a ClusterIP"

# --- the Service 422s, as kube words them
expect_invalid() { # $1 = yaml, $2 = the message expected
  local out
  out=$(K apply -f - <<<"$1" 2>&1) && fail "accepted: $1"
  grep -qF -- "$2" <<<"$out" || fail "expected '$2', got: $out"
}
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports: [{port: 70000}]\n')" \
  'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n')" \
  'spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated'
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  clusterIP: 10.0.0.5\n  ports: [{port: 80}]\n')" \
  'failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12'
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: %s}]\n' "$np")" \
  "spec.ports[0].nodePort: Invalid value: $np: provided port is already allocated"
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 80}]\n')" \
  'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports: [{port: 80, nodePort: 30001}]\n')" \
  "spec.ports[0].nodePort: Forbidden: may not be used when \`type\` is 'ClusterIP'"
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  type: ExternalName\n')" \
  'spec.externalName: Required value'
K get svc bad >/dev/null 2>&1 && fail "a refused Service was stored"
pass "Service 422s: port range, taken and out-of-range ClusterIP and NodePort, ExternalName"

# --- allocation: headless, dry run, update keeps, delete releases
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: headless}\nspec:\n  clusterIP: None\n  selector: {app: x}\n' |
  K apply -f - >/dev/null || fail "headless"
[ "$(K get svc headless -o jsonpath='{.spec.clusterIP}')" = None ] || fail "headless clusterIP"
dry=$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: dry}\nspec:\n  clusterIP: 10.96.7.7\n  ports: [{port: 80}]\n' |
  K create --dry-run=server -o jsonpath='{.spec.clusterIP}' -f - 2>&1) || fail "dry run: $dry"
[ "$dry" = 10.96.7.7 ] || fail "dry run answered $dry"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: dry}\nspec:\n  clusterIP: 10.96.7.7\n  ports: [{port: 80}]\n' |
  K create -f - >/dev/null || fail "the dry run kept 10.96.7.7"
K label svc np team=a >/dev/null || fail "label np"
[ "$(K get svc np -o jsonpath='{.spec.ports[0].nodePort}')" = "$np" ] || fail "update lost the NodePort"
webip=$(K get svc web -o jsonpath='{.spec.clusterIP}')
K delete svc web np >/dev/null || fail "delete"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: reuse}\nspec:\n  type: NodePort\n  clusterIP: %s\n  ports: [{port: 80, nodePort: %s}]\n' "$webip" "$np" |
  K create -f - >/dev/null || fail "a deleted Service's addresses were not released"
pass "headless gets no address, dry run keeps none, updates keep theirs, deletes release them"

# An update releases what the Service stops using (kube's service REST
# update): ExternalName frees the ClusterIP, ClusterIP the NodePorts.
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: turn}\nspec:\n  type: NodePort\n  ports: [{port: 80}]\n' |
  K create -f - >/dev/null || fail "create turn"
turnip=$(K get svc turn -o jsonpath='{.spec.clusterIP}')
turnnp=$(K get svc turn -o jsonpath='{.spec.ports[0].nodePort}')
K patch svc turn --type=merge -p '{"spec":{"type":"ClusterIP"}}' >/dev/null || fail "turn ClusterIP"
[ -z "$(K get svc turn -o jsonpath='{.spec.ports[0].nodePort}')" ] || fail "nodePort kept"
K create service nodeport takenp --tcp=80:80 --node-port="$turnnp" >/dev/null ||
  fail "the NodePort $turnnp was not released"
K patch svc turn --type=merge -p '{"spec":{"type":"ExternalName","externalName":"example.com"}}' >/dev/null ||
  fail "turn ExternalName"
[ -z "$(K get svc turn -o jsonpath='{.spec.clusterIP}')" ] || fail "clusterIP kept"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: takeip}\nspec:\n  clusterIP: %s\n  ports: [{port: 80}]\n' "$turnip" |
  K create -f - >/dev/null || fail "the ClusterIP $turnip was not released"
K delete svc turn takenp takeip >/dev/null || fail "delete turn"
pass "a Service update releases the ClusterIP and NodePorts it stops using"

# --- the other kinds: apply, get -o yaml / -o wide, describe, delete
cat >"$TMP/kinds.yaml" <<'YAML'
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets:
- addresses: [{ip: 10.1.0.1}, {ip: 10.1.0.2}]
  ports: [{port: 8080, name: http}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv1}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/pv1}
  storageClassName: manual
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim1}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  storageClassName: manual
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits1}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
    defaultRequest: {cpu: 100m}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: tmpl1}
template:
  metadata: {labels: {app: t}}
  spec:
    containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc1}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: rc1}}
    spec:
      containers: [{name: c, image: nginx}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-abc
  labels: {kubernetes.io/service-name: manual}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.1.0.1]
  conditions: {ready: true}
YAML
out=$(K apply -f "$TMP/kinds.yaml" 2>&1) || fail "apply kinds: $out"
for o in endpoints/manual persistentvolume/pv1 persistentvolumeclaim/claim1 \
  limitrange/limits1 podtemplate/tmpl1 replicationcontroller/rc1 \
  endpointslice.discovery.k8s.io/manual-abc; do
  grep -q "^$o created" <<<"$out" || fail "apply: $o not created: $out"
done
out=$(K apply -f "$TMP/kinds.yaml" 2>&1) || fail "re-apply: $out"
grep -q "created" <<<"$out" && fail "re-apply created again: $out"
got=$(K get pv pv1 -o jsonpath='{.spec.persistentVolumeReclaimPolicy} {.spec.volumeMode} {.status.phase}')
[ "$got" = "Retain Filesystem Pending" ] || fail "pv defaults: $got"
got=$(K get pvc claim1 -o jsonpath='{.spec.volumeMode} {.status.phase}')
[ "$got" = "Filesystem Pending" ] || fail "pvc defaults: $got"
got=$(K get rc rc1 -o jsonpath='{.spec.selector.app} {.metadata.labels.app} {.status.replicas}')
[ "$got" = "rc1 rc1 0" ] || fail "rc defaults: $got"
K get rc rc1 -o yaml | grep "^  selector:" >/dev/null || fail "rc -o yaml"
K get ep manual -o yaml | grep "ip: 10.1.0.2" >/dev/null || fail "endpoints -o yaml"
K get endpointslices -o wide >/dev/null || fail "endpointslices -o wide"
for k in svc ep sa pv pvc quota limits podtemplates rc endpointslices; do
  K get "$k" -o wide >/dev/null 2>"$TMP/err" || fail "get $k -o wide: $(cat "$TMP/err")"
done
K describe svc reuse | grep -E "^NodePort: +<unset> +$np/TCP" >/dev/null ||
  fail "describe svc: $(K describe svc reuse)"
K describe pv pv1 | grep -E "^Capacity: +5Gi" >/dev/null || fail "describe pv: $(K describe pv pv1)"
K describe pvc claim1 | grep -E "^Status: +Pending" >/dev/null || fail "describe pvc"
K describe rc rc1 | grep -E "^Replicas: +0 current / 2 desired" >/dev/null ||
  fail "describe rc: $(K describe rc rc1)"
K describe quota q1 | grep -E "^Resource +Used +Hard" >/dev/null || fail "describe quota: $(K describe quota q1)"
K describe limits limits1 | grep -E "^Container +cpu" >/dev/null || fail "describe limits"
K describe sa builder | grep -E "^Name: +builder" >/dev/null || fail "describe sa"
K describe ep manual | grep -E "Addresses: +10.1.0.1,10.1.0.2" >/dev/null || fail "describe ep: $(K describe ep manual)"
pass "apply, get -o yaml/-o wide and describe of every core kind"

K scale rc rc1 --replicas=4 >/dev/null || fail "scale rc"
[ "$(K get rc rc1 -o jsonpath='{.spec.replicas}')" = 4 ] || fail "scale rc replicas"
[ "$(K get --raw /api/v1/namespaces/default/replicationcontrollers/rc1/scale | jq -r '.apiVersion + " " + .kind + " " + (.spec.replicas|tostring)')" = "autoscaling/v1 Scale 4" ] ||
  fail "rc scale subresource"
pass "ReplicationController scale answered as an autoscaling/v1 Scale"

# The other kinds' 422s.
expect_invalid "$(printf 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: bad}\nspec:\n  selector: {app: a}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: i}]}\n')" \
  'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`'
expect_invalid "$(printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec:\n  accessModes: [ReadWriteOnce]\n')" \
  'spec.resources[storage]: Required value'
expect_invalid "$(printf 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: bad}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n')" \
  'spec: Required value: must specify a volume type'
expect_invalid "$(printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: bad}\naddressType: IPv5\nendpoints: []\n')" \
  'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'
printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: fixed}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n' |
  K create -f - >/dev/null || fail "create pvc fixed"
out=$(K patch pvc fixed --type=merge -p '{"spec":{"accessModes":["ReadWriteMany"]}}' 2>&1) &&
  fail "pvc spec changed: $out"
grep -qF 'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' <<<"$out" ||
  fail "pvc update: $out"
K delete pvc fixed >/dev/null
expect_invalid "$(printf 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: bad}\nspec:\n  hard: {cpu: "-1"}\n')" \
  'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0'
expect_invalid "$(printf 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec:\n  limits: [{type: Container, min: {cpu: "2"}, max: {cpu: "1"}}]\n')" \
  'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1'
pass "422s of ReplicationController, PVC (and its update), PV, EndpointSlice, ResourceQuota, LimitRange"

# --- events.k8s.io/v1: the same objects as core/v1 Events
cat >"$TMP/ev.yaml" <<'YAML'
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: ev1}
eventTime: "2026-01-01T00:00:00.000000Z"
reportingController: example.com/ctl
reportingInstance: ctl-1
action: Testing
reason: Checked
note: seen through both groups
type: Normal
regarding: {kind: Pod, name: p1, namespace: default}
YAML
out=$(K create -f "$TMP/ev.yaml" 2>&1) || fail "create events.k8s.io Event: $out"
got=$(K get events.v1. ev1 -o jsonpath='{.message} {.involvedObject.name} {.reportingComponent}' 2>&1)
[ "$got" = "seen through both groups p1 example.com/ctl" ] || fail "core/v1 view: $got"
expect_invalid "$(printf 'apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: ev2}\nreason: R\nregarding: {kind: Pod, name: p1, namespace: default}\n')" \
  'eventTime: Required value'
K delete events.v1. ev1 >/dev/null || fail "delete event"
pass "an events.k8s.io/v1 Event is stored as, and read back as, a core/v1 Event"

# --- a restart runs the repair pass: it frees only what no Service holds
# (leaked allocations are the unit test's, test_service_alloc), so every
# address held before is still taken after.
kill "$SRV"
wait_exit "$SRV" 20
[ "$RC" = 0 ] || fail "the server exited with $RC: $(tail -5 "$TMP/log")"
start log2
[ "$(K get svc kubernetes -o jsonpath='{.spec.clusterIP}')" = 10.96.0.1 ] ||
  fail "kubernetes Service after restart"
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  clusterIP: %s\n  ports: [{port: 80}]\n' "$webip")" \
  "failed to allocate IP $webip: provided IP is already allocated"
expect_invalid "$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: %s}]\n' "$np")" \
  "provided port is already allocated"
pass "restart keeps the kubernetes Service and every allocation held"

K delete svc --all >/dev/null || fail "delete all svc"
K delete -f "$TMP/kinds.yaml" >/dev/null || fail "delete kinds"
K delete sa builder >/dev/null && K delete quota q1 >/dev/null || fail "delete sa, quota"
[ -z "$(K get ep,pv,pvc,limits,podtemplates,rc,endpointslices -o name 2>&1 | grep -v '/kubernetes$' || true)" ] ||
  fail "left after delete: $(K get ep,pv,pvc,limits,podtemplates,rc,endpointslices -o name 2>&1)"
pass "delete of every core kind"

kill "$SRV"
wait_exit "$SRV" 20
[ "$RC" = 0 ] || fail "the server exited with $RC: $(tail -5 "$TMP/log2")"
pass "clean shutdown"
