/*
 * configmap_hash_test.c - unit tests for configmap_hash.c on the test kit.
 *
 * Build and run outside the cplane tree (docs/plugin-testing.md):
 *   cc -o configmap_hash_test configmap_hash_test.c configmap_hash.c \
 *      $(pkg-config --cflags --libs cplane-testing) -lcmocka
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <string.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define HASH_PATH                                                              \
  "spec.template.metadata.annotations.example\\.cplane\\.io/config-hash"

static const char web_deploy[] =
    "{'metadata':{'name':'web','namespace':'default','annotations':"
    "{'example.cplane.io/configmap':'web-config'}},'spec':{'template':"
    "{'metadata':{'labels':{'app':'web'}},'spec':{'containers':"
    "[{'name':'app','image':'nginx'}]}}}}";

/* Adds an object from JSON with ' for " (json_format()'s template). */
static void add(cplane_test_host *h, const char *res, const char *tmpl) {
  const struct cplane_host_api *api = cplane_test_api(h);
  char *text = api->json_format(tmpl);

  assert_non_null(text);
  assert_int_equal(cplane_test_add(h, res, text), CPLANE_OK);
  api->free(text);
}

/* Adds, or with `update` replaces, the ConfigMap ns/web-config. */
static void put_config(cplane_test_host *h, const char *ns, const char *value,
                       int update) {
  const struct cplane_host_api *api = cplane_test_api(h);
  char *text = api->json_format("{'metadata':{'name':'web-config',"
                                "'namespace':%s},'data':{'key':%s,'n':'1'}}",
                                ns, value);

  assert_non_null(text);
  assert_int_equal(update ? cplane_test_update(h, "configmaps", text)
                          : cplane_test_add(h, "configmaps", text),
                   CPLANE_OK);
  api->free(text);
}

static const char *template_hash(cplane_test_host *h, const char *key,
                                 char *buf, size_t len) {
  return cplane_test_get_string(h, "deployments.apps", key, HASH_PATH, buf,
                                len);
}

/* The hash is FNV-1a of the data's compact JSON, SafeEncoded: stable
 * across runs and hosts, so the pod template changes only with the data. */
static void test_annotates_then_rolls_on_edit(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char want[16], got[64], first[64];

  (void)state;
  put_config(h, "default", "value", 0);
  add(h, "deployments.apps", web_deploy);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_true(cplane_test_drain(h) >= 1);
  cplane_hash_safe_encode32(
      cplane_fnv1a32_str("{\"key\":\"value\",\"n\":\"1\"}"), want, sizeof want);
  assert_string_equal(template_hash(h, "default/web", got, sizeof got), want);
  assert_int_equal(cplane_test_writes_count(h, "patch", "deployments.apps"), 1);
  assert_int_equal(cplane_test_events_count(h, "ConfigHashChanged"), 1);
  assert_string_equal(cplane_test_event_at(h, 0)->name, "web");

  /* Our own patch came back as an update (drain delivers it) and found
   * the hash there: one write. A resync queues nothing. */
  cplane_test_resync(h);
  assert_int_equal(cplane_test_queue_len(h), 0);

  /* Editing the ConfigMap queues the Deployment through the index. */
  strcpy(first, got);
  put_config(h, "default", "changed", 1);
  assert_true(cplane_test_queued(h, "default/web"));
  cplane_test_drain(h);
  template_hash(h, "default/web", got, sizeof got);
  assert_string_not_equal(got, first);
  assert_int_equal(cplane_test_events_count(h, "ConfigHashChanged"), 2);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* Only the Deployments naming a ConfigMap, in its namespace, are queued
 * for it; one without the annotation is never written. */
static void test_maps_only_referencing_deployments(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  add(h, "deployments.apps",
      "{'metadata':{'name':'plain','namespace':'default'},'spec':{}}");
  add(h, "deployments.apps",
      "{'metadata':{'name':'web','namespace':'other','annotations':"
      "{'example.cplane.io/configmap':'web-config'}},'spec':{}}");
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  /* No ConfigMap yet: nothing to write, and no retry loop. */
  assert_int_equal(cplane_test_writes_len(h), 0);
  assert_int_equal(cplane_test_queue_len(h), 0);

  put_config(h, "default", "value", 0);
  assert_int_equal(cplane_test_queue_len(h), 0);
  put_config(h, "other", "value", 0);
  assert_true(cplane_test_queued(h, "other/web"));
  assert_int_equal(cplane_test_queue_len(h), 1);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "patch", "deployments.apps"), 1);
  assert_string_equal(cplane_test_write_at(h, 0)->ns, "other");
  cplane_test_host_free(h);
}

/* A failed patch is logged with the server's answer and retried with
 * backoff; no event claims a change that did not happen. */
static void test_failed_patch_retries(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char got[64];

  (void)state;
  put_config(h, "default", "value", 0);
  add(h, "deployments.apps", web_deploy);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(
      cplane_test_fail(h, "patch", "deployments.apps", 1, 500, "etcd is down"),
      CPLANE_OK);
  assert_int_equal(cplane_test_reconcile(h, "default/web", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_logs_count(h, "default/web: 500 etcd is down"),
                   1);
  assert_int_equal(cplane_test_events_count(h, NULL), 0);
  assert_true(cplane_test_queued(h, "default/web"));
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_string_not_equal(template_hash(h, "default/web", got, sizeof got), "");
  assert_int_equal(cplane_test_events_count(h, "ConfigHashChanged"), 1);
  cplane_test_host_free(h);
}

/* A ConfigMap without data has a hash too (the empty FNV-1a), and adding
 * data changes it. */
static void test_configmap_without_data(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char want[16], got[64];

  (void)state;
  add(h, "configmaps",
      "{'metadata':{'name':'web-config','namespace':'default'}}");
  add(h, "deployments.apps", web_deploy);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  cplane_hash_safe_encode32(CPLANE_FNV32_OFFSET, want, sizeof want);
  assert_string_equal(template_hash(h, "default/web", got, sizeof got), want);
  put_config(h, "default", "value", 1);
  cplane_test_drain(h);
  assert_string_not_equal(template_hash(h, "default/web", got, sizeof got),
                          want);
  assert_int_equal(cplane_test_writes_count(h, "patch", "deployments.apps"), 2);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_annotates_then_rolls_on_edit),
      cmocka_unit_test(test_maps_only_referencing_deployments),
      cmocka_unit_test(test_failed_patch_retries),
      cmocka_unit_test(test_configmap_without_data),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
