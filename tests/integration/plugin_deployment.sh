#!/usr/bin/env bash
# The deployment plugin end to end with kubectl, on top of the replicaset
# and garbagecollector plugins: a Deployment gets one ReplicaSet per pod
# template (revisions, pod-template-hash, ownerReference), scales, rolls a
# new image out without dropping below replicas - maxUnavailable ready
# pods, rolls back onto its old ReplicaSet, holds still while paused,
# recreates (old pods gone before new ones come), prunes its history and
# takes everything along when deleted. There is no kubelet: a small loop
# here marks each new pod Running and Ready.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/replicaset.so" "$B/plugins/garbagecollector.so" \
  "$B/plugins/deployment.so" "$TMP/plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
; no serviceaccount plugin here: pods need no ServiceAccount (as kube's
; integration tests run kube-apiserver)
disable_admission_plugins = ServiceAccount
port = 0
[plugin.replicaset]
enabled = true
workers = 2
[plugin.garbagecollector]
enabled = true
[plugin.deployment]
enabled = true
workers = 2
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 3 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

# The fake kubelet: every pod without a Ready condition becomes Running and
# Ready, except pods labelled stuck=true. Bounded (about ten minutes), and
# killed at exit.
(
  set +e
  for _ in $(seq 3000); do
    for p in $(K get pods -o json 2>/dev/null | jq -r '.items[] |
        select(.metadata.deletionTimestamp == null) |
        select(.metadata.labels.stuck != "true") |
        select([.status.conditions[]? | select(.type == "Ready")] |
          length == 0) | .metadata.name'); do
      K patch pod "$p" --subresource=status --type=merge -p \
        '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}' \
        >/dev/null 2>&1
    done
    sleep 0.2
  done
) &
PIDS+=($!)
disown $! # killed at exit without a "Killed" line from bash

debug() {
  K get deploy,rs,pods -o wide >&2 || true
  K get deploy -o yaml >&2 || true
  K get rs -o json | jq -c '.items[] | {n: .metadata.name,
    a: .metadata.annotations, s: .spec.replicas, st: .status}' >&2 || true
  tail -40 "$TMP/log" >&2
}
die() { debug; fail "$@"; }

# Pods of app $1 not being deleted.
pods() {
  K get pods -l "app=$1" -o json |
    jq '[.items[] | select(.metadata.deletionTimestamp == null)] | length'
}
ready_pods() {
  K get pods -l "app=$1" -o json | jq '[.items[] |
    select(.metadata.deletionTimestamp == null) |
    select(any(.status.conditions[]?; .type == "Ready" and
      .status == "True"))] | length'
}
rs_count() { K get rs -l "app=$1" -o name | wc -l; }
wait_for() { # DESCRIPTION SECONDS COMMAND...
  local what=$1 limit i
  limit=$(wait_limit "$2")
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  die "timed out after ${limit}s waiting for: $what"
}
pods_are() { [ "$(pods "$1")" -eq "$2" ]; }
rs_count_is() { [ "$(rs_count "$1")" -eq "$2" ]; }
rollout() { # NAME
  K rollout status "deployment/$1" --timeout=60s >/dev/null ||
    die "kubectl rollout status deployment/$1 did not finish"
}
dep_json() { K get deploy "$1" -o json; }
rev_of_deploy() {
  K get deploy "$1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}'
}
rev_of_rs() {
  K get rs "$1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}'
}
# The ReplicaSet of app $1 with the given spec.replicas; names, newest last.
rs_names() {
  K get rs -l "app=$1" -o json |
    jq -r '.items | sort_by(.metadata.creationTimestamp, .metadata.name) |
      .[].metadata.name'
}
apply_web() { # REPLICAS IMAGE
  K apply -f - >/dev/null <<EOF || fail "apply deployment web"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: $1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: $2}]
EOF
}

