#!/usr/bin/env bash
# The statefulset plugin end to end with kubectl, on simulated nodes with
# the persistentvolume plugin: a StatefulSet of 3 with a
# volumeClaimTemplate comes up in order (web-0 Running and Ready before
# web-1 exists) with stable names, identity labels, hostname/subdomain
# and bound claims www-web-N; status and ControllerRevisions follow; an
# image change with partition 2 rolls only web-2; lowering the partition
# finishes the roll and `kubectl rollout status` sees it; scaling down
# removes the highest ordinal and keeps its claim (Retain); `kubectl
# rollout history` and `undo` work on the revisions.
. "$(dirname "$0")/lib/common.sh"
# is WANT OBJECT JSONPATH: the object's field is WANT now (for wait_until,
# which runs it again each time). gone OBJECT: it does not exist.
is() { [ "$(K get "$2" -o jsonpath="$3" 2>/dev/null)" = "$1" ]; }
gone() { ! K get "$1" >/dev/null 2>&1; }

# On failure, show what the set and its pods looked like.
fail() {
  { K get pods -o wide --show-labels; K get pvc; K get sts web -o jsonpath='{.status}'; echo
    grep -E 'WARN|ERROR' "$TMP/log" | tail -20; } >&2 2>&1 || true
  echo "FAIL: $*" >&2
  exit 1
}

INI_nodesim=$'count = 2\nmax_grace = 1s' \
  start_cplane scheduler nodesim persistentvolume statefulset

cat <<'YAML' | K apply -f - >/dev/null || fail "apply statefulset"
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80, name: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: nginx, image: "nginx:1.26", volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
YAML

# In order: whenever web-1 exists, web-0 was Running and Ready first.
phase() { K get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
order_ok=1
for i in $(seq 300); do
  if K get pod web-1 >/dev/null 2>&1; then break; fi
  sleep 0.05
done
K get pod web-1 >/dev/null 2>&1 || fail "web-1 never created: $(K get pods 2>&1)"
[ "$(phase web-0)" = Running ] || order_ok=0
[ "$(K get pod web-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] || order_ok=0
[ "$order_ok" = 1 ] || fail "web-1 exists but web-0 is not Running and Ready"
wait_until 30 is 3 sts/web '{.status.readyReplicas}'
for i in 0 1 2; do
  got=$(K get pod web-$i -o jsonpath='{.metadata.labels.statefulset\.kubernetes\.io/pod-name}/{.metadata.labels.apps\.kubernetes\.io/pod-index}/{.spec.hostname}/{.spec.subdomain}/{.spec.volumes[0].persistentVolumeClaim.claimName}')
  [ "$got" = "web-$i/$i/web-$i/nginx/www-web-$i" ] || fail "web-$i identity: $got"
  [ "$(K get pvc www-web-$i -o jsonpath='{.status.phase}/{.metadata.labels.app}')" = Bound/nginx ] ||
    fail "www-web-$i: $(K get pvc www-web-$i -o jsonpath='{.status.phase}')"
done
rev=$(K get sts web -o jsonpath='{.status.updateRevision}')
[ -n "$rev" ] && [ "$(K get pod web-0 -o jsonpath='{.metadata.labels.controller-revision-hash}')" = "$rev" ] ||
  fail "pods not labelled with the revision $rev"
K get controllerrevision "$rev" >/dev/null || fail "no ControllerRevision $rev"
got=$(K get sts web -o jsonpath='{.status.replicas}/{.status.currentReplicas}/{.status.updatedReplicas}/{.status.availableReplicas}/{.status.currentRevision}')
[ "$got" = "3/3/3/3/$rev" ] || fail "status: $got"
K get events --field-selector involvedObject.name=web -o jsonpath='{.items[*].message}' |
  grep "create Pod web-0 in StatefulSet web successful" >/dev/null || fail "no SuccessfulCreate event"
pass "a StatefulSet of 3 comes up in order with bound claims and its revision"

K set image sts/web nginx=nginx:1.27 >/dev/null || fail "set image"
image() { K get pod "$1" -o jsonpath='{.spec.containers[0].image}' 2>/dev/null; }
wait_until 30 is nginx:1.27 pod/web-2 '{.spec.containers[0].image}'
wait_until 20 is 1/3 sts/web '{.status.updatedReplicas}/{.status.readyReplicas}'
sleep 1
[ "$(image web-0)/$(image web-1)" = nginx:1.26/nginx:1.26 ] ||
  fail "partition 2 rolled more than web-2: $(image web-0) $(image web-1)"
timeout 20 kubectl --kubeconfig "$TMP/data/admin.kubeconfig" rollout status sts/web 2>&1 |
  grep "partitioned roll out complete: 1 new pods have been updated" >/dev/null ||
  fail "rollout status with a partition"
pass "an image change with partition 2 rolls only web-2"

K patch sts web -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}' >/dev/null
timeout 40 kubectl --kubeconfig "$TMP/data/admin.kubeconfig" rollout status sts/web >"$TMP/rs" 2>&1 ||
  fail "rollout status: $(cat "$TMP/rs")"
[ "$(image web-0)/$(image web-1)" = nginx:1.27/nginx:1.27 ] || fail "roll did not finish"
# kubectl calls any roll with a partition field (0 too) "partitioned".
grep "roll out complete: 3 new pods have been updated" "$TMP/rs" >/dev/null || fail "rollout status: $(cat "$TMP/rs")"
wait_until 10 is 3 sts/web '{.status.currentReplicas}'
[ "$(K get sts web -o jsonpath='{.status.currentRevision}')" = "$(K get sts web -o jsonpath='{.status.updateRevision}')" ] ||
  fail "currentRevision did not advance"
pass "lowering the partition finishes the roll; rollout status sees it"

K rollout history sts/web | grep '^2 ' >/dev/null || fail "rollout history: $(K rollout history sts/web)"
K rollout undo sts/web >/dev/null || fail "rollout undo"
timeout 40 kubectl --kubeconfig "$TMP/data/admin.kubeconfig" rollout status sts/web >/dev/null 2>&1 ||
  fail "rollout status after undo"
[ "$(image web-0)/$(image web-2)" = nginx:1.26/nginx:1.26 ] || fail "undo: $(image web-0) $(image web-2)"
pass "rollout history and undo work on the revisions"

K scale sts web --replicas=2 >/dev/null || fail "scale"
wait_until 20 gone pod/web-2
K get pod web-1 >/dev/null || fail "scale down removed the wrong pod"
[ "$(K get pvc www-web-2 -o jsonpath='{.status.phase}')" = Bound ] || fail "www-web-2 not kept"
wait_until 10 is 2 sts/web '{.status.replicas}'
pass "scale down removes the highest ordinal and keeps its claim (Retain)"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -40 "$TMP/log" >&2; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
