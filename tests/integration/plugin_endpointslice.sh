#!/usr/bin/env bash
# The endpointslice and endpoints plugins end to end with kubectl: a
# Service's EndpointSlices list its ready pods' IPs with kube's labels,
# owner and conditions, a not-ready pod with ready=false, named ports
# resolved per pod (different numbers: different slices), a deleted pod
# dropped; its Endpoints object follows, and kubectl describe svc shows
# it.
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 2' start_cplane scheduler nodesim endpointslice endpoints

pod() { # NAME PORT
  cat <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {app: web}}
spec:
  containers:
  - name: c
    image: nginx
    ports: [{name: http, containerPort: $2}]
EOF2
}
{
  pod web-1 8080; echo ---; pod web-2 8080; echo ---
  cat <<'EOF2'
apiVersion: v1
kind: Service
metadata: {name: web, labels: {tier: front}}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80, targetPort: http}]
EOF2
} | K apply -f - >/dev/null || fail "apply"
running() { [ "$(K get pods -l app=web --field-selector=status.phase=Running -o name | wc -l)" -eq "$1" ]; }
wait_until 20 running 2
SEL=kubernetes.io/service-name=web
ips() { K get endpointslices -l $SEL -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]}{"\n"}{end}' | sort; }
pod_ips() { K get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort; }
same_ips() { [ "$(ips)" = "$(pod_ips)" ] && [ -n "$(ips)" ]; }
wait_until 10 same_ips
slice=$(K get endpointslices -l $SEL -o json)
[ "$(jq '.items | length' <<<"$slice")" = 1 ] || fail "one slice expected: $slice"
jq -e '.items[0] | .addressType == "IPv4"
  and .metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
  and .metadata.labels.tier == "front"
  and (.metadata.generateName == "web-")
  and .metadata.ownerReferences[0].kind == "Service"
  and .metadata.ownerReferences[0].controller
  and (.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] | length > 0)
  and .ports == [{"name":"web","port":8080,"protocol":"TCP"}]
  and ([.endpoints[] | .conditions.ready and .conditions.serving
        and (.conditions.terminating | not) and .targetRef.kind == "Pod"
        and (.nodeName | startswith("sim-"))] | all)' <<<"$slice" >/dev/null ||
  fail "slice: $slice"
# Settled: no more writes (our own echo must not cause another).
rvs() { echo "$(K get endpointslices -l $SEL -o jsonpath='{.items[*].metadata.resourceVersion}') $(K get endpoints web -o jsonpath='{.metadata.resourceVersion}')"; }
wait_until 10 eval '[ -n "$(K get endpoints web -o name)" ]'
before=$(rvs); sleep 1.5
[ "$(rvs)" = "$before" ] || fail "slices or Endpoints rewritten while nothing changed"
pass "a Service's EndpointSlice lists its ready pods' IPs, as kube labels it"

# A pod whose port named http is another number goes to a slice of its own.
pod web-3 9090 | K apply -f - >/dev/null || fail "apply web-3"
two() { [ "$(K get endpointslices -l $SEL -o jsonpath='{range .items[*]}{.ports[0].port}{" "}{end}' | tr ' ' '\n' | sort -n | xargs)" = "8080 9090" ]; }
wait_until 15 two
wait_until 10 same_ips
pass "a named targetPort resolves per pod: other numbers, other slices"

# Not ready: listed with ready=false (serving too).
K patch pod web-2 --subresource=status \
  -p '{"status":{"conditions":[{"type":"Ready","status":"False"}]}}' >/dev/null ||
  fail "patch web-2 not ready"
ip2=$(K get pod web-2 -o jsonpath='{.status.podIP}')
notready() {
  K get endpointslices -l $SEL -o json | jq -e --arg ip "$ip2" \
    '[.items[].endpoints[] | select(.addresses[0] == $ip)][0].conditions | .ready == false and .serving == false'
}
wait_until 10 notready
pass "a pod that is not ready is listed with ready=false"

# Endpoints: the same pods, web-2 among the not-ready addresses.
eps() { K get endpoints web -o json; }
eps_ok() {
  eps | jq -e --arg ip "$ip2" '[.subsets[].addresses[]?.ip] | length == 2 and (index($ip) | not)' &&
    eps | jq -e --arg ip "$ip2" '[.subsets[].notReadyAddresses[]?.ip] == [$ip]'
}
wait_until 10 eps_ok
K describe svc web | grep -E '^Endpoints:' | grep ':8080' >/dev/null || fail "describe svc: $(K describe svc web)"
pass "the Endpoints object follows; kubectl describe svc shows its endpoints"

# A deleted pod is dropped.
K delete pod web-1 --wait=false >/dev/null || fail "delete web-1"
gone() { [ "$(ips)" = "$(pod_ips)" ] && [ "$(ips | wc -l)" -eq 2 ]; }
wait_until 20 gone
wait_until 10 eval '[ "$(K get endpoints web -o json | jq "[.subsets[] | (.addresses // []) + (.notReadyAddresses // []) | .[]] | length")" = 2 ]'
pass "a deleted pod leaves the slices and the Endpoints"

# A Service with no pods keeps one empty placeholder slice; deleting the
# Service takes its slices.
K create service clusterip empty --tcp=80:80 >/dev/null || fail "create svc empty"
K patch svc empty -p '{"spec":{"selector":{"app":"none"}}}' >/dev/null || fail "patch svc empty"
placeholder() { K get endpointslices -l kubernetes.io/service-name=empty -o json | jq -e '.items | length == 1 and (.[0].endpoints // [] | length == 0)'; }
wait_until 10 placeholder
K delete svc web >/dev/null || fail "delete svc"
wait_until 10 eval '[ -z "$(K get endpointslices -l $SEL -o name)" ]'
pass "an empty Service keeps a placeholder slice; a deleted one loses its slices"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -40 "$TMP/log" >&2; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