# ---- create ----
apply_web 3 nginx:1.25
wait_for "one ReplicaSet for web" 20 rs_count_is web 1
wait_for "3 pods for web" 20 pods_are web 3
rollout web
rs1=$(rs_names web)
hash=$(K get rs "$rs1" -o jsonpath='{.metadata.labels.pod-template-hash}')
[ -n "$hash" ] && [ "$rs1" = "web-$hash" ] ||
  die "ReplicaSet $rs1 is not named web-<pod-template-hash> ($hash)"
[ "$(K get rs "$rs1" -o jsonpath='{.spec.selector.matchLabels.pod-template-hash}/{.spec.template.metadata.labels.pod-template-hash}')" = "$hash/$hash" ] ||
  die "selector and template of $rs1 lack pod-template-hash=$hash"
[ "$(K get rs "$rs1" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}/{.metadata.ownerReferences[0].blockOwnerDeletion}')" = "Deployment/web/true/true" ] ||
  die "ReplicaSet $rs1 is not controlled by the Deployment"
[ "$(K get rs "$rs1" -o jsonpath='{.metadata.ownerReferences[0].uid}')" = \
  "$(K get deploy web -o jsonpath='{.metadata.uid}')" ] ||
  die "the ownerReference of $rs1 names another uid"
[ "$(rev_of_rs "$rs1")" = 1 ] || die "revision of $rs1 is '$(rev_of_rs "$rs1")', not 1"
[ "$(rev_of_deploy web)" = 1 ] || die "revision of the Deployment is '$(rev_of_deploy web)', not 1"
st=$(dep_json web | jq -c '[.status.replicas, .status.updatedReplicas,
  .status.readyReplicas, .status.availableReplicas,
  (.status.observedGeneration == .metadata.generation)]')
[ "$st" = '[3,3,3,3,true]' ] || die "status [replicas, updated, ready, available, observed] is $st"
conds=$(dep_json web | jq -r '[.status.conditions[] | "\(.type)=\(.status)/\(.reason)"] | sort | join(" ")')
[ "$conds" = "Available=True/MinimumReplicasAvailable Progressing=True/NewReplicaSetAvailable" ] ||
  die "conditions: $conds"
pass "a Deployment gets one owned ReplicaSet (revision 1), its pods, and rolls out"
# kubectl describe rs shows what kube's describer shows: the owner, the
# pods' phases and the template.
desc=$(K describe rs "$rs1")
for want in "Controlled By:  Deployment/web" "Pods Status:    3 Running / 0 Waiting / 0 Succeeded / 0 Failed" "Pod Template:"; do
  grep -qF "$want" <<<"$desc" || die "kubectl describe rs lacks '$want': $desc"
done
pass "kubectl describe rs: Controlled By, Pods Status, Pod Template"

# ---- scale ----
K scale deployment web --replicas=6 >/dev/null || die "kubectl scale"
wait_for "6 pods for web" 20 pods_are web 6
rollout web
rs_count_is web 1 || die "scaling made a second ReplicaSet"
[ "$(K get rs "$rs1" -o jsonpath='{.spec.replicas}')" = 6 ] || die "$rs1 is not at 6"
pass "kubectl scale deployment: 6 pods, same ReplicaSet"

