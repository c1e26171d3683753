/*
 * test_kit_resourcequota - the resourcequota plugin (linked in unchanged)
 * on the test kit's fake host: a new quota gets status.hard and
 * status.used counted from the namespace (finished pods use no compute,
 * another namespace's objects nothing); a delete frees usage; a status
 * already right is not written again; the quota is counted again every
 * resync period.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define QUOTA                                                                  \
  "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{"           \
  "\"name\":\"q\",\"namespace\":\"ns\"},\"spec\":{\"hard\":{\"pods\":\"5\","   \
  "\"requests.cpu\":\"2\",\"limits.memory\":\"1Gi\",\"configmaps\":\"3\","     \
  "\"count/deployments.apps\":\"1\"}}}"

static char *pod(const char *ns, const char *name, const char *cpu,
                 const char *phase) {
  static char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"%s\"},\"spec\":{\"containers\":[{\"name\":"
           "\"c\",\"resources\":{\"requests\":{\"cpu\":\"%s\"},\"limits\":{"
           "\"memory\":\"128Mi\"}}}]},\"status\":{\"phase\":\"%s\"}}",
           name, ns, cpu, phase);
  return json;
}

static const char *used(cplane_test_host *h, const char *res) {
  static char buf[64];
  char path[128];

  snprintf(path, sizeof path, "status.used.%s", res);
  cplane_test_get_string(h, "resourcequotas", "ns/q", path, buf, sizeof buf);
  return buf;
}

static void test_counts(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char buf[64];

  (void)state;
  assert_non_null(h);
  assert_int_equal(cplane_test_add(h, "resourcequotas", QUOTA), CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods", pod("ns", "a", "250m", "Running")),
                   CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods", pod("ns", "b", "1", "Pending")),
                   CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods", pod("ns", "done", "1", "Succeeded")),
                   CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods", pod("other", "x", "1", "Running")),
                   CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "configmaps",
                      "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"ns\"}}"),
      CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "deployments.apps",
                      "{\"metadata\":{\"name\":\"d\",\"namespace\":\"ns\"},"
                      "\"spec\":{}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  cplane_test_dispatch_writes(h);
  cplane_test_drain(h);
  assert_string_equal(used(h, "pods"), "2");
  assert_string_equal(used(h, "requests\\.cpu"), "1250m");
  assert_string_equal(used(h, "limits\\.memory"), "256Mi");
  assert_string_equal(used(h, "configmaps"), "1");
  assert_string_equal(used(h, "count/deployments\\.apps"), "1");
  cplane_test_get_string(h, "resourcequotas", "ns/q", "status.hard.limits\\.memory",
                         buf, sizeof buf);
  assert_string_equal(buf, "1Gi");
  assert_int_equal(cplane_test_writes_count(h, "update", "resourcequotas/status"),
                   1);
  /* Counted again at the resync period; nothing changed, nothing written. */
  assert_int_equal(cplane_test_queued_delay_ms(h, "ns/q"), 300000);
  cplane_test_writes_clear(h);
  cplane_test_clock_advance_ms(h, 300000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  /* A delete frees what the pod used. */
  assert_int_equal(cplane_test_delete(h, "pods", "ns/b"), CPLANE_OK);
  cplane_test_drain(h);
  cplane_test_dispatch_writes(h);
  assert_string_equal(used(h, "pods"), "1");
  assert_string_equal(used(h, "requests\\.cpu"), "250m");
  cplane_test_host_free(h);
}

static void test_scopes(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  assert_int_equal(
      cplane_test_add(h, "resourcequotas",
                      "{\"metadata\":{\"name\":\"q\",\"namespace\":\"ns\"},"
                      "\"spec\":{\"hard\":{\"pods\":\"5\"},\"scopes\":["
                      "\"BestEffort\"]}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods", pod("ns", "a", "250m", "Running")),
                   CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "pods",
                      "{\"metadata\":{\"name\":\"be\",\"namespace\":\"ns\"},"
                      "\"spec\":{\"containers\":[{\"name\":\"c\"}]}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  cplane_test_drain(h);
  assert_string_equal(used(h, "pods"), "1");
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_scopes),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
