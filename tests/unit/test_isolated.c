/*
 * test_isolated - what `isolation = process` means for a configuration:
 * which plugins the supervisor runs (enabled and isolated only), that a
 * reload with the same section changes nothing while a changed key or a
 * disabled plugin does, and the child's one-plugin view (--only-plugin):
 * only that section stays enabled, in-process; a missing or disabled one
 * is an error naming the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "plugin/isolated.h"
#include "plugin/supervisor.h"

static struct cp_config *parse(const char *text) {
  struct cp_config *cfg = NULL;
  char *err = NULL;

  if (cp_config_parse("t.ini", text, strlen(text), &cfg, &err) != 0)
    fail_msg("%s", err);
  return cfg;
}

static const char base[] =
    "[plugin.a]\nenabled = true\nisolation = process\n"
    "[plugin.b]\nenabled = true\n"
    "[plugin.c]\nenabled = false\nisolation = process\n";

static void test_apply_follows_the_config(void **state) {
  struct cp_isolated_launch l = {"/bin/true", "t.ini", "/nonexistent",
                                 NULL, NULL, NULL};
  struct cp_config *cfg = parse(base), *same = parse(base), *changed,
                   *none;
  struct cp_supervisor *s = cp_supervisor_new(NULL);

  (void)state;
  assert_non_null(s);
  assert_int_equal(cp_isolated_count(cfg), 1);
  /* Only a: b runs in the host, c is disabled. */
  assert_int_equal(cp_isolated_apply(s, cfg, &l), 1);
  assert_int_equal(cp_supervisor_count(s), 1);
  /* The same section again: nothing to restart. */
  assert_int_equal(cp_isolated_apply(s, same, &l), 0);
  /* A changed key: a restart. */
  changed = parse("[plugin.a]\nenabled = true\nisolation = process\n"
                  "greeting = hi\n");
  assert_int_equal(cp_isolated_apply(s, changed, &l), 1);
  assert_int_equal(cp_supervisor_count(s), 1);
  /* Back in-process: no longer supervised. */
  none = parse("[plugin.a]\nenabled = true\nisolation = in-process\n");
  assert_int_equal(cp_isolated_count(none), 0);
  assert_int_equal(cp_isolated_apply(s, none, &l), 1);
  assert_int_equal(cp_supervisor_count(s), 0);
  cp_supervisor_free(s);
  cp_config_free(cfg);
  cp_config_free(same);
  cp_config_free(changed);
  cp_config_free(none);
}

static void test_only_keeps_one_plugin_in_process(void **state) {
  struct cp_config *cfg = parse(base);
  char *err = NULL;

  (void)state;
  assert_int_equal(cp_isolated_only(cfg, "a", &err), 0);
  assert_null(err);
  assert_true(cp_config_plugin(cfg, "a")->enabled);
  assert_int_equal(cp_config_plugin(cfg, "a")->isolation,
                   CP_ISOLATION_IN_PROCESS);
  assert_false(cp_config_plugin(cfg, "b")->enabled);
  assert_false(cp_config_plugin(cfg, "c")->enabled);
  assert_int_equal(cp_isolated_count(cfg), 0);
  cp_config_free(cfg);

  cfg = parse(base);
  assert_int_equal(cp_isolated_only(cfg, "c", &err), -1);
  assert_non_null(err);
  assert_string_equal(err, "t.ini: --only-plugin c: no enabled [plugin.c]");
  free(err);
  assert_int_equal(cp_isolated_only(cfg, "zz", &err), -1);
  free(err);
  cp_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_apply_follows_the_config),
      cmocka_unit_test(test_only_keeps_one_plugin_in_process),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
