/*
 * test_horizontalpodautoscaler - the HPA plugin's modules against kube's
 * rules. calc: the replica count for a utilization and an average value
 * target, the tolerance, missing metrics (100% of request on a scale
 * down, 0 on a scale up, never turning the direction), unready pods
 * (counted 0 on a scale up, CPU's initialization period), pending and
 * deleted pods, and kube's error messages. behavior: without
 * spec.behavior the 300 s scale-down stabilization and the
 * max(2 * current, 4) scale-up limit; with it the up/down windows, Pods
 * and Percent policies over their periods, selectPolicy Min and
 * Disabled, min/max, and the conditions' reasons. spec: kube's defaults.
 * status: the patch, and no patch when nothing changed. The whole plugin
 * runs in tests/integration/plugin_hpa.sh.
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

#include "behavior.h"
#include "calc.h"
#include "spec.h"
#include "status.h"

static const struct cplane_host_api *api;

#define NOW 1000000000LL
#define MIN_MS 60000LL

/* A Running, Ready pod started long ago, with metric m and request r. */
static struct hpa_pod running(const char *name, int64_t m, int64_t r) {
  struct hpa_pod p = {.name = name, .phase = HPA_POD_RUNNING, .ready = 1,
                      .ready_since_ms = NOW - 10 * MIN_MS,
                      .start_ms = NOW - 10 * MIN_MS, .has_metric = 1,
                      .metric = m, .metric_ts_ms = NOW, .window_ms = 15000,
                      .request = r};
  return p;
}

static struct hpa_calc_args util_args(int32_t target, int32_t current) {
  struct hpa_calc_args a = {.resource = "cpu", .utilization = 1,
                            .target_util = target,
                            .current_replicas = current, .tolerance = 0.1,
                            .now_ms = NOW, .cpu_init_ms = 5 * MIN_MS,
                            .readiness_delay_ms = 30000};
  return a;
}

static void test_calc_scale_up(void **state) {
  struct hpa_pod pods[] = {running("a", 150, 100), running("b", 150, 100)};
  struct hpa_calc_args a = util_args(50, 2);
  struct hpa_calc_result r;

  (void)state;
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_string_equal(r.error, "");
  assert_int_equal(r.utilization, 150);
  assert_int_equal(r.average_milli, 150);
  assert_int_equal(r.replicas, 6); /* ceil(3.0 * 2) */
}

static void test_calc_tolerance(void **state) {
  struct hpa_pod pods[] = {running("a", 54, 100), running("b", 54, 100)};
  struct hpa_calc_args a = util_args(50, 2);
  struct hpa_calc_result r;

  (void)state;
  hpa_calc_replicas(&a, pods, 2, &r); /* 54/50 = 1.08: within 0.1 */
  assert_int_equal(r.replicas, 2);
  pods[0].metric = pods[1].metric = 56; /* 1.12 */
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_int_equal(r.replicas, 3);
}

static void test_calc_average_value(void **state) {
  struct hpa_pod pods[] = {running("a", 300, 0), running("b", 100, 0)};
  struct hpa_calc_args a = util_args(0, 2);
  struct hpa_calc_result r;

  (void)state;
  a.utilization = 0;
  a.target_avg_milli = 100;
  pods[0].missing_request = "c"; /* no request needed for AverageValue */
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_string_equal(r.error, "");
  assert_int_equal(r.average_milli, 200);
  assert_int_equal(r.replicas, 4);
}

static void test_calc_missing_on_scale_down(void **state) {
  /* Two pods at 10% and one without metrics: on a scale down the missing
   * one counts as 100% of its request. (10 + 10 + 100) / 300 = 40% of a
   * 50% target: 0.8 -> ceil(0.8 * 3) = 3, no change. */
  struct hpa_pod pods[] = {running("a", 10, 100), running("b", 10, 100),
                           running("c", 0, 100)};
  struct hpa_calc_args a = util_args(50, 3);
  struct hpa_calc_result r;

  (void)state;
  pods[2].has_metric = 0;
  hpa_calc_replicas(&a, pods, 3, &r);
  assert_string_equal(r.error, "");
  assert_int_equal(r.utilization, 10);
  assert_int_equal(r.replicas, 3);
}

