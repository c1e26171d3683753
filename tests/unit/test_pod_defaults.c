/*
 * Unit tests for host/apiserver/strategy/pod_defaults and quantity:
 * kube's pod defaults (defaults.go), QoS class (qos.GetPodQOS), the
 * status of a new pod and the DefaultTolerationSeconds tolerations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_defaults.h"
#include "apiserver/strategy/quantity.h"

static json_object *parse(const char *s) {
  json_object *o = json_tokener_parse(s);

  assert_non_null(o);
  return o;
}

static const char *str_at(json_object *o, const char *path) {
  const char *s = cp_field_str(o, path);

  return s != NULL ? s : "(absent)";
}

/* A pod with the containers' resources given as JSON. */
static const char *qos_of(const char *resources_a, const char *resources_b) {
  static char cls[32];
  char buf[1024];
  json_object *p;

  snprintf(buf, sizeof buf,
           "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":%s},"
           "{\"name\":\"b\",\"resources\":%s}]}}",
           resources_a, resources_b);
  p = parse(buf);
  cp_pod_defaults(p);
  snprintf(cls, sizeof cls, "%s", cp_pod_qos_class(p));
  json_object_put(p);
  return cls;
}

static void test_qos_class(void **state) {
  (void)state;
  assert_string_equal(qos_of("{}", "{}"), "BestEffort");
  /* Requests defaulted from limits: equal, so Guaranteed. */
  assert_string_equal(
      qos_of("{\"limits\":{\"cpu\":\"100m\",\"memory\":\"1Gi\"}}",
             "{\"limits\":{\"cpu\":\"0.1\",\"memory\":\"1073741824\"}}"),
      "Guaranteed");
  assert_string_equal(
      qos_of("{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},"
             "\"requests\":{\"cpu\":\"500m\"}}",
             "{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}"),
      "Burstable");
  /* One container without a memory limit: not Guaranteed. */
  assert_string_equal(
      qos_of("{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}",
             "{\"limits\":{\"cpu\":\"1\"}}"),
      "Burstable");
  /* Zero and other resources count for nothing. */
  assert_string_equal(qos_of("{\"requests\":{\"cpu\":\"0\"}}",
                             "{\"requests\":{\"nvidia.com/gpu\":\"1\"}}"),
                      "BestEffort");
  assert_string_equal(qos_of("{\"requests\":{\"memory\":\"64Mi\"}}", "{}"),
                      "Burstable");
}

static void test_quantity(void **state) {
  cp_quantity a, b;
  json_object *q1 = json_object_new_string("1.5Gi");
  json_object *q2 = json_object_new_string("1610612736");
  json_object *bad = json_object_new_string("1.5Gx");
  json_object *n = json_object_new_int(2);

  (void)state;
  assert_int_equal(cp_quantity_parse(q1, &a), 0);
  assert_int_equal(cp_quantity_parse(q2, &b), 0);
  assert_true(a == b);
  assert_int_equal(cp_quantity_parse(bad, &a), -1);
  assert_int_equal(cp_quantity_parse(n, &a), 0);
  assert_true(a == (cp_quantity)2000000000);
  json_object_put(q1);
  json_object_put(q2);
  json_object_put(bad);
  json_object_put(n);
}

