#!/usr/bin/env bash
# The eviction subresource with kubectl drain on simulated nodes
# (nodesim, scheduler, deployment, replicaset): a Deployment's 3 pods on
# sim-1 with a PodDisruptionBudget allowing one disruption are evicted
# one at a time (drain retries the 429s) while their replacements start
# on sim-0, and sim-1 is cordoned; pods whose budget allows no
# disruption outlast drain's --timeout, and the raw eviction answers
# kube's 429 with the DisruptionBudget cause.
. "$(dirname "$0")/lib/common.sh"

mkdir -m 755 "$TMP/plugins"
install -m 0755 "$B/plugins/nodesim.so" "$B/plugins/scheduler.so" \
  "$B/plugins/deployment.so" "$B/plugins/replicaset.so" "$TMP/plugins/"
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
[plugin.nodesim]
enabled = true
count = 2
heartbeat = 1s
pod_start_delay = 100ms
[plugin.scheduler]
enabled = true
[plugin.deployment]
enabled = true
[plugin.replicaset]
enabled = true
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 4 plugin(s) running"
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
until_true() { # SECONDS WHAT CMD...
  local limit what=$2 i
  limit=$(wait_limit "$1")
  shift 2
  for ((i = 0; i < limit * 10; i++)); do "$@" && return 0; sleep 0.1; done
  K get nodes >&2 || true
  K get pods -o wide >&2 || true
  tail -30 "$TMP/log" >&2
  fail "$what (after ${limit}s)"
}
ready_nodes() { [ "$(K get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" -eq 2 ]; }
until_true 15 "2 simulated nodes Ready" ready_nodes
# running APP NODE N: N pods of app APP Running and Ready on NODE.
running() {
  [ "$(K get pods -l "app=$1" -o jsonpath='{range .items[*]}{.spec.nodeName}/{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}/{.metadata.deletionTimestamp}{"\n"}{end}' |
    grep -c "^$2/Running/True/$")" -eq "$3" ]
}
deploy() { # NAME REPLICAS [NODESELECTOR_JSON]
  K apply -f - >/dev/null <<EOF || fail "create deployment $1"
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"$1"},
 "spec":{"replicas":$2,"selector":{"matchLabels":{"app":"$1"}},
  "template":{"metadata":{"labels":{"app":"$1"}},
   "spec":{"nodeSelector":${3:-{\}},
           "containers":[{"name":"c","image":"nginx"}]}}}}
EOF
}
pdb() { # NAME RULE_JSON
  K apply -f - >/dev/null <<EOF || fail "create pdb $1"
{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"$1"},
 "spec":{$2,"selector":{"matchLabels":{"app":"$1"}}}}
EOF
}

# --- one disruption allowed: drain goes one pod at a time.
K cordon sim-0 >/dev/null || fail "cordon sim-0"
deploy web 3
until_true 20 "3 web pods Running on sim-1" running web sim-1 3
K uncordon sim-0 >/dev/null || fail "uncordon sim-0"
pdb web '"maxUnavailable":1'
t0=$SECONDS
K drain sim-1 --ignore-daemonsets --delete-emptydir-data --timeout=120s \
  >"$TMP/drain" 2>&1 || { cat "$TMP/drain" >&2; fail "drain sim-1"; }
[ "$(grep -c '^evicting pod default/web-' "$TMP/drain")" -ge 3 ] ||
  { cat "$TMP/drain" >&2; fail "drain did not evict the 3 pods"; }
grep -q "Cannot evict pod as it would violate the pod's disruption budget" \
  "$TMP/drain" || { cat "$TMP/drain" >&2; fail "no 429 retried"; }
grep -q "node/sim-1 drained" "$TMP/drain" || fail "not drained"
[ "$(K get node sim-1 -o jsonpath='{.spec.unschedulable}')" = true ] ||
  fail "sim-1 not cordoned"
until_true 20 "3 web pods Running on sim-0" running web sim-0 3
[ -z "$(K get pods -l app=web --field-selector spec.nodeName=sim-1 -o name)" ] ||
  fail "web pods left on sim-1"
