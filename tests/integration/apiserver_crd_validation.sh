#!/usr/bin/env bash
# CRD schemas are enforced as kube-apiserver enforces them: every OpenAPI
# v3 value keyword (pattern with RE2 syntax, minLength, maxItems, enum,
# minimum, uniqueItems, format, oneOf...) gets kube's 422 with its
# messages, every error at once; a pattern RE2 cannot compile refuses the
# CRD; additionalPrinterColumns show in `kubectl get` (-o wide adds the
# priority-1 ones) and categories in discovery (`kubectl get all`).
# The CRDs are trimmed from public ones: cert-manager's Certificate and
# Prometheus Operator's ServiceMonitor.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
[apiserver]
port = 0
INI
mkdir -m 755 "$TMP/noplugins"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

# expect_refused FILE PATTERN...: applying FILE fails with every PATTERN
# (fixed strings) in kubectl's output.
expect_refused() {
  local file=$1 out p
  shift
  out=$(K apply -f "$file" 2>&1) && fail "$file was accepted: $out"
  for p in "$@"; do
    grep -F -- "$p" <<<"$out" >/dev/null || fail "$file: no '$p' in: $out"
  done
}

cat >"$TMP/certs.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  names:
    kind: Certificate
    listKind: CertificateList
    plural: certificates
    shortNames: [cert, certs]
    singular: certificate
    categories: [cert-manager, all]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {jsonPath: '.status.conditions[?(@.type=="Ready")].status', name: Ready, type: string}
    - {jsonPath: .spec.secretName, name: Secret, type: string}
    - {jsonPath: .spec.issuerRef.name, name: Issuer, priority: 1, type: string}
    - {jsonPath: '.status.conditions[?(@.type=="Ready")].message', name: Status, priority: 1, type: string}
    - {jsonPath: .metadata.creationTimestamp, name: Age, type: date,
       description: CreationTimestamp is a timestamp representing the server time when this object was created.}
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [issuerRef, secretName]
            properties:
              commonName: {type: string, maxLength: 64}
              dnsNames: {type: array, items: {type: string}, uniqueItems: true}
              duration: {type: string, format: duration}
              issuerRef:
                type: object
                required: [name]
                properties:
                  group: {type: string}
                  kind: {type: string}
                  name: {type: string, minLength: 1}
              privateKey:
                type: object
                properties:
                  algorithm: {type: string, enum: [RSA, ECDSA, Ed25519]}
                  rotationPolicy: {type: string, enum: [Never, Always]}
                  size: {type: integer, minimum: 1024, maximum: 8192, multipleOf: 1024}
              revisionHistoryLimit: {type: integer, format: int32, minimum: 1}
              secretName: {type: string, minLength: 1}
              usages:
                type: array
                maxItems: 3
                items: {type: string, enum: [signing, digital signature, server auth, client auth]}
          status:
            type: object
            properties:
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
                    message: {type: string}
EOF
K apply -f "$TMP/certs.yaml" >/dev/null || fail "create the Certificate CRD"
K wait --for=condition=Established crd/certificates.cert-manager.io \
  --timeout=10s >/dev/null || fail "Certificate CRD not Established"

