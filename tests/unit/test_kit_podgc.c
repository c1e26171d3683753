/*
 * test_kit_podgc - the podgc plugin (plugins/podgc, linked in unchanged)
 * on the test kit's fake host and clock: terminated pods beyond the
 * threshold go oldest first; a pod on a node that is gone waits out the
 * quarantine, then is marked Failed with DisruptionTarget
 * (DeletionByPodGC) and force-deleted; a node that comes back spares its
 * pods; a terminating pod never scheduled is force-deleted; a failed
 * delete is tried again next period; bad settings refuse to start.
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

static cplane_test_host *start(const char *threshold) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(
      cplane_test_config_set(h, "terminated_pod_gc_threshold", threshold), 0);
  assert_int_equal(cplane_test_config_set(h, "gc_interval", "1s"), 0);
  assert_int_equal(cplane_test_config_set(h, "orphan_quarantine", "5s"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static void add_pod(cplane_test_host *h, const char *name, const char *node,
                    const char *phase, const char *created,
                    const char *extra_meta) {
  char json[768];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"creationTimestamp\":\"%s\"%s},"
           "\"spec\":{\"nodeName\":\"%s\"},\"status\":{\"phase\":\"%s\","
           "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
           name, created, extra_meta, node, phase);
  assert_int_equal(cplane_test_add(h, "pods", json), 0);
}

static void add_node(cplane_test_host *h, const char *name) {
  char json[256];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
           "\"%s\"}}",
           name);
  assert_int_equal(cplane_test_add(h, "nodes", json), 0);
}

static int present(cplane_test_host *h, const char *name) {
  char key[128], buf[64];

  snprintf(key, sizeof key, "default/%s", name);
  return cplane_test_get_string(h, "pods", key, "metadata.name", buf,
                                sizeof buf)[0] != '\0';
}

static void test_terminated_over_threshold(void **state) {
  cplane_test_host *h = start("2");

  (void)state;
  add_node(h, "n1");
  add_pod(h, "t3", "n1", "Succeeded", "2026-01-03T00:00:00Z", "");
  add_pod(h, "t1", "n1", "Failed", "2026-01-01T00:00:00Z", "");
  add_pod(h, "t4", "n1", "Succeeded", "2026-01-04T00:00:00Z", "");
  add_pod(h, "t2", "n1", "Succeeded", "2026-01-02T00:00:00Z", "");
  add_pod(h, "run", "n1", "Running", "2026-01-01T00:00:00Z", "");
  assert_true(cplane_test_drain(h) >= 1);
  assert_int_equal(present(h, "t1") + present(h, "t2"), 0);
  assert_int_equal(present(h, "t3") + present(h, "t4") + present(h, "run"),
                   3);
  /* Terminal already: no status write, straight to the delete. */
  assert_int_equal(cplane_test_writes_count(h, "patch", "pods/status"), 0);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  assert_int_equal(cplane_test_logs_count(h, "4 terminated pods, threshold "
                                             "2: deleting the 2 oldest"),
                   1);
  /* Next period: at the threshold, nothing more. */
  assert_int_equal(cplane_test_queued_delay_ms(h, "gc"), 1000);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  cplane_test_host_free(h);
}

static void test_orphans_after_quarantine(void **state) {
  cplane_test_host *h = start("12500");
  const struct cplane_test_write *w;
  size_t i;
  int patched = 0;

  (void)state;
  add_node(h, "n1");
  add_pod(h, "kept", "n1", "Running", "2026-01-01T00:00:00Z", "");
  add_pod(h, "orphan", "ghost", "Running", "2026-01-01T00:00:00Z", "");
  add_pod(h, "back", "late", "Running", "2026-01-01T00:00:00Z", "");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0); /* quarantined */
  cplane_test_clock_advance_ms(h, 4000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  add_node(h, "late"); /* shows up within the quarantine */
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_false(present(h, "orphan"));
  assert_true(present(h, "kept"));
  assert_true(present(h, "back"));
  for (i = 0; (w = cplane_test_write_at(h, i)) != NULL; i++) {
    if (strcmp(w->verb, "patch") != 0)
      continue;
    assert_string_equal(w->subresource, "status");
    assert_string_equal(w->name, "orphan");
    assert_non_null(strstr(w->body, "\"phase\":\"Failed\""));
    assert_non_null(strstr(w->body, "\"type\":\"DisruptionTarget\","
                                    "\"status\":\"True\""));
    assert_non_null(strstr(w->body, "\"reason\":\"DeletionByPodGC\","
                                    "\"message\":\"PodGC: node no longer "
                                    "exists\""));
    assert_non_null(strstr(w->body, "\"type\":\"Ready\""));
    patched++;
  }
  assert_int_equal(patched, 1);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_int_equal(cplane_test_logs_count(h, "pod default/orphan: deleted "
                                             "(its node no longer exists)"),
                   1);
  cplane_test_host_free(h);
}

static void test_unscheduled_terminating_and_retry(void **state) {
  cplane_test_host *h = start("12500");

  (void)state;
  assert_int_equal(cplane_test_fail(h, "delete", "pods", 1, 500, NULL), 0);
  add_pod(h, "stuck", "", "Pending", "2026-01-01T00:00:00Z",
          ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
          "\"finalizers\":[\"example.com/hold\"]");
  add_pod(h, "pending", "", "Pending", "2026-01-01T00:00:00Z", "");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  cplane_test_clock_advance_ms(h, 1000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  assert_int_equal(cplane_test_logs_count(h, "pod default/stuck: deleted "
                                             "(terminating, never "
                                             "scheduled)"),
                   1);
  assert_true(present(h, "pending"));
  cplane_test_host_free(h);
}

static void test_bad_settings(void **state) {
  static const char *const bad[][2] = {
      {"terminated_pod_gc_threshold", "-1"},
      {"terminated_pod_gc_threshold", "many"},
      {"gc_interval", "0s"},
      {"orphan_quarantine", "soon"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cplane_test_host *h = cplane_test_host_new();

    assert_int_equal(cplane_test_config_set(h, bad[i][0], bad[i][1]), 0);
    assert_int_not_equal(cplane_test_start(h, cplane_plugin_entry()),
                         CPLANE_OK);
    assert_non_null(strstr(cplane_test_start_error(h), bad[i][0]));
    cplane_test_host_free(h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_terminated_over_threshold),
      cmocka_unit_test(test_orphans_after_quarantine),
      cmocka_unit_test(test_unscheduled_terminating_and_retry),
      cmocka_unit_test(test_bad_settings),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
