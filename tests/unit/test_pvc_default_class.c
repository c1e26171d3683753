/*
 * test_pvc_default_class - the DefaultStorageClass admission through the
 * in-process API server: a claim created with no storageClassName gets
 * the default class; "" (no class), a named class and the beta class
 * annotation are kept; with no default class nothing is set; an update
 * never sets it.
 */
#include "api_fixture.h"

#include <json-c/json.h>

#define CLAIMS "/api/v1/namespaces/default/persistentvolumeclaims"
#define CLASSES "/apis/storage.k8s.io/v1/storageclasses"

static int setup(void **state) {
  api_fixture_setup(state);
  api_fixture_namespace(*state, "default");
  return 0;
}

/* Creates claim name with `extra` spec members; returns its stored
 * storageClassName ("<none>" when absent). */
static const char *create_claim(struct api_fixture *f, const char *name,
                                const char *extra, const char *annotations) {
  static char out[64];
  char body[512];
  struct cp_api_response rs;
  json_object *o, *v = NULL, *spec = NULL;

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"%s},\"spec\":{\"accessModes\":"
           "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":"
           "\"1Gi\"}}%s}}",
           name, annotations, extra);
  rs = api_fixture_call(f, CP_API_POST, CLAIMS, API_FIXTURE_JSON, body);
  assert_int_equal(rs.code, 201);
  o = json_tokener_parse(rs.body);
  assert_non_null(o);
  json_object_object_get_ex(o, "spec", &spec);
  if (json_object_object_get_ex(spec, "storageClassName", &v))
    snprintf(out, sizeof out, "%s", json_object_get_string(v));
  else
    snprintf(out, sizeof out, "<none>");
  json_object_put(o);
  free(rs.body);
  return out;
}

static void add_class(struct api_fixture *f, const char *name, int dflt) {
  char body[512];

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"%s},\"provisioner\":\"x\"}", name,
           dflt ? ",\"annotations\":{\"storageclass.kubernetes.io/"
                  "is-default-class\":\"true\"}"
                : "");
  api_fixture_expect(f, CP_API_POST, CLASSES, body, 201);
}

static void test_default_class(void **state) {
  struct api_fixture *f = *state;

  assert_string_equal(create_claim(f, "before", "", ""), "<none>");
  add_class(f, "other", 0);
  assert_string_equal(create_claim(f, "nodefault", "", ""), "<none>");
  add_class(f, "standard", 1);
  assert_string_equal(create_claim(f, "plain", "", ""), "standard");
  assert_string_equal(
      create_claim(f, "none", ",\"storageClassName\":\"\"", ""), "");
  assert_string_equal(
      create_claim(f, "named", ",\"storageClassName\":\"other\"", ""),
      "other");
  assert_string_equal(
      create_claim(f, "beta", "",
                   ",\"annotations\":{\"volume.beta.kubernetes.io/"
                   "storage-class\":\"other\"}"),
      "<none>");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_default_class, setup,
                                      api_fixture_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
