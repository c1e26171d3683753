/*
 * test_kit_nodelifecycle - the nodelifecycle plugin (plugins/nodelifecycle,
 * linked in unchanged) on the test kit's fake host and clock: a node whose
 * Lease stops being renewed turns Ready=Unknown and gets the unreachable
 * taints; its pods are evicted when their toleration runs out, at most
 * eviction_rate per second, a pod tolerating the taint for ever stays;
 * a renewed Lease lifts the taint and makes the node Ready again; a bad
 * setting refuses to start.
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

#define LEASES "leases.coordination.k8s.io"

static void put_lease(cplane_test_host *h, int update) {
  char now[40], json[512];

  cplane_test_rfc3339(cplane_test_now_ms(h), now, sizeof now);
  snprintf(json, sizeof json,
           "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
           "\"metadata\":{\"name\":\"n1\",\"namespace\":\"kube-node-lease\"},"
           "\"spec\":{\"holderIdentity\":\"n1\",\"renewTime\":\"%s\"}}",
           now);
  if (update)
    assert_int_equal(cplane_test_update(h, LEASES, json), 0);
  else
    assert_int_equal(cplane_test_add(h, LEASES, json), 0);
}

static void add_pod(cplane_test_host *h, const char *name,
                    const char *tolerations) {
  char json[768];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"uid\":\"uid-%s\"},\"spec\":{"
           "\"nodeName\":\"n1\",\"tolerations\":%s}}",
           name, name, tolerations);
  assert_int_equal(cplane_test_add(h, "pods", json), 0);
}

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_config_set(h, "grace_period", "10s"), 0);
  assert_int_equal(cplane_test_config_set(h, "eviction_rate", "1"), 0);
  assert_int_equal(
      cplane_test_config_set(h, "default_toleration_seconds", "30"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "nodes",
                      "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":"
                      "{\"name\":\"n1\"},\"status\":{\"conditions\":[{"
                      "\"type\":\"Ready\",\"status\":\"True\",\"reason\":"
                      "\"KubeletReady\"}]}}"),
      0);
  put_lease(h, 0);
  return h;
}

static char *node_string(cplane_test_host *h, const char *path, char *buf,
                         size_t len) {
  return cplane_test_get_string(h, "nodes", "n1", path, buf, len);
}

/* Silent for more than the grace period: Ready Unknown, both taints;
 * pods go when their toleration ends, one per second; renewed: back. */
static void test_unreachable_node_lifecycle(void **state) {
  cplane_test_host *h = start();
  char buf[96];

  (void)state;
  add_pod(h, "plain", "[]");
  add_pod(h, "short",
          "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":"
          "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":5}]");
  add_pod(h, "forever", "[{\"operator\":\"Exists\"}]");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  assert_string_equal(
      node_string(h, "status.conditions[0].status", buf, sizeof buf), "True");

  cplane_test_clock_advance_ms(h, 11000);
  cplane_test_drain(h);
  assert_string_equal(
      node_string(h, "status.conditions[0].status", buf, sizeof buf),
      "Unknown");
  assert_string_equal(
      node_string(h, "status.conditions[0].reason", buf, sizeof buf),
      "NodeStatusUnknown");
  assert_string_equal(node_string(h, "spec.taints[0].effect", buf, sizeof buf),
                      "NoSchedule");
  assert_string_equal(node_string(h, "spec.taints[1].key", buf, sizeof buf),
                      "node.kubernetes.io/unreachable");
  assert_string_equal(node_string(h, "spec.taints[1].effect", buf, sizeof buf),
                      "NoExecute");
  assert_int_equal(cplane_test_logs_count(h, "node n1 is unreachable"), 1);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 0);

  /* Past 5 s: "short" goes; "plain" waits for its 30. */
  cplane_test_clock_advance_ms(h, 6000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 2);
  assert_int_equal(cplane_test_logs_count(h, "evicting pod default/short "
                                             "from unreachable node n1"),
                   1);

  /* Past 30 s: "plain" goes, "forever" stays. */
  cplane_test_clock_advance_ms(h, 25000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 1);
  assert_int_equal(cplane_test_get_string(h, "pods", "default/forever",
                                          "metadata.name", buf,
                                          sizeof buf)[0] != '\0',
                   1);
  /* The uid precondition spares a pod that took the same name. */
  assert_non_null(
      strstr(cplane_test_write_at(h, cplane_test_writes_len(h) - 1)->body,
             "uid-plain"));

  put_lease(h, 1);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_logs_count(h, "node n1 is reachable again"), 1);
  assert_string_equal(node_string(h, "spec.taints", buf, sizeof buf), "");
  assert_string_equal(
      node_string(h, "status.conditions[0].status", buf, sizeof buf), "True");
  assert_string_equal(
      node_string(h, "status.conditions[0].reason", buf, sizeof buf),
      "KubeletReady");
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* eviction_rate 1 with a burst of 1: three pods due at once leave a
 * second apart, the rest waiting on the "evict" key. */