pass "drain evicts one pod at a time under the budget, retrying 429s ($((SECONDS - t0)) s)"

# --- no disruption allowed: drain times out, the pods stay.
K uncordon sim-1 >/dev/null || fail "uncordon sim-1"
deploy db 2 '{"kubernetes.io/hostname":"sim-1"}'
until_true 20 "2 db pods Running on sim-1" running db sim-1 2
pdb db '"minAvailable":2'
before=$(K get pods -l app=db -o jsonpath='{.items[*].metadata.uid}')
if K drain sim-1 --ignore-daemonsets --delete-emptydir-data --timeout=6s \
  >"$TMP/drain2" 2>&1; then
  cat "$TMP/drain2" >&2
  fail "drain finished although the budget allows no disruption"
fi
grep -q "Cannot evict pod as it would violate the pod's disruption budget" \
  "$TMP/drain2" || { cat "$TMP/drain2" >&2; fail "no 429"; }
[ "$(K get pods -l app=db -o jsonpath='{.items[*].metadata.uid}')" = "$before" ] ||
  fail "db pods changed"
running db sim-1 2 || fail "db pods not running"
pass "with no disruption allowed drain times out and the pods stay"

# --- the raw answer, as kube-apiserver words it.
url=$(K config view --raw -o jsonpath='{.clusters[0].cluster.server}')
token=$(K config view --raw -o jsonpath='{.users[0].user.token}')
pod=$(K get pods -l app=db -o jsonpath='{.items[0].metadata.name}')
code=$(curl -sk -o "$TMP/resp" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -X POST \
  -d "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"$pod\",\"namespace\":\"default\"}}" \
  "$url/api/v1/namespaces/default/pods/$pod/eviction")
[ "$code" = 429 ] || fail "eviction: $code $(cat "$TMP/resp")"
[ "$(jq -r '[.kind,.status,.reason,.code,.message]|join("|")' "$TMP/resp")" = \
  "Status|Failure|TooManyRequests|429|Cannot evict pod as it would violate the pod's disruption budget." ] ||
  fail "429 body: $(cat "$TMP/resp")"
[ "$(jq -r '.details.causes[0]|.reason+"|"+.message' "$TMP/resp")" = \
  "DisruptionBudget|The disruption budget db needs 2 healthy pods and has 2 currently" ] ||
  fail "429 cause: $(cat "$TMP/resp")"
K get pod "$pod" >/dev/null || fail "the pod went"
pass "a refused eviction is kube's 429 with the DisruptionBudget cause"

# kube's budget 429 names no delay (NewTooManyRequests(..., 0)): no
# retryAfterSeconds and no Retry-After header; a Status that names one
# (a list at a future resourceVersion, 504 after 1 s) carries the header
# too, as kube's ErrorNegotiated writes it.
curl -sk -D "$TMP/hdr" -o "$TMP/resp" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -X POST \
  -d "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"$pod\"}}" \
  "$url/api/v1/namespaces/default/pods/$pod/eviction" >/dev/null
grep -qi '^Retry-After' "$TMP/hdr" && fail "429 with a Retry-After: $(cat "$TMP/hdr")"
[ "$(jq -r '.details.retryAfterSeconds // "none"' "$TMP/resp")" = none ] ||
  fail "429 retryAfterSeconds: $(cat "$TMP/resp")"
code=$(curl -sk -D "$TMP/hdr" -o "$TMP/resp" -w '%{http_code}' \
  -H "Authorization: Bearer $token" \
  "$url/api/v1/namespaces/default/configmaps?resourceVersion=999999999")
[ "$code" = 504 ] && [ "$(jq -r '.details.retryAfterSeconds' "$TMP/resp")" = 1 ] ||
  fail "future resourceVersion: $code $(cat "$TMP/resp")"
