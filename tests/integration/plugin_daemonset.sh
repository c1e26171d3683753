#!/usr/bin/env bash
# The daemonset plugin end to end with kubectl, on the scheduler and three
# simulated nodes: one pod per node, placed through the scheduler by a
# `metadata.name In [node]` affinity; a Node created with kubectl gets its
# pod; a NoExecute taint takes the pod away and a NoSchedule one keeps new
# pods off; an image change rolls (rollout status returns), rollout
# history lists the revisions and rollout undo goes back to the old
# template and its revision; OnDelete only replaces deleted pods.
. "$(dirname "$0")/lib/common.sh"

INI_nodesim=$'count = 3' start_cplane scheduler nodesim daemonset

# On failure, what the cluster looked like.
fail() {
  echo "FAIL: $*" >&2
  K get ds,pods,controllerrevisions,nodes -o wide >&2 || true
  K get ds -o yaml >&2 || true
  tail -30 "$TMP/log" >&2 || true
  exit 1
}

cat >"$TMP/ds.yaml" <<'YAML'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent:1
YAML
K apply -f "$TMP/ds.yaml" >/dev/null

# pods of the DaemonSet on node $1 (by name or target), not being deleted
pods_on() {
  K get pods -l app=agent -o json | jq -r --arg n "$1" '[.items[] |
    select(.metadata.deletionTimestamp == null) |
    select((.spec.nodeName // .spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]) == $n)] | length'
}
one_per_node() {
  local n
  for n in "$@"; do [ "$(pods_on "$n")" = 1 ] || return 1; done
}
ds_field() { K get ds agent -o jsonpath="{.status.$1}"; }
status_is() { [ "$(ds_field "$1")" = "$2" ]; }

wait_until 20 one_per_node sim-0 sim-1 sim-2
wait_until 20 status_is numberAvailable 3
[ "$(ds_field desiredNumberScheduled)" = 3 ] || fail "desiredNumberScheduled $(ds_field desiredNumberScheduled)"
[ "$(K get pods -l app=agent -o name | wc -l)" = 3 ] || fail "more than one pod per node"
pod=$(K get pods -l app=agent -o json | jq -c '.items[0]')
jq -e '.metadata.ownerReferences[0] | .kind == "DaemonSet" and .controller' <<<"$pod" >/dev/null ||
  fail "no controller reference: $pod"
jq -e '.metadata.labels["controller-revision-hash"] != null and
  .metadata.labels["pod-template-generation"] == "1"' <<<"$pod" >/dev/null ||
  fail "revision labels missing: $(jq -c .metadata.labels <<<"$pod")"
jq -e '[.spec.tolerations[].key] | index("node.kubernetes.io/unreachable") and
  index("node.kubernetes.io/unschedulable")' <<<"$pod" >/dev/null ||
  fail "daemon tolerations missing: $(jq -c .spec.tolerations <<<"$pod")"
jq -e '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0] |
  .key == "metadata.name" and .operator == "In" and (.values | length) == 1 and .values[0] == $n' \
  --arg n "$(jq -r .spec.nodeName <<<"$pod")" <<<"$pod" >/dev/null ||
  fail "not placed by node affinity: $(jq -c .spec.affinity <<<"$pod")"
K get events --field-selector reason=SuccessfulCreate -o json |
  jq -e '[.items[] | select(.involvedObject.kind == "DaemonSet" and
    (.message | startswith("Created pod: agent-")))] | length > 0' >/dev/null ||
  fail "no SuccessfulCreate event"
pass "one pod per node, placed through the scheduler, with kube's labels and tolerations"

# A node added later gets its pod.
K create -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: extra
  labels: {kubernetes.io/hostname: extra}
YAML
wait_until 20 one_per_node extra
wait_until 20 status_is desiredNumberScheduled 4
pass "a node created with kubectl gets a pod"

# NoExecute: the pod goes; NoSchedule on a node without one: none comes,
# while a pod already on a NoSchedule node stays.
none_on() { [ "$(pods_on "$1")" = 0 ]; }
K taint node extra dedicated=infra:NoExecute >/dev/null
wait_until 20 none_on extra
wait_until 20 status_is desiredNumberScheduled 3
K taint node extra dedicated=infra:NoSchedule >/dev/null
K taint node extra dedicated=infra:NoExecute- >/dev/null
K taint node sim-2 dedicated=infra:NoSchedule >/dev/null
sleep 1
none_on extra || fail "a pod was placed on a NoSchedule node"
one_per_node sim-2 || fail "the pod on sim-2 went for a NoSchedule taint"
wait_until 20 status_is desiredNumberScheduled 2
K delete node extra >/dev/null
K taint node sim-2 dedicated=infra:NoSchedule- >/dev/null
wait_until 20 status_is desiredNumberScheduled 3
pass "NoExecute takes the pod away, NoSchedule keeps new ones off"

