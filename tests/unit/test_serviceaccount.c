/*
 * test_serviceaccount - the serviceaccount plugin's pure module (ensure):
 * which namespaces get the default ServiceAccount, the exact object
 * created (a name, as kube's controller creates it), and what each answer
 * to the create means. The whole plugin runs on the kit in
 * test_kit_serviceaccount.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "ensure.h"

static const struct cplane_host_api *api;

static void test_namespace_active(void **state) {
  static const char *const cases[][2] = {
      {"{'metadata':{'name':'a'},'status':{'phase':'Active'}}", "1"},
      {"{'metadata':{'name':'a'}}", "1"},
      {"{'metadata':{'name':'a'},'status':{'phase':'Terminating'}}", "0"},
      {"{'metadata':{'name':'a','deletionTimestamp':'2026-01-01T00:00:00Z'},"
       "'status':{'phase':'Active'}}",
       "0"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const cplane_object *ns = plugin_obj(api, cases[i][0]);

    assert_int_equal(sa_namespace_active(api, ns), cases[i][1][0] - '0');
    api->object_release(ns);
  }
}

static void test_body(void **state) {
  char *b = sa_body(api, "shop");

  (void)state;
  assert_string_equal(b, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
                         "\"metadata\":{\"name\":\"default\",\"namespace\":"
                         "\"shop\"}}");
  api->free(b);
}

static void test_create_outcome(void **state) {
  (void)state;
  assert_int_equal(sa_create_outcome(201), 0);
  assert_int_equal(sa_create_outcome(409), 0);
  assert_int_equal(sa_create_outcome(403), 0);
  assert_int_equal(sa_create_outcome(404), 0);
  assert_int_equal(sa_create_outcome(500), -1);
  assert_int_equal(sa_create_outcome(429), -1);
  assert_int_equal(sa_create_outcome(-3), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_namespace_active),
      cmocka_unit_test(test_body),
      cmocka_unit_test(test_create_outcome),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
