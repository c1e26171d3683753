/*
 * test_kit_replicaset - the replicaset plugin (plugins/replicaset, linked
 * in unchanged) on the test kit's fake host: it creates the missing pods
 * with the right controller reference, deletes the least valuable extra
 * ones, adopts a matching orphan, writes status, and recovers from a
 * failed create and a conflicting status write.
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

#define RS_JSON(replicas)                                                  \
  "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{"     \
  "\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"rs-uid\","         \
  "\"generation\":1},\"spec\":{\"replicas\":" #replicas ",\"selector\":{"  \
  "\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{"        \
  "\"labels\":{\"app\":\"web\"},\"annotations\":{\"a\":\"1\"}},"          \
  "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}"

/* A pod of the ReplicaSet (owned: 1) or an orphan, on node ("": none) in
 * phase ("": none). */
static int add_pod(cplane_test_host *h, const char *name, int owned,
                   const char *node, const char *phase, int ready) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}%s},"
           "\"spec\":{\"nodeName\":\"%s\"},\"status\":{\"phase\":\"%s\","
           "\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
           name, owned ? ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
                         "\"kind\":\"ReplicaSet\",\"name\":\"web\",\"uid\":"
                         "\"rs-uid\",\"controller\":true}]"
                       : "",
           node, phase, ready ? "True" : "False");
  return cplane_test_add(h, "pods", json);
}

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static int64_t rs_status_replicas(cplane_test_host *h) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *rs = NULL;
  int64_t n = -1;

  if (cplane_test_get(h, "replicasets.apps", "default/web", &rs) != 0)
    return -1;
  api->object_int(rs, "status.replicas", &n);
  api->object_release(rs);
  return n;
}

/* Three wanted, one there: two pods made from the template, each
 * controlled by the ReplicaSet; status follows once the cache sees them. */
static void test_creates_missing_pods(void **state) {
  cplane_test_host *h = start();
  const struct cplane_host_api *api = cplane_test_api(h);
  size_t i, created = 0;

  (void)state;
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(3)), 0);
  assert_int_equal(add_pod(h, "web-old", 1, "n1", "Running", 1), 0);
  assert_true(cplane_test_queued(h, "default/web"));
  assert_true(cplane_test_drain(h) >= 2);

  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 2);
  assert_int_equal(cplane_test_count(h, "pods", "default", "app=web"), 3);
  for (i = 0; i < cplane_test_writes_len(h); i++) {
    const struct cplane_test_write *w = cplane_test_write_at(h, i);
    const cplane_object *pod = NULL;

    if (strcmp(w->verb, "create") != 0)
      continue;
    created++;
    assert_int_equal(w->code, 201);
    assert_string_equal(w->ns, "default");
    assert_int_equal(w->from_dispatch, 0);
    assert_int_equal(api->object_parse(w->body, strlen(w->body), &pod, NULL),
                     0);
    assert_string_equal(api->object_string(pod, "metadata.generateName"),
                        "web-");
    assert_string_equal(api->object_label(pod, "app"), "web");
    /* The template's annotations too, as kube's GetPodFromTemplate. */
    assert_string_equal(api->object_annotation(pod, "a"), "1");
    assert_string_equal(api->object_controller_uid(pod), "rs-uid");
    assert_string_equal(
        api->object_string(pod, "metadata.ownerReferences[0].kind"),
        "ReplicaSet");
    assert_string_equal(
        api->object_string(pod, "metadata.ownerReferences[0].name"), "web");
    assert_string_equal(
        api->object_string(pod, "metadata.ownerReferences[0].apiVersion"),
        "apps/v1");
    assert_string_equal(api->object_string(pod, "spec.containers[0].image"),
                        "nginx");
    api->object_release(pod);
  }
  assert_int_equal(created, 2);
  assert_int_equal(rs_status_replicas(h), 3);
  assert_int_equal(cplane_test_logs_count(h, "default/web: created 1 pod(s)"),
                   0);
  assert_int_equal(cplane_test_logs_count(h, "default/web: created 2 pod(s)"),
                   1);
  /* Settled: nothing more to do, nothing written from a callback. */
  assert_int_equal(cplane_test_queue_len(h), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* From zero to ten in slow-start batches of 1, 2, 4 and 3, the larger
 * ones made on the plugin's own threads at once: the kit's store is
 * shared by them (this test is the one TSan watches). */
static void test_scales_up_in_parallel_batches(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(10)), 0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 10);
  assert_int_equal(cplane_test_count(h, "pods", "default", "app=web"), 10);
  assert_int_equal(rs_status_replicas(h), 10);
  cplane_test_host_free(h);
}

/* One wanted, three there: the unscheduled and the pending pods go, the
 * running and ready one stays. */
static void test_deletes_least_valuable(void **state) {
  cplane_test_host *h = start();
  const cplane_object *o = NULL;

  (void)state;
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(1)), 0);
  assert_int_equal(add_pod(h, "unscheduled", 1, "", "Pending", 0), 0);
  assert_int_equal(add_pod(h, "ready", 1, "n1", "Running", 1), 0);
  assert_int_equal(add_pod(h, "pending", 1, "n2", "Pending", 0), 0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 1);
  assert_int_equal(cplane_test_get(h, "pods", "default/ready", &o), 0);
  cplane_test_api(h)->object_release(o);
  assert_int_equal(rs_status_replicas(h), 1);
  cplane_test_host_free(h);
}