static void test_calc_missing_on_scale_up(void **state) {
  /* 200% and a missing pod counted as 0: (200 + 0) / 200 = 100% of 50:
   * ratio 2 -> 4. */
  struct hpa_pod pods[] = {running("a", 200, 100), running("b", 0, 100)};
  struct hpa_calc_args a = util_args(50, 2);
  struct hpa_calc_result r;

  (void)state;
  pods[1].has_metric = 0;
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_int_equal(r.replicas, 4);
}

static void test_calc_unready(void **state) {
  /* A pod within the CPU initialization period that is not ready counts
   * as 0 on a scale up; a pending one too. */
  struct hpa_pod pods[] = {running("a", 200, 100), running("b", 200, 100),
                           running("c", 200, 100)};
  struct hpa_calc_args a = util_args(50, 3);
  struct hpa_calc_result r;

  (void)state;
  pods[1].start_ms = NOW - 1000;
  pods[1].ready = 0;
  pods[2].phase = HPA_POD_PENDING;
  hpa_calc_replicas(&a, pods, 3, &r);
  /* The ready pod alone: 200%. With the other two as 0: 200 / 300 =
   * 66% of 50: ratio 1.33 over 3 pods, 4. */
  assert_int_equal(r.utilization, 200);
  assert_int_equal(r.replicas, 4);
  /* Ready, but its metric covers no whole window since it turned ready:
   * still unready within the period. */
  pods[1].ready = 1;
  pods[1].ready_since_ms = NOW - 1000;
  pods[1].metric_ts_ms = NOW;
  pods[2].phase = HPA_POD_RUNNING;
  hpa_calc_replicas(&a, pods, 3, &r);
  /* (200 + 0 + 200) / 300 = 133% of 50: ratio 2.67 over 3 pods, 8. */
  assert_int_equal(r.replicas, 8);
  /* Past the period, a pod that was ready once counts as it is. */
  pods[1].start_ms = NOW - 10 * MIN_MS;
  hpa_calc_replicas(&a, pods, 3, &r);
  assert_int_equal(r.replicas, 12);
}

static void test_calc_ignored_and_errors(void **state) {
  struct hpa_pod pods[] = {running("a", 100, 100), running("b", 900, 100)};
  struct hpa_calc_args a = util_args(50, 2);
  struct hpa_calc_result r;

  (void)state;
  pods[1].deleting = 1; /* ignored, its metric too */
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_int_equal(r.utilization, 100);
  assert_int_equal(r.replicas, 2); /* ceil(2.0 * 1 ready pod) */
  hpa_calc_replicas(&a, pods, 0, &r);
  assert_string_equal(
      r.error, "no pods returned by selector while calculating replica count");
  pods[0].phase = HPA_POD_PENDING;
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_string_equal(r.error, "did not receive metrics for targeted pods "
                               "(pods might be unready)");
  pods[0].missing_request = "web";
  hpa_calc_replicas(&a, pods, 2, &r);
  assert_string_equal(r.error,
                      "missing request for cpu in container web of Pod a");
}

static struct hpa_spec plain_spec(int32_t min, int32_t max) {
  struct hpa_spec s;

  memset(&s, 0, sizeof s);
  s.min_replicas = min;
  s.max_replicas = max;
  hpa_default_rules(1, &s.up);
  hpa_default_rules(0, &s.down);
  return s;
}

static void test_plain_stabilization(void **state) {
  struct hpa_spec s = plain_spec(1, 10);
  struct hpa_history h;
  struct hpa_normalized n;

  (void)state;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 5, 5, &n);
  assert_int_equal(n.replicas, 5);
  assert_string_equal(n.able.reason, "ReadyForNewScale");
  assert_string_equal(n.limited.reason, "DesiredWithinRange");
  assert_string_equal(n.limited.status, "False");
  /* A lower recommendation within 300 s keeps the highest. */
  hpa_normalize(&h, &s, NOW + 60000, 5, 2, &n);
  assert_int_equal(n.replicas, 5);
  assert_string_equal(n.able.reason, "ScaleDownStabilized");
  /* After the window it applies. */
  hpa_normalize(&h, &s, NOW + 301000, 5, 2, &n);
  assert_int_equal(n.replicas, 2);
  /* Scale-up limit max(2 * current, 4); then the min. */
  hpa_normalize(&h, &s, NOW + 302000, 1, 9, &n);
  assert_int_equal(n.replicas, 4);
  assert_string_equal(n.limited.reason, "ScaleUpLimit");
  assert_string_equal(n.limited.status, "True");
  s.min_replicas = 3;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 3, 1, &n);
  assert_int_equal(n.replicas, 3);
  assert_string_equal(n.limited.reason, "TooFewReplicas");
}

