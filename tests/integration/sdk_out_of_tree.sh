#!/usr/bin/env bash
# The SDK as a plugin developer gets it: `make install` into a prefix, the
# template built outside the tree with the one documented cc line against
# the installed pkg-config file, and the installed host loading it.
. "$(dirname "$0")/lib/common.sh"

prefix="$TMP/prefix"
make -s -C "$ROOT" install PREFIX="$prefix" $(variant_flag) >"$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log"; fail "make install"; }
for f in bin/cplane include/cplane/cplane.h include/cplane/plugin.h \
         include/cplane/host_api.h include/cplane/version.h \
         lib/pkgconfig/cplane.pc lib/cplane/plugins/template.so \
         share/cplane/examples/template.c etc/cplane/cplane.ini.example \
         include/cplane/testing.h lib/libcplane-testing.a \
         lib/pkgconfig/cplane-testing.pc share/cplane/examples/template_test.c; do
  [ -e "$prefix/$f" ] || fail "make install did not install $f"
done
pass "make install"

# cplane.pc says what version.h and the binary say (it said ABI 1.0 while
# the SDK was 1.1).
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
hdr="$prefix/include/cplane/version.h"
abi="$(sed -n 's/^#define CPLANE_ABI_MAJOR \([0-9]*\).*/\1/p' "$hdr").$(sed -n 's/^#define CPLANE_ABI_MINOR \([0-9]*\).*/\1/p' "$hdr")"
[ "$abi" != . ] || fail "cannot read the ABI from $hdr"
desc=$(pkg-config --print-variables cplane >/dev/null && grep '^Description:' "$prefix/lib/pkgconfig/cplane.pc")
case "$desc" in *"plugin ABI $abi)"*) ;; *) fail "cplane.pc: '$desc', version.h says ABI $abi" ;; esac
ver=$(pkg-config --modversion cplane) || fail "pkg-config --modversion cplane"
"$prefix/bin/cplane" --version | grep -F "cplane $ver (plugin ABI $abi)" >/dev/null ||
  fail "pkg-config says $ver, cplane --version says: $("$prefix/bin/cplane" --version)"
pass "cplane.pc: Version $ver and ABI $abi, as the binary and version.h"

# Outside the tree, as a plugin developer would.
work="$TMP/dev"
mkdir "$work"
cp "$prefix/share/cplane/examples/template.c" "$work/x.c"
sed -i 's/\.name = "template"/.name = "mine"/' "$work/x.c"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
( cd "$work" && cc -shared -fPIC $(pkg-config --cflags cplane) -o x.so x.c ) ||
  fail "the one-line build failed"
# The same with the strict flags: no undefined host symbol, no warning.
( cd "$work" && cc -shared -fPIC -Wall -Wextra -Werror -Wl,-z,defs \
    $(pkg-config --cflags cplane) -o x-strict.so x.c ) ||
  fail "the plugin does not link with -z defs"
nm -D --defined-only "$work/x.so" | grep " T cplane_plugin_entry$" >/dev/null ||
  fail "cplane_plugin_entry not exported"
pass "template builds out of tree with one cc line"

# The template's unit tests, built out of tree against the installed test
# kit with the line template_test.c documents, and run.
cp "$prefix/share/cplane/examples/template.c" \
   "$prefix/share/cplane/examples/template_test.c" "$work/"
( cd "$work" && cc -Wall -Wextra -Werror -o template_test template_test.c \
    template.c $(pkg-config --cflags --libs cplane-testing) -lcmocka ) ||
  fail "the template's tests do not build against the installed kit"
"$work/template_test" >"$TMP/kit.log" 2>&1 ||
  { cat "$TMP/kit.log"; fail "the template's tests failed out of tree"; }
grep "PASSED.*3 test" "$TMP/kit.log" >/dev/null ||
  { cat "$TMP/kit.log"; fail "the template's tests did not all run"; }
pass "the template's unit tests build and pass against the installed kit"

plugins="$TMP/plugins"
mkdir -m 755 "$plugins"
install -m 0755 "$work/x.so" "$plugins/mine.so"
printf '[host]\nplugin_dir = %s\ndata_dir = %s/data\n[apiserver]\nport = 0\n[plugin.mine]\nenabled = true\nlabel = tier\n' \
  "$plugins" "$TMP" >"$TMP/dev.ini"
"$prefix/bin/cplane" --config "$TMP/dev.ini" >"$TMP/log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for_log "$TMP/log" "ready: 1 plugin(s) running, 0 refused"
expect_log "$TMP/log" "plugin mine: watching configmaps, label key 'tier'"
kill -TERM "$pid"
wait_exit "$pid" 20; rc=$RC
[ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit $rc"; }
pass "the installed host loads the out-of-tree plugin"
echo "sdk_out_of_tree: 4 passed, 0 failed"
