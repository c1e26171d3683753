#!/usr/bin/env bash
# Pod admission with kubectl, as kube-apiserver's: ServiceAccount (a pod
# gets `default` and the kube-api-access-* projected token volume; a
# missing ServiceAccount is 403 with kube's message; automount false
# keeps it out), DefaultTolerationSeconds, qosClass, Priority's
# built-in defaults, and PodSecurity (enforce refuses with kube's
# message, warn warns, also on a Deployment; a namespace label change
# warns about its pods).
. "$(dirname "$0")/lib/common.sh"

start_cplane

pod() { # name [extra spec JSON merged into the container]
  printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},"spec":{"containers":[{"name":"c","image":"busybox"%s}]%s}}' \
    "$1" "${2:-}" "${3:-}"
}

# --- ServiceAccount
pod plain | K create -f - >/dev/null || fail "create pod plain"
j=$(K get pod plain -o json)
[ "$(jq -r .spec.serviceAccountName <<<"$j")" = default ] || fail "serviceAccountName: $(jq .spec <<<"$j")"
vol=$(jq -r '.spec.volumes[0].name' <<<"$j")
[[ "$vol" =~ ^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$ ]] || fail "volume name $vol"
want='{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],"name":"kube-root-ca.crt"}},{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"},"path":"namespace"}]}}]}'
[ "$(jq -cS '.spec.volumes[0].projected' <<<"$j")" = "$(jq -cS . <<<"$want")" ] ||
  fail "projected volume: $(jq -c '.spec.volumes[0].projected' <<<"$j")"
[ "$(jq -c '.spec.containers[0].volumeMounts' <<<"$j")" = \
  "[{\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\",\"name\":\"$vol\",\"readOnly\":true}]" ] ||
  fail "volumeMounts: $(jq -c '.spec.containers[0].volumeMounts' <<<"$j")"
pass "a pod gets serviceAccountName default and kube's kube-api-access projected volume and mount"

out=$(pod ghost '' ',"serviceAccountName":"nobody"' | K create -f - 2>&1) && fail "a pod naming a missing ServiceAccount was created"
grep -F 'Error from server (Forbidden): error when creating "STDIN": pods "ghost" is forbidden: error looking up service account default/nobody: serviceaccount "nobody" not found' <<<"$out" >/dev/null ||
  fail "missing ServiceAccount: $out"
pass "a pod naming a missing ServiceAccount is 403 with kube's message"

pod nomount '' ',"automountServiceAccountToken":false' | K create -f - >/dev/null || fail "create nomount"
[ "$(K get pod nomount -o jsonpath='{.spec.volumes}')" = "" ] || fail "automount false got a volume"
K create serviceaccount quiet >/dev/null
K patch serviceaccount quiet -p '{"automountServiceAccountToken":false}' >/dev/null
pod quietpod '' ',"serviceAccountName":"quiet"' | K create -f - >/dev/null || fail "create quietpod"
[ "$(K get pod quietpod -o jsonpath='{.spec.volumes}')" = "" ] || fail "SA automount false got a volume"
pass "automountServiceAccountToken false on the pod or its ServiceAccount: no token volume"

# --- DefaultTolerationSeconds, qosClass, Priority
tol=$(jq -c '[.spec.tolerations[] | select(.key | startswith("node.kubernetes.io/"))] | sort_by(.key)' <<<"$j")
[ "$tol" = '[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},{"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}]' ] ||
  fail "tolerations: $tol"
[ "$(jq -r .status.qosClass <<<"$j")" = BestEffort ] || fail "qosClass $(jq -r .status.qosClass <<<"$j")"
pod guaranteed ',"resources":{"limits":{"cpu":"100m","memory":"64Mi"}}' | K create -f - >/dev/null
[ "$(K get pod guaranteed -o jsonpath='{.status.qosClass}')" = Guaranteed ] || fail "Guaranteed"
pod burst ',"resources":{"requests":{"cpu":"100m"}}' | K create -f - >/dev/null
[ "$(K get pod burst -o jsonpath='{.status.qosClass}')" = Burstable ] || fail "Burstable"
pod crit '' ',"priorityClassName":"system-node-critical"' | K create -n kube-system -f - >/dev/null ||
  fail "create a system-node-critical pod"
[ "$(K get pod crit -n kube-system -o jsonpath='{.spec.priority}/{.spec.preemptionPolicy}')" = 2000001000/PreemptLowerPriority ] ||
  fail "system-node-critical priority: $(K get pod crit -n kube-system -o jsonpath='{.spec.priority}/{.spec.preemptionPolicy}')"
K patch pod guaranteed --subresource=status --type=json \
  -p '[{"op":"remove","path":"/status/qosClass"}]' >/dev/null || fail "status patch"
[ "$(K get pod guaranteed -o jsonpath='{.status.qosClass}')" = Guaranteed ] ||
  fail "a status write without qosClass dropped it"
pass "not-ready/unreachable tolerations 300s, qosClass BestEffort/Guaranteed/Burstable, system-node-critical priority"

# --- PodSecurity
K create namespace locked >/dev/null
K label namespace locked pod-security.kubernetes.io/enforce=restricted >/dev/null
wait_until 20 K get serviceaccount default -n locked
priv=',"securityContext":{"privileged":true}'
out=$(pod bad "$priv" | K create -n locked -f - 2>&1) && fail "a privileged pod was admitted under restricted"
grep -F 'pods "bad" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")' <<<"$out" >/dev/null ||
  fail "restricted refusal: $out"
good=',"securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}'
pod fine "$good" | K create -n locked -f - >/dev/null || fail "a restricted-conforming pod was refused"
pass "PodSecurity enforce=restricted refuses a privileged pod with kube's message, admits a conforming one"

K create namespace loose >/dev/null
K label namespace loose pod-security.kubernetes.io/warn=baseline pod-security.kubernetes.io/warn-version=v1.30 >/dev/null
wait_until 20 K get serviceaccount default -n loose
out=$(pod hostnet '' ',"hostNetwork":true' | K create -n loose -f - 2>&1) || fail "warn refused: $out"
grep -F 'Warning: would violate PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true)' <<<"$out" >/dev/null ||
  fail "warn: $out"
# Workloads get warn and audit, never enforce (kube's
# ValidatePodController): enforce alone says nothing about a Deployment.
out=$(K create deployment web -n locked --image=busybox 2>&1) || fail "deployment refused: $out"
! grep -F 'would violate PodSecurity' <<<"$out" >/dev/null || fail "enforce warned a deployment: $out"
K label namespace locked pod-security.kubernetes.io/warn=restricted >/dev/null
out=$(K create deployment web2 -n locked --image=busybox 2>&1) || fail "deployment refused: $out"
grep -F 'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "busybox" must set securityContext.allowPrivilegeEscalation=false)' <<<"$out" >/dev/null ||
  fail "deployment warning: $out"
pass "warn=baseline:v1.30 warns on a hostNetwork pod; a Deployment is warned by warn=restricted (not by enforce), not refused"

out=$(K label namespace loose pod-security.kubernetes.io/enforce=baseline 2>&1) || fail "label: $out"
grep -F 'Warning: existing pods in namespace "loose" violate the new PodSecurity enforce level "baseline:latest"' <<<"$out" >/dev/null &&
  grep -F 'Warning: hostnet: host namespaces' <<<"$out" >/dev/null || fail "namespace label warnings: $out"
pass "enforcing baseline on a namespace warns about its violating pods"
