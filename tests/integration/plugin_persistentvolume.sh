#!/usr/bin/env bash
# The persistentvolume plugin end to end with kubectl: the default
# StorageClass `standard` appears; a claim binds to the smallest matching
# static PV (both sides, kube's annotations and phases); a claim with no
# class gets `standard` from DefaultStorageClass admission, waits for its
# first consumer, and once its pod is scheduled gets a provisioned PV
# pvc-<uid>; reclaim Delete removes that PV when the claim goes, Retain
# leaves its PV Released.
. "$(dirname "$0")/lib/common.sh"
# is WANT OBJECT JSONPATH: the object's field is WANT now (for wait_until,
# which runs it again each time). gone OBJECT: it does not exist.
is() { [ "$(K get "$2" -o jsonpath="$3" 2>/dev/null)" = "$1" ]; }
gone() { ! K get "$1" >/dev/null 2>&1; }

INI_nodesim=$'count = 2' start_cplane scheduler nodesim persistentvolume

wait_until 10 K get storageclass standard
[ "$(K get sc standard -o jsonpath='{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class}/{.provisioner}/{.volumeBindingMode}')" = \
  "true/cplane.io/simulated/WaitForFirstConsumer" ] ||
  fail "default class: $(K get sc standard -o json)"
pass "the default StorageClass standard is created"

cat <<'YAML' | K apply -f - >/dev/null || fail "apply static volumes"
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-big, labels: {tier: fast}}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: {path: /tmp/pv-big}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-small, labels: {tier: fast}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: ""
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/pv-small}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-tiny}
spec:
  capacity: {storage: 100Mi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: {path: /tmp/pv-tiny}
YAML
wait_until 10 is Available pv/pv-tiny '{.status.phase}'
cat <<'YAML' | K apply -f - >/dev/null || fail "apply static claim"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  selector: {matchLabels: {tier: fast}}
  resources: {requests: {storage: 500Mi}}
YAML
wait_until 10 is Bound pvc/static '{.status.phase}'
got=$(K get pvc static -o jsonpath='{.spec.volumeName}/{.status.capacity.storage}/{.metadata.annotations.pv\.kubernetes\.io/bind-completed}/{.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}')
[ "$got" = "pv-small/1Gi/yes/yes" ] || fail "static claim: $got"
wait_until 10 is Bound pv/pv-small '{.status.phase}'
got=$(K get pv pv-small -o jsonpath='{.spec.claimRef.name}/{.spec.claimRef.uid}')
[ "$got" = "static/$(K get pvc static -o jsonpath='{.metadata.uid}')" ] ||
  fail "pv-small claimRef: $got"
[ "$(K get pv pv-big -o jsonpath='{.status.phase}')" = Available ] ||
  fail "pv-big should stay Available"
pass "a claim binds to the smallest matching static PV, both sides"

K delete pvc static --wait=false >/dev/null || fail "delete static claim"
wait_until 10 is Released pv/pv-small '{.status.phase}'
pass "Retain: the PV is Released when its claim goes"

cat <<'YAML' | K apply -f - >/dev/null || fail "apply dynamic claim"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
YAML
[ "$(K get pvc data -o jsonpath='{.spec.storageClassName}')" = standard ] ||
  fail "DefaultStorageClass admission did not set standard"
wait_until 10 sh -c "kubectl --kubeconfig '$TMP/data/admin.kubeconfig' get events \
  --field-selector involvedObject.name=data -o jsonpath='{.items[*].reason}' | grep WaitForFirstConsumer >/dev/null"
sleep 0.5
[ "$(K get pvc data -o jsonpath='{.status.phase}')" = Pending ] ||
  fail "a WaitForFirstConsumer claim bound with no consumer"
[ -z "$(K get pv -o name | grep pvc- || true)" ] || fail "provisioned before a consumer"
pass "a claim with no class gets standard and waits for its first consumer"

cat <<'YAML' | K apply -f - >/dev/null || fail "apply pod"
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
YAML
wait_until 20 is Bound pvc/data '{.status.phase}'
uid=$(K get pvc data -o jsonpath='{.metadata.uid}')
node=$(K get pod user -o jsonpath='{.spec.nodeName}')
[ "$(K get pvc data -o jsonpath='{.spec.volumeName}/{.metadata.annotations.volume\.kubernetes\.io/selected-node}')" = "pvc-$uid/$node" ] ||
  fail "dynamic claim: $(K get pvc data -o json)"
got=$(K get pv "pvc-$uid" -o jsonpath='{.spec.capacity.storage}/{.spec.persistentVolumeReclaimPolicy}/{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}/{.spec.storageClassName}/{.status.phase}')
[ "$got" = "2Gi/Delete/cplane.io/simulated/standard/Bound" ] || fail "provisioned PV: $got"
K get events --field-selector involvedObject.name=data -o jsonpath='{.items[*].reason}' |
  grep ProvisioningSucceeded >/dev/null || fail "no ProvisioningSucceeded event"
pass "once its pod is scheduled the claim gets a provisioned PV pvc-<uid>"

K delete pod user --wait=false >/dev/null
K delete pvc data --wait=false >/dev/null || fail "delete dynamic claim"
wait_until 15 gone pv/pvc-$uid
pass "reclaim Delete removes the provisioned PV when its claim goes"

cat <<'YAML' | K apply -f - >/dev/null || fail "apply immediate class"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: external}
provisioner: example.com/external
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ext}
spec:
  storageClassName: external
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: waiter}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: ext}}]
YAML
want="0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."
wait_until 10 is "$want" pod/waiter '{.status.conditions[?(@.type=="PodScheduled")].message}'
K get events --field-selector involvedObject.name=ext -o jsonpath='{.items[*].reason}' |
  grep ExternalProvisioning >/dev/null || fail "no ExternalProvisioning event"
cat <<'YAML' | K apply -f - >/dev/null || fail "apply external volume"
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-ext}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: external
  hostPath: {path: /tmp/pv-ext}
YAML
wait_until 10 is Bound pvc/ext '{.status.phase}'
wait_until 15 sh -c "[ -n \"\$(kubectl --kubeconfig '$TMP/data/admin.kubeconfig' get pod waiter -o jsonpath='{.spec.nodeName}')\" ]"
pass "the scheduler holds a pod whose Immediate claim is unbound, then places it"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -40 "$TMP/log" >&2; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
