#!/usr/bin/env bash
# The audit log with the real kubectl: a policy with None for a user and
# for events, Metadata for secrets, Request for pods, RequestResponse for
# configmaps; the events of kubectl's actions are there (or not) with
# kube's levels, stages, objectRef and responseStatus (a 403, a 404, a
# 401 with an empty user), request and response objects only where the
# level asks, the Audit-Id header is the event's auditID (the client's
# Audit-ID when sent; a 401's too, at the gate and after it, with kube's
# userAgent cut), a watch has ResponseStarted and ResponseComplete, a 413
# is audited after authorization, requestObject is the decoded object
# (DeleteOptions, Eviction, Binding, TokenRequest too; a patch as sent;
# none for a body that does not decode), PodSecurity's audit
# annotations, the authorization decision, webhooks failing open named
# in kube's failed-open annotations, rotation
# at audit_log_maxsize = 1 (MB) into a lumberjack-named backup, and a bad
# policy file fails the start naming the file and the reason.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
command -v jq >/dev/null || fail "jq is not installed"
mkdir -p -m 700 "$TMP/data" "$TMP/audit"
printf '%s\n' 'admintok,admin,1,"system:masters"' 'alicetok,alice,2' \
  'bobtok,bob,3' >"$TMP/data/tokens.csv"

# --- a bad policy file fails the start with the file and the reason
cat >"$TMP/bad.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Everything
YAML
cat >"$TMP/bad.ini" <<EOF2
[host]
data_dir = $TMP/baddata
listen = 127.0.0.1:0
[apiserver]
port = 0
audit_policy_file = $TMP/bad.yaml
audit_log_path = $TMP/audit/bad.log
EOF2
"$B/cplane" -c "$TMP/bad.ini" >"$TMP/bad.log" 2>&1 &
pid=$!
PIDS+=($pid)
wait_exit "$pid" 30
[ "$RC" -ne 0 ] || fail "a bad audit policy started"
expect_log "$TMP/bad.log" "audit policy \"$TMP/bad.yaml\": rules\[0\].level: Unsupported value: \"Everything\""
pass "a bad policy fails the start with file and reason"

cat >"$TMP/policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
- level: None
  users: [bob]
- level: None
  resources:
  - {group: "", resources: [events]}
  - {group: coordination.k8s.io, resources: [leases]}
- level: Metadata
  resources: [{group: "", resources: [secrets]}]
- level: RequestResponse
  resources: [{group: "", resources: [configmaps]}]
- level: Request
  resources:
  - {group: "", resources: [pods, pods/eviction, pods/binding, serviceaccounts/token]}
  - {group: authorization.k8s.io, resources: [selfsubjectaccessreviews]}
  - {group: authentication.k8s.io, resources: [tokenreviews]}
- level: Metadata
YAML
# start_cplane's INI with audit keys in [apiserver] (a section is written
# once, so not through EXTRA_INI).
mkdir -p -m 755 "$TMP/plugins"
for p in serviceaccount rootcacertpublisher; do
  install -m 0755 "$B/plugins/$p.so" "$TMP/plugins/"
done
cat >"$TMP/c.ini" <<EOF2
[host]
data_dir = $TMP/data
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
port = 0
tokens_file = $TMP/data/tokens.csv
audit_policy_file = $TMP/policy.yaml
audit_log_path = $TMP/audit/audit.log
audit_log_maxsize = 1
audit_log_maxbackup = 3
max_body = 1000000
[plugin.serviceaccount]
enabled = true
[plugin.rootcacertpublisher]
enabled = true
EOF2
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 2 plugin(s) running" 30
wait_until 30 K get serviceaccount default -n default
LOG=$TMP/audit/audit.log
SERVER=$(K config view --raw -o jsonpath='{.clusters[0].cluster.server}')
C() { curl -sk -H "Authorization: Bearer admintok" "$@"; }
# ev FILTER: the events (all files) matching a jq filter, one per line.
ev() { cat "$TMP"/audit/audit*.log | jq -c "select($1)"; }
# wait_ev FILTER: until such an event is written (the writer is a thread).
has_ev() { [ -n "$(ev "$1")" ]; }
wait_ev() { wait_until 10 has_ev "$1"; }

