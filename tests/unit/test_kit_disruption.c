/*
 * test_kit_disruption - the disruption plugin (plugins/disruption, linked
 * in unchanged) on the test kit: a budget over a Deployment's pods (via
 * their ReplicaSet) gets kube's figures and condition; a 409 on the
 * status write (an eviction got there first) is retried; a pod whose
 * controller is missing makes it SyncFailed; a stale DisruptionTarget is
 * reset after two minutes of the kit's clock.
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

#define DEPLOY                                                                 \
  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"         \
  "\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"d-uid\"},"             \
  "\"spec\":{\"replicas\":4}}"
#define RS                                                                     \
  "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{"         \
  "\"name\":\"web-1\",\"namespace\":\"default\",\"uid\":\"rs-uid\","           \
  "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"                 \
  "\"Deployment\",\"name\":\"web\",\"uid\":\"d-uid\",\"controller\":"          \
  "true}]},\"spec\":{\"replicas\":4}}"
#define PDB(spec)                                                              \
  "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\","            \
  "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","                  \
  "\"generation\":1},\"spec\":{" spec ",\"selector\":{\"matchLabels\":{"       \
  "\"app\":\"web\"}}}}"

static int add_pod(cplane_test_host *h, const char *name, const char *rs,
                   const char *extra_status) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"},"
           "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
           "\"ReplicaSet\",\"name\":\"%s\",\"uid\":\"%s-uid\",\"controller\":"
           "true}]},\"spec\":{},\"status\":{\"phase\":\"Running\","
           "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}%s]}}",
           name, rs, strcmp(rs, "web-1") == 0 ? "rs" : rs, extra_status);
  return cplane_test_add(h, "pods", json);
}

static const char *status(cplane_test_host *h, char *buf, size_t len) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *pdb = NULL;
  int64_t e = -1, c = -1, d = -1, a = -1, g = -1;

  assert_int_equal(
      cplane_test_get(h, "poddisruptionbudgets.policy", "default/web", &pdb),
      0);
  api->object_int(pdb, "status.expectedPods", &e);
  api->object_int(pdb, "status.currentHealthy", &c);
  api->object_int(pdb, "status.desiredHealthy", &d);
  api->object_int(pdb, "status.disruptionsAllowed", &a);
  api->object_int(pdb, "status.observedGeneration", &g);
  snprintf(buf, len, "%lld/%lld/%lld/%lld/%lld %s/%s", (long long)e,
           (long long)c, (long long)d, (long long)a, (long long)g,
           api->object_string(pdb, "status.conditions[0].reason"),
           api->object_string(pdb, "status.conditions[0].message"));
  api->object_release(pdb);
  return buf;
}

static void test_budget_status(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[256], name[8];
  int i;

  (void)state;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "deployments.apps", DEPLOY), 0);
  assert_int_equal(cplane_test_add(h, "replicasets.apps", RS), 0);
  for (i = 0; i < 3; i++) {
    snprintf(name, sizeof name, "p%d", i);
    assert_int_equal(add_pod(h, name, "web-1", ""), 0);
  }
  /* An eviction's status write lands first: the plugin's is a 409. */
  assert_int_equal(cplane_test_fail(h, "patch",
                                    "poddisruptionbudgets.policy/status", 1,
                                    409, NULL),
                   0);
  assert_int_equal(cplane_test_add(h, "poddisruptionbudgets.policy",
                                   PDB("\"maxUnavailable\":\"25%\"")),
                   0);
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 2000);
  cplane_test_drain(h);
  /* 4 expected (the Deployment's scale), 3 healthy, 3 desired. */
  assert_string_equal(status(h, buf, sizeof buf),
                      "4/3/3/0/1 InsufficientPods/");
  assert_int_equal(add_pod(h, "p3", "web-1", ""), 0);
  cplane_test_drain(h);
  assert_string_equal(status(h, buf, sizeof buf), "4/4/3/1/1 SufficientPods/");
  /* A pod whose ReplicaSet is not there: kube's failSafe. */
  assert_int_equal(add_pod(h, "lost", "gone", ""), 0);
  cplane_test_drain(h);
  assert_string_equal(
      status(h, buf, sizeof buf),
      "4/4/3/0/1 SyncFailed/found no controllers for pod \"lost\"");
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void test_stale_disruption_target(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char now[40], cond[200], buf[64];

  (void)state;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_rfc3339(cplane_test_now_ms(h), now, sizeof now);
  snprintf(cond, sizeof cond,
           ",{\"type\":\"DisruptionTarget\",\"status\":\"True\",\"reason\":"
           "\"EvictionByEvictionAPI\",\"lastTransitionTime\":\"%s\"}",
           now);
  assert_int_equal(add_pod(h, "p0", "web-1", cond), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "patch", "pods"), 0);
  assert_true(cplane_test_queued_delay_ms(h, "pod:default/p0") > 110000);
  cplane_test_clock_advance_ms(h, 121000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "patch", "pods/status"), 1);
  cplane_test_get_string(h, "pods", "default/p0", "status.conditions[1].status",
                         buf, sizeof buf);
  assert_string_equal(buf, "False");
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_budget_status),
      cmocka_unit_test(test_stale_disruption_target),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
