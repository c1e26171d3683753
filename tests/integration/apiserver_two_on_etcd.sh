#!/usr/bin/env bash
# Two API servers on one real etcd: a write through one is seen by a
# watcher on the other, both list the same state, and a CRD created or
# deleted through one is served, or no longer, by the other.
. "$(dirname "$0")/lib/common.sh"

[ -x /usr/bin/etcd ] || fail "etcd is not installed (Debian etcd-server)"
# cplane gives etcd 5 s at start: do not race a slow etcd start (CI).
start_etcd
cport=$ETCD_PORT
for n in a b; do
  mkdir -m 755 -p "$TMP/np"
  cat >"$TMP/$n.ini" <<INI
[host]
data_dir = $TMP/$n
plugin_dir = $TMP/np
[apiserver]
port = 0
store = etcd
etcd_endpoints = http://127.0.0.1:$cport
etcd_dial_timeout = 30s
INI
  # Servers on one store share their pki (the CA, the ServiceAccount
  # key), as docs/apiserver.md says: b starts with a copy of a's.
  if [ "$n" = b ]; then
    wait_for_log "$TMP/a.log" "ready: " 30
    mkdir -p "$TMP/b" && cp -a "$TMP/a/pki" "$TMP/b/pki"
  fi
  "$B/cplane" -c "$TMP/$n.ini" >"$TMP/$n.log" 2>&1 &
  PIDS+=($!)
done
wait_for_log "$TMP/b.log" "ready: " 30
grep -q "store: etcd" "$TMP/a.log" || fail "server a is not on etcd"
A() { kubectl --kubeconfig "$TMP/a/admin.kubeconfig" --cache-dir "$TMP/ca" "$@"; }
Bk() { kubectl --kubeconfig "$TMP/b/admin.kubeconfig" --cache-dir "$TMP/cb" "$@"; }

# a's write waits until b's watch has listed (its header printed, over
# "seed": an empty list prints nothing; kubectl watches right after), so
# that it crosses over as an event, however slowly kubectl starts.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: seed}\n' |
  A create -f - >/dev/null || fail "create seed through a"
Bk get cm -w --request-timeout=60s >"$TMP/watch" 2>&1 &
wpid=$!
wait_until 30 grep '^NAME' "$TMP/watch"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {k: v}\n' |
  A create -f - >/dev/null || fail "create through a"
wait_for_log "$TMP/watch" '^shared' 30 # b's watcher missed a's write? the file is printed
kill "$wpid" 2>/dev/null || true
[ "$(Bk get cm shared -o jsonpath='{.data.k}')" = v ] || fail "b cannot read a's write"
A label cm shared via=a >/dev/null || fail "label through a"
[ "$(Bk get cm -l via=a -o name)" = "configmap/shared" ] || fail "b lists a's label"
pass "two API servers share one etcd: writes, reads and watches cross over"

# Twenty clients watching ConfigMaps through b (all namespaces, one
# namespace, Tables and plain JSON) cost etcd one watch, not twenty: the
# API server shares a store watch per resource type.
watchers() { curl -s "http://127.0.0.1:$cport/metrics" |
  awk '$1 == "etcd_debugging_mvcc_watcher_total" { print $2 }'; }
before=$(watchers)
wpids=()
for i in $(seq 10); do
  Bk get cm -w --request-timeout=60s >/dev/null 2>&1 &
  wpids+=($!)
  Bk get cm -n default -w -o json --request-timeout=60s >"$TMP/w$i" 2>&1 &
  wpids+=($!)
done
# Twenty kubectl processes start at once: slow under sanitizers on CI.
for i in $(seq 300); do
  [ "$(grep -c '^ *"name": "shared"' "$TMP/w10" 2>/dev/null || true)" -ge 1 ] && break
  sleep 0.1
done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fan}\n' |
  A create -f - >/dev/null || fail "create fan through a"
for i in $(seq 300); do
  n=0
  for j in $(seq 10); do grep -q '"name": "fan"' "$TMP/w$j" && n=$((n + 1)); done
  [ "$n" -eq 10 ] && break
  sleep 0.1
done
[ "$n" -eq 10 ] || fail "only $n of 10 watchers on b saw a's write"
after=$(watchers)
[ $((after - before)) -le 1 ] ||
  fail "20 watch clients on b cost etcd $((after - before)) watches (want <= 1)"
for p in "${wpids[@]}"; do kill "$p" 2>/dev/null || true; done
pass "20 watchers on one server share one etcd watch ($before -> $after)"

# A CRD created through a is served by b within moments (every server
# watches the stored definitions), and its deletion through a ends it on b.
printf '%s\n' 'apiVersion: apiextensions.k8s.io/v1' 'kind: CustomResourceDefinition' \
  'metadata: {name: widgets.example.com}' \
  'spec: {group: example.com, scope: Namespaced, names: {plural: widgets, kind: Widget},' \
  '  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema:' \
  '    {type: object, x-kubernetes-preserve-unknown-fields: true}}}]}' |
  A apply -f - >/dev/null || fail "create CRD through a"
served=0
for i in $(seq 300); do
  Bk get widgets >/dev/null 2>&1 && { served=1; break; }
  sleep 0.1
done
[ "$served" = 1 ] || { Bk get widgets || true; fail "b does not serve a's CRD after 30 s"; }
# The line follows the registration that kubectl may have beaten.
wait_for_log "$TMP/b.log" "customresourcedefinition widgets.example.com seen in the store: serving widgets.example.com" 5
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' |
  Bk create -f - >/dev/null || fail "create a widget through b"
[ "$(A get widgets w1 -o jsonpath='{.spec.size}')" = 3 ] || fail "a cannot read b's widget"
pass "a CRD created through a is served by b"
A delete crd widgets.example.com >/dev/null || fail "delete CRD through a"
gone=0
out=
for i in $(seq 300); do
  if ! out=$(Bk get widgets 2>&1); then
    # Discovery no longer lists the type, or its path is a 404.
    grep -E "doesn't have a resource type|could not find the requested resource" \
      >/dev/null <<<"$out" && { gone=1; break; }
  fi
  sleep 0.1
done
[ "$gone" = 1 ] || { echo "$out" >&2; fail "b still serves widgets 30 s after a deleted the CRD"; }
# Either server's CRD cleanup may be the one that finally removes it: b
# logs it either way ("deleted" when its own cleanup did, "gone from the
# store" when its watch saw a's).
wait_for_log "$TMP/b.log" "customresourcedefinition widgets.example.com \(deleted\|gone from the store\)" 5
pass "a CRD deleted through a is no longer served by b"

for p in "${PIDS[@]:1}"; do kill -TERM "$p"; done
for p in "${PIDS[@]:1}"; do wait_exit "$p" 20; [ "$RC" -eq 0 ] || fail "exit $RC"; done
pass "clean shutdown"
