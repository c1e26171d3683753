#!/usr/bin/env bash
# RBAC with the real kubectl: a user with a Role in namespace a lists pods
# there and not in b (kube's 403), kubectl auth can-i (resources,
# subresources, non-resource URLs, --list) and a SubjectAccessReview
# answer as kube would, a ClusterRole's aggregationRule is filled (the
# bootstrap view role too), escalation is refused and then allowed with
# the escalate verb, binding cluster-admin without bind is refused, and
# an [authz.*] INI rule works as the RBAC objects it became.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -p -m 700 "$TMP/data"
printf '%s\n' 'admintok,admin,1,"system:masters"' 'alicetok,alice,2,"devs"' \
  'bobtok,bob,3' 'initok,carol,4,"readers"' >"$TMP/data/tokens.csv"
EXTRA_INI="tokens_file = $TMP/data/tokens.csv
[authz.readers]
groups = readers
verbs = get, list
resources = configmaps
namespaces = default" start_cplane
A() { K --token alicetok "$@"; }
Bob() { K --token bobtok "$@"; }

K create namespace a >/dev/null && K create namespace b >/dev/null ||
  fail "namespaces"
K apply -f - >/dev/null <<'YAML' || fail "alice's role"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: a}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-pods, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
YAML
wait_until 10 A get pods -n a
out=$(A get pods -n b 2>&1) && fail "alice listed pods in b"
grep -q 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"' <<<"$out" ||
  fail "403 message: $out"
A get --raw /api >/dev/null || fail "discovery for an authenticated user"
pass "a Role in namespace a lets alice list pods there, not in b"

[ "$(A auth can-i list pods -n a)" = yes ] || fail "can-i list pods -n a"
[ "$(A auth can-i list pods -n b)" = no ] || fail "can-i list pods -n b"
[ "$(A auth can-i get pods --subresource=log -n a)" = yes ] ||
  fail "can-i get pods/log"
[ "$(A auth can-i get pods --subresource=exec -n a)" = no ] ||
  fail "can-i get pods/exec"
[ "$(A auth can-i get /metrics)" = no ] || fail "can-i get /metrics (alice)"
[ "$(K auth can-i get /metrics)" = yes ] || fail "can-i get /metrics (admin)"
[ "$(A auth can-i get /version)" = yes ] || fail "can-i get /version"
out=$(A auth can-i --list -n a) || fail "can-i --list: $out"
grep -Eq '^pods +\[\] +\[\] +\[get list watch\]' <<<"$out" ||
  fail "can-i --list: $out"
grep -Eq '^selfsubjectaccessreviews.authorization.k8s.io +\[\] +\[\] +\[create\]' <<<"$out" ||
  fail "can-i --list misses system:basic-user: $out"
out=$(K create -o json -f - <<'JSON'
{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview",
 "spec":{"user":"alice","resourceAttributes":{"namespace":"a","verb":"get",
 "resource":"pods"}}}
JSON
) || fail "SubjectAccessReview: $out"
[ "$(jq -r .status.allowed <<<"$out")" = true ] || fail "SAR: $out"
[ "$(jq -r .status.reason <<<"$out")" = 'RBAC: allowed by RoleBinding "alice-pods/a" of Role "pod-reader" to User "alice"' ] ||
  fail "SAR reason: $out"
pass "kubectl auth can-i, --list and a SubjectAccessReview answer as kube"

# Bad reviews: a clear 4xx, never a crash.
url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" |
  sed 's/.* on //')
review() { # TOKEN RESOURCE BODY -> HTTP code
  curl -s -o "$TMP/resp" -w '%{http_code}' --cacert "$TMP/data/pki/ca.crt" \
    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -X POST --data-binary "$3" "$url/apis/authorization.k8s.io/v1/$2"
}
SSAR=selfsubjectaccessreviews
[ "$(review alicetok $SSAR '{"spec":{}}')" = 422 ] &&
  grep -q 'exactly one of nonResourceAttributes or resourceAttributes must be specified' "$TMP/resp" ||
  fail "empty spec: $(cat "$TMP/resp")"
[ "$(review alicetok $SSAR '{"spec":"x"}')" = 400 ] || fail "spec string"
[ "$(review alicetok $SSAR '{"spec":{"resourceAttributes":{"verb":7}}}')" = 400 ] ||
  fail "verb number"