cat >"$TMP/smon.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servicemonitors.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  names:
    categories: [prometheus-operator]
    kind: ServiceMonitor
    listKind: ServiceMonitorList
    plural: servicemonitors
    shortNames: [smon]
    singular: servicemonitor
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [selector]
            properties:
              bodySizeLimit:
                type: string
                pattern: (^0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$
              endpoints:
                type: array
                items:
                  type: object
                  properties:
                    interval:
                      type: string
                      pattern: ^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$
                    port: {type: string}
                    scheme: {type: string, enum: [http, https]}
                    targetPort:
                      anyOf: [{type: integer}, {type: string}]
                      x-kubernetes-int-or-string: true
              jobLabel: {type: string}
              sampleLimit: {type: integer, format: int64}
              scrapeProtocols:
                type: array
                items:
                  type: string
                  enum: [PrometheusProto, OpenMetricsText0.0.1, OpenMetricsText1.0.0, PrometheusText0.0.4]
                x-kubernetes-list-type: set
              selector:
                type: object
                properties:
                  matchLabels:
                    type: object
                    additionalProperties: {type: string}
                minProperties: 1
              targetLabels: {type: array, items: {type: string, minLength: 1}, minItems: 1}
EOF
K apply -f "$TMP/smon.yaml" >/dev/null || fail "create the ServiceMonitor CRD"
K wait --for=condition=Established crd/servicemonitors.monitoring.coreos.com \
  --timeout=10s >/dev/null || fail "ServiceMonitor CRD not Established"
pass "CRDs with pattern, minLength, enum, bounds, printer columns apply"

cat >"$TMP/good.yaml" <<'EOF'
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  commonName: web.example.com
  dnsNames: [web.example.com, www.example.com]
  duration: 2160h
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
  privateKey: {algorithm: ECDSA, size: 2048}
  usages: [server auth]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web}
spec:
  bodySizeLimit: 10MiB
  selector: {matchLabels: {app: web}}
  endpoints: [{port: http, interval: 30s, scheme: https, targetPort: 8080}]
  scrapeProtocols: [PrometheusProto]
EOF
K apply -f "$TMP/good.yaml" >/dev/null || fail "valid objects refused: $(K apply -f "$TMP/good.yaml" 2>&1)"
pass "objects that keep every rule are accepted"

cat >"$TMP/bad-cert.yaml" <<'EOF'
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: bad}
spec:
  secretName: ""
  commonName: this-common-name-is-far-too-long-for-a-certificate-subject-of-64.example.com
  dnsNames: [a.example.com, a.example.com]
  duration: forever
  issuerRef: {name: x}
  privateKey: {algorithm: DSA, size: 1000}
  revisionHistoryLimit: 0
  usages: [signing, server auth, client auth, digital signature]
EOF
expect_refused "$TMP/bad-cert.yaml" \
  'The Certificate "bad" is invalid' \
  'spec.secretName: Invalid value: "": spec.secretName in body should be at least 1 chars long' \
  'spec.commonName: Too long: may not be longer than 64' \
  "spec.dnsNames: Invalid value: \"\": spec.dnsNames in body shouldn't contain duplicates" \
  'spec.duration: Invalid value: "forever": spec.duration in body must be of type duration: "forever"' \
  'spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519"' \
  'spec.privateKey.size: Invalid value: 1000: spec.privateKey.size in body should be a multiple of 1024' \
  'spec.privateKey.size: Invalid value: 1000: spec.privateKey.size in body should be greater than or equal to 1024' \
  'spec.revisionHistoryLimit: Invalid value: 0: spec.revisionHistoryLimit in body should be greater than or equal to 1' \
  'spec.usages: Too many: 4: must have at most 3 items'
cat >"$TMP/bad-smon.yaml" <<'EOF'
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad}
spec:
  bodySizeLimit: 10 MB
  selector: {}
  endpoints: [{port: http, interval: 5x, scheme: ftp}]
  scrapeProtocols: [Graphite]
  targetLabels: []
EOF
expect_refused "$TMP/bad-smon.yaml" \
  "spec.bodySizeLimit: Invalid value: \"10 MB\": spec.bodySizeLimit in body should match '(^0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)\$'" \
  "spec.endpoints[0].interval: Invalid value: \"5x\": spec.endpoints[0].interval in body should match '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)\$'" \
  'spec.endpoints[0].scheme: Unsupported value: "ftp": supported values: "http", "https"' \
  'spec.scrapeProtocols[0]: Unsupported value: "Graphite"' \
  'spec.selector: Invalid value: 0: spec.selector in body should have at least 1 properties' \
  'spec.targetLabels: Invalid value: 0: spec.targetLabels in body should have at least 1 items'
K get certificate bad >/dev/null 2>&1 && fail "a refused Certificate was stored"
pass "every broken rule gets kube's 422 message, all in one answer"

