#!/usr/bin/env bash
# The replicationcontroller plugin (the replicaset plugin's code built for
# the legacy kind) end to end with kubectl: an RC gets its pods, owned and
# labelled, scales up and down with kubectl scale, reports status as a
# ReplicaSet does, adopts a matching orphan and replaces a deleted pod.
# (Deleting the RC's pods with it is the garbage collector's, which does
# not know the kind yet.)
. "$(dirname "$0")/lib/common.sh"

start_cplane replicationcontroller scheduler nodesim
cat <<'EOF2' | K apply -f - >/dev/null || fail "apply rc"
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 2
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: c, image: nginx}]
EOF2
pods() { K get pods -l app=web -o name | wc -l; }
status() { K get rc web -o jsonpath='{.status.replicas}/{.status.readyReplicas}/{.status.availableReplicas}/{.status.fullyLabeledReplicas}/{.status.observedGeneration}'; }
wait_until 20 eval '[ "$(status)" = 2/2/2/2/1 ] && [ "$(pods)" -eq 2 ]'
ref=$(K get pods -l app=web -o jsonpath='{.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].apiVersion}/{.items[0].metadata.ownerReferences[0].controller}')
[ "$ref" = ReplicationController/v1/true ] || fail "owner: $ref"
K get rc web | grep -E '^web +2 +2 +2 ' >/dev/null || fail "kubectl get rc: $(K get rc web)"
pass "a ReplicationController gets its pods, owned, with a ReplicaSet's status"

K scale rc web --replicas=5 >/dev/null || fail "scale up"
wait_until 20 eval '[ "$(status)" = 5/5/5/5/2 ] && [ "$(pods)" -eq 5 ]'
K scale rc web --replicas=1 >/dev/null || fail "scale down"
wait_until 20 eval '[ "$(pods)" -eq 1 ] && [ "$(status)" = 1/1/1/1/3 ]'
pass "kubectl scale rc up and down"

# An orphan matching the selector is adopted instead of a new pod.
K scale rc web --replicas=2 >/dev/null || fail "scale to 2"
wait_until 20 eval '[ "$(pods)" -eq 2 ]'
K run stray --image=nginx --labels=app=web >/dev/null || fail "run stray"
wait_until 20 eval '[ "$(K get pod stray -o jsonpath={.metadata.ownerReferences[0].name} 2>/dev/null)" = web ] || ! K get pod stray'
wait_until 20 eval '[ "$(pods)" -eq 2 ]'
pass "a matching orphan counts: the RC stays at its replicas"

victim=$(K get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
K delete pod "$victim" --wait=false >/dev/null || fail "delete $victim"
wait_until 20 eval '! K get pod "$victim" && [ "$(pods)" -eq 2 ] && [ "$(status)" = 2/2/2/2/4 ]'
pass "a deleted pod is replaced"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -40 "$TMP/log" >&2; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
