#!/usr/bin/env bash
# Two API servers on one real etcd hand out Service addresses from one
# pool: 200 Services created concurrently, half through each server,
# all get a ClusterIP and none the same; NodePorts likewise; a deleted
# Service's address is taken again through the other server; and both
# servers agree on the kubernetes Service holding the range's first
# address.
. "$(dirname "$0")/lib/common.sh"

[ -x /usr/bin/etcd ] || fail "etcd is not installed (Debian etcd-server)"
start_etcd
cport=$ETCD_PORT
mkdir -m 755 -p "$TMP/np"
# A /22 (1022 addresses) and 300 NodePorts: 200 Services fill a good part
# of each, so that collisions between the servers' random picks happen.
for n in a b; do
  cat >"$TMP/$n.ini" <<INI
[host]
data_dir = $TMP/$n
plugin_dir = $TMP/np
[apiserver]
port = 0
store = etcd
etcd_endpoints = http://127.0.0.1:$cport
etcd_dial_timeout = 30s
service_cidr = 10.100.0.0/22
service_node_port_range = 30000-30299
INI
  "$B/cplane" -c "$TMP/$n.ini" >"$TMP/$n.log" 2>&1 &
  PIDS+=($!)
  eval "pid_$n=\$!"
done
wait_for_log "$TMP/a.log" "ready: " 30
wait_for_log "$TMP/b.log" "ready: " 30
A() { kubectl --kubeconfig "$TMP/a/admin.kubeconfig" --cache-dir "$TMP/ca" "$@"; }
Bk() { kubectl --kubeconfig "$TMP/b/admin.kubeconfig" --cache-dir "$TMP/cb" "$@"; }

[ "$(A get svc kubernetes -o jsonpath='{.spec.clusterIP}')" = 10.100.0.1 ] ||
  fail "kubernetes Service through a: $(A get svc kubernetes -o yaml 2>&1)"
[ "$(Bk get svc kubernetes -o jsonpath='{.spec.clusterIP}')" = 10.100.0.1 ] ||
  fail "kubernetes Service through b"
pass "one kubernetes Service with the range's first address"

url_of() { grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/$1.log" |
  sed 's/.* on //'; }
tok_of() { grep -o 'token: .*' "$TMP/$1/admin.kubeconfig" | sed 's/token: //'; }
ua=$(url_of a) ub=$(url_of b) ta=$(tok_of a) tb=$(tok_of b)
# create N: Service sN through a (odd) or b (even), NodePort for every
# other one.
create() {
  local n=$1 url tok ca type=ClusterIP
  if ((n % 2)); then url=$ua tok=$ta ca=$TMP/a/pki/ca.crt
  else url=$ub tok=$tb ca=$TMP/b/pki/ca.crt; fi
  ((n % 4 < 2)) && type=NodePort
  curl -s --cacert "$ca" -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' -o "$TMP/out/$n" -w '%{http_code}\n' \
    -X POST "$url/api/v1/namespaces/default/services" \
    -d "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s$n\"},\"spec\":{\"type\":\"$type\",\"ports\":[{\"port\":80}]}}"
}
export -f create
export ua ub ta tb TMP
mkdir "$TMP/out"
seq 200 | xargs -P 16 -I{} bash -c 'create {}' >"$TMP/codes"
[ "$(grep -c '^201$' "$TMP/codes")" = 200 ] ||
  { sort "$TMP/codes" | uniq -c; head -c 600 "$TMP"/out/*; fail "not every create answered 201"; }
A get svc -o jsonpath='{range .items[*]}{.spec.clusterIP}{"\n"}{end}' >"$TMP/ips"
[ "$(wc -l <"$TMP/ips")" = 201 ] || fail "$(wc -l <"$TMP/ips") Services listed, not 201"
dups=$(sort "$TMP/ips" | uniq -d)
[ -z "$dups" ] || fail "ClusterIPs handed out twice: $dups"
grep -vq '^10\.100\.[0-3]\.[0-9]*$' "$TMP/ips" &&
  fail "a ClusterIP outside 10.100.0.0/22: $(grep -v '^10\.100\.' "$TMP/ips")"
Bk get svc -o jsonpath='{range .items[*]}{.spec.ports[0].nodePort}{"\n"}{end}' |
  grep . >"$TMP/ports" || true
[ "$(wc -l <"$TMP/ports")" = 100 ] || fail "$(wc -l <"$TMP/ports") NodePorts, not 100"
dups=$(sort "$TMP/ports" | uniq -d)
[ -z "$dups" ] || fail "NodePorts handed out twice: $dups"
pass "200 Services created concurrently through two servers: no ClusterIP or NodePort twice"

ip=$(A get svc s7 -o jsonpath='{.spec.clusterIP}')
port=$(A get svc s1 -o jsonpath='{.spec.ports[0].nodePort}')
out=$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: again}\nspec:\n  clusterIP: %s\n  ports: [{port: 80}]\n' "$ip" |
  Bk create -f - 2>&1) && fail "b handed out a's $ip again: $out"
grep -q "spec.clusterIPs: Invalid value: \[\]string{\"$ip\"}: failed to allocate IP $ip: provided IP is already allocated" <<<"$out" ||
  fail "taken IP through b: $out"
A delete svc s7 s1 >/dev/null || fail "delete through a"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: again}\nspec:\n  type: NodePort\n  clusterIP: %s\n  ports: [{port: 80, nodePort: %s}]\n' "$ip" "$port" |
  Bk create -f - >/dev/null || fail "b cannot take the address a released"
pass "a taken address is refused by the other server, and free again after a delete"

for n in a b; do
  eval "pid=\$pid_$n"
  kill "$pid"
  wait_exit "$pid" 20
  [ "$RC" = 0 ] || fail "server $n exited with $RC: $(tail -5 "$TMP/$n.log")"
done
pass "clean shutdown"
