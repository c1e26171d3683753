#!/usr/bin/env bash
# ValidatingAdmissionPolicy, driven by kubectl as in kube's documentation:
# a policy refusing Deployments with more replicas than a param
# ConfigMap allows, bound in namespaces labelled environment=test, is
# refused with kube's exact message (and let through elsewhere or below
# the limit); the same policy bound with the Warn action shows kubectl a
# warning and lets the write through; a policy whose expression fails to
# evaluate follows its failurePolicy (Fail refuses, Ignore admits); a
# policy whose expression does not compile is refused when written; a
# binding whose param is missing denies (parameterNotFoundAction Deny);
# variables and messageExpression; the authorizer variable asks RBAC;
# a policy on deployments/scale refuses `kubectl scale` beyond a limit;
# the policy's status records its generation.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
NO_SA_PLUGINS=1 start_cplane

# expect_refused OUTPUT_VAR CMD...: CMD fails; its output in $OUT.
refused() { OUT=$("$@" 2>&1) && fail "accepted: $* -> $OUT"; return 0; }
has() { grep -F -- "$1" <<<"$OUT" >/dev/null || fail "no '$1' in: $OUT"; }

cat >"$TMP/ns.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Namespace
metadata: {name: test, labels: {environment: test}}
---
apiVersion: v1
kind: Namespace
metadata: {name: test2, labels: {environment: test}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: test}
data: {maxReplicas: "5"}
EOF
K apply -f "$TMP/ns.yaml" >/dev/null

cat >"$TMP/policy.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit.example.com}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  variables:
  - name: limit
    expression: int(params.data.maxReplicas)
  validations:
  - expression: object.spec.replicas <= variables.limit
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' exceed the limit ' + string(variables.limit)"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-binding.example.com}
spec:
  policyName: replica-limit.example.com
  validationActions: [Deny]
  paramRef: {name: limits, parameterNotFoundAction: Deny}
  matchResources:
    namespaceSelector:
      matchLabels: {environment: test}
EOF
K apply -f "$TMP/policy.yaml" >/dev/null
gen=$(K get validatingadmissionpolicy replica-limit.example.com -o jsonpath='{.status.observedGeneration}')
[ "$gen" = 1 ] || fail "status.observedGeneration is '$gen', not 1"
pass "policy and binding stored; status.observedGeneration 1"

# The set picks the binding up from its store watch within moments.
# Polled with server-side dry runs (admitted as writes, never stored),
# so that a write let through before the policy applies stores nothing.
deny_big() { ! OUT=$(K create deployment big -n test --image=nginx --replicas=7 "$@" 2>&1); }
wait_until 20 deny_big --dry-run=server
deny_big
has 'deployments.apps "big" is forbidden: ValidatingAdmissionPolicy '"'"'replica-limit.example.com'"'"' with binding '"'"'replica-limit-binding.example.com'"'"' denied request: replicas 7 exceed the limit 5'
pass "a Deployment over the param's limit in a labelled namespace is refused"
K create deployment small -n test --image=nginx --replicas=3 >/dev/null
K create deployment big -n prod --image=nginx --replicas=7 >/dev/null
pass "below the limit, and in an unlabelled namespace, Deployments are created"
refused K patch deployment small -n test -p '{"spec":{"replicas":9}}'
has "denied request: replicas 9 exceed the limit 5"
pass "an update over the limit is refused too"
# As in kube, a rule naming deployments does not take deployments/scale.
K scale deployment small -n test --replicas=9 >/dev/null
pass "deployments/scale is not matched by a rule for deployments"

# A policy on deployments/scale sees the autoscaling/v1 Scale (kube runs
# policies on /scale writes) and refuses `kubectl scale` beyond 10.
K apply -f - >/dev/null <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: scale-limit.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments/scale]}
  validations:
  - expression: "request.kind.group == 'autoscaling' && request.kind.kind == 'Scale' && object.kind == 'Scale' && oldObject.spec.replicas >= 0"
    message: not a Scale
  - expression: object.spec.replicas <= 10
    messageExpression: "'scale to ' + string(object.spec.replicas) + ' is beyond 10'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: scale-limit}
spec: {policyName: scale-limit.example.com, validationActions: [Deny]}
EOF
deny_scale() { ! OUT=$(K scale deployment small -n test --replicas=11 2>&1); }
wait_until 20 deny_scale
has "deployments.apps \"small\" is forbidden: ValidatingAdmissionPolicy 'scale-limit.example.com' with binding 'scale-limit' denied request: scale to 11 is beyond 10"
[ "$(K get deploy small -n test -o jsonpath='{.spec.replicas}')" = 9 ] ||
  fail "replicas changed by a refused scale"
K scale deployment small -n test --replicas=10 >/dev/null || fail "scale to 10 refused"
K delete validatingadmissionpolicybinding scale-limit >/dev/null
K delete validatingadmissionpolicy scale-limit.example.com >/dev/null
pass "a policy on deployments/scale refuses kubectl scale beyond 10 (Scale objects)"

