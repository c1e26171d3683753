#!/usr/bin/env bash
# The disruption plugin end to end with kubectl: a PodDisruptionBudget
# over a Deployment's pods gets kube's status figures and condition;
# kubectl drain evicts through it, one disruption at a time, and stops
# where the budget allows none.
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 2\nmax_grace = 1s' start_cplane replicaset deployment \
  scheduler nodesim disruption
cat <<'EOF2' | K apply -f - >/dev/null || fail "apply"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
         labelSelector: {matchLabels: {app: web}}}
      containers: [{name: c, image: nginx}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 25%
  selector: {matchLabels: {app: web}}
EOF2
st() { K get pdb web -o jsonpath='{.status.expectedPods}/{.status.currentHealthy}/{.status.desiredHealthy}/{.status.disruptionsAllowed}/{.status.observedGeneration}'; }
cond() { K get pdb web -o jsonpath='{.status.conditions[?(@.type=="DisruptionAllowed")].status}/{.status.conditions[?(@.type=="DisruptionAllowed")].reason}'; }
wait_until 20 eval '[ "$(st)" = 4/4/3/1/1 ]'
[ "$(cond)" = True/SufficientPods ] || fail "condition: $(cond)"
K get pdb web | grep -E '^web +N/A +25% +1 ' >/dev/null || fail "kubectl get pdb: $(K get pdb web)"
pass "a budget's status: expected from the Deployment's scale, healthy, desired, allowed"

# Drain sim-0: its pods are evicted one disruption at a time (kubectl
# retries a 429 every 5 s), each replaced on sim-1 before the next.
on0=$(K get pods -l app=web --field-selector spec.nodeName=sim-0 -o name | wc -l)
[ "$on0" -ge 1 ] || fail "no pod on sim-0"
out=$(K drain sim-0 --timeout=40s 2>&1) || fail "drain sim-0: $out"
grep -q 'drained' <<<"$out" || fail "drain said: $out"
[ "$(K get pods -l app=web --field-selector spec.nodeName=sim-0 -o name | wc -l)" -eq 0 ] ||
  fail "pods left on sim-0"
wait_until 20 eval '[ "$(st)" = 4/4/3/1/1 ]'
[ -z "$(K get pdb web -o jsonpath='{.status.disruptedPods}')" ] ||
  [ "$(K get pdb web -o jsonpath='{.status.disruptedPods}')" = '{}' ] ||
  fail "disruptedPods not cleaned: $(K get pdb web -o jsonpath='{.status.disruptedPods}')"
pass "kubectl drain evicts through the budget and completes"

# No disruption allowed: drain stops at the budget.
K patch pdb web --type=merge -p '{"spec":{"maxUnavailable":0}}' >/dev/null || fail "patch pdb"
wait_until 10 eval '[ "$(st)" = 4/4/4/0/2 ]'
[ "$(cond)" = False/InsufficientPods ] || fail "condition: $(cond)"
if out=$(K drain sim-1 --timeout=6s 2>&1); then fail "drain passed a full budget: $out"; fi
grep -q "disruption budget" <<<"$out" || fail "drain said: $out"
[ "$(K get pods -l app=web -o name | wc -l)" -eq 4 ] || fail "a pod was evicted"
pass "drain stops where the budget allows no disruption"

# A budget over pods whose controller does not exist: SyncFailed.
cat <<'EOF2' | K apply -f - >/dev/null || fail "apply orphan"
apiVersion: v1
kind: Pod
metadata:
  name: lost
  labels: {app: lost}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, uid: 00000000-0000-0000-0000-000000000001, controller: true}]
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: lost}
spec:
  minAvailable: 50%
  selector: {matchLabels: {app: lost}}
EOF2
failed() { K get pdb lost -o jsonpath='{.status.conditions[0].reason}/{.status.conditions[0].message}/{.status.disruptionsAllowed}'; }
wait_until 10 eval '[ "$(failed)" = "SyncFailed/found no controllers for pod \"lost\"/0" ]'
pass "a controller that cannot be found: SyncFailed, no disruption allowed"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -40 "$TMP/log" >&2; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
