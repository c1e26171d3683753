/*
 * test_kit_garbagecollector - the garbagecollector plugin
 * (plugins/garbagecollector, linked in unchanged) on the test kit's fake
 * host: Background deletes the dependents of an owner that left the
 * store, Orphan strips their references and then the owner's finalizer
 * (which lets the owner go), a failed delete is retried after backoff,
 * and a dependent whose owner never existed goes after the 5 s recheck
 * on the fake clock. A custom resource (a kind found through discovery,
 * listed by "scan"): deleted with the orphan policy, its ConfigMaps are
 * released and its orphan finalizer goes; with foreground, they are
 * deleted first; in the background, they go after it, even when no scan
 * listed it before it went; a custom resource owned by a ConfigMap goes
 * with it.
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

static const char rs_json[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{"
    "\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"rs-uid\"}}";

/* The same ReplicaSet, being deleted with the orphan finalizer. */
static const char rs_orphaning_json[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{"
    "\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"rs-uid\","
    "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\",\"finalizers\":["
    "\"orphan\"]}}";

static int add_pod(cplane_test_host *h, const char *name,
                   const char *owner_uid) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"ownerReferences\":[{"
           "\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":"
           "\"web\",\"uid\":\"%s\",\"controller\":true,"
           "\"blockOwnerDeletion\":true}]}}",
           name, owner_uid);
  return cplane_test_add(h, "pods", json);
}

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  /* Scans on demand only, so that the fake clock's drains stay exact. */
  assert_int_equal(cplane_test_config_set(h, "scan_interval", "1h"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

#define WIDGETS "widgets.example.com"

/* A Widget (example.com/v1, a custom resource); `meta` is added to its
 * metadata ("" for none). */
static int put_widget(cplane_test_host *h, const char *meta, int update) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
           "\"metadata\":{\"name\":\"w\",\"namespace\":\"default\","
           "\"uid\":\"w-uid\"%s}}",
           meta);
  return update ? cplane_test_update(h, WIDGETS, json)
                : cplane_test_add(h, WIDGETS, json);
}

/* A ConfigMap owned by the Widget (block: blockOwnerDeletion). */
static int add_cm(cplane_test_host *h, const char *name, int block) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
           "\"name\":\"%s\",\"namespace\":\"default\",\"ownerReferences\":"
           "[{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
           "\"name\":\"w\",\"uid\":\"w-uid\",\"blockOwnerDeletion\":%s}]}}",
           name, block ? "true" : "false");
  return cplane_test_add(h, "configmaps", json);
}

/* A Widget owning two ConfigMaps, discovered and listed once. */
static cplane_test_host *start_widget(void) {
  cplane_test_host *h = start();

  assert_int_equal(put_widget(h, "", 0), 0);
  assert_int_equal(add_cm(h, "c1", 1), 0);
  assert_int_equal(add_cm(h, "c2", 0), 0);
  assert_true(cplane_test_drain(h) >= 2); /* discover, scan, checks */
  assert_int_equal(cplane_test_logs_count(h, "covering example.com/v1/"
                                             "widgets (Widget)"),
                   1);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 2);
  return h;
}

/* kubectl delete --cascade=orphan: the references go, then the orphan
 * finalizer, and the Widget with it; the ConfigMaps stay. */
static void test_custom_resource_orphan(void **state) {
  cplane_test_host *h = start_widget();
  char buf[64];

  (void)state;
  assert_int_equal(
      put_widget(h,
                 ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
                 "\"finalizers\":[\"orphan\"]",
                 1),
      0);
  assert_int_equal(cplane_test_reconcile(h, "scan", NULL),
                   CPLANE_RECONCILE_REQUEUE_AFTER);
  assert_true(cplane_test_queued(h, "owner/8/default/w"));
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, WIDGETS, NULL, NULL), 0);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 2);
  assert_string_equal(cplane_test_get_string(h, "configmaps", "default/c1",
                                             "metadata.ownerReferences",
                                             buf, sizeof buf),
                      "");
  assert_int_equal(cplane_test_logs_count(h, "Widget default/w: removed "
                                             "finalizer orphan"),
                   1);
  cplane_test_host_free(h);
}

