/*
 * test_policy_cache - the LimitRanges and ResourceQuotas admission
 * looks at: each lookup hands out objects of its own (LimitRanger
 * changes them and moves parts of them into the pod), equal to what the
 * store holds, also after the cache parsed them once; a write through
 * the server is seen at the next lookup; a namespace without any lists
 * nothing. LimitRanger, which borrows them, copies what it puts in a
 * pod.
 */
#include "api_fixture.h"

#include <json-c/json.h>

#include "apiserver/policy_cache.h"

#define LRS "/api/v1/namespaces/lr/limitranges"

static int setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup(state);
  f = *state;
  f->ctx.policy_cache = cp_policy_cache_new();
  assert_non_null(f->ctx.policy_cache);
  api_fixture_namespace(f, "lr");
  api_fixture_namespace(f, "empty");
  return 0;
}

static int teardown(void **state) {
  struct api_fixture *f = *state;

  cp_policy_cache_free(f->ctx.policy_cache);
  return api_fixture_teardown(state);
}

static void limitrange(struct api_fixture *f, const char *name,
                       const char *cpu) {
  char body[512];

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"limits\":[{\"type\":"
           "\"Container\",\"default\":{\"cpu\":\"%s\"},\"max\":{\"cpu\":2.5}}"
           "]}}",
           name, cpu);
  api_fixture_expect(f, CP_API_POST, LRS, body, 201);
}

/* spec.limits[0].default.cpu of item i of a lookup. */
static const char *default_cpu(json_object *arr, size_t i) {
  json_object *lr = json_object_array_get_idx(arr, i), *spec, *limits, *d;

  assert_true(json_object_object_get_ex(lr, "spec", &spec));
  assert_true(json_object_object_get_ex(spec, "limits", &limits));
  assert_true(json_object_object_get_ex(json_object_array_get_idx(limits, 0),
                                        "default", &d));
  return json_object_get_string(json_object_object_get(d, "cpu"));
}

static void test_lookups_are_independent_copies(void **state) {
  struct api_fixture *f = *state;
  json_object *a = NULL, *b = NULL, *c = NULL, *lr, *spec, *max;

  limitrange(f, "one", "200m");
  assert_int_equal(cp_policy_list(&f->ctx, CP_POLICY_LIMITRANGES, "lr", &a),
                   0);
  assert_int_equal(json_object_array_length(a), 1);
  assert_string_equal(default_cpu(a, 0), "200m");
  /* Change what the first lookup gave, and keep a part of it beyond it
   * (as LimitRanger does into the pod): the next lookup is untouched. */
  lr = json_object_array_get_idx(a, 0);
  assert_true(json_object_object_get_ex(lr, "spec", &spec));
  json_object_object_add(spec, "limits", json_object_new_array());
  json_object_object_add(lr, "extra", json_object_new_string("x"));
  assert_int_equal(cp_policy_list(&f->ctx, CP_POLICY_LIMITRANGES, "lr", &b),
                   0);
  assert_int_equal(json_object_array_length(b), 1);
  assert_string_equal(default_cpu(b, 0), "200m");
  assert_null(json_object_object_get(json_object_array_get_idx(b, 0),
                                     "extra"));
  /* A number keeps its type and text through the copy. */
  assert_true(json_object_object_get_ex(
      json_object_array_get_idx(
          json_object_object_get(
              json_object_object_get(json_object_array_get_idx(b, 0), "spec"),
              "limits"),
          0),
      "max", &max));
  assert_true(json_object_is_type(json_object_object_get(max, "cpu"),
                                  json_type_double));
  assert_string_equal(
      json_object_to_json_string(json_object_object_get(max, "cpu")), "2.5");
  json_object_put(a);
  /* b outlives the cache's snapshot: a write through the server drops
   * it, and the next lookup sees both objects. */
  limitrange(f, "two", "300m");
  assert_int_equal(cp_policy_list(&f->ctx, CP_POLICY_LIMITRANGES, "lr", &c),
                   0);
  assert_int_equal(json_object_array_length(c), 2);
  assert_string_equal(default_cpu(c, 0), "200m");
  assert_string_equal(default_cpu(c, 1), "300m");
  assert_string_equal(default_cpu(b, 0), "200m");
  assert_int_equal(cp_policy_count(&f->ctx, CP_POLICY_LIMITRANGES, "lr"), 2);
  json_object_put(b);
  json_object_put(c);
  assert_int_equal(
      cp_policy_list(&f->ctx, CP_POLICY_LIMITRANGES, "empty", &a), 0);
  assert_int_equal(json_object_array_length(a), 0);
  json_object_put(a);
}

/* LimitRanger borrows the cached LimitRanges (cp_policy_with): each pod
 * gets copies of the defaults, so freeing one pod leaves the cache and
 * the next pod intact (ASan would see a shared value freed), and the
 * validating step still refuses past max. */
static void test_limitranger_borrows_the_cache(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char path[128];
  int i;

  limitrange(f, "one", "200m");
  for (i = 0; i < 3; i++) {
    json_object *pod, *c, *lim;
    char body[256];

    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"p%d\"},\"spec\":{\"containers\":[{"
             "\"name\":\"c\",\"image\":\"x\"}]}}", i);
    api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces/lr/pods", body,
                       201);
    snprintf(path, sizeof path, "/api/v1/namespaces/lr/pods/p%d", i);
    rs = api_fixture_call(f, CP_API_GET, path, NULL, NULL);
    assert_int_equal(rs.code, 200);
    pod = json_tokener_parse(rs.body);
    c = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(pod, "spec"),
                               "containers"),
        0);
    lim = json_object_object_get(
        json_object_object_get(json_object_object_get(c, "resources"),
                               "limits"),
        "cpu");
    assert_string_equal(json_object_get_string(lim), "200m");
    assert_non_null(strstr(rs.body, "LimitRanger plugin set: cpu request "
                                    "for container c; cpu limit for "
                                    "container c"));
    json_object_put(pod);
    free(rs.body);
  }
  rs = api_fixture_call(f, CP_API_POST, "/api/v1/namespaces/lr/pods",
                        API_FIXTURE_JSON,
                        "{\"metadata\":{\"name\":\"big\"},\"spec\":{"
                        "\"containers\":[{\"name\":\"c\",\"image\":\"x\","
                        "\"resources\":{\"limits\":{\"cpu\":\"3\"}}}]}}");
  assert_int_equal(rs.code, 403);
  assert_non_null(strstr(rs.body, "maximum cpu usage per Container"));
  free(rs.body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lookups_are_independent_copies,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_limitranger_borrows_the_cache,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
