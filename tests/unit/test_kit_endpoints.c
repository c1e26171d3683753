/*
 * test_kit_endpoints - the endpoints plugin (plugins/endpoints, linked in
 * unchanged) on the test kit: a Service's Endpoints object is created
 * with ready and not-ready addresses; its own write coming back writes
 * nothing more; a 409 on the update is retried; the object goes with
 * its Service; a Service without a selector is left alone.
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

#define SVC(name, selector)                                                    \
  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" name \
  "\",\"namespace\":\"default\",\"labels\":{\"tier\":\"x\"}},"                 \
  "\"spec\":{" selector "\"clusterIP\":\"10.96.0.10\",\"ports\":[{"            \
  "\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":"            \
  "\"TCP\"}]}}"

static int add_pod(cplane_test_host *h, const char *name, int ip, int ready) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
           "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":\"Running\","
           "\"podIP\":\"10.0.0.%d\",\"conditions\":[{\"type\":\"Ready\","
           "\"status\":\"%s\"}]}}",
           name, ip, ready ? "True" : "False");
  return cplane_test_add(h, "pods", json);
}

static void test_endpoints(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_int_equal(add_pod(h, "a", 1, 1), 0);
  assert_int_equal(add_pod(h, "b", 2, 0), 0);
  assert_int_equal(
      cplane_test_add(h, "services",
                      SVC("web", "\"selector\":{\"app\":\"web\"},")),
      0);
  assert_int_equal(cplane_test_add(h, "services", SVC("manual", "")), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", "endpoints"), 1);
  cplane_test_get_string(h, "endpoints", "default/web",
                         "subsets[0].addresses[0].ip", buf, sizeof buf);
  assert_string_equal(buf, "10.0.0.1");
  cplane_test_get_string(h, "endpoints", "default/web",
                         "subsets[0].notReadyAddresses[0].ip", buf, sizeof buf);
  assert_string_equal(buf, "10.0.0.2");
  cplane_test_get_string(h, "endpoints", "default/web",
                         "subsets[0].ports[0].name", buf, sizeof buf);
  assert_string_equal(buf, "http");
  cplane_test_get_string(h, "endpoints", "default/web", "metadata.labels.tier",
                         buf, sizeof buf);
  assert_string_equal(buf, "x");
  /* Its own write back, a resync: nothing to write. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  /* b turns ready: an update, after a 409 first. */
  assert_int_equal(cplane_test_fail(h, "update", "endpoints", 1, 409, NULL), 0);
  assert_int_equal(cplane_test_delete(h, "pods", "default/b"), 0);
  assert_int_equal(add_pod(h, "b", 2, 1), 0);
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 2000);
  cplane_test_drain(h);
  cplane_test_get_string(h, "endpoints", "default/web",
                         "subsets[0].addresses[1].ip", buf, sizeof buf);
  assert_string_equal(buf, "10.0.0.2");
  assert_int_equal(cplane_test_count(h, "endpoints", "default", NULL), 1);
  /* The Service goes: so does its Endpoints. */
  assert_int_equal(cplane_test_delete(h, "services", "default/web"), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, "endpoints", "default", NULL), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_endpoints),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