/* --cascade=foreground: the ConfigMaps are deleted, then the finalizer
 * goes. */
static void test_custom_resource_foreground(void **state) {
  cplane_test_host *h = start_widget();

  (void)state;
  assert_int_equal(
      put_widget(h,
                 ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
                 "\"finalizers\":[\"foregroundDeletion\"]",
                 1),
      0);
  cplane_test_reconcile(h, "scan", NULL);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 0);
  cplane_test_reconcile(h, "scan", NULL); /* the ConfigMaps are gone */
  cplane_test_clock_advance_ms(h, 500);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, WIDGETS, NULL, NULL), 0);
  assert_int_equal(cplane_test_logs_count(h, "Widget default/w: removed "
                                             "finalizer "
                                             "foregroundDeletion"),
                   1);
  cplane_test_host_free(h);
}

/* Background: the Widget left the store; the next scan misses it and
 * its ConfigMaps are deleted. */
static void test_custom_resource_background(void **state) {
  cplane_test_host *h = start_widget();

  (void)state;
  assert_int_equal(cplane_test_delete(h, WIDGETS, "default/w"), 0);
  cplane_test_reconcile(h, "scan", NULL);
  assert_true(cplane_test_queued(h, "gone/w-uid"));
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 0);
  cplane_test_host_free(h);
}

/* A Widget created and deleted between two scans: no list ever held it,
 * but a ConfigMap's check read it from the server, so the next scan,
 * not finding it, takes it for gone and its ConfigMaps go. */
static void test_custom_resource_between_scans(void **state) {
  cplane_test_host *h = start_widget(); /* Widgets discovered, listed */

  (void)state;
  assert_int_equal(
      cplane_test_add(h, WIDGETS,
                      "{\"apiVersion\":\"example.com/v1\",\"kind\":"
                      "\"Widget\",\"metadata\":{\"name\":\"v\","
                      "\"namespace\":\"default\",\"uid\":\"v-uid\"}}"),
      0);
  assert_int_equal(
      cplane_test_add(h, "configmaps",
                      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                      "\"metadata\":{\"name\":\"v1\",\"namespace\":"
                      "\"default\",\"ownerReferences\":[{\"apiVersion\":"
                      "\"example.com/v1\",\"kind\":\"Widget\",\"name\":"
                      "\"v\",\"uid\":\"v-uid\"}]}}"),
      0);
  assert_true(cplane_test_drain(h) >= 1); /* check: the Widget exists */
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 3);
  assert_int_equal(cplane_test_delete(h, WIDGETS, "default/v"), 0);
  cplane_test_reconcile(h, "scan", NULL);
  assert_true(cplane_test_queued(h, "gone/v-uid"));
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 2);
  /* Told once: the scan after does not queue it again. */
  cplane_test_reconcile(h, "scan", NULL);
  assert_false(cplane_test_queued(h, "gone/v-uid"));
  cplane_test_host_free(h);
}

/* A custom resource owned by a ConfigMap goes with it. */
static void test_custom_resource_dependent(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(
      cplane_test_add(h, "configmaps",
                      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                      "\"metadata\":{\"name\":\"owner\",\"namespace\":"
                      "\"default\",\"uid\":\"cm-uid\"}}"),
      0);
  assert_int_equal(
      put_widget(h,
                 ",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":"
                 "\"ConfigMap\",\"name\":\"owner\",\"uid\":\"cm-uid\"}]",
                 0),
      0);
  assert_true(cplane_test_drain(h) >= 2);
  assert_int_equal(cplane_test_count(h, WIDGETS, NULL, NULL), 1);
  assert_int_equal(cplane_test_delete(h, "configmaps", "default/owner"), 0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, WIDGETS, NULL, NULL), 0);
  cplane_test_host_free(h);
}

