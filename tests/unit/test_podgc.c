/*
 * test_podgc - the podgc plugin's modules: its settings, which terminated
 * pods go first (evicted, then oldest, then by name) and how many, the
 * out-of-service and unscheduled-terminating tests, the node quarantine,
 * and the exact status patch and DeleteOptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "quarantine.h"
#include "select.h"
#include "writes.h"

static const struct cplane_host_api *api;

static const cplane_object *pod(const char *name, const char *created,
                                const char *phase, const char *reason) {
  char json[512];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','namespace':'d','uid':'u-%s',"
           "'creationTimestamp':'%s'},'status':{'phase':'%s'%s%s%s}}",
           name, name, created, phase, reason ? ",'reason':'" : "",
           reason ? reason : "", reason ? "'" : "");
  return plugin_obj(api, json);
}

static void test_victims(void **state) {
  const cplane_object *p[5];
  size_t i;

  (void)state;
  p[0] = pod("new", "2026-01-03T00:00:00Z", "Succeeded", NULL);
  p[1] = pod("old-b", "2026-01-01T00:00:00Z", "Failed", NULL);
  p[2] = pod("old-a", "2026-01-01T00:00:00Z", "Succeeded", NULL);
  p[3] = pod("evicted", "2026-01-04T00:00:00Z", "Failed", "Evicted");
  p[4] = pod("mid", "2026-01-02T00:00:00Z", "Failed", NULL);
  for (i = 0; i < 5; i++)
    assert_int_equal(pgc_terminated(api, p[i]), 1);
  assert_int_equal(pgc_terminated_victims(api, p, 5, 5), 0);
  assert_int_equal(pgc_terminated_victims(api, p, 5, 0), 0); /* off */
  assert_int_equal(pgc_terminated_victims(api, p, 5, 2), 3);
  assert_string_equal(api->object_name(p[0]), "evicted");
  assert_string_equal(api->object_name(p[1]), "old-a");
  assert_string_equal(api->object_name(p[2]), "old-b");
  assert_string_equal(api->object_name(p[3]), "mid");
  assert_string_equal(api->object_name(p[4]), "new");
  for (i = 0; i < 5; i++)
    api->object_release(p[i]);
  p[0] = pod("run", "2026-01-01T00:00:00Z", "Running", NULL);
  assert_int_equal(pgc_terminated(api, p[0]), 0);
  api->object_release(p[0]);
}

static void test_terminating(void **state) {
  const cplane_object *going = plugin_obj(
      api, "{'metadata':{'name':'p','deletionTimestamp':'2026-01-01T00:00:00Z'"
           "},'spec':{'nodeName':'n1'}}");
  const cplane_object *unsched = plugin_obj(
      api, "{'metadata':{'name':'p','deletionTimestamp':'2026-01-01T00:00:00Z'"
           "},'spec':{}}");
  const cplane_object *live = plugin_obj(api, "{'metadata':{'name':'p'},"
                                              "'spec':{}}");
  const cplane_object *oos = plugin_obj(
      api, "{'metadata':{'name':'n1'},'spec':{'taints':[{'key':"
           "'node.kubernetes.io/out-of-service','effect':'NoExecute'}]},"
           "'status':{'conditions':[{'type':'Ready','status':'False'}]}}");
  const cplane_object *oos_ready = plugin_obj(
      api, "{'metadata':{'name':'n1'},'spec':{'taints':[{'key':"
           "'node.kubernetes.io/out-of-service','effect':'NoExecute'}]},"
           "'status':{'conditions':[{'type':'Ready','status':'True'}]}}");
  const cplane_object *plain = plugin_obj(
      api, "{'metadata':{'name':'n1'},'status':{'conditions':[{'type':"
           "'Ready','status':'Unknown'}]}}");

  (void)state;
  assert_int_equal(pgc_out_of_service(api, going, oos), 1);
  assert_int_equal(pgc_out_of_service(api, going, oos_ready), 0);
  assert_int_equal(pgc_out_of_service(api, going, plain), 0);
  assert_int_equal(pgc_out_of_service(api, going, NULL), 0);
  assert_int_equal(pgc_out_of_service(api, live, oos), 0);
  assert_int_equal(pgc_unscheduled_terminating(api, unsched), 1);
  assert_int_equal(pgc_unscheduled_terminating(api, going), 0);
  assert_int_equal(pgc_unscheduled_terminating(api, live), 0);
  api->object_release(going);
  api->object_release(unsched);
  api->object_release(live);
  api->object_release(oos);
  api->object_release(oos_ready);
  api->object_release(plain);
}

static void test_quarantine(void **state) {
  struct pgc_quarantine q;

  (void)state;
  assert_int_equal(pgc_quarantine_init(&q), 0);
  assert_int_equal(pgc_quarantine_missing(&q, "n1", 1000, 40000), 0);
  assert_int_equal(pgc_quarantine_missing(&q, "n1", 40999, 40000), 0);
  assert_int_equal(pgc_quarantine_missing(&q, "n1", 41000, 40000), 1);
  pgc_quarantine_forget(&q, "n1"); /* seen again */
  assert_int_equal(pgc_quarantine_missing(&q, "n1", 50000, 40000), 0);
  assert_int_equal(pgc_quarantine_missing(&q, "n2", 50000, 0), 1);
  pgc_quarantine_free(&q);
}

static void test_writes_text(void **state) {
  const cplane_object *running = pod("r", "2026-01-01T00:00:00Z", "Running",
                                     NULL);
  const cplane_object *done = pod("s", "2026-01-01T00:00:00Z", "Succeeded",
                                  NULL);
  char *p, *o;
  int failed;

  (void)state;
  assert_null(pgc_status_patch(api, NULL, done, 1, &failed));
  assert_int_equal(failed, 0);
  p = pgc_status_patch(api, NULL, running, 0, &failed);
  assert_string_equal(p, "{\"status\":{\"phase\":\"Failed\"}}");
  api->free(p);
  o = pgc_delete_options(api, running);
  assert_string_equal(o, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
                         "\"gracePeriodSeconds\":0,\"preconditions\":{"
                         "\"uid\":\"u-r\"}}");
  api->free(o);
  api->object_release(running);
  api->object_release(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_victims),
      cmocka_unit_test(test_terminating),
      cmocka_unit_test(test_quarantine),
      cmocka_unit_test(test_writes_text),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
