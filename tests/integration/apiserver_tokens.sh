#!/usr/bin/env bash
# ServiceAccount tokens with kubectl 1.32: `kubectl create token` (with
# --audience, --duration, --bound-object-kind Pod), the token used by
# kubectl and curl (auth whoami shows system:serviceaccount:...),
# TokenReview, tokens refused with 401 when expired, signed by another
# key, alg none, for another audience, or naming a deleted
# ServiceAccount, pod or Secret; the issuer's JWKS and OIDC document; a
# legacy token Secret filled and accepted; impersonation (--as) allowed
# for system:masters and 403 for a user without the impersonate verb;
# anonymous requests 401, or system:anonymous when enabled.
. "$(dirname "$0")/lib/common.sh"

mkdir -p -m 755 "$TMP/plugins" "$TMP/data"
# An admin and alice, who may list pods but not impersonate.
printf 'admintoken0123456789,admin,1,"system:masters"\nalicetoken0123456789,alice,2\n' \
  >"$TMP/data/tokens.csv"
write_ini() { # DATA_DIR ANONYMOUS
  cat <<INI
[host]
data_dir = $1
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
port = 0
anonymous = $2
[authz.alice]
users = alice
verbs = list
resources = pods
INI
}
write_ini "$TMP/data" false >"$TMP/c.ini"
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 0 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
S=$(sed -n 's/^ *server: //p' "$TMP/data/admin.kubeconfig")
KT() { # TOKEN kubectl-args...
  local t=$1
  shift
  kubectl --server "$S" --certificate-authority "$TMP/data/pki/ca.crt" \
    --token "$t" --cache-dir "$TMP/cache" "$@"
}
code() { # TOKEN PATH -> HTTP status
  curl -s --cacert "$TMP/data/pki/ca.crt" -o /dev/null -w '%{http_code}' \
    ${1:+-H "Authorization: Bearer $1"} "$S$2"
}
review() { # TOKEN [AUDIENCES-JSON] -> the TokenReview's status
  curl -s --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer admintoken0123456789" \
    -H 'Content-Type: application/json' "$S/apis/authentication.k8s.io/v1/tokenreviews" \
    -d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"$1\",\"audiences\":${2:-null}}}" |
    jq -c .status
}