# The HTTP status: Forbidden as the validation's reason says.
curl_k() {
  K create deployment huge -n test --image=nginx --replicas=8 --dry-run=client -o json >"$TMP/huge.json"
  K create --raw "/apis/apps/v1/namespaces/test/deployments" -f "$TMP/huge.json" 2>&1 || true
}
OUT=$(curl_k)
has 'Error from server (Forbidden)'
pass "the refusal is 403 Forbidden (the validation's reason)"

# A missing param with parameterNotFoundAction Deny.
refused K create deployment any -n test2 --image=nginx --replicas=1
has "denied request: failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction"
pass "a missing param denies (parameterNotFoundAction Deny)"

# Warn: the same check as a warning; the write goes through.
cat >"$TMP/warn.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: name-length.example.com}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [configmaps]
  validations:
  - expression: size(object.metadata.name) <= 8
    message: configmap names should be short
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: name-length-warn}
spec:
  policyName: name-length.example.com
  validationActions: [Warn, Audit]
EOF
K apply -f "$TMP/warn.yaml" >/dev/null
warned() {
  OUT=$(K create configmap "long-name-$RANDOM$RANDOM" -n prod 2>&1)
  grep -F "Warning: Validation failed for ValidatingAdmissionPolicy 'name-length.example.com' with binding 'name-length-warn': configmap names should be short" <<<"$OUT" >/dev/null
}
wait_until 20 warned
has "created"
pass "a Warn binding shows kubectl kube's warning and the write goes through"
wait_for_log "$TMP/log" 'validation.policy.admission.k8s.io/validation_failure'
pass "an Audit binding's failure is recorded (logged: no audit log yet)"

# failurePolicy: an expression that errors at run time.
cat >"$TMP/fail.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken-fail}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [secrets]
      resourceNames: [guarded]
  validations:
  - expression: object.data.missing == 'x'
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken-ignore}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [secrets]
  validations:
  - expression: object.data.missing == 'x'
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: broken-fail}
spec: {policyName: broken-fail, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: broken-ignore}
spec: {policyName: broken-ignore, validationActions: [Deny]}
EOF
K apply -f "$TMP/fail.yaml" >/dev/null
fails() { ! OUT=$(K create secret generic guarded -n prod --from-literal=a=b "$@" 2>&1); }
wait_until 20 fails --dry-run=server
fails
has "ValidatingAdmissionPolicy 'broken-fail' with binding 'broken-fail' denied request: expression 'object.data.missing == 'x'' resulted in error: no such key: missing"
K create secret generic other -n prod --from-literal=a=b >/dev/null
pass "an evaluation error follows failurePolicy (Fail refuses, Ignore admits)"

# The authorizer variable asks RBAC as the requesting user, or as a
# ServiceAccount.
cat >"$TMP/authz.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: authz}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [configmaps]
      resourceNames: [authz-check]
  validations:
  - expression: authorizer.group('').resource('secrets').namespace(request.namespace).check('delete').allowed()
    message: the requester may not delete secrets
  - expression: authorizer.serviceAccount('prod', 'nobody').group('').resource('secrets').check('list').allowed()
    message: prod/nobody may not list secrets
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: authz}
spec: {policyName: authz, validationActions: [Deny]}
EOF
K apply -f "$TMP/authz.yaml" >/dev/null
authz_denied() { ! OUT=$(K create configmap authz-check -n prod "$@" 2>&1); }
wait_until 20 authz_denied --dry-run=server
authz_denied
has "ValidatingAdmissionPolicy 'authz' with binding 'authz' denied request: prod/nobody may not list secrets"
pass "authorizer checks ask RBAC (the admin may, a ServiceAccount may not)"

# A policy that does not compile is refused when written.
cat >"$TMP/bad.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: bad}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: object.spec.replicas <=
EOF
refused K apply -f "$TMP/bad.yaml"
has 'The ValidatingAdmissionPolicy "bad" is invalid: spec.validations[0].expression: Invalid value: "object.spec.replicas <=": compilation failed: ERROR: <input>:1:24: Syntax error: mismatched input'
cat >"$TMP/badb.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: badb}
spec: {policyName: x, validationActions: [Deny, Warn]}
EOF
refused K apply -f "$TMP/badb.yaml"
has 'must not contain both Deny and Warn'
pass "a policy that does not compile, and a binding with Deny and Warn, are 422"

# Deleting the binding lifts the policy.
K delete validatingadmissionpolicybinding replica-limit-binding.example.com >/dev/null
wait_until 20 K create deployment big2 -n test --image=nginx --replicas=7
pass "deleting the binding lifts the policy"

# A clean stop: under ASan, nothing the policies held is leaked.
kill -TERM "${PIDS[-1]}"
wait_exit "${PIDS[-1]}" 30
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "the server stops cleanly"
