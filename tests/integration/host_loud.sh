#!/usr/bin/env bash
# Mistakes that used to pass in silence: a misspelt key in [plugin.X]
# fails --check-config with file and line and is a WARN at start-up; the
# start-up log names the plugins loaded, refused and installed but not
# enabled.
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$B/plugins/template.so" "$B/tests/plugins/good.so" \
  "$B/tests/plugins/init_fails.so" "$B/tests/plugins/mirror.so" \
  "$B/tests/plugins/stuck.so" "$plugins/"
cat >"$TMP/c.ini" <<INI
[host]
plugin_dir = $plugins
data_dir = $TMP/data
log_level = info
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.template]
enabled = true
workers = 2
lable = app
[plugin.good]
enabled = true
[plugin.init_fails]
enabled = true
[plugin.mirror]
enabled = false
INI

# --check-config loads the descriptors (no init) and names the key.
if out=$("$B/cplane" --check-config "$TMP/c.ini" 2>&1); then
  fail "check-config accepted a misspelt key: $out"
fi
want="$TMP/c.ini:11: [plugin.template] unknown key 'lable' (the plugin reads: label)"
grep -xF "$want" <<<"$out" >/dev/null || fail "check-config said: $out"
[ "$(grep -c "unknown key" <<<"$out")" = 1 ] || fail "check-config: $out"
sed 's/^lable = app$/label = app/' "$TMP/c.ini" >"$TMP/fixed.ini"
out=$("$B/cplane" --check-config "$TMP/fixed.ini" 2>&1) ||
  fail "check-config refused the corrected file: $out"
grep -F "ok (4 plugin section(s), 3 enabled)" <<<"$out" >/dev/null ||
  fail "check-config: $out"
pass "--check-config reports an unknown plugin key with file and line"

"$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
PIDS+=($!)
wait_for_log "$TMP/log" "ready: 2 plugin(s) running, 1 refused"
grep -F "WARN  config: $want" "$TMP/log" >/dev/null ||
  { cat "$TMP/log"; fail "no start-up WARN for the misspelt key"; }
pass "a misspelt plugin key is a WARN at start-up"

line=$(grep -F "plugins: loaded " "$TMP/log") || fail "no plugins line"
[ "$(grep -c "plugins: loaded " "$TMP/log")" = 1 ] || fail "two plugins lines"
case "$line" in
*"plugins: loaded template 0.1.0, good 1.0.0; refused init_fails ("*"missing required key 'endpoint'); installed but not enabled: mirror.so, stuck.so (enable in [plugin.NAME])") ;;
*) fail "plugins line: $line" ;;
esac
pass "the start-up log names loaded, refused and installed-but-disabled plugins"

# A misspelling added to a running plugin's section is said at SIGHUP.
sed -i 's/^workers = 2$/workers = 2\nselectr = x/' "$TMP/c.ini"
kill -HUP "${PIDS[0]}"
wait_for_log "$TMP/log" "$TMP/c.ini:11: \[plugin.template\] unknown key 'selectr'" 10
pass "SIGHUP checks the new file's keys of a running plugin"

kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 20
[ "$RC" -eq 0 ] || { cat "$TMP/log"; fail "exit $RC"; }
echo "host_loud: 3 passed, 0 failed"
