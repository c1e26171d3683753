#!/usr/bin/env bash
# The README's guestbook walk-through: the Kubernetes tutorial's
# guestbook (Redis leader and followers, PHP frontend: three Deployments,
# three Services, manifests/guestbook.yaml) applies cleanly, its pods run
# on simulated nodes, and every Service gets endpoints (EndpointSlices
# and Endpoints) holding exactly its own pods; deleting it all leaves no
# slices behind (the API server's own kubernetes Service keeps its).
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 3' start_cplane replicaset deployment scheduler nodesim \
  endpointslice endpoints garbagecollector
M="$ROOT/tests/integration/manifests/guestbook.yaml"
out=$(K apply -f "$M" 2>&1) || fail "apply: $out"
[ "$(grep -c -E ' (created|configured)$' <<<"$out")" -eq 6 ] || fail "apply said: $out"

# Each Service: its Deployment's pods, Running, are its endpoints.
declare -A want=([redis-leader]=1 [redis-follower]=2 [frontend]=3)
declare -A sel=([redis-leader]='app.kubernetes.io/name=redis,role=leader'
  [redis-follower]='app.kubernetes.io/name=redis,role=follower'
  [frontend]='app.kubernetes.io/name=guestbook,app.kubernetes.io/component=frontend')
pod_ips() { K get pods -l "${sel[$1]}" --field-selector=status.phase=Running \
  -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort; }
slice_ips() { K get endpointslices -l "kubernetes.io/service-name=$1" \
  -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | sort; }
eps_ips() { K get endpoints "$1" -o jsonpath='{range .subsets[*].addresses[*]}{.ip}{"\n"}{end}' | sort; }
served() { # SERVICE
  local p
  p=$(pod_ips "$1")
  [ "$(wc -l <<<"$p")" -eq "${want[$1]}" ] && [ -n "$p" ] &&
    [ "$(slice_ips "$1")" = "$p" ] && [ "$(eps_ips "$1")" = "$p" ]
}
for s in redis-leader redis-follower frontend; do
  wait_until 40 served "$s"
done
[ "$(K get pods -o name | wc -l)" -eq 6 ] || fail "expected 6 pods: $(K get pods)"
pass "the guestbook applies cleanly; every Service has its own pods as endpoints"

d=$(K describe svc frontend)
grep -E '^Endpoints:' <<<"$d" | grep ':80' >/dev/null || fail "describe svc frontend: $d"
K get endpointslices -l kubernetes.io/service-name=redis-leader -o json |
  jq -e '.items[0].ports == [{"name":"","port":6379,"protocol":"TCP"}]' >/dev/null ||
  fail "redis-leader slice ports"
pass "kubectl describe svc shows the endpoints"

K scale deployment frontend --replicas=5 >/dev/null || fail "scale frontend"
want[frontend]=5
wait_until 30 served frontend
pass "scaling the frontend to 5: its slice and Endpoints follow"

K delete -f "$M" >/dev/null || fail "delete"
wait_until 30 eval '[ -z "$(K get endpointslices,endpoints -o name | grep -v /kubernetes\$)" ]'
pass "deleting the guestbook takes its endpoints along"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -40 "$TMP/log" >&2; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