part() { # N TOKEN -> the JSON of the token's Nth part (1: header)
  local p
  p=$(cut -d. -f"$1" <<<"$2" | tr '_-' '/+')
  while ((${#p} % 4)); do p="$p="; done
  base64 -d <<<"$p"
}

# The key is made on first start, beside the TLS material.
[ -s "$TMP/data/pki/sa.key" ] && [ -s "$TMP/data/pki/sa.pub" ] || fail "no sa.key/sa.pub"
[ "$(stat -c %a "$TMP/data/pki/sa.key")" = 600 ] || fail "sa.key is not 0600"
pass "the ServiceAccount key is made in the pki directory"

# Discovery lists the token subresource.
v=$(K get --raw /api/v1 | jq -c '.resources[] | select(.name == "serviceaccounts/token") | [.kind, .group, .verbs]')
[ "$v" = '["TokenRequest","authentication.k8s.io",["create"]]' ] || fail "discovery: $v"
pass "discovery lists serviceaccounts/token (create)"
# authentication.k8s.io is discovered, in both forms (kubectl uses the
# aggregated one), its reviews with the one verb create; no other verb.
out=$(K api-resources --api-group=authentication.k8s.io --no-headers) || fail "api-resources: $out"
grep -Eq '^selfsubjectreviews +authentication.k8s.io/v1 +false +SelfSubjectReview' <<<"$out" &&
  grep -Eq '^tokenreviews +authentication.k8s.io/v1 +false +TokenReview' <<<"$out" || fail "api-resources: $out"
v=$(K get --raw /apis | jq -c '[.groups[].name | select(. == "authentication.k8s.io")]')
[ "$v" = '["authentication.k8s.io"]' ] || fail "/apis: $v"
v=$(K get --raw /apis/authentication.k8s.io/v1 | jq -c '[.resources[] | [.name, .verbs]]')
[ "$v" = '[["selfsubjectreviews",["create"]],["tokenreviews",["create"]]]' ] || fail "authentication.k8s.io/v1: $v"
[ "$(code admintoken0123456789 /apis/authentication.k8s.io/v1/tokenreviews)" = 405 ] || fail "GET tokenreviews is not 405"
pass "discovery lists authentication.k8s.io's reviews"

K create serviceaccount bob >/dev/null
K create serviceaccount gone >/dev/null
T=$(K create token bob)
who=$(KT "$T" auth whoami -o json)
[ "$(jq -r .status.userInfo.username <<<"$who")" = system:serviceaccount:default:bob ] || fail "whoami: $who"
[ "$(jq -c .status.userInfo.groups <<<"$who")" = '["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"]' ] ||
  fail "groups: $who"
[ "$(jq -r .status.userInfo.uid <<<"$who")" = "$(K get sa bob -o jsonpath='{.metadata.uid}')" ] || fail "uid: $who"
jq -r '.status.userInfo.extra["authentication.kubernetes.io/credential-id"][0]' <<<"$who" | grep '^JTI=' >/dev/null ||
  fail "no credential-id: $who"
pass "kubectl create token; whoami is the ServiceAccount"
[ "$(code "$T" /api/v1/namespaces/default/pods)" = 403 ] || fail "the token's pods list is not 403"
[ "$(code garbage /api/v1/namespaces/default/pods)" = 401 ] || fail "garbage is not 401"
[ "$(code "" /api/v1/namespaces)" = 401 ] || fail "no credential is not 401"
pass "authenticated but not allowed is 403; no or a bad credential 401"

r=$(review "$T")
[ "$(jq -r .authenticated <<<"$r")" = true ] && [ "$(jq -r .user.username <<<"$r")" = system:serviceaccount:default:bob ] &&
  [ "$(jq -c .audiences <<<"$r")" = '["https://kubernetes.default.svc.cluster.local"]' ] || fail "TokenReview: $r"
r=$(review admintoken0123456789)
[ "$(jq -c .user.groups <<<"$r")" = '["system:masters","system:authenticated"]' ] || fail "static TokenReview: $r"
pass "TokenReview of a ServiceAccount token and a static token"

# Audiences and duration.
TV=$(K create token bob --audience vault --duration 20m)
exp=$(part 2 "$TV" | jq '.exp - .iat')
[ "$exp" = 1200 ] || fail "--duration 20m gave $exp s"
[ "$(code "$TV" /api/v1/namespaces)" = 401 ] || fail "a vault token is accepted by the API"
[ "$(jq -c .audiences <<<"$(review "$TV" '["vault"]')")" = '["vault"]' ] || fail "vault review"
jq -r .error <<<"$(review "$TV")" | grep 'token audiences \["vault"\] is invalid for the target audiences' >/dev/null ||
  fail "audience error: $(review "$TV")"
out=$(K create token bob --duration 5m 2>&1) && fail "5m accepted"
grep 'spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes' <<<"$out" >/dev/null ||
  fail "5m: $out"
out=$(K create token nobody 2>&1) && fail "a token for nobody"
grep 'serviceaccounts "nobody" not found' <<<"$out" >/dev/null || fail "nobody: $out"
pass "audiences, duration and their refusals"

# Tokens made here: expired, by another key, alg none.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
openssl genrsa -out "$TMP/foreign.key" 2048 2>/dev/null
forge() { # KIND -> a token signed with sa.key (expired, foreign: another key, none)
  local now key=$TMP/data/pki/sa.key alg=RS256 exp h
  now=$(date +%s)
  exp=$((now + 3600))
  [ "$1" = expired ] && exp=$((now - 120))
  [ "$1" = foreign ] && key=$TMP/foreign.key
  [ "$1" = none ] && alg=none
  h=$(jq -cn --arg a $alg '{alg: $a}' | b64url).$(jq -cn --argjson now "$now" --argjson exp "$exp" \
    --arg uid "$(K get sa bob -o jsonpath='{.metadata.uid}')" \
    '{aud: ["https://kubernetes.default.svc.cluster.local"], iss: "https://kubernetes.default.svc.cluster.local",
      sub: "system:serviceaccount:default:bob", iat: ($now - 7200), nbf: ($now - 7200), exp: $exp,
      "kubernetes.io": {namespace: "default", serviceaccount: {name: "bob", uid: $uid}}}' | b64url)
  if [ $alg = none ]; then
    echo "$h."
  else
    echo "$h.$(printf %s "$h" | openssl dgst -sha256 -sign "$key" | b64url)"
  fi
}
[ "$(code "$(forge good)" /api/v1/namespaces/default/serviceaccounts/bob)" = 403 ] || fail "a token signed with sa.key by hand"
for kind in expired foreign none; do
  [ "$(code "$(forge $kind)" /api/v1/namespaces)" = 401 ] || fail "$kind token not 401"
done
jq -r .error <<<"$(review "$(forge expired)")" | grep 'service account token has expired' >/dev/null || fail "expired review"
[ "$(code "$(head -c 20000 /dev/zero | tr '\0' a).b.c" /api/v1/namespaces)" = 401 ] || fail "huge token"
pass "expired, foreign, alg none and huge tokens are 401"

# The issuer's documents.
kid=$(part 1 "$T" | jq -r .kid)
jwks=$(curl -s --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $T" "$S/openid/v1/jwks")
[ "$(jq -r '.keys[0].kid' <<<"$jwks")" = "$kid" ] && [ "$(jq -r '.keys[0].alg' <<<"$jwks")" = RS256 ] || fail "jwks: $jwks"
oidc=$(curl -s --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $T" "$S/.well-known/openid-configuration")
[ "$(jq -r .jwks_uri <<<"$oidc")" = https://kubernetes.default.svc.cluster.local/openid/v1/jwks ] &&
  [ "$(jq -c .id_token_signing_alg_values_supported <<<"$oidc")" = '["RS256"]' ] || fail "oidc: $oidc"
pass "/openid/v1/jwks and /.well-known/openid-configuration"

# Bound to a pod; a legacy token Secret; a ServiceAccount deleted.
K apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: p1}
spec: {serviceAccountName: bob, containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Secret
metadata:
  name: bob-token
  annotations: {kubernetes.io/service-account.name: bob}
type: kubernetes.io/service-account-token
YAML
TP=$(K create token bob --bound-object-kind Pod --bound-object-name p1)
[ "$(KT "$TP" auth whoami -o jsonpath='{.status.userInfo.extra.authentication\.kubernetes\.io/pod-name}')" = '["p1"]' ] ||
  [ "$(KT "$TP" auth whoami -o jsonpath='{.status.userInfo.extra.authentication\.kubernetes\.io/pod-name[0]}')" = p1 ] ||
  fail "pod-bound whoami: $(KT "$TP" auth whoami -o json)"
out=$(K create token gone --bound-object-kind Pod --bound-object-name p1 2>&1) && fail "bound to another SA's pod"
grep 'cannot bind token for serviceaccount "gone" to pod running with different serviceaccount name' <<<"$out" >/dev/null ||
  fail "other SA's pod: $out"
[ "$(K get secret bob-token -o jsonpath='{.metadata.annotations.kubernetes\.io/service-account\.uid}')" = \
  "$(K get sa bob -o jsonpath='{.metadata.uid}')" ] || fail "legacy secret uid annotation"
[ "$(K get secret bob-token -o jsonpath='{.data.namespace}' | base64 -d)" = default ] || fail "legacy secret namespace"
K get secret bob-token -o jsonpath='{.data.ca\.crt}' | base64 -d | grep 'BEGIN CERTIFICATE' >/dev/null || fail "legacy ca.crt"
TL=$(K get secret bob-token -o jsonpath='{.data.token}' | base64 -d)
[ "$(part 2 "$TL" | jq -r .iss)" = kubernetes/serviceaccount ] || fail "legacy iss"
[ "$(KT "$TL" auth whoami -o jsonpath='{.status.userInfo.username}')" = system:serviceaccount:default:bob ] || fail "legacy whoami"
TG=$(K create token gone)
[ "$(code "$TG" /api/v1/namespaces)" = 403 ] || fail "gone's token before the delete"
pass "a pod-bound token and a legacy token Secret's token work"
K delete pod p1 --wait=false >/dev/null
K delete secret bob-token >/dev/null
K delete serviceaccount gone >/dev/null
# Lookups are cached for 3 s (as kube caches authenticated tokens).
sleep 3.2
[ "$(code "$TP" /api/v1/namespaces)" = 401 ] || fail "a deleted pod's token still works"
[ "$(code "$TL" /api/v1/namespaces)" = 401 ] || fail "a deleted Secret's token still works"
[ "$(code "$TG" /api/v1/namespaces)" = 401 ] || fail "a deleted ServiceAccount's token still works"
jq -r .error <<<"$(review "$TG")" | grep 'serviceaccounts "gone" not found' >/dev/null || fail "gone review: $(review "$TG")"
[ "$(code "$T" /api/v1/namespaces)" = 403 ] || fail "bob's own token stopped working"
pass "tokens of a deleted pod, Secret and ServiceAccount are 401"

# Impersonation.
who=$(K auth whoami --as alice --as-group devs -o json)
[ "$(jq -r .status.userInfo.username <<<"$who")" = alice ] &&
  [ "$(jq -c .status.userInfo.groups <<<"$who")" = '["devs","system:authenticated"]' ] || fail "--as: $who"
[ "$(K get pods --as alice -o name)" = "" ] || fail "alice's pods"
out=$(K get configmaps --as alice 2>&1) && fail "alice lists configmaps"
grep 'User "alice" cannot list resource "configmaps"' <<<"$out" >/dev/null || fail "as alice: $out"
msg=$(curl -s --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer alicetoken0123456789" \
  -H "Impersonate-User: admin" "$S/api/v1/namespaces/default/pods" | jq -r .message)
[ "$msg" = 'users "admin" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope' ] ||
  fail "impersonation without the verb: $msg"
pass "impersonation: allowed for system:masters, 403 without the verb"

# Anonymous, on a second server over another data directory.
write_ini "$TMP/data2" true | sed 's/^listen = .*/listen = 127.0.0.1:0/' >"$TMP/c2.ini"
"$B/cplane" -c "$TMP/c2.ini" >"$TMP/log2" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log2" "ready: 0 plugin(s) running"
S2=$(sed -n 's/^ *server: //p' "$TMP/data2/admin.kubeconfig")
# kube's bootstrap policy grants system:basic-user (the self reviews) to
# system:authenticated only: the anonymous user is named and refused.
anon=$(curl -s --cacert "$TMP/data2/pki/ca.crt" -X POST -H 'Content-Type: application/json' -d '{}' \
  "$S2/apis/authentication.k8s.io/v1/selfsubjectreviews" | jq -r '.code, .message')
case "$anon" in
  403*'User "system:anonymous" cannot create resource "selfsubjectreviews"'*) ;;
  *) fail "anonymous: $anon" ;;
esac
[ "$(curl -s --cacert "$TMP/data2/pki/ca.crt" -o /dev/null -w '%{http_code}' "$S2/api/v1/namespaces")" = 403 ] ||
  fail "anonymous may list namespaces"
[ "$(curl -s --cacert "$TMP/data2/pki/ca.crt" -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer bad' \
  "$S2/api/v1/namespaces")" = 401 ] || fail "a bad token with anonymous on"
pass "anonymous = true: system:anonymous, decided by RBAC; a bad token is still 401"

# Both stop cleanly (under ASan: without leaks).
for i in 0 1; do
  kill -TERM "${PIDS[$i]}"
  wait_exit "${PIDS[$i]}" 20
  [ "$RC" -eq 0 ] || { cat "$TMP/log" "$TMP/log2"; fail "server $i: exit status $RC after SIGTERM"; }
done
pass "clean shutdown"