static void test_evictions_are_rate_limited(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_pod(h, "a", "[]");
  add_pod(h, "b", "[]");
  add_pod(h, "c", "[]");
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 11000);
  cplane_test_drain(h); /* tainted */
  cplane_test_clock_advance_ms(h, 31000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 1);
  assert_true(cplane_test_queued(h, "evict"));
  assert_true(cplane_test_queued_delay_ms(h, "evict") > 900);
  assert_true(cplane_test_queued_delay_ms(h, "evict") <= 1001);
  cplane_test_clock_advance_ms(h, 1001);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 2);
  cplane_test_clock_advance_ms(h, 1001);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "delete", "pods"), 3);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 0);
  cplane_test_host_free(h);
}

static void test_bad_setting_refused(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  assert_non_null(h);
  assert_int_equal(cplane_test_config_set(h, "eviction_rate", "0"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_EINVAL);
  assert_non_null(strstr(cplane_test_start_error(h),
                         "eviction_rate: pods per second, more than 0"));
  cplane_test_host_free(h);
}

/* A node whose kubelet never posted status nor renewed a Lease: after
 * the grace period, Ready, MemoryPressure, DiskPressure and PIDPressure
 * are added Unknown as kube adds them (NodeStatusNeverUpdated, heartbeat
 * the node's creation), NetworkUnavailable is kept, and the unreachable
 * taints follow. */
static void test_never_posted_node(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  static const char *const types[] = {"Ready", "MemoryPressure",
                                      "DiskPressure", "PIDPressure"};
  char buf[96], path[64], created[40];
  int i;

  (void)state;
  assert_non_null(h);
  assert_int_equal(cplane_test_config_set(h, "grace_period", "10s"), 0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "nodes",
                      "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":"
                      "{\"name\":\"n1\"},\"status\":{\"conditions\":[{"
                      "\"type\":\"NetworkUnavailable\",\"status\":\"False\","
                      "\"reason\":\"RouteCreated\"}]}}"),
      0);
  node_string(h, "metadata.creationTimestamp", created, sizeof created);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  cplane_test_clock_advance_ms(h, 11000);
  cplane_test_drain(h);
  assert_string_equal(
      node_string(h, "status.conditions[0].reason", buf, sizeof buf),
      "RouteCreated");
  for (i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "status.conditions[%d].type", i + 1);
    assert_string_equal(node_string(h, path, buf, sizeof buf), types[i]);
    snprintf(path, sizeof path, "status.conditions[%d].status", i + 1);
    assert_string_equal(node_string(h, path, buf, sizeof buf), "Unknown");
    snprintf(path, sizeof path, "status.conditions[%d].reason", i + 1);
    assert_string_equal(node_string(h, path, buf, sizeof buf),
                        "NodeStatusNeverUpdated");
    snprintf(path, sizeof path, "status.conditions[%d].message", i + 1);
    assert_string_equal(node_string(h, path, buf, sizeof buf),
                        "Kubelet never posted node status.");
    snprintf(path, sizeof path, "status.conditions[%d].lastHeartbeatTime",
             i + 1);
    assert_string_equal(node_string(h, path, buf, sizeof buf), created);
  }
  assert_string_equal(node_string(h, "spec.taints[0].key", buf, sizeof buf),
                      "node.kubernetes.io/unreachable");
  assert_string_equal(node_string(h, "spec.taints[0].effect", buf, sizeof buf),
                      "NoSchedule");
  assert_string_equal(node_string(h, "spec.taints[1].effect", buf, sizeof buf),
                      "NoExecute");
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unreachable_node_lifecycle),
      cmocka_unit_test(test_evictions_are_rate_limited),
      cmocka_unit_test(test_bad_setting_refused),
      cmocka_unit_test(test_never_posted_node),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
