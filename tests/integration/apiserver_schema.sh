#!/usr/bin/env bash
# Per-type schemas with the real kubectl: unknown fields under the three
# fieldValidation modes (kubectl --validate=strict|warn|false), pruning,
# required fields and types (422; 400 for a built-in kind's body Go
# could not decode), defaults, a CRD's schema (pruning,
# Strict, preserve-unknown-fields, defaults), kubectl explain from the
# OpenAPI v3 components, and a real documentation Pod under Strict.
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
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }
token=$(awk '/token:/ {print $2; exit}' "$TMP/data/admin.kubeconfig")
# raw METHOD PATH BODY-FILE [CONTENT-TYPE] -> HTTP code; headers in $TMP/hdr
raw() {
  curl -s -D "$TMP/hdr" -o "$TMP/resp" -w '%{http_code}' \
    --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $token" \
    -X "$1" -H "Content-Type: ${4:-application/json}" \
    --data-binary "@$3" "$url$2"
}

deploy() { # NAME EXTRA-SPEC-LINE
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
spec:
  $2
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
      - name: web
        image: nginx:1.14.2
EOF
}

# --validate=strict (kubectl's default): 400 naming the field, nothing made.
deploy typo "replicass: 2" >"$TMP/typo.yaml"
if out=$(K apply -f "$TMP/typo.yaml" 2>&1); then
  fail "strict apply with a typo succeeded: $out"
fi
grep -q 'unknown field "spec.replicass"' <<<"$out" || fail "strict message: $out"
grep -q 'BadRequest' <<<"$out" || fail "strict is not a BadRequest: $out"
if K get deploy typo >/dev/null 2>&1; then fail "strict apply created typo"; fi
pass "Strict: unknown field refused with its path, nothing created"

# --validate=warn: created, a Warning printed, the field pruned.
out=$(K apply --validate=warn -f "$TMP/typo.yaml" 2>&1) || fail "warn apply: $out"
grep -q 'Warning: unknown field "spec.replicass"' <<<"$out" ||
  fail "no warning: $out"
json=$(K get deploy typo -o json)
jq -e '.spec | has("replicass") | not' <<<"$json" >/dev/null ||
  fail "replicass stored: $json"
pass "Warn: created with a Warning, the field pruned"

# --validate=false: fieldValidation=Ignore, silent, pruned; nested paths.
deploy quiet "replicas: 1" >"$TMP/quiet.yaml"
sed -i 's/image: nginx:1.14.2/image: nginx:1.14.2\n        bogus: 1/' "$TMP/quiet.yaml"
out=$(K apply --validate=false -f "$TMP/quiet.yaml" 2>&1) || fail "ignore apply: $out"
if grep -q Warning <<<"$out"; then fail "Ignore warned: $out"; fi
json=$(K get deploy quiet -o json)
jq -e '.spec.template.spec.containers[0] | has("bogus") | not' <<<"$json" \
  >/dev/null || fail "bogus stored: $json"
if out=$(K apply -f "$TMP/quiet.yaml" 2>&1); then fail "strict nested: $out"; fi
grep -q 'unknown field "spec.template.spec.containers\[0\].bogus"' <<<"$out" ||
  fail "nested path: $out"
pass "Ignore: silent and pruned; nested paths named with their index"

# The raw header and a bad fieldValidation value.
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"a":"1"},"datta":{}}' \
  >"$TMP/cm.json"
got=$(raw POST "/api/v1/namespaces/default/configmaps" "$TMP/cm.json")
[ "$got" = 201 ] || fail "warn create: $got $(cat "$TMP/resp")"
grep -qi '^Warning: 299 - "unknown field \\"datta\\""' "$TMP/hdr" ||
  fail "Warning header: $(cat "$TMP/hdr")"
got=$(raw POST "/api/v1/namespaces/default/configmaps?fieldValidation=Bogus" \
  "$TMP/cm.json")
[ "$got" = 422 ] || fail "bad fieldValidation: $got $(cat "$TMP/resp")"
grep -q 'fieldValidation: Unsupported value: \\"Bogus\\"' "$TMP/resp" ||
  fail "bad fieldValidation message: $(cat "$TMP/resp")"
pass "Warning header as kube-apiserver writes it; a bad mode is refused"

# Required fields and types: 422 Invalid naming each field (a type
# error in a built-in kind's body: 400, as kube decodes it first).
cat >"$TMP/nosel.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: nosel}
spec:
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: web, image: nginx}]
EOF
if out=$(K apply -f "$TMP/nosel.yaml" 2>&1); then fail "no selector: $out"; fi
grep -q 'spec.selector: Required value' <<<"$out" || fail "selector: $out"
grep -q 'is invalid' <<<"$out" || fail "not Invalid: $out"
deploy three 'replicas: "three"' >"$TMP/three.yaml"
if out=$(K apply --validate=false -f "$TMP/three.yaml" 2>&1); then
  fail "string replicas: $out"
