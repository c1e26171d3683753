/*
 * test_kit_namespace - the namespace plugin (plugins/namespace, linked in
 * unchanged) on the test kit's fake host, through request(): discovery,
 * deletecollection and fresh lists of every namespaced resource, the
 * conditions it writes, and /finalize, which lets the namespace go. A
 * finalizer left on the content holds it (polled every second on the fake
 * clock); a failed deletecollection is retried after backoff.
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

static const char terminating_ns[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
    "\"shop\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{"
    "\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":"
    "\"Terminating\"}}";

static int add_cm(cplane_test_host *h, const char *ns, const char *name,
                  const char *finalizer) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
           "\"name\":\"%s\",\"namespace\":\"%s\"%s%s%s}}",
           name, ns, finalizer ? ",\"finalizers\":[\"" : "",
           finalizer ? finalizer : "", finalizer ? "\"]" : "");
  return cplane_test_add(h, "configmaps", json);
}

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

/* The status of condition `type` of the stored namespace, into buf. */
static const char *condition(cplane_test_host *h, const char *type,
                             char *buf, size_t len) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *ns = NULL;
  char path[96];
  int i, n;

  buf[0] = '\0';
  if (cplane_test_get(h, "namespaces", "shop", &ns) != CPLANE_OK)
    return buf;
  n = api->object_len(ns, "status.conditions");
  for (i = 0; i < n; i++) {
    const char *t, *s;

    snprintf(path, sizeof path, "status.conditions[%d].type", i);
    t = api->object_string(ns, path);
    snprintf(path, sizeof path, "status.conditions[%d].status", i);
    s = api->object_string(ns, path);
    if (t != NULL && s != NULL && strcmp(t, type) == 0)
      snprintf(buf, len, "%s", s);
  }
  api->object_release(ns);
  return buf;
}

static void test_empties_and_finalizes(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(add_cm(h, "shop", "a", NULL), 0);
  assert_int_equal(add_cm(h, "shop", "b", NULL), 0);
  assert_int_equal(add_cm(h, "other", "c", NULL), 0);
  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                                   "\"metadata\":{\"name\":\"p\","
                                   "\"namespace\":\"shop\"}}"),
                   0);
  assert_int_equal(cplane_test_add(h, "namespaces", terminating_ns), 0);
  assert_true(cplane_test_queued(h, "shop"));
  assert_true(cplane_test_drain(h) >= 1);

  assert_int_equal(cplane_test_count(h, "configmaps", "shop", NULL), 0);
  assert_int_equal(cplane_test_count(h, "pods", "shop", NULL), 0);
  assert_int_equal(cplane_test_count(h, "configmaps", "other", NULL), 1);
  assert_int_equal(cplane_test_writes_count(h, "deletecollection",
                                            "configmaps"),
                   1);
  assert_int_equal(cplane_test_writes_count(h, "deletecollection", "pods"), 1);
  assert_int_equal(cplane_test_writes_count(h, "update",
                                            "namespaces/finalize"),
                   1);
  assert_int_equal(cplane_test_logs_count(h, "namespace shop: emptied and "
                                             "finalized"),
                   1);
  /* /finalize emptied spec.finalizers: the namespace is gone. */
  assert_int_equal(cplane_test_count(h, "namespaces", NULL, NULL), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_finalizer_on_content_holds_it(void **state) {
  cplane_test_host *h = start();
  char buf[32];

  (void)state;
  assert_int_equal(add_cm(h, "shop", "held", "example.com/hold"), 0);
  assert_int_equal(cplane_test_add(h, "namespaces", terminating_ns), 0);
  assert_int_equal(cplane_test_reconcile(h, "shop", NULL),
                   CPLANE_RECONCILE_REQUEUE_AFTER);
  assert_int_equal(cplane_test_queued_delay_ms(h, "shop"), 1000);
  /* Being deleted, held by its finalizer, and said so. */
  assert_int_equal(cplane_test_count(h, "configmaps", "shop", NULL), 1);
  assert_string_equal(condition(h, "NamespaceFinalizersRemaining", buf,
                                sizeof buf),
                      "True");
  assert_string_equal(condition(h, "NamespaceContentRemaining", buf,
                                sizeof buf),
                      "True");
  assert_int_equal(cplane_test_count(h, "namespaces", NULL, NULL), 1);

  /* Its owner lets it go; the next poll finalizes the namespace. */
  assert_int_equal(cplane_test_delete(h, "configmaps", "shop/held"), 0);
  cplane_test_clock_advance_ms(h, 1000);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "namespaces", NULL, NULL), 0);
  cplane_test_host_free(h);
}

static void test_failed_deletecollection_is_retried(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(add_cm(h, "shop", "a", NULL), 0);
  assert_int_equal(cplane_test_fail(h, "deletecollection", "configmaps", 1,
                                    500, NULL),
                   0);
  assert_int_equal(cplane_test_add(h, "namespaces", terminating_ns), 0);
  assert_int_equal(cplane_test_reconcile(h, "shop", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_logs_count(h, "deleting configmaps.: HTTP "
                                             "500"),
                   1);
  assert_int_equal(cplane_test_count(h, "namespaces", NULL, NULL), 1);
  cplane_test_clock_advance_ms(h, 5);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 0);
  assert_int_equal(cplane_test_count(h, "namespaces", NULL, NULL), 0);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empties_and_finalizes),
      cmocka_unit_test(test_finalizer_on_content_holds_it),
      cmocka_unit_test(test_failed_deletecollection_is_retried),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
