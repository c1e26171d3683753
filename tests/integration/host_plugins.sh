#!/usr/bin/env bash
# The cplane binary with real plugins: --check-config, loading the good and
# refusing the bad with one log line each (a wrong ABI before any of its
# code runs), a clean SIGTERM shutdown that calls fini, --strict making a
# refusal fatal, and /readyz failing while an enabled plugin is refused
# (world-writable or symlinked plugin directory).
. "$(dirname "$0")/lib/common.sh"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
for f in good init_fails wrong_major newer_minor no_entry no_note; do
  install -m 0755 "$B/tests/plugins/$f.so" "$plugins/"
done
install -m 0755 "$B/plugins/template.so" "$plugins/"

cat >"$TMP/ok.ini" <<INI
[host]
plugin_dir = $plugins
data_dir = $TMP/data
log_level = info
workers = 2
listen = 127.0.0.1:0
[apiserver]
port = 0
[plugin.good]
enabled = true
greeting = hello
[plugin.template]
enabled = true
[plugin.init_fails]
enabled = true
[plugin.wrong_major]
enabled = true
[plugin.newer_minor]
enabled = true
[plugin.no_entry]
enabled = true
[plugin.no_note]
enabled = true
[plugin.not_there]
enabled = true
[plugin.disabled]
enabled = false
INI

# --check-config: valid and invalid files.
out=$("$B/cplane" --check-config "$TMP/ok.ini")
grep -q "ok (9 plugin section(s), 8 enabled)" <<<"$out" || fail "check-config: $out"
printf '[host]\nworkers = 2\nlisten = x\nbogus = 1\n' >"$TMP/bad.ini"
if out=$("$B/cplane" --check-config "$TMP/bad.ini" 2>&1); then
  fail "check-config accepted a bad file"
fi
grep -q "bad.ini:4: unknown key 'bogus' in \[host\]" <<<"$out" || fail "check-config message: $out"
pass "check-config"

# A running host: good and template load; every bad plugin is one line.
# The constructors of wrong_major and no_note write this file if they run.
export CPLANE_TEST_MARKER="$TMP/constructor-ran"
"$B/cplane" --config "$TMP/ok.ini" >"$TMP/log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for_log "$TMP/log" "ready: 2 plugin(s) running, 6 refused"
minor=$(sed -n 's/^#define CPLANE_ABI_MINOR \([0-9]*\).*/\1/p' "$ROOT/sdk/include/cplane/version.h")
expect_log "$TMP/log" "loaded plugin good 1.0.0 (ABI 1.$minor)"
expect_log "$TMP/log" "loaded plugin template"
expect_log "$TMP/log" "plugin template: watching configmaps"
expect_log "$TMP/log" "init_fails.so): init failed with status -4: missing required key 'endpoint'"
expect_log "$TMP/log" "wrong_major.so: abi_major is 2, this host supports 1"
expect_log "$TMP/log" "newer_minor.so: abi_minor is $((minor + 1)), newer than this host's $minor"
expect_log "$TMP/log" "no_entry.so: no cplane_plugin_entry symbol"
expect_log "$TMP/log" "no_note.so: no cplane ABI note (section cplane_abi)"
expect_log "$TMP/log" "not_there.so: No such file or directory"
[ "$(grep -c ' ERROR ' "$TMP/log")" -eq 6 ] || fail "expected exactly 6 ERROR lines"
[ ! -e "$CPLANE_TEST_MARKER" ] || fail "a refused plugin's constructor ran inside the host"
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/log" | sed 's/.* on //')
code=$(curl -s -o "$TMP/ready" -w '%{http_code}' "$health/readyz?verbose")
[ "$code" = 503 ] || fail "/readyz with refused plugins: $code"
grep '^\[-\]plugin wrong_major failed to load: .*abi_major is 2' "$TMP/ready" >/dev/null ||
  fail "/readyz?verbose: $(cat "$TMP/ready")"
grep '^\[+\]plugin good ok' "$TMP/ready" >/dev/null || fail "/readyz?verbose: $(cat "$TMP/ready")"
grep -q "disabled" "$TMP/log" && fail "a disabled plugin was touched"
kill -TERM "$pid"
wait_exit "$pid" 20; rc=$RC
[ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit status $rc after SIGTERM"; }
expect_log "$TMP/log" "received SIGTERM: shutting down"
expect_log "$TMP/log" "plugin template: stopping"
expect_log "$TMP/log" "stopped cleanly"
pass "host loads good plugins, refuses bad ones, stops cleanly"

# --strict: the first refusal is fatal.
if "$B/cplane" --config "$TMP/ok.ini" --strict >"$TMP/strict.log" 2>&1; then
  fail "--strict started despite a bad plugin"
fi
expect_log "$TMP/strict.log" "init failed"
expect_log "$TMP/strict.log" "stopping because a plugin was refused"
pass "--strict"

# Unsafe plugin directory: refused, host stays up.
chmod 777 "$plugins"
"$B/cplane" --config "$TMP/ok.ini" >"$TMP/perm.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for_log "$TMP/perm.log" "ready: 0 plugin(s) running"
expect_log "$TMP/perm.log" "group- or world-writable (mode 0777)"
# 0 plugins running is not ready, and /readyz says why.
health=$(grep -o 'health and metrics on http://[0-9.:]*' "$TMP/perm.log" | sed 's/.* on //')
code=$(curl -s -o "$TMP/ready" -w '%{http_code}' "$health/readyz?verbose")
[ "$code" = 503 ] || fail "/readyz with 0 plugins loaded: $code"
grep '^\[-\]plugin good failed to load: .*world-writable' "$TMP/ready" >/dev/null ||
  fail "/readyz?verbose: $(cat "$TMP/ready")"
[ "$(curl -s "$health/livez")" = ok ] || fail "/livez"
kill -INT "$pid"
wait_exit "$pid" 20; rc=$RC
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGINT"
pass "world-writable plugin dir refused, /readyz 503"

# A symlinked plugin directory is refused like a symlinked file.
chmod 755 "$plugins"
ln -s "$plugins" "$TMP/plugins-link"
sed "s|^plugin_dir = .*|plugin_dir = $TMP/plugins-link|" "$TMP/ok.ini" >"$TMP/link.ini"
"$B/cplane" --config "$TMP/link.ini" >"$TMP/link.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for_log "$TMP/link.log" "ready: 0 plugin(s) running"
expect_log "$TMP/link.log" "plugin directory $TMP/plugins-link is a symbolic link: refused"
kill -TERM "$pid"
wait_exit "$pid" 20
[ "$RC" -eq 0 ] || fail "exit status $RC after SIGTERM"
pass "symlinked plugin dir refused"
echo "host_plugins: 6 passed, 0 failed"