K create secret generic s1 -n default --from-literal=k=v >/dev/null ||
  fail "secret"
K create configmap c1 -n default --from-literal=k=v >/dev/null ||
  fail "configmap"
S='.objectRef.resource=="secrets" and .verb=="create"'
M0='.objectRef.resource=="configmaps" and .verb=="create" and .stage=="ResponseComplete"'
wait_ev "$S and .stage==\"ResponseComplete\""
[ "$(ev "$S" | jq -r .stage | sort | tr '\n' ' ')" = \
  "RequestReceived ResponseComplete " ] || fail "secret stages: $(ev "$S")"
ev "$S" | jq -e 'select(.level=="Metadata" and .requestObject==null and
  .responseObject==null and .objectRef.namespace=="default" and
  .objectRef.apiVersion=="v1" and .user.username=="admin" and
  (.user.groups|index("system:masters")) != null and
  (.sourceIPs|index("127.0.0.1")) != null and
  (.userAgent|startswith("kubectl")))' >/dev/null ||
  fail "secret event: $(ev "$S")"
ev "$S and .stage==\"ResponseComplete\"" | jq -e 'select(
  .responseStatus.code==201 and .objectRef.name=="s1" and
  .annotations["authorization.k8s.io/decision"]=="allow" and
  .requestReceivedTimestamp <= .stageTimestamp and
  (.stageTimestamp|test("^[0-9-]+T[0-9:]+\\.[0-9]{6}Z$")))' >/dev/null ||
  { ev "$M0" ; fail "secret complete: $(ev "$S")"; }
pass "Metadata for secrets: stages, objectRef, user, no objects"

M='.objectRef.resource=="configmaps" and .objectRef.name=="c1" and .verb=="create" and .stage=="ResponseComplete"'
wait_ev "$M"
ev "$M" | jq -e 'select(.level=="RequestResponse" and
  .requestObject.data.k=="v" and .responseObject.data.k=="v" and
  .responseObject.metadata.uid != null and
  .responseObject.metadata.managedFields==null)' >/dev/null ||
  fail "configmap event: $(ev "$M")"
pass "RequestResponse for configmaps: request and response objects"

# 404, 403 (alice has no role), None for bob
K get configmap nope -n default >/dev/null 2>&1 && fail "nope exists"
N='.objectRef.name=="nope" and .stage=="ResponseComplete"'
wait_ev "$N"
ev "$N" | jq -e 'select(.responseStatus.code==404 and
  .responseStatus.reason=="NotFound" and .responseStatus.status=="Failure"
  and .verb=="get" and .responseStatus.message=="configmaps \"nope\" not found")' \
  >/dev/null || fail "404 event: $(ev "$N")"
K --token alicetok get configmaps -n default >/dev/null 2>&1 &&
  fail "alice may list"
F='.user.username=="alice" and .stage=="ResponseComplete"'
wait_ev "$F"
ev "$F" | jq -e 'select(.responseStatus.code==403 and
  .responseStatus.reason=="Forbidden" and .verb=="list" and
  .annotations["authorization.k8s.io/decision"]=="forbid" and
  .responseObject.kind=="Status")' >/dev/null || fail "403 event: $(ev "$F")"
K --token bobtok get configmaps -n default >/dev/null 2>&1 &&
  fail "bob may list"
K get configmap c1 -n default >/dev/null # a later event to wait for
wait_ev '.verb=="get" and .objectRef.name=="c1" and .stage=="ResponseComplete"'
[ -z "$(ev '.user.username=="bob"')" ] || fail "bob is audited"
[ -z "$(ev '.objectRef.resource=="events"')" ] || fail "events audited"
pass "404 and 403 with kube's responseStatus, None for a user"

