#!/usr/bin/env bash
# The API server's connections against hostile or careless clients: TLS
# suites and plain HTTP on the TLS port, authorization before routing,
# /metrics behind a rule, oversized headers, unauthenticated bodies, slow
# and idle connections, and running out of file descriptors.
. "$(dirname "$0")/lib/common.sh"

command -v kubectl >/dev/null || fail "kubectl is not installed"
mkdir -m 700 "$TMP/data" "$TMP/noplugins"
chmod 755 "$TMP/noplugins"
printf 'admintok,admin,1,"system:masters"\nnobodytok,nobody,2\npromtok,prom,3\n' \
  >"$TMP/data/tokens.csv"
cat >"$TMP/c.ini" <<INI
[host]
log_level = info
data_dir = $TMP/data
plugin_dir = $TMP/noplugins
listen = 127.0.0.1:0
[apiserver]
port = 0
tokens_file = $TMP/data/tokens.csv
read_header_timeout = 2s
idle_timeout = 3s
[authz.scrapers]
users = prom
verbs = get
non_resource_urls = /metrics
INI
# ASan's quarantine holds freed memory (256 MiB by default): small, so
# that RSS says what the server keeps.
[ "$VARIANT" != asan ] || export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4"
start_server() { # [prlimit args...]
  "$@" "$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
  PIDS+=($!)
  SPID=$!
  wait_for_log "$TMP/log" "ready: "
  url=$(grep -o 'serving the Kubernetes API on https://[0-9.:]*' "$TMP/log" |
    sed 's/.* on //')
  [ -n "$url" ] || fail "no API server URL in the log"
  hostport=${url#https://}
  port=${hostport##*:}
}
stop_server() {
  kill -TERM "$SPID"
  wait_exit "$SPID" 20
  [ "$RC" -eq 0 ] || { tail -20 "$TMP/log"; fail "exit status $RC"; }
}
CA=$TMP/data/pki/ca.crt
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" \
  --cache-dir "$TMP/cache" --request-timeout=20s "$@"; }
req() { # TOKEN METHOD PATH -> HTTP code, body in $TMP/resp
  curl -s -o "$TMP/resp" -w '%{http_code}' --cacert "$CA" \
    -H "Authorization: Bearer $1" -X "$2" "$url$3"
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SPID/status"; }

start_server

# --- TLS: Go's default suites (AEAD only), and Go's answer to plain HTTP.
out=$(openssl s_client -connect "$hostport" -tls1_2 -cipher AES128-SHA256 \
  </dev/null 2>&1) && fail "a CBC suite was accepted: $out"
out=$(openssl s_client -connect "$hostport" -tls1_2 \
  -cipher ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256 \
  </dev/null 2>&1) || fail "an ECDHE AES-GCM suite was refused: $out"
grep -q "Cipher is ECDHE-" <<<"$out" || fail "suite: $out"
out=$(curl -s -i "http://$hostport/version") || true
grep -q "^HTTP/1.0 400 Bad Request" <<<"$out" ||
  fail "plain HTTP on the TLS port: $out"
grep -q "^Client sent an HTTP request to an HTTPS server.$" <<<"$out" ||
  fail "plain HTTP on the TLS port, body: $out"
pass "TLS: CBC suites refused, ECDHE AES-GCM served, plain HTTP gets Go's 400"

# --- Authorization runs on the URL before any lookup.
[ "$(req nobodytok GET /apis/nosuch.example.com/v1/namespaces/default/widgets)" = 403 ] ||
  fail "unknown resource for a user allowed nothing: $(cat "$TMP/resp")"
jq -e '.message == "widgets.nosuch.example.com is forbidden: User \"nobody\" cannot list resource \"widgets\" in API group \"nosuch.example.com\" in the namespace \"default\"" and .reason == "Forbidden" and .details.kind == "widgets"' \
  "$TMP/resp" >/dev/null || fail "403 body: $(cat "$TMP/resp")"
[ "$(req nobodytok GET /api/v1/namespaces/default/configmaps/x)" = 403 ] ||
  fail "known resource: $(cat "$TMP/resp")"
jq -e '.message == "configmaps \"x\" is forbidden: User \"nobody\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"default\""' \
  "$TMP/resp" >/dev/null || fail "403 body: $(cat "$TMP/resp")"
[ "$(req admintok GET /apis/nosuch.example.com/v1/namespaces/default/widgets)" = 404 ] ||
  fail "unknown resource for the admin: $(cat "$TMP/resp")"
[ "$(req nobodytok GET /metrics)" = 403 ] || fail "/metrics for nobody"
jq -e '.message == "forbidden: User \"nobody\" cannot get path \"/metrics\""' \
  "$TMP/resp" >/dev/null || fail "403 body: $(cat "$TMP/resp")"
[ "$(req promtok GET /metrics)" = 200 ] || fail "/metrics for prom"
[ "$(req nobodytok GET /apis)" = 200 ] || fail "discovery for nobody"
[ "$(req nobodytok GET /nonexistent)" = 403 ] || fail "/nonexistent for nobody"
[ "$(req "" GET /version)" = 200 ] || fail "/version is public"
pass "authorization before routing: 403 for unknown and known resources, /metrics needs a rule"

# --- Unauthenticated clients: headers bounded, bodies never read.
HC="python3 $ROOT/tests/integration/clients/hostile_conns.py"
rss0=$(rss_kb)
$HC big-header 127.0.0.1 "$port" "$CA" 64 || fail "64 MiB header"
$HC unauth-body 127.0.0.1 "$port" "$CA" 40 || fail "unauthenticated bodies"
rss1=$(rss_kb)
[ $((rss1 - rss0)) -lt 65536 ] ||
  fail "RSS grew $(((rss1 - rss0) / 1024)) MiB on unauthenticated input"
echo "  RSS ${rss0} -> ${rss1} KiB"
pass "a 64 MiB header gets 431, 40 unauthenticated 3 MB bodies get 401 unread"

# --- Slow and idle connections are closed; a quiet watch is not.
K get configmaps --watch-only -o name >"$TMP/watch" 2>"$TMP/watch.err" &
WPID=$!
PIDS+=($WPID)
$HC idle 127.0.0.1 "$port" "$CA" 20 8 || fail "idle connections"
$HC keepalive 127.0.0.1 "$port" "$CA" admintok 8 || fail "keep-alive"
K create configmap after-quiet >/dev/null
for _ in $(seq 300); do
  grep -q "configmap/after-quiet" "$TMP/watch" && break
  sleep 0.1
done
grep -q "configmap/after-quiet" "$TMP/watch" ||
  fail "a watch quiet for longer than the idle timeout was cut: $(cat "$TMP/watch.err")"
kill "$WPID" 2>/dev/null || true
pass "slow heads and idle connections closed after their timeouts, a quiet watch kept"
stop_server

# --- Out of descriptors: 1,500 silent connections against a limit of 512.
# The listener pauses instead of spinning, the log does not flood, and a
# real client is served once the silent ones time out.
command -v prlimit >/dev/null || fail "prlimit is not installed"
start_server prlimit --nofile=512:512
cpu() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
lines0=$(wc -l <"$TMP/log")
cpu0=$(cpu)
t0=$(date +%s)
mkfifo "$TMP/hold"
$HC flood 127.0.0.1 "$port" 1500 <"$TMP/hold" >"$TMP/flood" 2>&1 &
FPID=$!
PIDS+=($FPID)
exec 7>"$TMP/hold"
for _ in $(seq 100); do
  grep -q "^ok" "$TMP/flood" && break
  sleep 0.1
done
grep -q "^ok" "$TMP/flood" || fail "flood: $(cat "$TMP/flood")"
sleep 1
out=$(K get ns default -o name --request-timeout=40s 2>&1) ||
  fail "kubectl with 1,500 silent connections: $out"
[ "$out" = "namespace/default" ] || fail "kubectl: $out"
t1=$(date +%s)
cpu1=$(cpu)
exec 7>&-
wait "$FPID" 2>/dev/null || true
lines=$(($(wc -l <"$TMP/log") - lines0))
accepts=$(grep -c "accept()" "$TMP/log" || true)
ticks=$(getconf CLK_TCK)
echo "  kubectl answered after $((t1 - t0)) s; server CPU $(((cpu1 - cpu0) * 1000 / ticks)) ms; $lines log lines ($accepts about accept())"
[ "$accepts" -ge 1 ] || fail "the descriptor limit was never reached"
[ "$lines" -lt 200 ] || { tail -20 "$TMP/log"; fail "$lines log lines"; }
# Spinning would be about one core for the whole time.
[ $(((cpu1 - cpu0) * 1000 / ticks)) -lt $(((t1 - t0) * 500 + 1000)) ] ||
  fail "the server spun: $(((cpu1 - cpu0) * 1000 / ticks)) ms of CPU in $((t1 - t0)) s"
pass "out of descriptors: no spin, no log flood, kubectl still answered"
stop_server