fi
# kube answers a body Go cannot decode into the typed object with 400.
grep -q 'Error from server (BadRequest).*Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' \
  <<<"$out" || fail "type error: $out"
printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"noimg"},"spec":{"containers":[{"name":"c"}]}}' \
  >"$TMP/noimg.json"
got=$(raw POST "/api/v1/namespaces/default/pods" "$TMP/noimg.json")
[ "$got" = 422 ] || fail "pod without image: $got $(cat "$TMP/resp")"
jq -e '.reason == "Invalid" and (.details.causes[0].field ==
  "spec.containers[0].image") and (.details.causes[0].reason ==
  "FieldValueRequired")' "$TMP/resp" >/dev/null || fail "cause: $(cat "$TMP/resp")"
printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"rp"},"spec":{"restartPolicy":"Sometimes","containers":[{"name":"c","image":"x"}]}}' \
  >"$TMP/rp.json"
got=$(raw POST "/api/v1/namespaces/default/pods" "$TMP/rp.json")
[ "$got" = 422 ] && jq -e '.details.causes[0].reason == "FieldValueNotSupported"' \
  "$TMP/resp" >/dev/null || fail "enum: $got $(cat "$TMP/resp")"
for n in nosel three noimg rp; do
  if K get deploy,pod "$n" >/dev/null 2>&1; then fail "$n was created"; fi
done
pass "required and enum errors are 422 Invalid, type errors 400, nothing written"

# Defaults as kube-apiserver applies them.
got=$(K get deploy typo -o jsonpath='{.spec.replicas} {.spec.strategy.type} {.spec.strategy.rollingUpdate.maxSurge} {.spec.revisionHistoryLimit} {.spec.progressDeadlineSeconds} {.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].imagePullPolicy}')
[ "$got" = "1 RollingUpdate 25% 10 600 Always IfNotPresent" ] ||
  fail "deployment defaults: $got"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    ports: [{containerPort: 80}]\n' \
  >"$TMP/p1.yaml"
K apply -f "$TMP/p1.yaml" >/dev/null || fail "pod p1"
got=$(K get pod p1 -o jsonpath='{.spec.restartPolicy} {.spec.terminationGracePeriodSeconds} {.spec.dnsPolicy} {.spec.schedulerName} {.spec.containers[0].imagePullPolicy} {.spec.containers[0].terminationMessagePath} {.spec.containers[0].ports[0].protocol}')
[ "$got" = "Always 30 ClusterFirst default-scheduler Always /dev/termination-log TCP" ] ||
  fail "pod defaults: $got"
gen=$(K get deploy typo -o jsonpath='{.metadata.generation}')
K apply --validate=warn -f "$TMP/typo.yaml" >/dev/null 2>&1 || fail "re-apply"
[ "$(K get deploy typo -o jsonpath='{.metadata.generation}')" = "$gen" ] ||
  fail "a re-apply without change bumped the generation"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s1}\nstringData: {user: admin}\n' \
  >"$TMP/s1.yaml"
K apply -f "$TMP/s1.yaml" >/dev/null || fail "secret s1"
json=$(K get secret s1 -o json)
jq -e '.type == "Opaque" and .data.user == "YWRtaW4=" and (has("stringData") | not)' \
  <<<"$json" >/dev/null || fail "secret defaults: $json"
pass "defaults on Deployments, Pods and Secrets; no generation bump from defaults"

# A real documentation Pod under Strict.
cat >"$TMP/docpod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: docpod
  labels: {app: web}
  annotations: {example.com/owner: docs}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000}
  initContainers:
  - name: init
    image: busybox:1.36
    command: ['sh', '-c', 'echo init']
  containers:
  - name: app
    image: registry.k8s.io/nginx:1.25
    imagePullPolicy: IfNotPresent
    args: ["--port", "8080"]
    ports:
    - {name: http, containerPort: 8080, protocol: TCP}
    env:
    - {name: MODE, value: prod}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
    envFrom:
    - configMapRef: {name: app-config}
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 0.5, memory: 128Mi}
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 3
      periodSeconds: 3
    readinessProbe:
      tcpSocket: {port: http}
    startupProbe:
      exec: {command: [cat, /tmp/healthy]}
      failureThreshold: 30
    lifecycle:
      preStop: {exec: {command: [/bin/sh, -c, sleep 5]}}
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
    volumeMounts:
    - {name: cache, mountPath: /cache}
    - {name: config, mountPath: /etc/app, readOnly: true}
  volumes:
  - name: cache
    emptyDir: {sizeLimit: 500Mi}
  - name: config
    configMap:
      name: app-config
      items: [{key: app.properties, path: app.properties}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: kubernetes.io/os, operator: In, values: [linux]}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector: {matchLabels: {app: web}}
          topologyKey: kubernetes.io/hostname
  tolerations:
  - {key: example.com/special, operator: Exists, effect: NoSchedule}
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector: {matchLabels: {app: web}}
  nodeSelector: {disktype: ssd}
  priorityClassName: ""
  serviceAccountName: default
  terminationGracePeriodSeconds: 60
  dnsPolicy: ClusterFirst
  hostname: docpod