# Audit-Id: ours, or the client's
H=$(C -D - -o /dev/null "$SERVER/api/v1/namespaces/default/configmaps/c1" |
  tr -d '\r' | sed -n 's/^[Aa]udit-[Ii]d: //p')
[ -n "$H" ] || fail "no Audit-Id header"
wait_ev ".auditID==\"$H\" and .stage==\"ResponseComplete\""
H2=$(C -D - -o /dev/null -H "Audit-ID: my-audit-id-1" \
  "$SERVER/api/v1/namespaces/default/secrets/s1" | tr -d '\r' |
  sed -n 's/^[Aa]udit-[Ii]d: //p')
[ "$H2" = my-audit-id-1 ] || fail "client Audit-ID not echoed: $H2"
wait_ev '.auditID=="my-audit-id-1" and .stage=="ResponseComplete" and .responseStatus.code==200'
pass "Audit-Id header is the event's auditID"

# a watch: ResponseStarted then ResponseComplete
C -o /dev/null "$SERVER/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1"
W='.verb=="watch" and .objectRef.resource=="configmaps" and .objectRef.namespace=="default" and .user.username=="admin"'
wait_ev "$W and .stage==\"ResponseComplete\""
[ "$(ev "$W" | jq -r .stage | tr '\n' ' ')" = \
  "RequestReceived ResponseStarted ResponseComplete " ] ||
  fail "watch stages: $(ev "$W" | jq -c "[.auditID,.stage,.requestURI,.stageTimestamp]")"
pass "a watch has ResponseStarted and ResponseComplete"

# a 401: one ResponseStarted event with an empty user
curl -sk -o /dev/null -H "Authorization: Bearer nosuchtoken" \
  "$SERVER/api/v1/namespaces/default/pods"
U='.responseStatus.code==401'
wait_ev "$U"
ev "$U" | jq -e 'select(.stage=="ResponseStarted" and .user=={} and
  .verb=="list" and .objectRef.resource=="pods" and
  .responseStatus.message=="Authentication failed, attempted: bearer")' \
  >/dev/null || fail "401 event: $(ev "$U")"
pass "a 401 is audited with an empty user"

# the 401's Audit-Id is its event's auditID: refused at the gate (ours,
# or the client's), and refused after the gate opened (a good request,
# then a bad token on the same connection)
aid() { tr -d '\r' <"$1" | sed -n 's/^[Aa]udit-[Ii]d: //p' | tail -1; }
curl -sk -D "$TMP/h401" -o /dev/null -H "Authorization: Bearer nosuchtoken" \
  -A "agent-401" "$SERVER/api/v1/namespaces/default/configmaps?limit=7"
H=$(aid "$TMP/h401")
[ -n "$H" ] || fail "no Audit-Id on a 401"
wait_ev ".auditID==\"$H\""
ev ".auditID==\"$H\"" | jq -e 'select(.responseStatus.code==401 and
  .userAgent=="agent-401" and .verb=="list" and
  .requestURI=="/api/v1/namespaces/default/configmaps?limit=7")' \
  >/dev/null || fail "401 event for $H: $(ev '.responseStatus.code==401')"
curl -sk -D "$TMP/h401" -o /dev/null -H "Authorization: Bearer nosuchtoken" \
  -A "$(head -c 1500 /dev/zero | tr '\0' u)" \
  -H "Audit-ID: refused-at-gate" "$SERVER/api/v1/namespaces/default/pods"
[ "$(aid "$TMP/h401")" = refused-at-gate ] || fail "gate 401: $(aid "$TMP/h401")"
wait_ev '.auditID=="refused-at-gate" and .responseStatus.code==401'
ev '.auditID=="refused-at-gate"' | jq -e 'select((.userAgent|length)==1036
  and (.userAgent|endswith("u...TRUNCATED")))' >/dev/null ||
  fail "userAgent not cut as kube's: $(ev '.auditID=="refused-at-gate"' | jq .userAgent)"