static void test_behavior_windows(void **state) {
  struct hpa_spec s = plain_spec(1, 20);
  struct hpa_history h;
  struct hpa_normalized n;

  (void)state;
  s.has_behavior = 1;
  s.down.window_s = 60;
  s.up.window_s = 30;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 4, 4, &n);
  /* Up within 30 s of a 4: the lowest recent, 4. */
  hpa_normalize(&h, &s, NOW + 10000, 4, 8, &n);
  assert_int_equal(n.replicas, 4);
  assert_string_equal(n.able.reason, "ScaleUpStabilized");
  hpa_normalize(&h, &s, NOW + 41000, 4, 8, &n);
  assert_int_equal(n.replicas, 8);
  assert_string_equal(n.able.reason, "ReadyForNewScale");
  /* Down within 60 s of an 8: stays. */
  hpa_normalize(&h, &s, NOW + 50000, 8, 2, &n);
  assert_int_equal(n.replicas, 8);
  assert_string_equal(n.able.reason, "ScaleDownStabilized");
  hpa_normalize(&h, &s, NOW + 200000, 8, 2, &n);
  assert_int_equal(n.replicas, 2);
}

static void test_behavior_policies(void **state) {
  struct hpa_spec s = plain_spec(1, 100);
  struct hpa_history h;
  struct hpa_normalized n;

  (void)state;
  s.has_behavior = 1;
  s.down.window_s = 0;
  memset(&h, 0, sizeof h);
  /* Default up: max(4 pods, 100%) per 15 s: from 2, 6. */
  hpa_normalize(&h, &s, NOW, 2, 50, &n);
  assert_int_equal(n.replicas, 6);
  assert_string_equal(n.limited.reason, "ScaleUpLimit");
  hpa_record_scale(&h, &s, NOW, 2, 6);
  /* Within the same 15 s the period started at 2: still 6 at most. */
  hpa_normalize(&h, &s, NOW + 5000, 6, 50, &n);
  assert_int_equal(n.replicas, 6);
  /* Min of the two: 2 + 4 vs 2 * 2: 4. */
  s.up.select = HPA_SELECT_MIN;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 2, 50, &n);
  assert_int_equal(n.replicas, 4);
  /* Disabled: no change up. */
  s.up.select = HPA_SELECT_DISABLED;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 2, 50, &n);
  assert_int_equal(n.replicas, 2);
  /* Down by at most 1 pod per 60 s. */
  s.down.policies[0] = (struct hpa_policy){HPA_POLICY_PODS, 1, 60};
  s.down.n_policies = 1;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 10, 2, &n);
  assert_int_equal(n.replicas, 9);
  assert_string_equal(n.limited.reason, "ScaleDownLimit");
  hpa_record_scale(&h, &s, NOW, 10, 9);
  hpa_normalize(&h, &s, NOW + 30000, 9, 2, &n);
  assert_int_equal(n.replicas, 9); /* the period began at 10 */
  hpa_normalize(&h, &s, NOW + 61000, 9, 2, &n);
  assert_int_equal(n.replicas, 8);
  /* maxReplicas bounds it all. */
  s.up.select = HPA_SELECT_MAX;
  s.max_replicas = 5;
  memset(&h, 0, sizeof h);
  hpa_normalize(&h, &s, NOW, 3, 50, &n);
  assert_int_equal(n.replicas, 5);
  assert_string_equal(n.limited.reason, "TooManyReplicas");
}

