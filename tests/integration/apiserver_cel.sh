#!/usr/bin/env bash
# CRD x-kubernetes-validations (CEL rules) are enforced as kube-apiserver
# enforces them, driven by kubectl: a rule over the object
# (self.replicas <= self.maxReplicas) refuses a bad create with 422 and
# the rule's message, a rule without a message with "failed rule: ...",
# a transition rule (self == oldSelf: "immutable") refuses a change on
# update but not the create, kube's libraries work in rules (quantity,
# url, lists, strings, regex, cidr, format), a rule that does not compile
# or type-check makes the CRD itself invalid, and a rule that would run
# for ever is stopped by the cost limit with kube's message.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
start_cplane

# expect_refused FILE VERB PATTERN...: `kubectl VERB -f FILE` fails with
# every PATTERN (fixed strings) in its output.
expect_refused() {
  local file=$1 verb=$2 out p
  shift 2
  out=$(K "$verb" -f "$file" 2>&1) && fail "$file was accepted: $out"
  for p in "$@"; do
    grep -F -- "$p" <<<"$out" >/dev/null || fail "$file: no '$p' in: $out"
  done
}

cat >"$TMP/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
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
            x-kubernetes-validations:
            - rule: self.replicas <= self.maxReplicas
              message: replicas must not exceed maxReplicas
            - rule: "!has(self.memory) || quantity(self.memory).isLessThan(quantity('64Gi'))"
            - rule: "!has(self.endpoint) || (isURL(self.endpoint) && url(self.endpoint).getScheme() == 'https')"
              message: endpoint must be an https URL
              fieldPath: .endpoint
            - rule: "!has(self.ports) || self.ports.isSorted()"
              messageExpression: "'ports must be sorted, got ' + string(self.ports[0]) + ' first'"
              reason: FieldValueForbidden
            properties:
              replicas: {type: integer}
              maxReplicas: {type: integer}
              memory: {type: string}
              endpoint: {type: string}
              ports: {type: array, items: {type: integer}}
              storageClass:
                type: string
                x-kubernetes-validations:
                - {rule: self == oldSelf, message: storageClass is immutable}
              tags:
                type: array
                items: {type: string}
                x-kubernetes-validations:
                - rule: self.all(t, t.matches('^[a-z]+$') && t.lowerAscii() == t)
                  message: tags are lowercase words
              net:
                type: string
                x-kubernetes-validations:
                - rule: isCIDR(self) && cidr(self).prefixLength() >= 16
                  messageExpression: "'%s is not a /16 or smaller'.format([self])"
              burn:
                type: array
                items: {type: integer}
                x-kubernetes-validations:
                - rule: self.all(a, self.all(b, self.all(c, self.all(d, a + b + c + d >= 0))))
EOF
install_crd widgets.example.com <"$TMP/crd.yaml"

widget() { # name spec-yaml
  cat >"$TMP/$1.yaml" <<EOF
apiVersion: example.com/v1
kind: Widget
metadata: {name: $1, namespace: default}
spec: $2
EOF
}

widget good '{replicas: 2, maxReplicas: 3, memory: 1Gi, endpoint: "https://a.example.com:8443/x", ports: [80, 443], storageClass: fast, tags: [web], net: 10.1.0.0/16}'
K apply -f "$TMP/good.yaml" >/dev/null || fail "a valid widget was refused"
pass "a widget that satisfies its rules is created"

widget bad '{replicas: 5, maxReplicas: 3}'
expect_refused "$TMP/bad.yaml" create \
  'The Widget "bad" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas'
code=$(curl -s -o "$TMP/out.json" -w '%{http_code}' \
  --cacert "$TMP/data/pki/ca.crt" \
  -H "Authorization: Bearer $(awk '/token:/{print $2}' "$TMP/data/admin.kubeconfig")" \
  -H 'Content-Type: application/json' --data-binary \
  '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad"},"spec":{"replicas":5,"maxReplicas":3}}' \
  "$(K config view --raw -o jsonpath='{.clusters[0].cluster.server}')/apis/example.com/v1/namespaces/default/widgets" || true)
