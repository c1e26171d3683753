#!/usr/bin/env bash
# CertificateSigningRequests as kube does them: openssl makes a key and a
# request for CN=alice O=devs, `kubectl certificate approve` approves it,
# the server's signer (csr_signer.c) issues the certificate with the
# cluster CA, and kubectl with that certificate is alice. `kubectl
# certificate deny` denies (never signed); a kubelet-client request
# without O=system:nodes fails with kube's Failed condition; an
# unknown signer's approved request stays unsigned. The csrapproving
# plugin approves kubelet client requests after a SubjectAccessReview of
# their requester (nodeclient, or selfnodeclient for its own node).
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
command -v openssl >/dev/null || fail "openssl is not installed"
mkdir -m 700 "$TMP/data" "$TMP/plugins"
install -m 0755 "$B/plugins/csrapproving.so" "$TMP/plugins/"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/plugins
[apiserver]
port = 0
cluster_signing_duration = 720h
[plugin.csrapproving]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: "
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }

# has JSONPATH CSR: the CSR's field at JSONPATH is not empty (now).
has() { [ -n "$(K get csr "$2" -o jsonpath="$1")" ]; }

# csr NAME SUBJECT SIGNER USAGES...: a CertificateSigningRequest object
# for a fresh EC key (NAME.key) in $TMP/NAME.yaml.
csr() {
  local name=$1 subj=$2 signer=$3 u
  shift 3
  openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/$name.key" 2>/dev/null
  openssl req -new -key "$TMP/$name.key" -subj "$subj" -out "$TMP/$name.csr"
  {
    printf 'apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\n'
    printf 'metadata: {name: %s}\nspec:\n  signerName: %s\n' "$name" "$signer"
    printf '  expirationSeconds: 86400\n'
    printf '  request: %s\n  usages:\n' "$(base64 -w0 <"$TMP/$name.csr")"
    for u in "$@"; do printf '  - %s\n' "$u"; done
  } >"$TMP/$name.yaml"
}

csr alice "/CN=alice/O=devs" kubernetes.io/kube-apiserver-client "client auth"
K create -f "$TMP/alice.yaml" >/dev/null
[ "$(K get csr alice -o jsonpath='{.spec.username}')" = admin ] ||
  fail "spec.username is not the creator: $(K get csr alice -o json)"
K get csr alice | grep "Pending" >/dev/null || fail "a new CSR is not Pending"
K certificate approve alice | grep "approved" >/dev/null || fail "approve said no"
wait_until 10 has '{.status.certificate}' alice
K get csr alice -o jsonpath='{.status.certificate}' | base64 -d >"$TMP/alice.crt"
openssl verify -CAfile "$TMP/data/pki/ca.crt" "$TMP/alice.crt" >/dev/null ||
  fail "the certificate does not chain to the cluster CA"
openssl x509 -in "$TMP/alice.crt" -noout -subject | grep "CN *= *alice" >/dev/null ||
  fail "subject: $(openssl x509 -in "$TMP/alice.crt" -noout -subject)"
openssl x509 -in "$TMP/alice.crt" -noout -ext extendedKeyUsage |
  grep "TLS Web Client Authentication" >/dev/null || fail "no client auth usage"
# expirationSeconds (1 day) under the 30-day cap is honoured.
end=$(date -d "$(openssl x509 -in "$TMP/alice.crt" -noout -enddate | cut -d= -f2)" +%s)
left=$((end - $(date +%s)))
[ "$left" -gt 86000 ] && [ "$left" -le 86400 ] || fail "lifetime $left s, not a day"
K get csr alice | grep "Approved,Issued" >/dev/null || fail "$(K get csr alice)"
pass "an approved kube-apiserver-client CSR is signed by the cluster CA"

# kubectl with alice's certificate is alice.
server=$(K config view --minify -o jsonpath='{.clusters[0].cluster.server}')
A() {
  kubectl --server "$server" --certificate-authority "$TMP/data/pki/ca.crt" \
    --client-certificate "$TMP/alice.crt" --client-key "$TMP/alice.key" \
    --cache-dir "$TMP/cache-a" --request-timeout=20s "$@"
}
if out=$(A auth whoami -o jsonpath='{.status.userInfo.username}' 2>&1); then
  [ "$out" = alice ] || fail "whoami: $out"
else
  out=$(A get pods 2>&1) && fail "alice may list pods?"
  echo "$out" | grep 'User "alice"' >/dev/null || fail "not alice: $out"
fi
pass "the issued certificate authenticates as alice"

csr bob "/CN=bob" kubernetes.io/kube-apiserver-client "client auth"
K create -f "$TMP/bob.yaml" >/dev/null
K certificate deny bob | grep "denied" >/dev/null || fail "deny said no"
sleep 1.5
[ -z "$(K get csr bob -o jsonpath='{.status.certificate}')" ] || fail "a denied CSR was signed"
K get csr bob | grep "Denied" >/dev/null || fail "$(K get csr bob)"
out=$(K get csr bob -o json |
  jq '.status.conditions += [{"type":"Approved","status":"True","reason":"X"}]' |
  K replace --raw /apis/certificates.k8s.io/v1/certificatesigningrequests/bob/approval -f - 2>&1) &&
  fail "approving a denied CSR worked: $out"