EOF
out=$(K apply -f "$TMP/docpod.yaml" 2>&1) || fail "documentation pod: $out"
if grep -q Warning <<<"$out"; then fail "documentation pod warned: $out"; fi
out=$(K apply -f "$ROOT/config/examples/nginx-deployment.yaml" 2>&1) ||
  fail "nginx-deployment.yaml: $out"
json=$(K get pod docpod -o json)
jq -e '.spec.volumes[1].configMap.items[0].key == "app.properties" and
  .spec.containers[0].livenessProbe.httpGet.path == "/healthz" and
  .spec.securityContext.fsGroup == 2000 and
  .spec.containers[0].resources.limits.cpu == 0.5' <<<"$json" >/dev/null ||
  fail "documentation pod lost fields: $json"
pass "documentation Pod and Deployment apply cleanly under Strict"

# A CRD's schema: structural pruning, Strict, preserve-unknown-fields,
# defaults and types.
cat >"$TMP/crd.yaml" <<'EOF'
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
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, default: blue, enum: [blue, red]}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
EOF
install_crd gadgets.example.com 10 <"$TMP/crd.yaml"
printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: 2, weight: 3, extra: {anything: [1]}}\n' \
  >"$TMP/g1.yaml"
if out=$(K apply -f "$TMP/g1.yaml" 2>&1); then fail "strict gadget: $out"; fi
grep -q 'unknown field "spec.weight"' <<<"$out" || fail "gadget strict: $out"
out=$(K apply --validate=warn -f "$TMP/g1.yaml" 2>&1) || fail "warn gadget: $out"
grep -q 'Warning: unknown field "spec.weight"' <<<"$out" || fail "gadget warning: $out"
json=$(K get gadget g1 -o json)
jq -e '(.spec | has("weight") | not) and .spec.extra.anything == [1] and
  .spec.color == "blue"' <<<"$json" >/dev/null || fail "gadget stored: $json"
printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g2}\nspec: {size: "big", color: green}\n' \
  >"$TMP/g2.yaml"
if out=$(K apply -f "$TMP/g2.yaml" 2>&1); then fail "bad gadget: $out"; fi
grep -q 'spec.size: Invalid value: "string": spec.size in body must be of type integer' \
  <<<"$out" || fail "gadget type: $out"
grep -q 'spec.color: Unsupported value: "green"' <<<"$out" || fail "gadget enum: $out"
sed -e 's/gadgets/gizmos/g; s/gadget/gizmo/; s/Gadget/Gizmo/' \
  -e 's/size: {type: integer, minimum: 1}/size: {type: int}/' \
  "$TMP/crd.yaml" >"$TMP/badcrd.yaml"
if out=$(K apply -f "$TMP/badcrd.yaml" 2>&1); then fail "bad CRD: $out"; fi
grep -F 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type: Unsupported value: "int": supported values: "array", "boolean", "integer", "number", "object", "string"' \
  <<<"$out" >/dev/null ||
  fail "bad CRD message: $out"
pass "a CRD's schema prunes, rejects (Strict), preserves, defaults and validates"

# kubectl explain reads the OpenAPI v3 components.
out=$(K explain deployment.spec.replicas 2>&1) || fail "explain: $out"
grep -q 'FIELD: *replicas *<integer>' <<<"$out" || fail "explain output: $out"
grep -q 'Number of desired pods' <<<"$out" || fail "explain description: $out"
out=$(K explain pod.spec.containers.image 2>&1) || fail "explain pod: $out"
grep -q 'FIELD: *image *<string>' <<<"$out" || fail "explain pod output: $out"
out=$(K explain gadget.spec.color 2>&1) || fail "explain gadget: $out"
grep -q 'FIELD: *color *<string>' <<<"$out" || fail "explain gadget output: $out"
pass "kubectl explain deployment.spec.replicas, pod and custom fields"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" = 0 ] || fail "cplane exit status $RC"
pass "clean shutdown"