# A catastrophic pattern answers at once (RE2 would; PCRE2 backtracking
# alone would take minutes on this subject).
cat >"$TMP/redos.yaml" <<'EOF'
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
            properties:
              name: {type: string, pattern: '^(a+)+$'}
EOF
K apply -f "$TMP/redos.yaml" >/dev/null || fail "create the Gadget CRD"
K wait --for=condition=Established crd/gadgets.example.com --timeout=30s \
  >/dev/null || fail "Gadget CRD not Established"
long=$(printf 'a%.0s' $(seq 1 5000))
start=$(date +%s%N)
out=$(printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {name: "%s!"}\n' "$long" |
  K create -f - 2>&1) && fail "a name breaking the pattern was accepted"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -F "in body should match '^(a+)+\$'" <<<"$out" >/dev/null ||
  fail "catastrophic pattern: $out"
# A backtracking matcher would take about 2^5000 steps: 30 s tells it
# apart from a linear one however loaded the machine (kubectl alone can
# take seconds under load).
[ "$ms" -lt 30000 ] || fail "the catastrophic pattern took ${ms} ms"
pass "a catastrophic pattern is answered in ${ms} ms"

# Patterns RE2 cannot compile refuse the CRD, as kube does.
sed -e 's/gadgets/gizmos/g; s/gadget/gizmo/; s/Gadget/Gizmo/' \
  -e "s/pattern: '^(a+)+\$'/pattern: '(?=a)b'/" "$TMP/redos.yaml" >"$TMP/bad-crd.yaml"
expect_refused "$TMP/bad-crd.yaml" \
  'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[name].pattern: Invalid value: "(?=a)b": must be a valid regular expression, but isn'"'"'t: error parsing regexp: invalid or unsupported Perl syntax: `(?=`'
sed -i "s/pattern: '(?=a)b'/pattern: '(a)\\\\1'/" "$TMP/bad-crd.yaml"
expect_refused "$TMP/bad-crd.yaml" 'invalid escape sequence: `\1`'
pass "a pattern RE2 refuses (lookahead, backreference) refuses the CRD"

# Printer columns, as kubectl prints them.
K patch certificate web --subresource=status --type=merge \
  -p '{"status":{"conditions":[{"type":"Issuing","status":"False"},{"type":"Ready","status":"True","message":"Certificate is up to date"}]}}' \
  >/dev/null || fail "set the Certificate's status"
out=$(K get certificates)
head -1 <<<"$out" | grep -E '^NAME +READY +SECRET +AGE$' >/dev/null ||
  fail "kubectl get certificates header: $out"
sed -n 2p <<<"$out" | grep -E '^web +True +web-tls +[0-9]+s$' >/dev/null ||
  fail "kubectl get certificates row: $out"
out=$(K get cert web -o wide)
head -1 <<<"$out" | grep -E '^NAME +READY +SECRET +ISSUER +STATUS +AGE$' >/dev/null ||
  fail "kubectl get -o wide header: $out"
sed -n 2p <<<"$out" | grep -E '^web +True +web-tls +letsencrypt +Certificate is up to date +[0-9]+s$' \
  >/dev/null || fail "kubectl get -o wide row: $out"
out=$(K get servicemonitors)
head -1 <<<"$out" | grep -E '^NAME +AGE$' >/dev/null ||
  fail "a CRD without columns prints NAME, AGE: $out"
pass "additionalPrinterColumns print, priority 1 only with -o wide"

out=$(K api-resources --categories=cert-manager -o name)
[ "$out" = certificates.cert-manager.io ] || fail "category cert-manager: $out"
out=$(K get all -o name 2>&1)
grep -x 'certificate.cert-manager.io/web' <<<"$out" >/dev/null ||
  fail "kubectl get all does not list the Certificate: $out"
grep servicemonitor <<<"$out" >/dev/null &&
  fail "kubectl get all lists a CRD outside category all: $out"
pass "categories: kubectl get all lists the CRD in category all"