echo "$out" | grep "Approved and Denied conditions are mutually exclusive" >/dev/null ||
  fail "approve after deny: $out"
pass "deny: never signed, and cannot be approved after"

csr node1 "/CN=system:node:n1/O=devs" kubernetes.io/kube-apiserver-client-kubelet \
  "digital signature" "client auth"
K create -f "$TMP/node1.yaml" >/dev/null
K certificate approve node1 >/dev/null
wait_until 10 has '{.status.conditions[?(@.type=="Failed")].reason}' node1
[ "$(K get csr node1 -o jsonpath='{.status.conditions[?(@.type=="Failed")].reason}')" = SignerValidationFailure ] ||
  fail "$(K get csr node1 -o json)"
[ "$(K get csr node1 -o jsonpath='{.status.conditions[?(@.type=="Failed")].message}')" = \
  "subject organization is not system:nodes" ] || fail "$(K get csr node1 -o json)"
[ -z "$(K get csr node1 -o jsonpath='{.status.certificate}')" ] || fail "signed anyway"
csr eve "/CN=eve" kubernetes.io/kube-apiserver-client "client auth" "server auth"
K create -f "$TMP/eve.yaml" >/dev/null
K certificate approve eve >/dev/null
wait_until 10 has '{.status.conditions[?(@.type=="Failed")].message}' eve
[ "$(K get csr eve -o jsonpath='{.status.conditions[?(@.type=="Failed")].message}')" = \
  "invalid usage for client certificate: server auth" ] || fail "$(K get csr eve -o json)"
pass "requests breaking their signer's rules get kube's Failed condition"

csr kn "/CN=system:node:n2/O=system:nodes" kubernetes.io/kube-apiserver-client-kubelet \
  "digital signature" "client auth"
csr other "/CN=x" example.com/my-signer "client auth"
K create -f "$TMP/kn.yaml" -f "$TMP/other.yaml" >/dev/null
K certificate approve other >/dev/null
# kn: csrapproving approves it (the admin may create .../nodeclient).
wait_until 10 has '{.status.certificate}' kn
sleep 1.5
[ -z "$(K get csr other -o jsonpath='{.status.certificate}{.status.conditions[?(@.type=="Failed")].type}')" ] ||
  fail "an unknown signer's request was touched: $(K get csr other -o json)"
pass "a kubelet client CSR is signed; another signer's stays approved, unsigned"

approved() { K get csr "$1" -o jsonpath='{.status.conditions[?(@.type=="Approved")].reason}: {.status.conditions[?(@.type=="Approved")].message}'; }
[ "$(approved kn)" = "AutoApproved: Auto approving kubelet client certificate after SubjectAccessReview." ] ||
  fail "kn: $(K get csr kn -o json)"
# A node may ask for its own certificate (selfnodeclient), not another's.
K create clusterrole csr-creator --verb=create,get --resource=certificatesigningrequests >/dev/null
K create clusterrolebinding nodes-csr --clusterrole=csr-creator --group=system:nodes >/dev/null
K create clusterrolebinding nodes-self --group=system:nodes \
  --clusterrole=system:certificates.k8s.io:certificatesigningrequests:selfnodeclient >/dev/null
csr n3 "/CN=system:node:n3/O=system:nodes" kubernetes.io/kube-apiserver-client-kubelet \
  "digital signature" "key encipherment" "client auth"
csr n4 "/CN=system:node:n4/O=system:nodes" kubernetes.io/kube-apiserver-client-kubelet \
  "digital signature" "client auth"
K create -f "$TMP/n3.yaml" -f "$TMP/n4.yaml" --as=system:node:n3 --as-group=system:nodes >/dev/null
wait_until 10 has '{.status.certificate}' n3
[ "$(approved n3)" = "AutoApproved: Auto approving self kubelet client certificate after SubjectAccessReview." ] ||
  fail "n3: $(K get csr n3 -o json)"
sleep 1.5
K get csr n4 | grep Pending >/dev/null || fail "another node's request was approved: $(K get csr n4 -o json)"
pass "csrapproving approves kubelet client requests their requester may make, as kube"

# Only /approval may approve: /status may not add Approved.
csr carol "/CN=carol" kubernetes.io/kube-apiserver-client "client auth"
K create -f "$TMP/carol.yaml" >/dev/null
out=$(K get csr carol -o json | jq '.status.conditions=[{"type":"Approved","status":"True"}]' |
  K replace --subresource=status -f - 2>&1) && fail "status added Approved: $out"
echo "$out" | grep 'updates may not add a condition of type "Approved"' >/dev/null || fail "$out"
curl -sf --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $(K config view --raw --minify -o jsonpath='{.users[0].user.token}')" \
  "$server/apis/certificates.k8s.io/v1" | jq -e '.resources[] | select(.name=="certificatesigningrequests/approval")' >/dev/null ||
  fail "discovery does not list certificatesigningrequests/approval"
pass "approval is its own subresource"

# A clean stop: the signer's and aggregator's threads end, nothing leaks.
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 30
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "Sanitizer|runtime error" "$TMP/log" >&2 && fail "sanitizer reports in the log"
pass "clean stop"
