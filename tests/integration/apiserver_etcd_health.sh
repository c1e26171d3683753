#!/usr/bin/env bash
# Two API servers on one etcd: they compact its history between them (one
# compaction per interval through kube's compact_rev_key, not one each),
# a list or watch below the compaction answers 410, and /readyz and
# /livez say 500 while etcd is down and 200 once it is back.
. "$(dirname "$0")/lib/common.sh"

[ -x /usr/bin/etcd ] || fail "etcd is not installed (Debian etcd-server)"
start_etcd # common.sh; a restart below keeps its ports
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
etcd_request_timeout = 2s
compact_interval = 2s
INI
  "$B/cplane" -c "$TMP/$n.ini" >"$TMP/$n.log" 2>&1 &
  PIDS+=($!)
done
wait_for_log "$TMP/a.log" "ready: " 30
wait_for_log "$TMP/b.log" "ready: " 30
A() { kubectl --kubeconfig "$TMP/a/admin.kubeconfig" --cache-dir "$TMP/ca" "$@"; }
url=$(A config view --raw -o jsonpath='{.clusters[0].cluster.server}')
token=$(A config view --raw -o jsonpath='{.users[0].user.token}')
api() { curl -sk -H "Authorization: Bearer $token" "$@"; }

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\ndata: {k: v}\n' |
  A create -f - >/dev/null || fail "create"
old=$(A get cm old -o jsonpath='{.metadata.resourceVersion}')
for i in 1 2 3; do A label cm old "n=$i" --overwrite >/dev/null; done
compactions() {
  cat "$TMP/a.log" "$TMP/b.log" | grep -c 'etcd: compacted to revision' || true
}
# Compaction needs two ticks (the first only records the revision seen).
for i in $(seq 300); do
  [ "$(compactions)" -ge 2 ] && break
  sleep 0.1
done
[ "$(compactions)" -ge 2 ] || { cat "$TMP/a.log"; fail "no compaction after 30 s"; }
# Counted over a window timed here: since the servers started, the
# kubectl calls above take as long as the machine's load makes them.
# Shared, two compactions are at least one interval apart (a server
# wins at most once a tick, and another must first lose a tick to learn
# the key's version), so a window of W s holds at most W/2 + 1 of them,
# and one more for a line not yet logged when the window opened; both
# servers compacting would make about W.
n0=$(compactions)
t0=$(date +%s%N)
sleep 8
n=$(($(compactions) - n0))
secs=$((($(date +%s%N) - t0 + 999999999) / 1000000000))
dups=$(cat "$TMP/a.log" "$TMP/b.log" | grep -o 'compacted to revision [0-9]*' |
  sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "both servers compacted to the same revision"
[ "$n" -ge 1 ] || fail "no compaction in $secs s at a 2 s interval"
[ "$n" -le $((secs / 2 + 2)) ] ||
  fail "$n compactions in $secs s at a 2 s interval: both servers compact"
pass "two servers share compaction: $n compactions, no revision twice"

code=$(api -o "$TMP/list" -w '%{http_code}' \
  "$url/api/v1/namespaces/default/configmaps?resourceVersion=$old&resourceVersionMatch=Exact")
[ "$code" = 410 ] || { cat "$TMP/list"; fail "list at compacted $old: $code, want 410"; }
api -m 5 "$url/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$old" >"$TMP/watch" || true
grep -q '"code":410' "$TMP/watch" || { cat "$TMP/watch"; fail "watch at compacted $old: no 410"; }
pass "a list or watch below the compaction is 410"

ready() { curl -sk -o "$TMP/ready" -w '%{http_code}' "$url/$1?verbose"; }
[ "$(ready readyz)" = 200 ] || { cat "$TMP/ready"; fail "/readyz not 200 with etcd up"; }
grep -q '^\[+\]etcd ok' "$TMP/ready" || { cat "$TMP/ready"; fail "/readyz lacks [+]etcd ok"; }
kill "$ETCD"
wait "$ETCD" 2>/dev/null || true
code=
for i in $(seq 300); do
  code=$(ready readyz)
  [ "$code" = 500 ] && break
  sleep 0.1
done
[ "$code" = 500 ] || { cat "$TMP/ready"; fail "/readyz is $code 30 s after etcd stopped"; }
grep -q '^\[-\]etcd failed: reason withheld' "$TMP/ready" || { cat "$TMP/ready"; fail "/readyz body"; }
grep -q '^readyz check failed' "$TMP/ready" || { cat "$TMP/ready"; fail "/readyz body"; }
[ "$(ready livez)" = 500 ] || { cat "$TMP/ready"; fail "/livez not 500 with etcd down"; }
pass "/readyz and /livez 500 while etcd is down"
start_etcd
for i in $(seq 300); do
  code=$(ready readyz)
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] || { cat "$TMP/ready"; fail "/readyz is $code 30 s after etcd returned"; }
A get cm old >/dev/null || fail "read after etcd returned"
pass "/readyz 200 again once etcd is back"