curl -sk -o /dev/null -H "Authorization: Bearer admintok" "$SERVER/version" \
  --next -sk -D "$TMP/h401" -o /dev/null -w '%{num_connects}' \
  -H "Authorization: Bearer nosuchtoken" \
  "$SERVER/api/v1/namespaces/default/secrets" >"$TMP/nc"
[ "$(cat "$TMP/nc")" = 0 ] || fail "the connection was not reused"
H=$(aid "$TMP/h401")
[ -n "$H" ] || fail "no Audit-Id on a 401 after the gate"
wait_ev ".auditID==\"$H\" and .responseStatus.code==401 and .objectRef.resource==\"secrets\""
pass "a 401's Audit-Id is its event's auditID, at the gate and after"

# a body over max_body: kube's handler refuses it after authorization,
# so it is audited with the user and the decision
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/toobig"
code=$(C -o "$TMP/r413" -w '%{http_code}' -H "Audit-ID: too-big-1" \
  -H "Content-Type: application/json" --data-binary @"$TMP/toobig" \
  "$SERVER/api/v1/namespaces/default/configmaps")
[ "$code" = 413 ] || fail "413: got $code"
jq -e '.message=="Request entity too large: limit is 1000000"' "$TMP/r413" \
  >/dev/null || fail "413 body: $(cat "$TMP/r413")"
wait_ev '.auditID=="too-big-1" and .stage=="ResponseComplete"'
ev '.auditID=="too-big-1" and .stage=="ResponseComplete"' | jq -e 'select(
  .responseStatus.code==413 and .user.username=="admin" and
  .annotations["authorization.k8s.io/decision"]=="allow" and
  .requestObject==null)' >/dev/null ||
  fail "413 event: $(ev '.auditID=="too-big-1"')"
pass "a 413 is audited after authorization"

# PodSecurity: audit=restricted on the namespace
K create namespace psa >/dev/null
K label namespace psa pod-security.kubernetes.io/audit=restricted >/dev/null
wait_until 30 K get serviceaccount default -n psa
K run p1 -n psa --image=nginx >/dev/null 2>&1 || fail "pod p1"
P='.objectRef.resource=="pods" and .objectRef.name=="p1" and .verb=="create" and .stage=="ResponseComplete"'
wait_ev "$P"
ev "$P" | jq -e 'select(.level=="Request" and .requestObject.kind=="Pod" and
  .responseObject==null and
  .annotations["pod-security.kubernetes.io/enforce-policy"]=="privileged:latest" and
  (.annotations["pod-security.kubernetes.io/audit-violations"] |
   startswith("would violate PodSecurity \"restricted:latest\": ")))' \
  >/dev/null || fail "pod event: $(ev "$P")"
pass "PodSecurity audit annotations"
# requestObject is the object as decoded (kube's LogRequestObject):
# defaults set, creationTimestamp null, no namespace the client did not
# send; for an update, kind and apiVersion filled in
ev "$P" | jq -e 'select(.requestObject.spec.dnsPolicy=="ClusterFirst" and
  .requestObject.spec.containers[0].terminationMessagePolicy=="File" and
  (.requestObject.metadata|has("creationTimestamp")) and
  .requestObject.metadata.creationTimestamp==null and
  (.requestObject.metadata|has("namespace")|not))' >/dev/null ||
  fail "pod requestObject: $(ev "$P" | jq -c .requestObject)"
C -o /dev/null -X PUT -H "Content-Type: application/json" -H "Audit-ID: put-c1" \
  -d '{"metadata":{"name":"c1","namespace":"default"},"data":{"k":"v2"}}' \
  "$SERVER/api/v1/namespaces/default/configmaps/c1"
