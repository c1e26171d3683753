/*
 * test_kit_endpointslice - the endpointslice plugin (plugins/
 * endpointslice, linked in unchanged) on the test kit's fake host: a
 * Service's pods become one slice; its own write coming back writes
 * nothing more; a pod that goes is dropped in place; a 409 on the update
 * is retried; a deleted Service takes its slices; no write from a
 * dispatch callback.
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

#define SLICES "endpointslices.discovery.k8s.io"
#define SVC                                                                    \
  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"        \
  "\"web\",\"namespace\":\"default\",\"uid\":\"svc-uid\"},\"spec\":{"          \
  "\"selector\":{\"app\":\"web\"},\"clusterIP\":\"10.96.0.10\","               \
  "\"ports\":[{\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}}"

static int add_pod(cplane_test_host *h, const char *name, int ip) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
           "\"%s\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
           "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":\"Running\","
           "\"podIP\":\"10.0.0.%d\",\"conditions\":[{\"type\":\"Ready\","
           "\"status\":\"True\"}]}}",
           name, ip);
  return cplane_test_add(h, "pods", json);
}

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

/* The endpoints count of the one slice of web. */
static int slice_endpoints(cplane_test_host *h) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const struct cplane_test_write *w;
  const cplane_object *s = NULL;
  size_t i;
  int n = -1;

  for (i = cplane_test_writes_len(h); i-- > 0;) {
    w = cplane_test_write_at(h, i);
    if (strcmp(w->resource, SLICES) == 0 && w->code < 300 &&
        strcmp(w->verb, "delete") != 0) {
      char key[300];

      snprintf(key, sizeof key, "default/%s", w->name);
      if (cplane_test_get(h, SLICES, key, &s) == 0) {
        n = api->object_len(s, "endpoints");
        api->object_release(s);
      }
      return n;
    }
  }
  return n;
}

static void test_slice_lifecycle(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(add_pod(h, "a", 1), 0);
  assert_int_equal(add_pod(h, "b", 2), 0);
  assert_int_equal(cplane_test_add(h, "services", SVC), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "create", SLICES), 1);
  assert_int_equal(
      cplane_test_count(h, SLICES, "default", "kubernetes.io/service-name=web"),
      1);
  assert_int_equal(slice_endpoints(h), 2);
  /* Its own write came back: nothing more to write. */
  cplane_test_writes_clear(h);
  cplane_test_resync(h);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_len(h), 0);
  /* A pod goes: the slice is updated in place; a 409 first is retried. */
  assert_int_equal(cplane_test_fail(h, "update", SLICES, 1, 409, NULL), 0);
  assert_int_equal(cplane_test_delete(h, "pods", "default/a"), 0);
  cplane_test_drain(h);
  cplane_test_clock_advance_ms(h, 2000);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_writes_count(h, "update", SLICES), 2);
  assert_int_equal(cplane_test_writes_count(h, "create", SLICES), 0);
  assert_int_equal(slice_endpoints(h), 1);
  /* The Service goes: so do its slices. */
  assert_int_equal(cplane_test_delete(h, "services", "default/web"), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, SLICES, "default", NULL), 0);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* max_endpoints_per_slice: 5 pods at 2 a slice make 3 slices; a bad
 * value refuses to start. */
static void test_max_per_slice(void **state) {
  cplane_test_host *h = cplane_test_host_new();
  char name[8];
  int i;

  (void)state;
  assert_int_equal(cplane_test_config_set(h, "max_endpoints_per_slice", "2"),
                   0);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  for (i = 0; i < 5; i++) {
    snprintf(name, sizeof name, "p%d", i);
    assert_int_equal(add_pod(h, name, 10 + i), 0);
  }
  assert_int_equal(cplane_test_add(h, "services", SVC), 0);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, SLICES, "default", NULL), 3);
  cplane_test_host_free(h);

  h = cplane_test_host_new();
  assert_int_equal(cplane_test_config_set(h, "max_endpoints_per_slice", "0"),
                   0);
  assert_int_not_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  assert_non_null(
      strstr(cplane_test_start_error(h), "max_endpoints_per_slice"));
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slice_lifecycle),
      cmocka_unit_test(test_max_per_slice),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