static void test_spec_defaults(void **state) {
  const cplane_object *o = plugin_obj(
      api, "{'metadata':{'name':'h','namespace':'d'},'spec':{"
           "'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment',"
           "'name':'web'},'maxReplicas':5,'behavior':{'scaleDown':{"
           "'stabilizationWindowSeconds':3}}}}");
  const cplane_object *bad = plugin_obj(
      api, "{'spec':{'scaleTargetRef':{'kind':'Deployment','name':'w'},"
           "'maxReplicas':'five'}}");
  struct hpa_spec s;

  (void)state;
  assert_null(hpa_read_spec(api, o, &s));
  assert_int_equal(s.min_replicas, 1);
  assert_int_equal(s.max_replicas, 5);
  assert_int_equal(s.n_metrics, 1);
  assert_string_equal(s.metrics[0].resource, "cpu");
  assert_int_equal(s.metrics[0].utilization, 80);
  assert_true(s.has_behavior);
  assert_int_equal(s.down.window_s, 3);
  assert_int_equal(s.down.n_policies, 1);
  assert_int_equal(s.up.window_s, 0);
  assert_int_equal(s.up.n_policies, 2);
  assert_non_null(hpa_read_spec(api, bad, &s));
  api->object_release(o);
  api->object_release(bad);
}

static void test_status_patch(void **state) {
  const cplane_object *o = plugin_obj(
      api, "{'metadata':{'name':'h','namespace':'d','generation':2},"
           "'status':{'currentReplicas':1}}");
  struct hpa_metric_status m = {"cpu", 1, 150, 150};
  struct hpa_status st;
  const cplane_object *done;
  char *patch;
  int nomem;

  (void)state;
  memset(&st, 0, sizeof st);
  st.current = 1;
  st.desired = 3;
  st.rescaled = 1;
  st.metrics = &m;
  st.n_metrics = 1;
  {
    /* The message is built in a buffer of the caller's scope, gone (here:
     * overwritten) before the patch is made: the status keeps a copy. */
    char text[96];

    snprintf(text, sizeof text, "the HPA controller was able to update "
                                "the target scale to %d", 3);
    hpa_status_cond(&st, HPA_COND_ABLE, "True", "SucceededRescale", text);
    memset(text, 'x', sizeof text - 1);
  }
  patch = hpa_status_patch(api, NULL, o, &st, &nomem);
  assert_non_null(patch);
  assert_non_null(strstr(patch, "update the target scale to 3\""));
  assert_non_null(patch);
  assert_non_null(strstr(patch, "\"desiredReplicas\":3"));
  assert_non_null(strstr(patch, "\"averageUtilization\":150"));
  assert_non_null(strstr(patch, "\"averageValue\":\"150m\""));
  assert_non_null(strstr(patch, "\"reason\":\"SucceededRescale\""));
  assert_non_null(strstr(patch, "\"lastScaleTime\":\"20"));
  /* The same status again writes nothing. */
  {
    char *status = strstr(patch, "{\"observedGeneration\""), *obj;

    assert_non_null(status);
    status[strlen(status) - 1] = '\0'; /* drop the patch's closing brace */
    obj = api->json_format("{'metadata':{'name':'h','generation':2},"
                           "'status':%j}", status);
    assert_non_null(obj);
    assert_int_equal(api->object_parse(obj, strlen(obj), &done, NULL),
                     CPLANE_OK);
    api->free(obj);
  }
  st.rescaled = 0;
  api->free(patch);
  assert_null(hpa_status_patch(api, NULL, done, &st, &nomem));
  assert_int_equal(nomem, 0);
  api->object_release(done);
  api->object_release(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_calc_scale_up),
      cmocka_unit_test(test_calc_tolerance),
      cmocka_unit_test(test_calc_average_value),
      cmocka_unit_test(test_calc_missing_on_scale_down),
      cmocka_unit_test(test_calc_missing_on_scale_up),
      cmocka_unit_test(test_calc_unready),
      cmocka_unit_test(test_calc_ignored_and_errors),
      cmocka_unit_test(test_plain_stabilization),
      cmocka_unit_test(test_behavior_windows),
      cmocka_unit_test(test_behavior_policies),
      cmocka_unit_test(test_spec_defaults),
      cmocka_unit_test(test_status_patch),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
