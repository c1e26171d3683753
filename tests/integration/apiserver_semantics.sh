#!/usr/bin/env bash
# Issue #13's remaining semantics with real clients: a new pod's defaults
# (status Pending with its QoS class, requests from limits, fieldRef
# apiVersion, emptyDir, the DefaultTolerationSeconds tolerations);
# storageVersionHash in discovery, built-in and custom; the scale
# subresource answering an autoscaling/v1 Scale in every case (kubectl
# scale, --dry-run=server included) on every kind that has one; and the
# Python client and @kubernetes/client-node 1.4 creating, listing and
# watching a Service, a Job and a StatefulSet.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
mkdir -m 755 "$TMP/noplugins"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
listen = 127.0.0.1:0
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: " 30
KC="$TMP/data/admin.kubeconfig"
K() { kubectl --kubeconfig "$KC" --cache-dir "$TMP/cache" \
  --request-timeout=20s "$@"; }

# --- a new pod's defaults
K apply -f - >/dev/null <<'YAML' || fail "create pod"
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: nginx
    resources: {limits: {cpu: 500m, memory: 128Mi}}
    env:
    - name: NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
  volumes:
  - name: scratch
YAML
got=$(K get pod p -o json | jq -c '[.status.phase, .status.qosClass,
  .spec.containers[0].resources.requests, .spec.containers[0].imagePullPolicy,
  .spec.containers[0].env[0].valueFrom.fieldRef.apiVersion,
  .spec.volumes[0].emptyDir, .spec.securityContext, .spec.enableServiceLinks,
  .spec.restartPolicy, .spec.dnsPolicy, .spec.schedulerName,
  .spec.terminationGracePeriodSeconds, .spec.priority,
  [.spec.tolerations[] | .key + " " + .operator + " " + .effect + " " +
   (.tolerationSeconds|tostring)]]')
want='["Pending","Guaranteed",{"cpu":"500m","memory":"128Mi"},"Always","v1",{},{},true,"Always","ClusterFirst","default-scheduler",30,0,["node.kubernetes.io/not-ready Exists NoExecute 300","node.kubernetes.io/unreachable Exists NoExecute 300"]]'
[ "$got" = "$want" ] || fail "pod defaults: $got"
pass "a new pod carries kube's defaults, status and tolerations"

# --- storageVersionHash: kube's values for built-ins, the storage
# version's for a custom resource; none on subresources.
svh() { K get --raw "$1" | jq -r --arg n "$2" '.resources[] | select(.name == $n) | .storageVersionHash'; }
[ "$(svh /api/v1 pods)" = "xPOwRZ+Yhw8=" ] || fail "pods hash: $(svh /api/v1 pods)"
[ "$(svh /apis/apps/v1 deployments)" = "8aSe+NMegvE=" ] || fail "deployments hash"
[ "$(svh /api/v1 pods/status)" = "null" ] || fail "pods/status carries a hash"
install_crd widgets.example.com <<'YAML'
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
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {replicas: {type: integer}}}
          status: {type: object, properties: {replicas: {type: integer}}}
YAML
want=$(python3 -c 'import hashlib,base64; print(base64.b64encode(hashlib.sha256(b"example.com/v1/Widget").digest()[:8]).decode())')
for i in $(seq 300); do
  K get --raw /apis/example.com/v1 >/dev/null 2>&1 && break
  sleep 0.1
done
[ "$(svh /apis/example.com/v1 widgets)" = "$want" ] ||
  fail "widgets hash: $(svh /apis/example.com/v1 widgets), want $want"
pass "discovery carries kube's storageVersionHash"

# --- scale: every kind with the subresource, dry run included
K apply -f - >/dev/null <<'YAML' || fail "create scalables"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector:
    matchLabels: {tier: fe, app: web}
    matchExpressions: [{key: env, operator: In, values: [prod, dev]}]
  template:
    metadata: {labels: {tier: fe, app: web, env: prod}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 1
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 1
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: web}
spec: {replicas: 1}
YAML
for kind in deployment replicaset statefulset replicationcontroller widget; do
  out=$(K scale --dry-run=server "$kind/web" --replicas=3 2>&1) ||
    fail "scale --dry-run=server $kind: $out"
  [ "$(K get "$kind" web -o jsonpath='{.spec.replicas}')" = 1 ] ||
    fail "dry-run scale of $kind changed it"
  out=$(K scale "$kind/web" --replicas=4 2>&1) || fail "scale $kind: $out"
  [ "$(K get "$kind" web -o jsonpath='{.spec.replicas}')" = 4 ] ||
    fail "scale of $kind did not take"
done
for p in /apis/apps/v1/namespaces/default/deployments/web/scale \
  /apis/example.com/v1/namespaces/default/widgets/web/scale; do
  out=$(K get --raw "$p" | jq -r '.apiVersion + " " + .kind + " " + (.spec.replicas|tostring)')
  [ "$out" = "autoscaling/v1 Scale 4" ] || fail "GET $p: $out"
done
sel() { K get --raw "$1" | jq -r .status.selector; }
[ "$(sel /apis/apps/v1/namespaces/default/deployments/web/scale)" = "app=web,env in (dev,prod),tier=fe" ] ||
  fail "deployment selector: $(sel /apis/apps/v1/namespaces/default/deployments/web/scale)"
[ "$(sel /api/v1/namespaces/default/replicationcontrollers/web/scale)" = "app=web" ] ||
  fail "rc selector: $(sel /api/v1/namespaces/default/replicationcontrollers/web/scale)"
pass "scale answers an autoscaling/v1 Scale on every kind, dry run included"

# --- the Python client and @kubernetes/client-node: Service, Job,
# StatefulSet
K create namespace py >/dev/null || fail "namespace py"
/usr/bin/python3 -c "import kubernetes" 2>/dev/null ||
  fail "python3-kubernetes is not installed (make deps installs it)"
timeout 120 /usr/bin/python3 "$(dirname "$0")/clients/python_service_job_sts.py" "$KC" py ||
  { tail -30 "$TMP/log"; fail "python client"; }
command -v node >/dev/null || fail "node is not installed"
mods="$B/npm/node_modules/@kubernetes/client-node"
if [ ! -f "$mods/package.json" ]; then
  mkdir -p "$B/npm"
  (cd "$B/npm" && timeout 600 npm install --no-audit --no-fund --silent \
    @kubernetes/client-node@1.4 >npm.log 2>&1) ||
    { cat "$B/npm/npm.log"; fail "npm install @kubernetes/client-node@1.4"; }
fi
K create namespace js >/dev/null || fail "namespace js"
cp "$(dirname "$0")/clients/node_service_job_sts.mjs" "$B/npm/"
(cd "$B/npm" && timeout 120 node node_service_job_sts.mjs "$KC" js) ||
  { tail -30 "$TMP/log"; fail "client-node"; }
pass "the Python client and client-node create, list and watch Service, Job, StatefulSet"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
