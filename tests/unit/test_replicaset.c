/*
 * test_replicaset - the replicaset plugin's pure modules: expectations
 * (counted down by events, trusted for five minutes on an injected
 * clock), the orphan-scan set, pod readiness and availability with
 * minReadySeconds, the order extra pods go in, and the pod set. Objects
 * come from the host's own object code through cp_host_api(), as the
 * plugin sees them. The whole controller is tested on the kit in
 * test_kit_replicaset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "claim.h"
#include <cplane/expectations.h>
#include "orphanscan.h"
#include "pods.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

static void test_expectations(void **state) {
  struct cplane_expectations x;

  (void)state;
  assert_int_equal(cplane_expectations_init(&x), CPLANE_OK);
  /* Nothing expected: free to act. */
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 0), 1);
  assert_int_equal(cplane_expect_set(&x, "ns/a", 2, 0, 1000), 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 1000), 0);
  cplane_expect_observed(&x, "ns/a", 1, 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 1000), 0);
  cplane_expect_observed(&x, "ns/b", 1, 0); /* another key: no effect */
  cplane_expect_observed(&x, "ns/a", 1, 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 1000), 1);
  /* Deletes likewise; a lost event is forgiven after five minutes. */
  assert_int_equal(cplane_expect_set(&x, "ns/a", 0, 3, 1000), 0);
  cplane_expect_observed(&x, "ns/a", 0, 1);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 1000 + 300000), 0);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/a", 1000 + 300001), 1);
  /* Forgotten with its ReplicaSet; set again, the latest counts. */
  assert_int_equal(cplane_expect_set(&x, "ns/c", 1, 1, 0), 0);
  assert_int_equal(cplane_expect_set(&x, "ns/c", 0, 1, 0), 0);
  cplane_expect_observed(&x, "ns/c", 0, 1);
  assert_int_equal(cplane_expect_satisfied(&x, "ns/c", 0), 1);
  assert_int_equal(cplane_expect_set(&x, "ns/d", 5, 0, 0), 0);
  cplane_expect_forget(&x, "ns/d");
  assert_int_equal(cplane_expect_satisfied(&x, "ns/d", 0), 1);
  assert_int_equal(cplane_expect_set(&x, "ns/e", 5, 0, 0), 0);
  cplane_expectations_free(&x); /* frees ns/e's entry */
}

static void test_orphan_scan(void **state) {
  struct rs_scanset s;

  (void)state;
  assert_int_equal(rs_scan_init(&s), CPLANE_OK);
  assert_int_equal(rs_scan_take(&s, "ns/a"), 0);
  assert_int_equal(rs_scan_want(&s, "ns/a"), 0);
  assert_int_equal(rs_scan_want(&s, "ns/a"), 0); /* once */
  assert_int_equal(rs_scan_take(&s, "ns/a"), 1);
  assert_int_equal(rs_scan_take(&s, "ns/a"), 0);
  assert_int_equal(rs_scan_want(&s, "ns/b"), 0);
  rs_scan_free(&s);
}

/* A pod on node, in phase, Ready status, since (RFC 3339 or ""). */
static const cplane_object *pod(const char *node, const char *phase,
                                const char *ready, const char *since) {
  char json[512];

  snprintf(json, sizeof json,
           "{'spec':{'nodeName':'%s'},'status':{'phase':'%s','conditions':"
           "[{'type':'PodScheduled','status':'True'},{'type':'Ready',"
           "'status':'%s'%s%s%s}]}}",
           node, phase, ready, since[0] ? ",'lastTransitionTime':'" : "", since,
           since[0] ? "'" : "");
  return obj(json);
}

static void test_ready_and_available(void **state) {
  /* 2026-01-01T00:00:00Z is 1767225600. */
  const cplane_object *p[4];
  double since = -1;
  int ready, available, i;
  uint32_t next;

  (void)state;
  p[0] = pod("n", "Running", "True", "2026-01-01T00:00:00Z");
  p[1] = pod("n", "Running", "True", "2026-01-01T00:00:08Z");
  p[2] = pod("n", "Running", "False", "2026-01-01T00:00:00Z");
  p[3] = pod("n", "Running", "True", ""); /* no time: available at once */
  assert_int_equal(rs_pod_ready_since(api, p[0], &since), 1);
  assert_true(since == 1767225600.0);
  assert_int_equal(rs_pod_ready_since(api, p[2], &since), 0);
  assert_true(since == 0);
  assert_int_equal(rs_pod_ready_since(api, p[3], NULL), 1);

  /* At 00:00:10 with minReadySeconds 5: p0 and p3 available, p1 in 3 s
   * (and 50 ms, to be sure). */
  rs_count_ready(api, p, 4, 5, 1767225610.0, &ready, &available, &next);
  assert_int_equal(ready, 3);
  assert_int_equal(available, 2);
  assert_int_equal(next, 3050);
  rs_count_ready(api, p, 4, 0, 1767225610.0, &ready, &available, &next);
  assert_int_equal(available, 3);
  assert_int_equal(next, 0);
  rs_count_ready(api, p, 0, 5, 0, &ready, &available, &next);
  assert_int_equal(ready + available + (int)next, 0);
  for (i = 0; i < 4; i++)
    api->object_release(p[i]);
}

/* Unscheduled, then not running, then running, ready last. */
static void test_pod_value(void **state) {
  const cplane_object *unscheduled = pod("", "Pending", "False", "");
  const cplane_object *pending = pod("n", "Pending", "False", "");
  const cplane_object *running = pod("n", "Running", "False", "");
  const cplane_object *ready = pod("n", "Running", "True", "");
  const cplane_object *bare = obj("{'metadata':{'name':'x'}}");

  (void)state;
  assert_int_equal(rs_pod_value(api, unscheduled), 0);
  assert_int_equal(rs_pod_value(api, bare), 0);
  assert_int_equal(rs_pod_value(api, pending), 1);
  assert_int_equal(rs_pod_value(api, running), 2);
  assert_int_equal(rs_pod_value(api, ready), 3);
  api->object_release(unscheduled);
  api->object_release(pending);
  api->object_release(running);
  api->object_release(ready);
  api->object_release(bare);
}

static void test_pod_set_grows(void **state) {
  struct rs_pod_set s = {NULL, 0, 0};
  const cplane_object *o = obj("{}");
  int i;

  (void)state;
  for (i = 0; i < 200; i++)
    assert_int_equal(rs_pod_set_add(&s, o), 0);
  assert_int_equal(s.n, 200);
  assert_true(s.cap >= 200);
  assert_ptr_equal(s.pods[199], o);
  free(s.pods);
  api->object_release(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expectations),
      cmocka_unit_test(test_orphan_scan),
      cmocka_unit_test(test_ready_and_available),
      cmocka_unit_test(test_pod_value),
      cmocka_unit_test(test_pod_set_grows),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