if [ "$code" != 000 ]; then
  [ "$code" = 422 ] || fail "a rule violation answered $code, not 422"
  [ "$(jq -r .reason "$TMP/out.json")" = Invalid ] || fail "reason: $(cat "$TMP/out.json")"
  [ "$(jq -r '.details.causes[0].field' "$TMP/out.json")" = spec ] || fail "cause: $(cat "$TMP/out.json")"
fi
pass "a rule violation is 422 with the rule's message"

widget bigmem '{replicas: 1, maxReplicas: 1, memory: 100Gi}'
expect_refused "$TMP/bigmem.yaml" create \
  "spec: Invalid value: \"object\": failed rule: !has(self.memory) || quantity(self.memory).isLessThan(quantity('64Gi'))"
widget plain '{replicas: 1, maxReplicas: 1, endpoint: "http://a.example.com"}'
expect_refused "$TMP/plain.yaml" create \
  'spec.endpoint: Invalid value: "object": endpoint must be an https URL'
widget unsorted '{replicas: 1, maxReplicas: 1, ports: [443, 80]}'
expect_refused "$TMP/unsorted.yaml" create \
  'spec: Forbidden: ports must be sorted, got 443 first'
widget upper '{replicas: 1, maxReplicas: 1, tags: [Web]}'
expect_refused "$TMP/upper.yaml" create \
  'spec.tags: Invalid value: "array": tags are lowercase words'
widget widenet '{replicas: 1, maxReplicas: 1, net: 10.0.0.0/8}'
expect_refused "$TMP/widenet.yaml" create \
  'spec.net: Invalid value: "string": 10.0.0.0/8 is not a /16 or smaller'
pass "quantity, url, lists, regex, strings, cidr and format work in rules; fieldPath, reason and messageExpression are kept"

# Transition rule: the create ran without oldSelf; a change is refused,
# an update that keeps the value is not.
widget good '{replicas: 2, maxReplicas: 3, storageClass: slow}'
expect_refused "$TMP/good.yaml" apply \
  'spec.storageClass: Invalid value: "string": storageClass is immutable'
widget good '{replicas: 3, maxReplicas: 3, storageClass: fast}'
K apply -f "$TMP/good.yaml" >/dev/null || fail "an update keeping storageClass was refused"
pass "a transition rule (self == oldSelf) refuses a change on update only"

widget burn '{replicas: 1, maxReplicas: 1, burn: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]}'
expect_refused "$TMP/burn.yaml" create \
  "operation cancelled: actual cost limit exceeded" "Invalid value: \"array\""
pass "a rule past the cost limit is refused with kube's message"

sed -e 's/name: widgets.example.com/name: gadgets.example.com/' \
  -e 's/kind: Widget, plural: widgets, singular: widget, listKind: WidgetList/kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList/' \
  -e 's/rule: self.replicas <= self.maxReplicas/rule: self.replicas <=/' \
  "$TMP/crd.yaml" >"$TMP/badcrd.yaml"
expect_refused "$TMP/badcrd.yaml" create \
  'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.replicas <="' \
  "compilation failed: ERROR: <input>:1:17: Syntax error: mismatched input '<EOF>' expecting"
sed -e 's/name: widgets.example.com/name: gadgets.example.com/' \
  -e 's/kind: Widget, plural: widgets, singular: widget, listKind: WidgetList/kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList/' \
  -e 's/rule: self.replicas <= self.maxReplicas/rule: self.replicas <= self.nope(1)/' \
  "$TMP/crd.yaml" >"$TMP/badcrd2.yaml"
expect_refused "$TMP/badcrd2.yaml" create \
  "compilation failed: ERROR: <input>:1:22: undeclared reference to 'nope' (in container '')"
sed -e 's/name: widgets.example.com/name: gadgets.example.com/' \
  -e 's/kind: Widget, plural: widgets, singular: widget, listKind: WidgetList/kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList/' \
  -e "s/rule: self.replicas <= self.maxReplicas/rule: self.replicas + 'a' == 1/" \
  "$TMP/crd.yaml" >"$TMP/badcrd3.yaml"
expect_refused "$TMP/badcrd3.yaml" create \
  "compilation failed: ERROR: <input>:1:15: found no matching overload for '_+_' applied to '(int, string)'"
K get crd gadgets.example.com >/dev/null 2>&1 && fail "a CRD with a bad rule was stored"
pass "a CRD whose rule does not compile or type-check is refused"

echo "apiserver_cel: all passed"