/* A matching orphan is adopted (strategic merge patch guarded by its
 * resourceVersion) and counts toward the replicas. */
static void test_adopts_orphan(void **state) {
  cplane_test_host *h = start();
  char buf[64];

  (void)state;
  assert_int_equal(add_pod(h, "stray", 0, "n1", "Running", 1), 0);
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(1)), 0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_writes_count(h, "patch", "pods"), 1);
  assert_int_equal(cplane_test_write_at(h, 0)->patch_type,
                   CPLANE_PATCH_STRATEGIC);
  assert_string_equal(
      cplane_test_get_string(h, "pods", "default/stray",
                             "metadata.ownerReferences[0].uid", buf,
                             sizeof buf),
      "rs-uid");
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 0);
  assert_int_equal(cplane_test_logs_count(h, "adopted pod stray"), 1);
  cplane_test_host_free(h);
}

/* A failed create ends the round with a retry after backoff; once the
 * backoff passes on the fake clock, the pods are made. */
static void test_failed_create_is_retried(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_fail(h, "create", "pods", 1, 500,
                                    "Internal error occurred: quota "
                                    "service down"),
                   0);
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(2)), 0);
  assert_int_equal(cplane_test_reconcile(h, "default/web", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 0);
  assert_int_equal(cplane_test_logs_count(h, "creating a pod failed: 500 "
                                             "Internal error occurred: "
                                             "quota service down"),
                   1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/web"), 5);
  cplane_test_clock_advance_ms(h, 5);
  cplane_test_deliver(h); /* its status write queues it again, too */
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 2);
  assert_int_equal(rs_status_replicas(h), 2);
  cplane_test_host_free(h);
}

/* A status write answered 409 leaves the stored status alone; the next
 * reconcile (the pods' events) writes it again, and it lands. */
static void test_status_conflict_is_written_again(void **state) {
  cplane_test_host *h = start();
  size_t i, conflicts = 0, ok = 0;

  (void)state;
  assert_int_equal(cplane_test_fail(h, "update", "replicasets.apps/status", 1,
                                    409, NULL),
                   0);
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(2)), 0);
  assert_int_equal(cplane_test_reconcile(h, "default/web", NULL),
                   CPLANE_RECONCILE_DONE);
  assert_int_equal(rs_status_replicas(h), -1);
  assert_true(cplane_test_drain(h) >= 1);
  for (i = 0; i < cplane_test_writes_len(h); i++) {
    const struct cplane_test_write *w = cplane_test_write_at(h, i);

    if (strcmp(w->subresource, "status") != 0)
      continue;
    conflicts += w->code == 409;
    ok += w->code == 200;
  }
  assert_int_equal(conflicts, 1);
  assert_true(ok >= 1);
  assert_int_equal(rs_status_replicas(h), 2);
  cplane_test_host_free(h);
}

/* Deleted with the orphan policy while the ReplicaSet cache lags: the
 * API server holds a deletionTimestamp, the cache does not yet, and one
 * of its pods went. No replacement is created for an owner that is going
 * away; a read failure is retried rather than taken for "live". */
static void test_no_pod_for_replicaset_being_deleted(void **state) {
  static const struct cplane_resource rs_res =
      CPLANE_RESOURCE("apps", "v1", "replicasets");
  cplane_test_host *h = start();
  const struct cplane_host_api *api = cplane_test_api(h);
  char *msg = NULL;

  (void)state;
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS_JSON(2)), 0);
  assert_int_equal(add_pod(h, "web-a", 1, "n1", "Running", 1), 0);
  assert_int_equal(add_pod(h, "web-b", 1, "n1", "Running", 1), 0);
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(api->delete_object(cplane_test_ctx(h), &rs_res, "default",
                                      "web",
                                      "{\"propagationPolicy\":\"Orphan\"}",
                                      &msg),
                   200);
  api->free(msg);
  assert_int_equal(cplane_test_delete(h, "pods", "default/web-b"), 0);
  cplane_test_writes_clear(h);
  assert_int_equal(cplane_test_fail(h, "get", "replicasets.apps", 1, 500,
                                    NULL),
                   0);
  assert_int_equal(cplane_test_reconcile(h, "default/web", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 0);
  assert_int_equal(cplane_test_reconcile(h, "default/web", NULL),
                   CPLANE_RECONCILE_DONE);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 0);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 1);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_creates_missing_pods),
      cmocka_unit_test(test_scales_up_in_parallel_batches),
      cmocka_unit_test(test_deletes_least_valuable),
      cmocka_unit_test(test_adopts_orphan),
      cmocka_unit_test(test_failed_create_is_retried),
      cmocka_unit_test(test_status_conflict_is_written_again),
      cmocka_unit_test(test_no_pod_for_replicaset_being_deleted),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
