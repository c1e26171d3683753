/*
 * test_config_keys - misspelt keys in a [plugin.NAME] section are reported
 * with file and line (they used to pass --check-config in silence): each
 * key keeps its line, host keys and declared keys pass, a plugin that
 * declares nothing (config_keys NULL) is not checked.
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
#include "plugin/config_keys.h"

static const char ini[] = "[host]\n"
                          "workers = 2\n"
                          "[plugin.template]\n"
                          "enabled = true\n"
                          "; a comment\n"
                          "lable = app\n"
                          "workers = 3\n"
                          "resync = 10m\n"
                          "reconcile_deadline = 30s\n"
                          "file = t.so\n"
                          "label = tier\n"
                          "selector = x\n";

struct lines {
  char text[4][256];
  int n;
};

static void collect(void *ud, const char *msg) {
  struct lines *l = ud;

  assert_true(l->n < 4);
  snprintf(l->text[l->n++], sizeof l->text[0], "%s", msg);
}

static struct cp_config *parse(void) {
  struct cp_config *cfg = NULL;
  char *err = NULL;

  if (cp_config_parse("c.ini", ini, strlen(ini), &cfg, &err) != 0)
    fail_msg("%s", err);
  return cfg;
}

static void test_keys_keep_their_line(void **state) {
  struct cp_config *cfg = parse();
  const struct cp_plugin_config *pc = cp_config_plugin(cfg, "template");

  (void)state;
  assert_non_null(pc);
  assert_int_equal(pc->n_keys, 8);
  assert_string_equal(pc->keys[0].key, "enabled");
  assert_int_equal(pc->keys[0].line, 4);
  assert_string_equal(pc->keys[1].key, "lable");
  assert_int_equal(pc->keys[1].line, 6);
  assert_int_equal(pc->keys[7].line, 12);
  cp_config_free(cfg);
}

static void test_unknown_keys_are_reported(void **state) {
  static const char *const declared[] = {"label", "selector", NULL};
  struct cp_config *cfg = parse();
  struct lines l = {0};

  (void)state;
  assert_int_equal(cp_config_keys_check(declared,
                                        cp_config_plugin(cfg, "template"),
                                        cfg->path, collect, &l),
                   1);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.text[0], "c.ini:6: [plugin.template] unknown key "
                                 "'lable' (the plugin reads: label, "
                                 "selector)");
  cp_config_free(cfg);
}

static void test_no_declared_key(void **state) {
  static const char *const none[] = {NULL};
  struct cp_config *cfg = parse();
  struct lines l = {0};

  (void)state;
  assert_int_equal(cp_config_keys_check(none,
                                        cp_config_plugin(cfg, "template"),
                                        cfg->path, collect, &l),
                   3);
  assert_string_equal(l.text[2], "c.ini:12: [plugin.template] unknown key "
                                 "'selector' (the plugin reads: no key of "
                                 "its own)");
  /* NULL: the plugin has not said what it reads; nothing is checked. */
  l.n = 0;
  assert_int_equal(cp_config_keys_check(NULL,
                                        cp_config_plugin(cfg, "template"),
                                        cfg->path, collect, &l),
                   0);
  assert_int_equal(l.n, 0);
  cp_config_free(cfg);
}

static void test_host_keys(void **state) {
  (void)state;
  assert_true(cp_config_is_host_plugin_key("enabled"));
  assert_true(cp_config_is_host_plugin_key("file"));
  assert_true(cp_config_is_host_plugin_key("workers"));
  assert_true(cp_config_is_host_plugin_key("resync"));
  assert_true(cp_config_is_host_plugin_key("reconcile_deadline"));
  assert_false(cp_config_is_host_plugin_key("label"));
  assert_false(cp_config_is_host_plugin_key(""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys_keep_their_line),
      cmocka_unit_test(test_unknown_keys_are_reported),
      cmocka_unit_test(test_no_declared_key),
      cmocka_unit_test(test_host_keys),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
