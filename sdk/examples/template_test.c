/*
 * template_test.c - unit tests for template.c on the cplane test kit.
 *
 * Copy it beside your plugin and build both into one test binary, outside
 * the cplane tree, with:
 *   cc -o template_test template_test.c template.c \
 *      $(pkg-config --cflags --libs cplane-testing) -lcmocka
 *   ./template_test
 *
 * Each test makes a fake host, sets the plugin's INI keys, starts the
 * plugin linked in (its cplane_plugin_entry()), feeds it objects and runs
 * its queue, then looks at what it did: here its log lines; for a plugin
 * that writes, cplane_test_writes_count() and cplane_test_write_at().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <cplane/testing.h>

/* The plugin under test, from template.c. */
const struct cplane_plugin *cplane_plugin_entry(void);

static const char web_cm[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
    "\"web\",\"namespace\":\"default\",\"labels\":{\"tier\":\"frontend\","
    "\"app\":\"shop\"}}}";

/* A ConfigMap that changes is reconciled once, and its labels counted
 * with the label key the INI asks for. */
static void test_counts_labels(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  cplane_test_config_set(h, "label", "tier");
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(cplane_test_logs_count(h, "label key 'tier'"), 1);

  assert_int_equal(cplane_test_add(h, "configmaps", web_cm), CPLANE_OK);
  assert_true(cplane_test_queued(h, "default/web"));
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(
      cplane_test_logs_count(h, "default/web: 2 label(s), tier=frontend"), 1);
  /* A resync hands over the same snapshot twice: nothing to do. */
  cplane_test_resync(h);
  assert_int_equal(cplane_test_queue_len(h), 0);
  /* It only reads: no write, and nothing written from a callback. */
  assert_int_equal(cplane_test_writes_len(h), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* Without the key, the default label is "app"; a deleted ConfigMap is
 * reported gone. */
static void test_default_label_and_delete(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  assert_int_equal(cplane_test_add(h, "configmaps", web_cm), CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(
      cplane_test_logs_count(h, "default/web: 2 label(s), app=shop"), 1);
  assert_int_equal(cplane_test_delete(h, "configmaps", "default/web"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(cplane_test_logs_count(h, "default/web is gone"), 1);
  cplane_test_host_free(h);
}

/* init() refuses a label key longer than 63 characters, with a message. */
static void test_refuses_long_label(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char key[80];

  (void)state;
  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 1] = '\0';
  cplane_test_config_set(h, "label", key);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()),
                   CPLANE_EINVAL);
  assert_non_null(strstr(cplane_test_start_error(h),
                         "a label key is at most 63 characters"));
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts_labels),
      cmocka_unit_test(test_default_label_and_delete),
      cmocka_unit_test(test_refuses_long_label),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