[ "$(review alicetok $SSAR 'nope')" = 400 ] || fail "not JSON"
[ "$(review alicetok subjectaccessreviews '{"spec":{"resourceAttributes":{"verb":"get"}}}')" = 403 ] ||
  fail "alice may not ask a SubjectAccessReview"
[ "$(review admintok subjectaccessreviews '{"spec":{"resourceAttributes":{"verb":"get"}}}')" = 422 ] &&
  grep -q 'at least one of user or group must be specified' "$TMP/resp" ||
  fail "SAR without user: $(cat "$TMP/resp")"
[ "$(review admintok namespaces/a/localsubjectaccessreviews '{"spec":{"user":"alice","resourceAttributes":{"namespace":"b","verb":"get","resource":"pods"}}}')" = 400 ] ||
  fail "LSAR in another namespace"
[ "$(review "" $SSAR '{}')" = 401 ] || fail "anonymous review"
python3 -c 'import json; print(json.dumps({"spec":{"user":"u","groups":["g%d" % i for i in range(100000)],"resourceAttributes":{"verb":"get"}}}))' >"$TMP/big.json"
[ "$(review admintok subjectaccessreviews "@$TMP/big.json")" = 400 ] ||
  fail "100,000 groups: $(head -c 300 "$TMP/resp")"
A get pods -n a >/dev/null 2>&1 || fail "server after bad reviews"
pass "bad reviews get 400, 401, 403 or 422 and the server stays up"

K apply -f - >/dev/null <<'YAML' || fail "aggregated role"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: widget-all}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {example.com/widgets: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: widget-reader, labels: {example.com/widgets: "true"}}
rules:
- apiGroups: [example.com]
  resources: [widgets]
  verbs: [get]
YAML
has_widgets() {
  K get clusterrole widget-all -o jsonpath='{.rules[0].resources[0]}' |
    grep -x widgets >/dev/null
}
wait_until 10 has_widgets
K get clusterrole view -o json | jq -e '.rules[] | select(.resources | index("pods")) | .verbs | index("list")' >/dev/null ||
  fail "the bootstrap view role was not aggregated"
pass "aggregationRule roles are filled (widget-all, and view)"

K apply -f - >/dev/null <<'YAML' || fail "bob's role"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role-writer, namespace: a}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [create, get, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-roles, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-writer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}
YAML
cat >"$TMP/secret-reader.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: a}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
YAML
wait_until 10 Bob get roles -n a role-writer
out=$(Bob create -f "$TMP/secret-reader.yaml" 2>&1) && fail "bob escalated"
grep -q 'roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "bob" (groups=\["system:authenticated"\]) is attempting to grant RBAC permissions not currently held:' <<<"$out" ||
  fail "escalation message: $out"
grep -q '{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get" "list"\]}' <<<"$out" ||
  fail "missing rules: $out"
out=$(Bob create rolebinding bob-admin -n a --clusterrole=cluster-admin --user=bob 2>&1) &&
  fail "bob bound cluster-admin"
grep -q 'is attempting to grant RBAC permissions not currently held' <<<"$out" ||
  fail "bind message: $out"
K create role escalator -n a --verb=escalate --resource=roles.rbac.authorization.k8s.io >/dev/null &&
  K create rolebinding bob-escalate -n a --role=escalator --user=bob >/dev/null ||
  fail "escalate grant"
wait_until 10 Bob create -f "$TMP/secret-reader.yaml"
pass "escalation is refused, then allowed with the escalate verb; binding cluster-admin is refused"

[ "$(K get clusterrolebinding -o name | grep -c cplane:ini)" = 0 ] ||
  fail "a namespaced INI rule made a ClusterRoleBinding"
K get rolebinding -n default cplane:ini:readers -o jsonpath='{.roleRef.name}' | grep -x cplane:ini:readers >/dev/null ||
  fail "no RoleBinding for [authz.readers]"
K create configmap c >/dev/null || fail "configmap"
K --token initok get configmap c >/dev/null || fail "INI rule: get"
K --token initok get configmap -n a >/dev/null 2>&1 && fail "INI rule in a"
pass "an [authz.*] rule is a ClusterRole and RoleBindings cplane:ini:readers"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -20 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