static void test_background_deletes_dependents(void **state) {
  cplane_test_host *h = start();
  const struct cplane_test_write *w;

  (void)state;
  assert_int_equal(cplane_test_add(h, "replicasets.apps", rs_json), 0);
  assert_int_equal(add_pod(h, "a", "rs-uid"), 0);
  assert_int_equal(add_pod(h, "b", "rs-uid"), 0);
  assert_int_equal(cplane_test_drain(h) >= 0, 1); /* owners exist: no-op */
  assert_int_equal(cplane_test_writes_len(h), 0);

  assert_int_equal(cplane_test_delete(h, "replicasets.apps", "default/web"),
                   0);
  assert_true(cplane_test_queued(h, "gone/rs-uid"));
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  w = cplane_test_write_at(h, 0);
  assert_int_equal(w->code, 200);
  assert_non_null(strstr(w->body, "\"propagationPolicy\":\"Background\""));
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_orphan_releases_then_lets_owner_go(void **state) {
  cplane_test_host *h = start();
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *pod = NULL;

  (void)state;
  assert_int_equal(add_pod(h, "a", "rs-uid"), 0);
  assert_int_equal(cplane_test_add(h, "replicasets.apps", rs_orphaning_json),
                   0);
  assert_true(cplane_test_drain(h) >= 1);
  /* The reference went by a JSON patch testing the uid first... */
  assert_int_equal(cplane_test_writes_count(h, "patch", "pods"), 1);
  assert_int_equal(cplane_test_write_at(h, 0)->patch_type, CPLANE_PATCH_JSON);
  assert_non_null(strstr(cplane_test_write_at(h, 0)->body, "\"op\":\"test\""));
  assert_int_equal(cplane_test_get(h, "pods", "default/a", &pod), 0);
  assert_int_equal(api->object_type(pod, "metadata.ownerReferences"),
                   CPLANE_ENOENT);
  api->object_release(pod);
  /* ...then the finalizer, and with it the owner. */
  assert_int_equal(cplane_test_writes_count(h, "patch", "replicasets.apps"),
                   1);
  assert_int_equal(cplane_test_count(h, "replicasets.apps", NULL, NULL), 0);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 1);
  assert_int_equal(cplane_test_logs_count(h, "removed finalizer orphan"), 1);
  cplane_test_host_free(h);
}

static void test_failed_delete_is_retried(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(add_pod(h, "a", "rs-uid"), 0);
  assert_int_equal(cplane_test_add(h, "replicasets.apps", rs_json), 0);
  assert_true(cplane_test_drain(h) >= 1); /* the pod's owner is there */
  assert_int_equal(cplane_test_fail(h, "delete", "pods", 1, 500, NULL), 0);
  assert_int_equal(cplane_test_delete(h, "replicasets.apps", "default/web"),
                   0);
  assert_int_equal(cplane_test_reconcile(h, "gone/rs-uid", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_logs_count(h, "deleting a dependent failed: "
                                             "500 Internal error occurred"),
                   1);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "gone/rs-uid"), 5);
  assert_int_equal(cplane_test_drain(h), 0); /* not due yet */
  cplane_test_clock_advance_ms(h, 5);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 0);
  cplane_test_host_free(h);
}

static void test_dangling_owner_after_recheck(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(add_pod(h, "a", "never-existed"), 0);
  assert_true(cplane_test_drain(h) >= 1);
  /* Missing from every cache: looked for again in 5 s, not before. */
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "confirm/2/default/a"),
                   5000);
  cplane_test_clock_advance_ms(h, 4999);
  assert_int_equal(cplane_test_drain(h), 0);
  cplane_test_clock_advance_ms(h, 1);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 0);
  assert_int_equal(cplane_test_logs_count(h, "owner ReplicaSet never-existed "
                                             "is gone"),
                   1);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_background_deletes_dependents),
      cmocka_unit_test(test_orphan_releases_then_lets_owner_go),
      cmocka_unit_test(test_failed_delete_is_retried),
      cmocka_unit_test(test_dangling_owner_after_recheck),
      cmocka_unit_test(test_custom_resource_orphan),
      cmocka_unit_test(test_custom_resource_foreground),
      cmocka_unit_test(test_custom_resource_background),
      cmocka_unit_test(test_custom_resource_dependent),
      cmocka_unit_test(test_custom_resource_between_scans),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
