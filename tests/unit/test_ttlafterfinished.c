/*
 * test_ttlafterfinished - the ttlafterfinished plugin's expiry module:
 * which Jobs need cleaning up and when, from the first true Complete or
 * Failed condition's lastTransitionTime, as kube's controller reckons.
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

#include "expiry.h"

static const struct cplane_host_api *api;

static enum ttl_state state_of(const char *json, int64_t now, int64_t *left) {
  const cplane_object *o = plugin_obj(api, json);
  enum ttl_state s = ttl_expiry(api, o, now, left);

  api->object_release(o);
  return s;
}

static void test_expiry(void **state) {
  int64_t t0 = 0, left = 0;

  (void)state;
  assert_int_equal(cplane_time_parse("2026-01-01T00:00:00Z", &t0), CPLANE_OK);
  assert_int_equal(
      state_of("{'spec':{'ttlSecondsAfterFinished':30},'status':{'conditions':"
               "[{'type':'Suspended','status':'True'},{'type':'Complete',"
               "'status':'True','lastTransitionTime':'2026-01-01T00:00:00Z'}]}}",
               t0 + 10000, &left),
      TTL_WAIT);
  assert_int_equal(left, 20000);
  assert_int_equal(
      state_of("{'spec':{'ttlSecondsAfterFinished':30},'status':{'conditions':"
               "[{'type':'Failed','status':'True','lastTransitionTime':"
               "'2026-01-01T00:00:00Z'}]}}",
               t0 + 30000, &left),
      TTL_EXPIRED);
  /* No TTL, a TTL of the wrong type, not finished, being deleted. */
  assert_int_equal(
      state_of("{'status':{'conditions':[{'type':'Complete','status':'True',"
               "'lastTransitionTime':'2026-01-01T00:00:00Z'}]}}",
               t0, &left),
      TTL_NONE);
  assert_int_equal(
      state_of("{'spec':{'ttlSecondsAfterFinished':'30'},'status':{"
               "'conditions':[{'type':'Complete','status':'True'}]}}",
               t0, &left),
      TTL_NONE);
  assert_int_equal(
      state_of("{'spec':{'ttlSecondsAfterFinished':0},'status':{}}", t0,
               &left),
      TTL_NONE);
  assert_int_equal(
      state_of("{'metadata':{'deletionTimestamp':'2026-01-01T00:00:00Z'},"
               "'spec':{'ttlSecondsAfterFinished':0},'status':{'conditions':"
               "[{'type':'Complete','status':'True','lastTransitionTime':"
               "'2026-01-01T00:00:00Z'}]}}",
               t0, &left),
      TTL_NONE);
  /* Finished with no time to count from: kube's error, retried. */
  assert_int_equal(
      state_of("{'spec':{'ttlSecondsAfterFinished':0},'status':{"
               "'conditions':[{'type':'Complete','status':'True'}]}}",
               t0, &left),
      TTL_NO_TIME);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expiry),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