# ---- rolling update ----
# Every 0.2 s, the lowest count of ready pods seen; 6 replicas with 25%
# maxUnavailable must keep 5.
sample_ready() { # APP FILE
  local min=1000000 n
  for _ in $(seq 600); do
    n=$(ready_pods "$1" 2>/dev/null) || continue
    [ -n "$n" ] && [ "$n" -lt "$min" ] && min=$n && echo "$min" >"$2"
    sleep 0.1
  done
}
rm -f "$TMP/min_ready"
sample_ready web "$TMP/min_ready" &
sampler=$!
PIDS+=($sampler)
K set image deployment/web nginx=nginx:1.26 >/dev/null || die "kubectl set image"
wait_for "a second ReplicaSet" 20 rs_count_is web 2
rollout web
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
[ -s "$TMP/min_ready" ] || die "the sampler of ready pods saw nothing"
min=$(cat "$TMP/min_ready")
[ "$min" -ge 5 ] || die "only $min ready pods during the rollout (must stay >= 5)"
rs2=$(rs_names web | grep -v "^$rs1\$")
[ "$(rev_of_rs "$rs2")" = 2 ] || die "revision of $rs2 is '$(rev_of_rs "$rs2")', not 2"
[ "$(rev_of_deploy web)" = 2 ] || die "revision of the Deployment is not 2"
[ "$(K get rs "$rs1" -o jsonpath='{.spec.replicas}')" = 0 ] || die "old ReplicaSet $rs1 not at 0"
[ "$(K get rs "$rs2" -o jsonpath='{.spec.replicas}')" = 6 ] || die "new ReplicaSet $rs2 not at 6"
wait_for "6 pods for web" 20 pods_are web 6
imgs=$(K get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)
[ "$imgs" = nginx:1.26 ] || die "pods run $imgs"
pass "set image: new ReplicaSet (revision 2), old at 0, never fewer than $min ready"

# ---- rollback by re-applying the first template ----
apply_web 6 nginx:1.25
rollout web
rs_count_is web 2 || die "the rollback made a third ReplicaSet"
[ "$(rev_of_rs "$rs1")" = 3 ] || die "revision of $rs1 after the rollback is '$(rev_of_rs "$rs1")', not 3"
hist_of_rs() {
  K get rs "$1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision-history}'
}
[ "$(hist_of_rs "$rs1")" = 1 ] || die "revision-history of $rs1 is '$(hist_of_rs "$rs1")', not 1"
[ "$(rev_of_deploy web)" = 3 ] || die "revision of the Deployment is not 3"
[ "$(K get rs "$rs1" -o jsonpath='{.spec.replicas}')/$(K get rs "$rs2" -o jsonpath='{.spec.replicas}')" = 6/0 ] ||
  die "after the rollback $rs1/$rs2 are not at 6/0"
pass "rollback: the first ReplicaSet is reused as revision 3 (revision-history 1), no third one"

# ---- pause and resume ----
K rollout pause deployment/web >/dev/null || die "kubectl rollout pause"
K set image deployment/web nginx=nginx:1.27 >/dev/null || die "set image while paused"
paused_reason() {
  [ "$(dep_json web | jq -r '.status.conditions[] | select(.type == "Progressing") | .reason')" = DeploymentPaused ]
}
wait_for "Progressing reason DeploymentPaused" 20 paused_reason
observed() { dep_json web | jq -e '.status.observedGeneration == .metadata.generation' >/dev/null; }
wait_for "observedGeneration to catch up while paused" 20 observed
sleep 1
rs_count_is web 2 || die "a paused Deployment rolled out a new template"
K scale deployment web --replicas=4 >/dev/null || die "scale while paused"
wait_for "4 pods while paused" 20 pods_are web 4
K rollout resume deployment/web >/dev/null || die "kubectl rollout resume"
wait_for "a third ReplicaSet after resume" 20 rs_count_is web 3
rollout web
imgs=$(K get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)
[ "$imgs" = nginx:1.27 ] || die "after resume pods run $imgs"
[ "$(rev_of_deploy web)" = 4 ] || die "revision after resume is not 4"
pass "paused: no rollout (scaling still works); resumed: rolls out revision 4"

# ---- kubectl rollout history / undo (they read the revision annotations) ----
hist=$(K rollout history deployment/web | awk '$1 ~ /^[0-9]+$/ {print $1}' | tr '\n' ' ')
[ "$hist" = "2 3 4 " ] || die "kubectl rollout history lists revisions '$hist', not 2 3 4"
K rollout undo deployment/web >/dev/null || die "kubectl rollout undo"
rollout web
imgs=$(K get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)
[ "$imgs" = nginx:1.25 ] || die "after undo pods run $imgs"
rs_count_is web 3 || die "undo made a new ReplicaSet instead of reusing $rs1"
[ "$(rev_of_rs "$rs1")" = 5 ] || die "after undo $rs1 is revision '$(rev_of_rs "$rs1")', not 5"
[ "$(hist_of_rs "$rs1")" = 1,3 ] || die "after undo revision-history of $rs1 is '$(hist_of_rs "$rs1")', not 1,3"
pass "kubectl rollout history and undo: back onto $rs1 as revision 5 (revision-history 1,3)"

