/*
 * test_admission_limitranger - LimitRanger's checks and defaults, table
 * driven, in kube's words (plugin/pkg/admission/limitranger): min, max
 * and maxLimitRequestRatio per Container, per Pod (the pod's sums) and
 * per PersistentVolumeClaim, several failures as kube's aggregate; the
 * Container defaults with kube's item defaulting and the limit-ranger
 * annotation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/admission_limitranger.h"

/* A LimitRange with one item, as a one-element array. */
static json_object *lrs_of(const char *item) {
  char text[1024];
  json_object *arr = json_object_new_array();

  snprintf(text, sizeof text, "{\"spec\":{\"limits\":[%s]}}", item);
  json_object_array_add(arr, json_tokener_parse(text));
  return arr;
}

static json_object *pod_of(const char *containers) {
  char text[2048];

  snprintf(text, sizeof text,
           "{\"metadata\":{\"name\":\"p\"},\"spec\":{%s}}", containers);
  return json_tokener_parse(text);
}

struct check_case {
  const char *item;
  int is_pod;
  const char *obj_spec; /* the pod's or claim's spec members */
  const char *want;     /* NULL: passes */
};

static const struct check_case cases[] = {
    {"{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"}}", 1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":"
     "\"2\"},\"requests\":{\"cpu\":\"2\"}}}]",
     "maximum cpu usage per Container is 1, but limit is 2"},
    {"{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"}}", 1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":"
     "\"1000m\"}}}]",
     NULL},
    {"{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"}}", 1,
     "\"containers\":[{\"name\":\"c\"}]",
     "maximum cpu usage per Container is 1.  No limit is specified"},
    {"{\"type\":\"Container\",\"min\":{\"memory\":\"64Mi\"}}", 1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{"
     "\"memory\":\"32Mi\"}}}]",
     "minimum memory usage per Container is 64Mi, but request is 32Mi"},
    {"{\"type\":\"Container\",\"min\":{\"cpu\":\"100m\"}}", 1,
     "\"containers\":[{\"name\":\"c\"}]",
     "minimum cpu usage per Container is 100m.  No request is specified"},
    {"{\"type\":\"Container\",\"min\":{\"cpu\":\"100m\"}}", 1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":"
     "\"200m\"},\"limits\":{\"cpu\":\"50m\"}}}]",
     "minimum cpu usage per Container is 100m, but limit is 50m"},
    {"{\"type\":\"Container\",\"maxLimitRequestRatio\":{\"cpu\":\"2\"}}", 1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":"
     "\"100m\"},\"limits\":{\"cpu\":\"500m\"}}}]",
     "cpu max limit to request ratio per Container is 2, but provided ratio "
     "is 5.000000"},
    {"{\"type\":\"Container\",\"maxLimitRequestRatio\":{\"cpu\":\"2\"}}", 1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":"
     "\"500m\"}}}]",
     "cpu max limit to request ratio per Container is 2, but no request is "
     "specified or request is 0"},
    /* Init containers are checked too; two failures are kube's aggregate. */
    {"{\"type\":\"Container\",\"max\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}",
     1,
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":"
     "\"1\",\"memory\":\"1Gi\"}}}],\"initContainers\":[{\"name\":\"i\","
     "\"resources\":{\"limits\":{\"cpu\":\"1500m\",\"memory\":\"2Gi\"}}}]",
     "[maximum cpu usage per Container is 1, but limit is 1500m, maximum "
     "memory usage per Container is 1Gi, but limit is 2Gi]"},
    /* Pod: the sum of the containers. */
    {"{\"type\":\"Pod\",\"max\":{\"cpu\":\"1\"}}", 1,
     "\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":"
     "\"600m\"}}},{\"name\":\"b\",\"resources\":{\"limits\":{\"cpu\":"
     "\"600m\"}}}]",
     "maximum cpu usage per Pod is 1, but limit is 1200m"},
    {"{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}", 1,
     "\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":"
     "\"600m\"}}},{\"name\":\"b\",\"resources\":{\"limits\":{\"cpu\":"
     "\"600m\"}}}]",
     NULL},
    /* A claim's request against PersistentVolumeClaim items only. */
    {"{\"type\":\"PersistentVolumeClaim\",\"min\":{\"storage\":\"1Gi\"},"
     "\"max\":{\"storage\":\"10Gi\"}}",
     0, "\"resources\":{\"requests\":{\"storage\":\"500Mi\"}}",
     "minimum storage usage per PersistentVolumeClaim is 1Gi, but request "
     "is 500Mi"},
    {"{\"type\":\"PersistentVolumeClaim\",\"max\":{\"storage\":\"10Gi\"}}",
     0, "\"resources\":{\"requests\":{\"storage\":\"20Gi\"}}",
     "maximum storage usage per PersistentVolumeClaim is 10Gi, but request "
     "is 20Gi"},
    {"{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"}}", 0,
     "\"resources\":{\"requests\":{\"storage\":\"20Gi\"}}", NULL},
};

