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
         include/cplane/strbuf.h include/cplane/smap.h include/cplane/hash.h \
         include/cplane/time.h include/cplane/quantity.h \
         include/cplane/objects.h include/cplane/owners.h \
         include/cplane/finalizers.h include/cplane/conditions.h \
         lib/pkgconfig/cplane.pc lib/cplane/plugins/template.so \
         share/cplane/examples/template.c etc/cplane/cplane.ini.example \
         include/cplane/testing.h lib/libcplane-testing.a \
         lib/pkgconfig/cplane-testing.pc share/cplane/examples/template_test.c \
         share/cplane/examples/configmap_hash.c \
         share/cplane/examples/configmap_hash_test.c \
         share/cplane/examples/done_after_delay.c \
         share/cplane/examples/done_after_delay_test.c \
         share/cplane/examples/task-crd.yaml \
         share/doc/cplane/plugin-guide.md share/doc/cplane/plugin-testing.md; do
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

# The example controllers, as docs/plugin-guide.md builds them: each plugin
# with the strict flags, each test against the installed kit, and run.
for ex in configmap_hash done_after_delay; do
  cp "$prefix/share/cplane/examples/$ex.c" \
     "$prefix/share/cplane/examples/${ex}_test.c" "$work/"
  [ "$(wc -l <"$work/$ex.c")" -le 120 ] || fail "$ex.c is over 120 lines"
  ( cd "$work" && cc -shared -fPIC -Wall -Wextra -Werror -Wl,-z,defs \
      $(pkg-config --cflags cplane) -o "$ex.so" "$ex.c" ) ||
    fail "the $ex example does not build with the guide's line"
  ( cd "$work" && cc -Wall -Wextra -Werror -o "${ex}_test" "${ex}_test.c" \
      "$ex.c" $(pkg-config --cflags --libs cplane-testing) -lcmocka ) ||
    fail "the $ex example's tests do not build against the installed kit"
  "$work/${ex}_test" >"$TMP/$ex.log" 2>&1 ||
    { cat "$TMP/$ex.log"; fail "the $ex example's tests failed out of tree"; }
  grep "PASSED" "$TMP/$ex.log" >/dev/null || { cat "$TMP/$ex.log"; fail "$ex: no PASSED"; }
done
grep -F "pkg-config --cflags cplane" "$prefix/share/doc/cplane/plugin-guide.md" >/dev/null ||
  fail "the installed guide has no build line"
pass "the example controllers and their tests build and pass out of tree"

# Every header-only helper, used (so each is compiled, not just declared),
# builds as strict C11 and C++ against the installed headers alone.
cat >"$work/helpers.c" <<'EOF'
#include <cplane/cplane.h>
int use_helpers(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                const cplane_object *o);
int use_helpers(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                const cplane_object *o) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct cplane_smap m;
  struct cplane_sset s;
  struct cplane_condition c = {"Ready", "True", "Fine", "ok", 0};
  char t[CPLANE_TIME_LEN], q[CPLANE_QUANTITY_LEN], h[16], k[64];
  char *json = NULL, *patch = NULL, *ref;
  int64_t v = 0, ns = 0;
  uint32_t fh = 0;
  int changed = 0, n = 0;

  cplane_strbuf_addf(&b, "%d", 1);
  cplane_strbuf_take(&b, api, api->json_format("%s", "x"));
  free(cplane_strbuf_finish(&b));
  if (cplane_smap_init(&m) == 0) {
    cplane_smap_put(&m, "k", &n, NULL);
    n += cplane_smap_get(&m, "k") != NULL;
    cplane_smap_free(&m);
  }
  if (cplane_sset_init(&s) == 0) {
    n += cplane_sset_add(&s, "k");
    cplane_sset_free(&s);
  }
  cplane_time_format(api->now_ms(ctx), t, sizeof t);
  n += cplane_time_parse(t, &v) == CPLANE_OK;
  n += cplane_duration_parse("1h2m3.5s", 0, &ns) == CPLANE_OK;
  cplane_duration_format(ns, t, sizeof t);
  n += cplane_quantity_parse_milli("1.5Gi", &v, NULL) == CPLANE_OK;
  cplane_quantity_format(v, CPLANE_QUANTITY_BINARY_SI, q, sizeof q);
  n += cplane_hash_field32(api, o, "spec", &fh) == CPLANE_OK;
  cplane_hash_safe_encode32(fh, h, sizeof h);
  n += cplane_array_find(api, o, "spec.containers", "name", "app");
  n += cplane_controller_key(api, o, "ReplicaSet", k, sizeof k);
  n += cplane_is_controlled_by(api, o, "uid");
  ref = cplane_controller_ref_json(api, o, "apps/v1", "ReplicaSet");
  api->free(ref);
  n += cplane_finalizer_has(api, o, "x");
  if (cplane_finalizer_add_patch(api, o, "x", &patch) == CPLANE_OK)
    api->free(patch);
  {
    struct cplane_cron cr;
    char why[64];

    if (cplane_cron_parse("*/5 9-17 * JAN mon-fri", &cr, why, sizeof why) == 0)
      n += cplane_cron_next(&cr, api->now_ms(ctx), NULL, NULL) > 0;
  }
  if (cplane_conditions_set(api, ctx, o, "status.conditions", &c, 1, &json,
                            &changed) == CPLANE_OK)
    api->free(json);
  return n + changed;
}
EOF
( cd "$work" && cc -std=c11 -shared -fPIC -Wall -Wextra -Werror -Wshadow \
    -Wstrict-prototypes -Wmissing-prototypes -Wl,-z,defs \
    $(pkg-config --cflags cplane) -o helpers.so helpers.c ) ||
  fail "the SDK helpers do not build as strict C11"
( cd "$work" && c++ -std=c++11 -fsyntax-only -Wall -Wextra -Werror \
    $(pkg-config --cflags cplane) -x c++ helpers.c ) ||
  fail "the SDK helpers do not build as C++"
pass "every SDK helper builds out of tree, C11 and C++"

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
echo "sdk_out_of_tree: 7 passed, 0 failed"