# ---- Recreate ----
apply_rec() { # IMAGE
  K apply -f - >/dev/null <<EOF || fail "apply deployment rec"
apiVersion: apps/v1
kind: Deployment
metadata: {name: rec}
spec:
  replicas: 3
  strategy: {type: Recreate}
  selector: {matchLabels: {app: rec}}
  template:
    metadata: {labels: {app: rec}}
    spec:
      containers: [{name: c, image: $1}]
EOF
}
apply_rec busybox:1
rollout rec
# Every 0.1 s: how many pod templates have live pods at once.
sample_mix() { # FILE
  local max=0 n
  for _ in $(seq 600); do
    n=$(K get pods -l app=rec -o json 2>/dev/null | jq '[.items[] |
      select(.metadata.deletionTimestamp == null) |
      .metadata.labels["pod-template-hash"]] | unique | length') || continue
    [ -n "$n" ] && [ "$n" -gt "$max" ] && max=$n && echo "$max" >"$1"
    sleep 0.1
  done
}
echo 0 >"$TMP/max_mix"
sample_mix "$TMP/max_mix" &
sampler=$!
PIDS+=($sampler)
apply_rec busybox:2
wait_for "a second ReplicaSet for rec" 20 rs_count_is rec 2
rollout rec
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
[ "$(cat "$TMP/max_mix")" -le 1 ] || die "Recreate ran old and new pods at once"
wait_for "3 pods for rec" 20 pods_are rec 3
imgs=$(K get pods -l app=rec -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)
[ "$imgs" = busybox:2 ] || die "Recreate pods run $imgs"
pass "Recreate: the old pods go before the new ones come"

# ---- revisionHistoryLimit ----
apply_hist() { # IMAGE
  K apply -f - >/dev/null <<EOF || fail "apply deployment hist"
apiVersion: apps/v1
kind: Deployment
metadata: {name: hist}
spec:
  replicas: 2
  revisionHistoryLimit: 1
  selector: {matchLabels: {app: hist}}
  template:
    metadata: {labels: {app: hist}}
    spec:
      containers: [{name: c, image: $1}]
EOF
}
for img in a:1 a:2 a:3 a:4; do
  apply_hist "$img"
  rollout hist
done
wait_for "hist to keep 2 ReplicaSets (new + 1 old)" 20 rs_count_is hist 2
[ "$(rev_of_deploy hist)" = 4 ] || die "hist is not at revision 4"
revs=$(for r in $(rs_names hist); do rev_of_rs "$r"; echo; done | sort -n | tr '\n' ' ')
[ "$revs" = "3 4 " ] || die "hist keeps revisions $revs, not 3 and 4"
pass "revisionHistoryLimit=1: only the newest old ReplicaSet is kept"

# ---- progress deadline ----
K apply -f - >/dev/null <<EOF || fail "apply deployment stuck"
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 2
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck, stuck: "true"}}
    spec:
      containers: [{name: c, image: never-ready}]
EOF
timed_out() {
  [ "$(dep_json stuck | jq -r '.status.conditions[] | select(.type == "Progressing") | "\(.status)/\(.reason)"')" = False/ProgressDeadlineExceeded ]
}
wait_for "Progressing False/ProgressDeadlineExceeded on stuck" 20 timed_out
out=$(K rollout status deployment/stuck --timeout=20s 2>&1) &&
  die "rollout status of a stuck Deployment succeeded: $out"
echo "$out" | grep "exceeded its progress deadline" >/dev/null ||
  die "rollout status of stuck said: $out"