wait_ev '.auditID=="put-c1" and .stage=="ResponseComplete"'
ev '.auditID=="put-c1" and .stage=="ResponseComplete"' | jq -e 'select(
  .responseStatus.code==200 and .requestObject.kind=="ConfigMap" and
  .requestObject.apiVersion=="v1" and
  .requestObject.metadata.namespace=="default" and
  .requestObject.data.k=="v2")' >/dev/null ||
  fail "update requestObject: $(ev '.auditID=="put-c1"')"
pass "requestObject is the decoded object"

# rq ID: the ResponseComplete event of the request with Audit-ID ID.
rq() { ev ".auditID==\"$1\" and .stage==\"ResponseComplete\""; }
# call ID METHOD PATH [BODY [CTYPE]]: the HTTP status of the request.
call() {
  C -o "$TMP/call.out" -w '%{http_code}' -X "$2" -H "Audit-ID: $1" \
    -H "Content-Type: ${5:-application/json}" ${4:+--data-binary "$4"} \
    "$SERVER$3"
}
# expect_ro ID CODE JQ: the event has status CODE and a requestObject
# JQ selects ("none": no requestObject at all).
expect_ro() {
  wait_ev ".auditID==\"$1\" and .stage==\"ResponseComplete\""
  if [ "$3" = none ]; then
    rq "$1" | jq -e "select(.responseStatus.code==$2 and
      (has(\"requestObject\")|not))" >/dev/null
  else
    rq "$1" | jq -e "select(.responseStatus.code==$2) | .requestObject |
      select($3)" >/dev/null
  fi || fail "$1: $(rq "$1" | jq -c '[.responseStatus.code,.requestObject]')"
}
PODS=/api/v1/namespaces/default/pods
pod() { printf '{"metadata":{"name":"%s"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}' "$1"; }
for p in del1 ev1 bind1; do
  [ "$(call "mk-$p" POST $PODS "$(pod $p)")" = 201 ] || fail "pod $p: $(cat "$TMP/call.out")"
done
# a body that does not decode: a 400 with no requestObject
[ "$(call create-bad POST $PODS '{"metadata":{"name":"bad1"},"spec":{"containers":"no"}}')" = 400 ] ||
  fail "create-bad: $(cat "$TMP/call.out")"
expect_ro create-bad 400 none
[ "$(call create-list POST $PODS '[1,2]')" = 400 ] || fail "create-list"
expect_ro create-list 400 none
[ "$(call del-bad DELETE $PODS/del1 '{"gracePeriodSeconds":"soon"}')" = 400 ] ||
  fail "del-bad: $(cat "$TMP/call.out")"
expect_ro del-bad 400 none
[ "$(call delcol-bad DELETE "$PODS?labelSelector=none%3Dnone" '{"dryRun":7}')" = 400 ] ||
  fail "delcol-bad: $(cat "$TMP/call.out")"
expect_ro delcol-bad 400 none
[ "$(call tok-bad POST /api/v1/namespaces/default/serviceaccounts/default/token \
  '{"spec":{"expirationSeconds":"1h"}}')" = 400 ] || fail "tok-bad: $(cat "$TMP/call.out")"
expect_ro tok-bad 400 none
[ "$(call evict-bad POST $PODS/ev1/eviction \
  '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"ev1","labels":"x"}}')" = 400 ] ||
  fail "evict-bad: $(cat "$TMP/call.out")"
grep 'Go struct field ObjectMeta.metadata.labels of type map\[string\]string' \
  "$TMP/call.out" >/dev/null || fail "evict-bad message: $(cat "$TMP/call.out")"
expect_ro evict-bad 400 none
[ "$(call bind-bad POST $PODS/bind1/binding \
  '{"apiVersion":"v1","kind":"Binding","metadata":{"name":5},"target":{"name":"n1"}}')" = 400 ] ||
  fail "bind-bad: $(cat "$TMP/call.out")"
expect_ro bind-bad 400 none
pass "a body that does not decode has no requestObject"

# DELETE: the DeleteOptions as kube's meta scheme writes them
[ "$(call del-1 DELETE $PODS/del1 \
  '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background","gracePeriodSeconds":0,"orphanDependents":null,"bogus":1}')" = 200 ] ||
  fail "del-1: $(cat "$TMP/call.out")"
expect_ro del-1 200 '. == {"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","gracePeriodSeconds":0,"propagationPolicy":"Background"}'
[ "$(call delcol-1 DELETE "$PODS?labelSelector=none%3Dnone" '{"dryRun":["All"]}')" = 200 ] ||
  fail "delcol-1: $(cat "$TMP/call.out")"
expect_ro delcol-1 200 '. == {"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","dryRun":["All"]}'
[ "$(call del-none DELETE $PODS/nosuchpod)" = 404 ] || fail "del-none"
expect_ro del-none 404 none
pass "a delete's requestObject is its decoded DeleteOptions"

# subresource creates: the Eviction, Binding and TokenRequest as decoded
[ "$(call evict-1 POST $PODS/ev1/eviction \
  '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"ev1"},"deleteOptions":{"gracePeriodSeconds":0,"x":1},"junk":true}')" = 201 ] ||
  fail "evict-1: $(cat "$TMP/call.out")"
expect_ro evict-1 201 '. == {"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"ev1","creationTimestamp":null},"deleteOptions":{"gracePeriodSeconds":0}}'
rq evict-1 | jq -e 'select(.objectRef.subresource=="eviction" and .level=="Request")' \
  >/dev/null || fail "evict-1 objectRef: $(rq evict-1 | jq -c .objectRef)"
[ "$(call bind-1 POST $PODS/bind1/binding \
  '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"bind1"},"target":{"kind":"Node","name":"n1"}}')" = 201 ] ||
  fail "bind-1: $(cat "$TMP/call.out")"
expect_ro bind-1 201 '. == {"kind":"Binding","apiVersion":"v1","metadata":{"name":"bind1","creationTimestamp":null},"target":{"kind":"Node","name":"n1"}}'
[ "$(call tok-1 POST /api/v1/namespaces/default/serviceaccounts/default/token \
  '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":["x"]}}')" = 201 ] ||
  fail "tok-1: $(cat "$TMP/call.out")"
expect_ro tok-1 201 '. == {"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"audiences":["x"],"expirationSeconds":3600},"status":{"token":"","expirationTimestamp":null}}'
K auth can-i list secrets -n default >/dev/null || fail "can-i"
R='.objectRef.resource=="selfsubjectaccessreviews" and .stage=="ResponseComplete"'
wait_ev "$R"
ev "$R" | jq -e 'select(.requestObject.kind=="SelfSubjectAccessReview" and
  .requestObject.apiVersion=="authorization.k8s.io/v1" and
  .requestObject.spec.resourceAttributes.resource=="secrets" and
  .requestObject.metadata.creationTimestamp==null)' >/dev/null ||
  fail "review requestObject: $(ev "$R" | jq -c .requestObject)"
