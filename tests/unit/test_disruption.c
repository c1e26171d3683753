/*
 * test_disruption - the disruption plugin's pure modules: budget
 * (percentages rounded up, minAvailable/maxUnavailable, allowed), health
 * (healthy pods, disruptedPods kept for two minutes), status (kube's
 * no-op check, dropped disruptedPods as nulls, failSafe) and stale
 * (DisruptionTarget reset after two minutes). scale is exercised against
 * a real server by plugin_disruption.sh and on the kit.
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

#include "budget.h"
#include "dis.h"
#include "health.h"
#include "stale.h"
#include "status.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

/* 2026-01-01T00:00:00Z */
#define T0 1767225600000LL

static void test_scaled(void **state) {
  const cplane_object *o =
      obj("{'a':'25%','b':3,'c':'x%','d':'10','e':-1,'f':'0%'}");
  int64_t v;

  (void)state;
  assert_int_equal(dis_scaled(api, o, "a", 4, &v), 0);
  assert_int_equal(v, 1);
  assert_int_equal(dis_scaled(api, o, "a", 5, &v), 0);
  assert_int_equal(v, 2); /* 1.25 rounded up */
  assert_int_equal(dis_scaled(api, o, "b", 100, &v), 0);
  assert_int_equal(v, 3);
  assert_int_equal(dis_scaled(api, o, "f", 7, &v), 0);
  assert_int_equal(v, 0);
  assert_int_equal(dis_scaled(api, o, "c", 4, &v), -1);
  assert_int_equal(dis_scaled(api, o, "d", 4, &v), -1);
  assert_int_equal(dis_scaled(api, o, "e", 4, &v), -1);
  assert_int_equal(dis_scaled(api, o, "zz", 4, &v), -1);
  api->object_release(o);
}

static void test_budget(void **state) {
  const cplane_object *min_int = obj("{'spec':{'minAvailable':2}}");
  const cplane_object *min_pct = obj("{'spec':{'minAvailable':'50%'}}");
  const cplane_object *max = obj("{'spec':{'maxUnavailable':'25%'}}");
  const cplane_object *max_big = obj("{'spec':{'maxUnavailable':9}}");
  const cplane_object *none = obj("{'spec':{'maxUnavailable':null}}");
  const char *why = NULL;
  int64_t d;

  (void)state;
  assert_int_equal(dis_budget_mode(api, min_int), DIS_MIN_INT);
  assert_int_equal(dis_budget_mode(api, min_pct), DIS_FROM_SCALE);
  assert_int_equal(dis_budget_mode(api, max), DIS_FROM_SCALE);
  assert_int_equal(dis_budget_mode(api, none), DIS_NONE);
  assert_int_equal(dis_budget_desired(api, min_int, 5, &d, &why), 0);
  assert_int_equal(d, 2);
  assert_int_equal(dis_budget_desired(api, min_pct, 5, &d, &why), 0);
  assert_int_equal(d, 3);
  assert_int_equal(dis_budget_desired(api, max, 4, &d, &why), 0);
  assert_int_equal(d, 3);
  assert_int_equal(dis_budget_desired(api, max_big, 4, &d, &why), 0);
  assert_int_equal(d, 0);
  assert_int_equal(dis_budget_allowed(4, 3, 4), 1);
  assert_int_equal(dis_budget_allowed(2, 3, 4), 0);
  assert_int_equal(dis_budget_allowed(4, 0, 0), 0); /* nothing expected */
  api->object_release(min_int);
  api->object_release(min_pct);
  api->object_release(max);
  api->object_release(max_big);
  api->object_release(none);
}

static const cplane_object *pod(const char *name, int ready, int deleting) {
  char json[512];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','namespace':'ns'%s},'status':{"
           "'conditions':[{'type':'Ready','status':'%s'}]}}",
           name, deleting ? ",'deletionTimestamp':'2026-01-01T00:00:00Z'" : "",
           ready ? "True" : "False");
  return obj(json);
}

/* a: ready; b: not ready; c: being deleted; d: evicted 1 minute ago
 * (pending); e: evicted 3 minutes ago (not deleted after all: healthy
 * again, dropped from the map); gone: in the map, no longer a pod. */
