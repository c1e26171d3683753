#!/usr/bin/env bash
# The garbagecollector plugin over the general ownerReferences graph with
# kubectl: ConfigMaps and Secrets owned by ConfigMaps (Background),
# Foreground that waits only for blockOwnerDeletion dependents, a
# dependent with a second live owner that only loses its reference, and a
# dangling reference (owner never there) collected after the recheck.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/garbagecollector.so" "$TMP/plugins/"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $TMP/plugins
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.garbagecollector]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 1 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
uid() { K get "$1" "$2" -o jsonpath='{.metadata.uid}'; }
cm() { # NAME OWNERREFS-JSON [KIND]
  K apply -f - >/dev/null <<EOF2 || fail "create $1"
{"apiVersion":"v1","kind":"${3:-ConfigMap}","metadata":{"name":"$1","ownerReferences":$2}}
EOF2
}
ref() { # KIND NAME UID [BLOCK]
  echo "{\"apiVersion\":\"v1\",\"kind\":\"$1\",\"name\":\"$2\",\"uid\":\"$3\",\"blockOwnerDeletion\":${4:-false}}"
}
gone() { # TYPE NAME SECONDS
  local i limit
  limit=$(wait_limit "$3")
  for ((i = 0; i < limit * 10; i++)); do
    K get "$1" "$2" >/dev/null 2>&1 || return 0; sleep 0.1
  done
  return 1
}

cm root '[]'
r=$(uid configmap root)
cm child "[$(ref ConfigMap root "$r")]"
c=$(uid configmap child)
cm grandchild "[$(ref ConfigMap child "$c")]"
cm secretchild "[$(ref ConfigMap root "$r")]" Secret
K delete configmap root >/dev/null
gone configmap child 10 || fail "child of a deleted ConfigMap stays"
gone configmap grandchild 10 || fail "grandchild stays (cascade)"
gone secret secretchild 10 || fail "a Secret owned by the ConfigMap stays"
pass "Background over ConfigMap -> ConfigMap -> ConfigMap and a Secret"

cm a '[]'; cm b '[]'
ua=$(uid configmap a); ub=$(uid configmap b)
cm shared "[$(ref ConfigMap a "$ua"), $(ref ConfigMap b "$ub")]"
K delete configmap a >/dev/null
for i in $(seq 100); do
  [ "$(K get configmap shared -o jsonpath='{.metadata.ownerReferences[*].name}')" = b ] && break
  sleep 0.1
done
[ "$(K get configmap shared -o jsonpath='{.metadata.ownerReferences[*].name}')" = b ] ||
  fail "a dependent with a live second owner should only lose the gone one"
pass "a dependent with another live owner loses only the reference"

cm fg '[]'
f=$(uid configmap fg)
cm blocker "[$(ref ConfigMap fg "$f" true)]"
K patch configmap blocker --type=merge -p '{"metadata":{"finalizers":["example.com/hold"]}}' >/dev/null
cm loose "[$(ref ConfigMap fg "$f" false)]"
K delete configmap fg --cascade=foreground --wait=false >/dev/null
gone configmap loose 10 || fail "the non-blocking dependent was not deleted"
sleep 1
K get configmap fg >/dev/null 2>&1 || fail "the owner went while a blockOwnerDeletion dependent remained"
K patch configmap blocker --type=merge -p '{"metadata":{"finalizers":[]}}' >/dev/null
gone configmap blocker 10 || fail "blocker stays"
gone configmap fg 10 || fail "the owner stays after its blocking dependent went"
pass "Foreground waits for blockOwnerDeletion dependents only"

# Kept until the recheck (5 s): checked only when the look came back
# within 5 s of the create (a loaded machine's kubectl can be slower).
t0=$(date +%s%N)
cm dangling "[$(ref Deployment ghost 0b1e0000-0000-4000-8000-000000000001)]"
cm custom "[{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"name\":\"w\",\"uid\":\"0b1e0000-0000-4000-8000-000000000002\"}]"
sleep 1
kept=yes
K get configmap dangling >/dev/null 2>&1 || kept=no
if [ $((($(date +%s%N) - t0) / 1000000)) -lt 5000 ]; then
  [ "$kept" = yes ] || fail "collected before the recheck"
fi
gone configmap dangling 15 || fail "a dependent of a never-seen Deployment stays"
K get configmap custom >/dev/null 2>&1 || fail "an owner of an unwatched kind was presumed gone"
expect_log "$TMP/log" "owner Deployment 0b1e0000-0000-4000-8000-000000000001 is gone"
pass "a dangling reference is collected after the recheck; unknown kinds are left alone"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
pass "clean shutdown"