# An image change rolls; history lists both revisions; undo goes back.
old_hash=$(K get pods -l app=agent -o json | jq -r '.items[0].metadata.labels["controller-revision-hash"]')
K set image ds/agent agent=agent:2 >/dev/null
timeout 40 kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" \
  rollout status ds/agent --timeout=35s >"$TMP/rollout" || fail "rollout status: $(cat "$TMP/rollout")"
grep 'daemon set "agent" successfully rolled out' "$TMP/rollout" >/dev/null ||
  fail "rollout status said: $(cat "$TMP/rollout")"
images=$(K get pods -l app=agent -o json | jq -r '[.items[] | select(.metadata.deletionTimestamp == null) | .spec.containers[0].image] | unique | join(",")')
[ "$images" = agent:2 ] || fail "images after the rollout: $images"
[ "$(ds_field updatedNumberScheduled)" = 3 ] || fail "updatedNumberScheduled $(ds_field updatedNumberScheduled)"
K rollout history ds/agent >"$TMP/history"
grep -E '^1 ' "$TMP/history" >/dev/null && grep -E '^2 ' "$TMP/history" >/dev/null ||
  fail "rollout history: $(cat "$TMP/history")"
K rollout history ds/agent --revision=1 | grep 'agent:1' >/dev/null || fail "revision 1 is not agent:1"
K rollout undo ds/agent >/dev/null
timeout 40 kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" \
  rollout status ds/agent --timeout=35s >/dev/null || fail "rollout status after undo"
back=$(K get pods -l app=agent -o json | jq -r '[.items[] | select(.metadata.deletionTimestamp == null) | .metadata.labels["controller-revision-hash"] + "=" + .spec.containers[0].image] | unique | join(",")')
[ "$back" = "$old_hash=agent:1" ] || fail "after undo: $back (want $old_hash=agent:1)"
[ "$(K get controllerrevisions -l app=agent -o name | wc -l)" = 2 ] || fail "undo made a new revision: $(K get controllerrevisions)"
K rollout history ds/agent | grep -E '^3 ' >/dev/null || fail "undo did not raise the old revision to 3: $(K rollout history ds/agent)"
pass "rollout status, history and undo"

# maxSurge: the new pod starts beside the old one, which goes once the
# new one is available; the rollout completes.
K patch ds agent --type=merge -p '{"spec":{"updateStrategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}' >/dev/null
K set image ds/agent agent=agent:s >/dev/null
timeout 40 kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" \
  rollout status ds/agent --timeout=35s >/dev/null || fail "rollout status with maxSurge"
images=$(K get pods -l app=agent -o json | jq -r '[.items[] | select(.metadata.deletionTimestamp == null) | .spec.containers[0].image] | unique | join(",")')
[ "$images" = agent:s ] || fail "images after the surge rollout: $images"
pass "RollingUpdate with maxSurge"

# OnDelete: a new template replaces only the pods deleted.
K patch ds agent --type=merge -p '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}' >/dev/null
K set image ds/agent agent=agent:3 >/dev/null
sleep 2
images=$(K get pods -l app=agent -o json | jq -r '[.items[] | .spec.containers[0].image] | unique | join(",")')
[ "$images" = agent:s ] || fail "OnDelete replaced pods by itself: $images"
victim=$(K get pods -l app=agent --field-selector spec.nodeName=sim-1 -o name)
K delete "$victim" --wait=false >/dev/null
image_on() {
  [ "$(K get pods -l app=agent -o json | jq -r --arg n "$1" '[.items[] |
    select(.metadata.deletionTimestamp == null) | select(.spec.nodeName == $n) |
    .spec.containers[0].image] | join(",")')" = "$2" ]
}
wait_until 20 image_on sim-1 agent:3
image_on sim-0 agent:s && image_on sim-2 agent:s || fail "OnDelete touched other nodes"
pass "OnDelete replaces only deleted pods"

