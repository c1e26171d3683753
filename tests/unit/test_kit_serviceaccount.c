/*
 * test_kit_serviceaccount - the serviceaccount plugin (plugins/
 * serviceaccount, linked in unchanged) on the test kit's fake host: every
 * active namespace gets a "default" ServiceAccount, one already there is
 * left alone, a deleted one comes back, a terminating namespace gets
 * none, and a failed create is retried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define SA "serviceaccounts"

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static void add_ns(cplane_test_host *h, const char *name, const char *phase) {
  char json[256];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{"
           "\"name\":\"%s\"},\"status\":{\"phase\":\"%s\"}}",
           name, phase);
  assert_int_equal(cplane_test_add(h, "namespaces", json), 0);
}

static void test_created_and_recreated(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_ns(h, "default", "Active");
  add_ns(h, "shop", "Active");
  assert_true(cplane_test_drain(h) >= 2);
  assert_int_equal(cplane_test_count(h, SA, NULL, NULL), 2);
  assert_int_equal(cplane_test_count(h, SA, "shop", NULL), 1);
  assert_int_equal(cplane_test_logs_count(h, "namespace shop: created "
                                             "ServiceAccount default"),
                   1);
  /* Seen again (a resync): nothing more. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", SA), 0);
  /* Deleted: back. */
  assert_int_equal(cplane_test_delete(h, SA, "shop/default"), 0);
  assert_true(cplane_test_queued(h, "shop"));
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, SA, "shop", NULL), 1);
  /* Another ServiceAccount deleted: no work. */
  assert_int_equal(
      cplane_test_add(h, SA,
                      "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
                      "\"metadata\":{\"name\":\"builder\",\"namespace\":"
                      "\"shop\"}}"),
      0);
  assert_int_equal(cplane_test_delete(h, SA, "shop/builder"), 0);
  assert_false(cplane_test_queued(h, "shop"));
  cplane_test_host_free(h);
}

static void test_existing_and_terminating(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(
      cplane_test_add(h, SA,
                      "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
                      "\"metadata\":{\"name\":\"default\",\"namespace\":"
                      "\"has\"},\"automountServiceAccountToken\":false}"),
      0);
  add_ns(h, "has", "Active");
  add_ns(h, "going", "Terminating");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", SA), 0);
  assert_int_equal(cplane_test_count(h, SA, "going", NULL), 0);
  cplane_test_host_free(h);
}

static void test_failed_create_retried(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_fail(h, "create", SA, 1, 500, NULL), 0);
  add_ns(h, "shop", "Active");
  assert_int_equal(cplane_test_reconcile(h, "shop", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_count(h, SA, NULL, NULL), 0);
  cplane_test_clock_advance_ms(h, 5);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, SA, "shop", NULL), 1);
  /* A 409 (the cache lagged behind another creator) is no failure. */
  assert_int_equal(cplane_test_fail(h, "create", SA, 1, 409, NULL), 0);
  add_ns(h, "other", "Active");
  assert_int_equal(cplane_test_reconcile(h, "other", NULL),
                   CPLANE_RECONCILE_DONE);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_created_and_recreated),
      cmocka_unit_test(test_existing_and_terminating),
      cmocka_unit_test(test_failed_create_retried),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