# kind and apiVersion the body left out are the URL's (Go's decoding set
# them), and Go writes TypeMeta and ObjectMeta before the rest
[ "$(call cm-order POST /api/v1/namespaces/default/configmaps \
  '{"data":{"k":"v"},"metadata":{"name":"ord1"}}')" = 201 ] ||
  fail "cm-order: $(cat "$TMP/call.out")"
expect_ro cm-order 201 '(keys_unsorted == ["kind","apiVersion","metadata","data"]) and
  .kind=="ConfigMap" and .apiVersion=="v1" and .metadata.name=="ord1"'
[ "$(call tr-bare POST /apis/authentication.k8s.io/v1/tokenreviews \
  '{"spec":{"token":"not-a-token"}}')" = 201 ] ||
  fail "tr-bare: $(cat "$TMP/call.out")"
expect_ro tr-bare 201 '(keys_unsorted[0:3] == ["kind","apiVersion","metadata"]) and
  .kind=="TokenReview" and .apiVersion=="authentication.k8s.io/v1" and
  .metadata.creationTimestamp==null and .spec.token=="not-a-token"'
pass "eviction, binding, token and a review: requestObject as decoded"

# a patch: logged as sent
[ "$(call patch-1 PATCH $PODS/bind1 '{"metadata":{"labels":{"a":"b"}}}' \
  application/merge-patch+json)" = 200 ] || fail "patch-1: $(cat "$TMP/call.out")"
