#!/usr/bin/env bash
# The serviceaccount and rootcacertpublisher plugins with kubectl: every
# namespace, old and new, gets the ServiceAccount "default" and the
# ConfigMap kube-root-ca.crt (ca.crt: the API server's CA, as the host's
# pki holds it; kube's kubernetes.io/description); a ConfigMap changed by
# hand is put back, a deleted one or a deleted ServiceAccount comes back.
. "$(dirname "$0")/lib/common.sh"

start_cplane serviceaccount rootcacertpublisher

sa_there() { K get serviceaccount default -n "$1"; }
cm_there() { K get configmap kube-root-ca.crt -n "$1"; }
ca_of() { K get configmap kube-root-ca.crt -n "$1" -o jsonpath='{.data.ca\.crt}'; }
ca_right() { [ "$(ca_of "$1")" = "$(cat "$TMP/data/pki/ca.crt")" ]; }

for ns in default kube-system; do
  wait_until 10 sa_there "$ns"
  wait_until 10 cm_there "$ns"
done
K create namespace shop >/dev/null || fail "create namespace shop"
wait_until 10 sa_there shop
wait_until 10 cm_there shop
ca_right shop || fail "ca.crt is not the API server's CA: $(ca_of shop)"
desc=$(K get configmap kube-root-ca.crt -n shop -o jsonpath='{.metadata.annotations.kubernetes\.io/description}')
[ "$desc" = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." ] ||
  fail "description: $desc"
# kubectl trusts the same CA: the bundle verifies the API server.
server=$(K config view --raw -o jsonpath='{.clusters[0].cluster.server}')
ca_of shop >"$TMP/published.crt"
curl -sf --cacert "$TMP/published.crt" "$server/version" >/dev/null ||
  fail "the published CA does not verify $server"
pass "default, kube-system and a new namespace get ServiceAccount default and kube-root-ca.crt (the API server's CA)"

K patch configmap kube-root-ca.crt -n shop --type=merge \
  -p '{"metadata":{"labels":{"mine":"y"}},"data":{"ca.crt":"forged","extra":"x"}}' >/dev/null ||
  fail "patch the ConfigMap"
wait_until 10 ca_right shop
no_extra() { [ -z "$(K get configmap kube-root-ca.crt -n shop -o jsonpath='{.data.extra}')" ]; }
wait_until 5 no_extra
[ "$(K get configmap kube-root-ca.crt -n shop -o jsonpath='{.metadata.labels.mine}')" = y ] ||
  fail "the user's label was dropped"
K delete configmap kube-root-ca.crt -n shop >/dev/null || fail "delete the ConfigMap"
wait_until 10 ca_right shop
pass "kube-root-ca.crt changed by hand is put back (labels kept); deleted, it comes back"

uid=$(K get serviceaccount default -n shop -o jsonpath='{.metadata.uid}')
K delete serviceaccount default -n shop >/dev/null || fail "delete the ServiceAccount"
new_sa() {
  local u
  u=$(K get serviceaccount default -n shop -o jsonpath='{.metadata.uid}' 2>/dev/null) &&
    [ -n "$u" ] && [ "$u" != "$uid" ]
}
wait_until 10 new_sa
pass "a deleted ServiceAccount default comes back"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "ERROR|Sanitizer|runtime error" "$TMP/log" >&2 && fail "errors in the log"
pass "clean shutdown"