static void test_checks(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_object *lrs = lrs_of(cases[i].item), *obj = pod_of(cases[i].obj_spec);
    char *got;

    assert_non_null(obj);
    got = cp_limitranger_check(lrs, cases[i].is_pod, obj);
    if (cases[i].want == NULL && got != NULL)
      fail_msg("case %zu: refused: %s", i, got);
    if (cases[i].want != NULL &&
        (got == NULL || strcmp(got, cases[i].want) != 0))
      fail_msg("case %zu: got %s\nwant %s", i, got ? got : "(passes)",
               cases[i].want);
    free(got);
    json_object_put(lrs);
    json_object_put(obj);
  }
}

struct default_case {
  const char *item;
  const char *containers;
  const char *want_resources; /* of the first container, compact JSON */
  const char *want_annotation;
};

static const struct default_case defaults[] = {
    {"{\"type\":\"Container\",\"default\":{\"cpu\":\"500m\",\"memory\":"
     "\"128Mi\"},\"defaultRequest\":{\"cpu\":\"250m\"}}",
     "\"containers\":[{\"name\":\"c\"}]",
     "{\"requests\":{\"cpu\":\"250m\",\"memory\":\"128Mi\"},\"limits\":{"
     "\"cpu\":\"500m\",\"memory\":\"128Mi\"}}",
     "LimitRanger plugin set: cpu, memory request for container c; cpu, "
     "memory limit for container c"},
    /* kube's item defaults: the max is the default, the default the
     * request; what a container says stays. */
    {"{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"}}",
     "\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":"
     "\"100m\"}}}],\"initContainers\":[{\"name\":\"i\"}]",
     "{\"requests\":{\"cpu\":\"100m\"},\"limits\":{\"cpu\":\"1\"}}",
     "LimitRanger plugin set: cpu limit for container c; cpu request for "
     "init container i; cpu limit for init container i"},
    /* The min is the default request. */
    {"{\"type\":\"Container\",\"min\":{\"memory\":\"64Mi\"}}",
     "\"containers\":[{\"name\":\"c\"}]",
     "{\"requests\":{\"memory\":\"64Mi\"}}",
     "LimitRanger plugin set: memory request for container c"},
    /* Nothing to set: no annotation. */
    {"{\"type\":\"Pod\",\"max\":{\"cpu\":\"1\"}}",
     "\"containers\":[{\"name\":\"c\"}]", NULL, NULL},
};

static void test_defaults(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
    json_object *lrs = lrs_of(defaults[i].item);
    json_object *pod = pod_of(defaults[i].containers), *c, *r, *ann;
    const char *got_ann;

    cp_limitranger_default_pod(lrs, pod);
    c = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(pod, "spec"),
                               "containers"),
        0);
    r = json_object_object_get(c, "resources");
    if (defaults[i].want_resources != NULL) {
      json_object *want = json_tokener_parse(defaults[i].want_resources);

      if (!json_object_equal(r, want))
        fail_msg("case %zu: resources %s", i,
                 json_object_to_json_string(r));
      json_object_put(want);
    }
    ann = json_object_object_get(json_object_object_get(pod, "metadata"),
                                 "annotations");
    got_ann = json_object_get_string(
        json_object_object_get(ann, "kubernetes.io/limit-ranger"));
    if (defaults[i].want_annotation == NULL)
      assert_null(got_ann);
    else
      assert_string_equal(got_ann ? got_ann : "(none)",
                          defaults[i].want_annotation);
    json_object_put(lrs);
    json_object_put(pod);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checks),
      cmocka_unit_test(test_defaults),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