expect_ro patch-1 200 '. == {"metadata":{"labels":{"a":"b"}}}'
pass "a patch's requestObject is the patch as sent"

# webhooks that fail open (nothing listens on port 1): kube's failed-open
# annotations, naming the webhook
down_hook() { # name kind(Mutating|Validating)
  cat <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ${2}WebhookConfiguration
metadata: {name: $1}
webhooks:
- name: $1.example.com
  clientConfig: {url: "https://127.0.0.1:1/hook"}
  rules:
  - {operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}
  failurePolicy: Ignore
  timeoutSeconds: 5
  sideEffects: None
  admissionReviewVersions: [v1]
EOF
}
{ down_hook down-m Mutating; echo ---; down_hook down-v Validating; } |
  K apply -f - >/dev/null || fail "webhook configurations"
n=0
failed_open() {
  n=$((n + 1))
  [ "$(call "fo-$n" POST /api/v1/namespaces/default/configmaps \
    "{\"metadata\":{\"name\":\"fo-$n\"}}")" = 201 ] &&
    wait_ev ".auditID==\"fo-$n\" and .stage==\"ResponseComplete\"" &&
    rq "fo-$n" | jq -e '.annotations |
      select(.["failed-open.mutation.webhook.admission.k8s.io/round_0_index_0"]=="down-m.example.com" and
        .["failed-open.validating.webhook.admission.k8s.io/round_0_index_0"]=="down-v.example.com" and
        (.["mutation.webhook.admission.k8s.io/round_0_index_0"]|fromjson) ==
          {"configuration":"down-m","webhook":"down-m.example.com","mutated":false})' >/dev/null
}
wait_until 20 failed_open || fail "failed-open annotations: $(rq "fo-$n" | jq -c .annotations)"
K delete mutatingwebhookconfiguration down-m >/dev/null
K delete validatingwebhookconfiguration down-v >/dev/null
pass "webhooks failing open: kube's failed-open annotations"

# metrics
C "$SERVER/metrics" | grep '^cplane_apiserver_audit_events_dropped_total ' \
  >/dev/null || fail "no dropped counter"
C "$SERVER/metrics" | grep '^apiserver_audit_event_total [1-9]' >/dev/null ||
  fail "no event counter"

# rotation at 1 MB: big configmaps at RequestResponse (~2 x 200 KB each)
head -c 150000 /dev/zero | tr '\0' a >"$TMP/big"
for i in 1 2 3 4; do
  K create configmap "big$i" -n default --from-file=v="$TMP/big" >/dev/null ||
    fail "big$i"
done
wait_ev '.objectRef.name=="big4" and .stage=="ResponseComplete"'
ls "$TMP"/audit | grep -E '^audit-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}\.[0-9]{3}\.log$' \
  >/dev/null || fail "no backup: $(ls "$TMP/audit")"
for f in "$TMP"/audit/audit*.log; do
  [ "$(stat -c %s "$f")" -le 1048576 ] || fail "$f is over 1 MiB"
  jq -e . "$f" >/dev/null || fail "$f is not JSON lines"
done
pass "rotation by size into lumberjack's backup names"

# A clean stop writes what is queued and joins the writer (no leak under
# ASan): the last request's ResponseComplete is in the file.
C -o /dev/null -H "Audit-ID: last-before-stop" "$SERVER/api/v1/namespaces/default/configmaps/c1"
kill -TERM "${PIDS[-1]}"
wait_exit "${PIDS[-1]}" 60
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
has_ev '.auditID=="last-before-stop" and .stage=="ResponseComplete"' ||
  fail "the last event was lost at stop"
pass "stop flushes the log"