static void test_spec_defaults(void **state) {
  json_object *p = parse(
      "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"N\","
      "\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],"
      "\"readinessProbe\":{\"httpGet\":{\"port\":80}}}],"
      "\"volumes\":[{\"name\":\"scratch\"},{\"name\":\"info\","
      "\"downwardAPI\":{\"items\":[{\"path\":\"l\",\"fieldRef\":{"
      "\"fieldPath\":\"metadata.labels\"}}]}},{\"name\":\"cm\","
      "\"configMap\":{\"name\":\"x\"}}]}}");
  json_object *spec = cp_field_at(p, "spec");
  json_object *c = json_object_array_get_idx(cp_field_at(spec, "containers"), 0);
  json_object *vols = cp_field_at(spec, "volumes");

  (void)state;
  cp_pod_defaults(p);
  cp_pod_spec_defaults(spec);
  assert_non_null(cp_field_typed(spec, "securityContext", json_type_object));
  assert_true(cp_field_true(spec, "enableServiceLinks"));
  assert_string_equal(
      str_at(json_object_array_get_idx(cp_field_at(c, "env"), 0),
             "valueFrom.fieldRef.apiVersion"),
      "v1");
  assert_string_equal(str_at(c, "readinessProbe.httpGet.scheme"), "HTTP");
  assert_string_equal(str_at(c, "readinessProbe.httpGet.path"), "/");
  assert_int_equal(cp_field_int_or(c, "readinessProbe.periodSeconds", 0), 10);
  assert_non_null(cp_field_typed(json_object_array_get_idx(vols, 0),
                                 "emptyDir", json_type_object));
  assert_string_equal(
      str_at(json_object_array_get_idx(
                 cp_field_at(json_object_array_get_idx(vols, 1),
                             "downwardAPI.items"),
                 0),
             "fieldRef.apiVersion"),
      "v1");
  assert_int_equal(cp_field_int_or(json_object_array_get_idx(vols, 2),
                                   "configMap.defaultMode", 0),
                   420);
  assert_null(cp_field_at(json_object_array_get_idx(vols, 2), "emptyDir"));
  json_object_put(p);
}

static void test_status_on_create(void **state) {
  json_object *p = parse("{\"spec\":{\"schedulingGates\":[{\"name\":\"g\"}],"
                         "\"containers\":[{\"name\":\"c\"}]},"
                         "\"status\":{\"phase\":\"Running\",\"podIP\":"
                         "\"10.0.0.1\"}}");

  (void)state;
  cp_pod_status_on_create(p);
  assert_string_equal(str_at(p, "status.phase"), "Pending");
  assert_string_equal(str_at(p, "status.qosClass"), "BestEffort");
  assert_null(cp_field_at(p, "status.podIP"));
  assert_string_equal(
      str_at(json_object_array_get_idx(cp_field_at(p, "status.conditions"), 0),
             "reason"),
      "SchedulingGated");
  json_object_put(p);
}

static void test_default_tolerations(void **state) {
  json_object *p = parse("{\"spec\":{\"containers\":[]}}");
  json_object *tols, *t;

  (void)state;
  cp_pod_default_tolerations(p, 0, 0);
  tols = cp_field_at(p, "spec.tolerations");
  assert_int_equal(json_object_array_length(tols), 2);
  t = json_object_array_get_idx(tols, 0);
  assert_string_equal(str_at(t, "key"), "node.kubernetes.io/not-ready");
  assert_string_equal(str_at(t, "operator"), "Exists");
  assert_string_equal(str_at(t, "effect"), "NoExecute");
  assert_int_equal(cp_field_int_or(t, "tolerationSeconds", 0), 300);
  assert_string_equal(str_at(json_object_array_get_idx(tols, 1), "key"),
                      "node.kubernetes.io/unreachable");
  /* Idempotent: a second pass (an update) adds nothing. */
  cp_pod_default_tolerations(p, 0, 0);
  assert_int_equal(json_object_array_length(tols), 2);
  json_object_put(p);
  /* The seconds configured (kube-apiserver's flags). */
  p = parse("{\"spec\":{}}");
  cp_pod_default_tolerations(p, 5, 7);
  assert_int_equal(cp_field_int_or(json_object_array_get_idx(cp_field_at(
                                       p, "spec.tolerations"), 1),
                                   "tolerationSeconds", 0),
                   7);
  json_object_put(p);
  /* A toleration of every key (empty key, any effect) covers both. */
  p = parse("{\"spec\":{\"tolerations\":[{\"operator\":\"Exists\"}]}}");
  cp_pod_default_tolerations(p, 0, 0);
  assert_int_equal(json_object_array_length(cp_field_at(p, "spec.tolerations")),
                   1);
  json_object_put(p);
  /* Not an array: left for validation. */
  p = parse("{\"spec\":{\"tolerations\":\"x\"}}");
  cp_pod_default_tolerations(p, 0, 0);
  assert_string_equal(str_at(p, "spec.tolerations"), "x");
  json_object_put(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qos_class),
      cmocka_unit_test(test_quantity),
      cmocka_unit_test(test_spec_defaults),
      cmocka_unit_test(test_status_on_create),
      cmocka_unit_test(test_default_tolerations),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