static void test_health(void **state) {
  const cplane_object *pdb = obj(
      "{'metadata':{'name':'p','namespace':'ns'},'status':{'disruptedPods':{"
      "'d':'2026-01-01T00:02:00Z','e':'2026-01-01T00:00:00Z',"
      "'gone':'2026-01-01T00:02:30Z'}}}");
  const cplane_object *p[5] = {pod("a", 1, 0), pod("b", 0, 0), pod("c", 1, 1),
                               pod("d", 1, 0), pod("e", 1, 0)};
  struct dis_health h;
  int i;

  (void)state;
  assert_int_equal(dis_health(api, NULL, pdb, p, 5, T0 + 180000, &h), 0);
  assert_int_equal(h.healthy, 2); /* a and e */
  assert_string_equal(h.disrupted, "{\"d\":\"2026-01-01T00:02:00Z\"}");
  /* d's deadline is 00:04:00, 60 s away; rechecked a little after. */
  assert_int_equal(h.recheck_ms, 61000);
  free(h.disrupted);
  for (i = 0; i < 5; i++)
    api->object_release(p[i]);
  api->object_release(pdb);
}

static void test_status_patch(void **state) {
  const cplane_object *pdb =
      obj("{'metadata':{'name':'p','namespace':'ns','generation':2,"
          "'resourceVersion':'7'},'status':{'currentHealthy':4,"
          "'desiredHealthy':3,'expectedPods':4,'disruptionsAllowed':1,"
          "'observedGeneration':2,'disruptedPods':{'x':'2026-01-01T00:00:00Z'},"
          "'conditions':[{'type':'DisruptionAllowed','status':'True',"
          "'reason':'SufficientPods','message':'','observedGeneration':2,"
          "'lastTransitionTime':'2026-01-01T00:00:00Z'}]}}");
  struct dis_figures f = {4, 3, 4, "{\"x\":\"2026-01-01T00:00:00Z\"}"};
  char *patch = NULL;

  (void)state;
  /* As it is: no write. */
  assert_int_equal(dis_status_patch(api, NULL, pdb, &f, NULL, &patch), 0);
  assert_null(patch);
  /* x went: null in the merge patch; a figure changed: all written. */
  f.disrupted = "{}";
  f.healthy = 3;
  assert_int_equal(dis_status_patch(api, NULL, pdb, &f, NULL, &patch), 0);
  assert_non_null(patch);
  assert_non_null(strstr(patch, "\"resourceVersion\":\"7\""));
  assert_non_null(strstr(patch, "\"disruptedPods\":{\"x\":null}"));
  assert_non_null(strstr(patch, "\"disruptionsAllowed\":0"));
  assert_non_null(strstr(patch, "\"reason\":\"InsufficientPods\""));
  api->free(patch);
  /* failSafe: no disruption, SyncFailed with the message. */
  assert_int_equal(dis_status_patch(api, NULL, pdb, &f,
                                    "found no controllers "
                                    "for pod \"a\"",
                                    &patch),
                   0);
  assert_non_null(patch);
  assert_non_null(strstr(patch, "\"reason\":\"SyncFailed\""));
  assert_non_null(strstr(patch, "found no controllers for pod \\\"a\\\""));
  assert_null(strstr(patch, "currentHealthy"));
  api->free(patch);
  api->object_release(pdb);
}

static void test_stale(void **state) {
  const cplane_object *fresh =
      obj("{'metadata':{'name':'a','resourceVersion':'3'},'status':{'phase':"
          "'Running','conditions':[{'type':'DisruptionTarget','status':'True',"
          "'reason':'EvictionByEvictionAPI',"
          "'lastTransitionTime':'2026-01-01T00:00:00Z'}]}}");
  const cplane_object *kubelet =
      obj("{'status':{'conditions':[{'type':'DisruptionTarget','status':'True',"
          "'reason':'TerminationByKubelet'}]}}");
  const cplane_object *done =
      obj("{'status':{'phase':'Succeeded','conditions':[{'type':"
          "'DisruptionTarget','status':'True'}]}}");
  char *patch;

  (void)state;
  assert_int_equal(dis_stale_wait_ms(api, fresh, T0 + 30000), 90000);
  assert_int_equal(dis_stale_wait_ms(api, fresh, T0 + 300000), 0);
  assert_int_equal(dis_stale_wait_ms(api, kubelet, T0), -1);
  assert_int_equal(dis_stale_wait_ms(api, done, T0), -1);
  patch = dis_stale_patch(api, fresh, T0 + 300000);
  assert_string_equal(
      patch, "{\"metadata\":{\"resourceVersion\":\"3\"},\"status\":{"
             "\"conditions\":[{\"type\":\"DisruptionTarget\",\"status\":"
             "\"False\",\"lastTransitionTime\":\"2026-01-01T00:05:00Z\"}]}}");
  api->free(patch);
  api->object_release(fresh);
  api->object_release(kubelet);
  api->object_release(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scaled), cmocka_unit_test(test_budget),
      cmocka_unit_test(test_health), cmocka_unit_test(test_status_patch),
      cmocka_unit_test(test_stale),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