avail=$(dep_json stuck | jq -r '.status.conditions[] | select(.type == "Available") | "\(.status)/\(.reason)"')
[ "$avail" = False/MinimumReplicasUnavailable ] || die "stuck is Available $avail"
pass "no progress within progressDeadlineSeconds: ProgressDeadlineExceeded"

# ---- proportional scaling in the middle of a rollout ----
# 4 replicas (maxSurge 1, maxUnavailable 1) rolling onto a template whose
# pods never get ready stalls at old 3 + new 2. Scaled to 8 (maxSurge 2),
# the 10 allowed pods are shared in proportion: old 6, new 4.
apply_prop() { # STUCK
  K apply -f - >/dev/null <<EOF || fail "apply deployment prop"
apiVersion: apps/v1
kind: Deployment
metadata: {name: prop}
spec:
  replicas: 4
  selector: {matchLabels: {app: prop}}
  template:
    metadata: {labels: {app: prop, stuck: "$1"}}
    spec:
      containers: [{name: c, image: x}]
EOF
}
apply_prop false
rollout prop
prop_old=$(rs_names prop)
apply_prop true
sizes_are() { # OLD NEW
  local new
  new=$(rs_names prop | grep -v "^$prop_old\$") || return 1
  [ "$(K get rs "$prop_old" -o jsonpath='{.spec.replicas}')/$(K get rs "$new" -o jsonpath='{.spec.replicas}')" = "$1/$2" ]
}
wait_for "prop to stall at old 3, new 2" 20 sizes_are 3 2
sleep 1
sizes_are 3 2 || die "prop moved on from 3/2 with unready pods"
K scale deployment prop --replicas=8 >/dev/null || die "scale prop"
wait_for "prop scaled in proportion to old 6, new 4" 20 sizes_are 6 4
sleep 1
sizes_are 6 4 || die "prop did not stay at 6/4"
[ "$(ready_pods prop)" -ge 6 ] || die "prop has only $(ready_pods prop) ready pods (needs 6)"
pass "scaled mid-rollout: old and new ReplicaSets grow in proportion"

# ---- adoption ----
# A ReplicaSet without a controller that the Deployment's selector picks
# is adopted, and with the same template it is the new one: no second.
K apply -f - >/dev/null <<EOF || fail "apply orphan ReplicaSet"
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: adopt-orphan, labels: {app: adopt}}
spec:
  replicas: 2
  selector: {matchLabels: {app: adopt}}
  template:
    metadata: {labels: {app: adopt}}
    spec:
      containers: [{name: c, image: x}]
EOF
wait_for "2 pods for the orphan ReplicaSet" 20 pods_are adopt 2
K apply -f - >/dev/null <<EOF || fail "apply deployment adopt"
apiVersion: apps/v1
kind: Deployment
metadata: {name: adopt}
spec:
  replicas: 2
  selector: {matchLabels: {app: adopt}}
  template:
    metadata: {labels: {app: adopt}}
    spec:
      containers: [{name: c, image: x}]
EOF
rollout adopt
rs_count_is adopt 1 || die "adopt has $(rs_count adopt) ReplicaSets, not the adopted one alone"
[ "$(K get rs adopt-orphan -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}')" = Deployment/adopt/true ] ||
  die "adopt-orphan was not adopted"
[ "$(rev_of_rs adopt-orphan)" = 1 ] || die "adopt-orphan is revision '$(rev_of_rs adopt-orphan)', not 1"
pass "an orphan ReplicaSet with the Deployment's template is adopted as its new one"

# ---- delete ----
K delete deployment web >/dev/null || die "kubectl delete deployment"
wait_for "web's ReplicaSets to go" 30 rs_count_is web 0
wait_for "web's pods to go" 30 pods_are web 0
pass "deleting a Deployment deletes its ReplicaSets and pods"

grep -q "created ReplicaSet" "$TMP/log" || die "no 'created ReplicaSet' log line"
grep -q "deleted old ReplicaSet" "$TMP/log" || die "no 'deleted old ReplicaSet' log line"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