grep -qi '^Retry-After: 1' "$TMP/hdr" || fail "no Retry-After header: $(cat "$TMP/hdr")"
# The same Status sent as protobuf keeps the header.
curl -sk -D "$TMP/hdr" -o /dev/null -H "Authorization: Bearer $token" \
  -H 'Accept: application/vnd.kubernetes.protobuf' \
  "$url/api/v1/namespaces/default/configmaps?resourceVersion=999999999"
grep -qi '^Content-Type: application/vnd.kubernetes.protobuf' "$TMP/hdr" &&
  grep -qi '^Retry-After: 1' "$TMP/hdr" || fail "protobuf 504 headers: $(cat "$TMP/hdr")"
pass "Retry-After follows details.retryAfterSeconds"

# kube marks an evicted pod DisruptionTarget before deleting it: a
# finalizer holds this one so that the mark can be read. It runs for an
# hour: with nodesim's default 1 s (restartPolicy Never) it could be
# Running for less than one kubectl poll under load, then Succeeded.
K run held --image=nginx --restart=Never --overrides='{"metadata":{"finalizers":["example.com/hold"],"annotations":{"cplane.io/nodesim-run-seconds":"1h"}}}' >/dev/null ||
  fail "create held pod"
until_true 15 "held pod Running" sh -c '[ "$(kubectl --kubeconfig "$0" get pod held -o jsonpath="{.status.phase}")" = Running ]' "$TMP/data/admin.kubeconfig"
code=$(curl -sk -o "$TMP/resp" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -X POST \
  -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"held"}}' \
  "$url/api/v1/namespaces/default/pods/held/eviction")
[ "$code" = 201 ] || fail "evict held: $code $(cat "$TMP/resp")"
[ "$(K get pod held -o jsonpath='{range .status.conditions[?(@.type=="DisruptionTarget")]}{.status}|{.reason}|{.message}{end}')" = \
  "True|EvictionByEvictionAPI|Eviction API: evicting" ] ||
  fail "no DisruptionTarget: $(K get pod held -o json)"
[ -n "$(K get pod held -o jsonpath='{.metadata.deletionTimestamp}')" ] || fail "held pod not deleting"
K patch pod held --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null || fail "release held"
pass "an evicted pod is marked DisruptionTarget before it goes"

# The same Eviction as protobuf (k8s magic + runtime.Unknown), as
# client-go's typed clients send it.
python3 - "$pod" >"$TMP/ev.pb" <<'PY'
import sys
def ld(field, b):
    n, v = len(b), b''
    while True:
        if n < 0x80:
            v += bytes([n]); break
        v += bytes([n & 0x7f | 0x80]); n >>= 7
    return bytes([field << 3 | 2]) + v + b
name = sys.argv[1].encode()
ev = ld(1, ld(1, name) + ld(3, b"default"))
tm = ld(1, b"policy/v1") + ld(2, b"Eviction")
sys.stdout.buffer.write(b"k8s\x00" + ld(1, tm) + ld(2, ev))
PY
code=$(curl -sk -o "$TMP/resp" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/vnd.kubernetes.protobuf' -H 'Accept: application/json' \
  -X POST --data-binary "@$TMP/ev.pb" \
  "$url/api/v1/namespaces/default/pods/$pod/eviction")
[ "$code" = 429 ] && [ "$(jq -r '.details.causes[0].reason' "$TMP/resp")" = DisruptionBudget ] ||
  fail "protobuf eviction: $code $(cat "$TMP/resp")"
pass "a protobuf Eviction is read as the JSON one"

# Discovery: kubectl's and kube's pods/eviction entry.
[ "$(K get --raw /api/v1 | jq -c '.resources[]|select(.name=="pods/eviction")|[.kind,.group,.version,.verbs]')" = \
  '["Eviction","policy","v1",["create"]]' ] || fail "discovery"
pass "discovery lists pods/eviction"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { tail -30 "$TMP/log"; fail "exit status $RC after SIGTERM"; }
grep -E "Sanitizer|runtime error" "$TMP/log" >&2 && fail "sanitizer reports in the log"
pass "clean shutdown"
