#!/usr/bin/env bash
# Hot upgrade of a plugin under load, against the real daemon with its
# embedded API server: the `upgradable` fixture reconciles labelled
# ConfigMaps slowly and annotates each with the version that did it. Its
# file is overwritten in place with a new build while a key is being
# reconciled and ConfigMaps are being created; `cplane plugins reload`
# (SIGHUP through the pid file) swaps it. The key being reconciled
# finishes on the old code, keys after the swap run on the new, every
# ConfigMap ends up annotated, and no watch or list is re-opened. Then:
# the same content again changes nothing; a build whose init() fails is
# refused and the running one kept; the host stops cleanly.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/tests/plugins/upgradable_v1.so" "$plugins/upgradable.so"
cat >"$TMP/c.ini" <<INI
[host]
data_dir = $TMP/data
plugin_dir = $plugins
log_level = info
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.upgradable]
enabled = true
file = upgradable.so
workers = 1
delay_ms = 50
INI
"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 1 plugin(s) running" 60
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
[ -n "$health" ] || fail "no health endpoint in the log"
[ -s "$TMP/data/cplane.pid" ] || fail "no pid file in the data directory"
[ "$(cat "$TMP/data/cplane.pid")" = "${PIDS[0]}" ] || fail "pid file names $(cat "$TMP/data/cplane.pid")"

metric() { curl -sf "$health/metrics" | awk -v m="$1{resource=\"configmaps\"}" '$1 == m {print $2}'; }
cm() { # name sleep_ms
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, labels: {upgrade: "yes"}}\ndata: {sleep_ms: "%s"}\n' "$1" "$2" |
    K create -f - >/dev/null || fail "create $1"
}

cm warm 0
wait_for_log "$TMP/log" "0.1.0 done default/warm" 30
watches0=$(metric cplane_reflector_watches_total)
lists0=$(metric cplane_reflector_lists_total)
[ -n "$watches0" ] && [ -n "$lists0" ] || fail "no reflector metrics"

# A slow key is being reconciled by 0.1.0 when the swap comes.
cm slow 3000
wait_for_log "$TMP/log" "0.1.0 start default/slow" 30
# ConfigMaps keep coming during the swap.
(for i in $(seq 0 19); do cm "load-$i" 0; sleep 0.1; done) &
loader=$!
sleep 0.3
# In place, as `cp` does: the same inode, new bytes.
ino=$(stat -c %i "$plugins/upgradable.so")
cp "$B/tests/plugins/upgradable_v2.so" "$plugins/upgradable.so"
[ "$(stat -c %i "$plugins/upgradable.so")" = "$ino" ] || fail "cp changed the inode"
"$B/cplane" plugins reload -d "$TMP/data" >"$TMP/reload.out" ||
  fail "cplane plugins reload: $(cat "$TMP/reload.out")"
grep "sent SIGHUP to cplane (pid ${PIDS[0]}" "$TMP/reload.out" >/dev/null ||
  fail "reload said: $(cat "$TMP/reload.out")"
wait_for_log "$TMP/log" "plugin upgradable upgraded 0.1.0 -> 0.2.0 (sha256 [0-9a-f]\{8\} -> [0-9a-f]\{8\})" 60
wait "$loader" || fail "creating ConfigMaps during the swap failed"
for i in 0 1 2 3 4; do cm "after-$i" 0; done
pass "cplane plugins reload upgraded the plugin overwritten in place"

# Every labelled ConfigMap ends up annotated.
all_done() {
  K get cm -l upgrade=yes -o json |
    jq -e '[.items[] | select(.metadata.annotations // {} | keys | map(startswith("upgrade.cplane.io/by-")) | any | not)] | length == 0' >/dev/null
}
for ((i = 0; i < 600; i++)); do all_done && break; sleep 0.1; done
all_done || fail "not every ConfigMap was reconciled: $(K get cm -l upgrade=yes -o json | jq -c '[.items[] | {n: .metadata.name, a: .metadata.annotations}]')"
[ "$(K get cm -l upgrade=yes -o name | wc -l)" = 27 ] || fail "expected 27 ConfigMaps"
pass "no event lost: all 27 ConfigMaps annotated"

ann() { K get cm "$1" -o json | jq -r --arg k "upgrade.cplane.io/by-$2" '.metadata.annotations[$k] // "none"'; }
[ "$(ann slow 0.1.0)" = yes ] || fail "the slow key did not finish on 0.1.0"
up=$(grep -n "plugin upgradable upgraded" "$TMP/log" | sed -n 1p | cut -d: -f1)
done_old=$(grep -n "0.1.0 done default/slow" "$TMP/log" | sed -n 1p | cut -d: -f1)
fini_old=$(grep -n "upgradable 0.1.0 fini" "$TMP/log" | sed -n 1p | cut -d: -f1)
[ -n "$done_old" ] && [ "$done_old" -lt "$fini_old" ] && [ "$fini_old" -lt "$up" ] ||
  fail "order: slow done at line $done_old, old fini at $fini_old, upgraded at $up"
if tail -n +"$up" "$TMP/log" | grep "0.1.0 start" >/dev/null; then
  fail "0.1.0 still reconciled after the upgrade"
fi
for i in 0 1 2 3 4; do
  [ "$(ann "after-$i" 0.2.0)" = yes ] && [ "$(ann "after-$i" 0.1.0)" = none ] ||
    fail "after-$i not reconciled by 0.2.0 alone"
done
pass "the key being reconciled finished on 0.1.0 before its fini; later keys ran on 0.2.0 only"

[ "$(metric cplane_reflector_watches_total)" = "$watches0" ] ||
  fail "watches went from $watches0 to $(metric cplane_reflector_watches_total)"
[ "$(metric cplane_reflector_lists_total)" = "$lists0" ] ||
  fail "lists went from $lists0 to $(metric cplane_reflector_lists_total)"
curl -sf "$health/metrics" | grep '^controller_runtime_reconcile_total{controller="upgradable",result="success"} [1-9]' >/dev/null ||
  fail "the plugin's reconcile series is gone"
pass "no watch or list re-opened ($watches0 watch(es), $lists0 list(s)); the metrics series goes on"

# The same content again: nothing happens.
cp "$B/tests/plugins/upgradable_v2.so" "$plugins/upgradable.so"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "SIGHUP: .* 0 plugin(s) changed" 30
[ "$(grep -c "plugin upgradable upgraded" "$TMP/log")" = 1 ] || fail "unchanged file reloaded"
pass "an unchanged file is not reloaded"

# A build whose init() fails: refused, 0.2.0 keeps running.
install -m 0755 "$B/tests/plugins/upgradable_bad.so" "$plugins/upgradable.so"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "plugin upgradable: upgrade refused: .*this build refuses to start; keeping 0.2.0" 30
cm after-refusal 0
for ((i = 0; i < 300; i++)); do [ "$(ann after-refusal 0.2.0)" = yes ] && break; sleep 0.1; done
[ "$(ann after-refusal 0.2.0)" = yes ] || fail "0.2.0 stopped after the refused upgrade"
pass "a build whose init fails is refused with its reason; the old one keeps running"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 30
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit status $RC after SIGTERM"; }
[ ! -e "$TMP/data/cplane.pid" ] || fail "pid file left behind"
pass "clean shutdown"
