/*
 * Unit tests for host/apiserver/schema: compiling schemas (with $ref to
 * named definitions, and refusing bad ones with a message that says
 * where), unknown fields with kube-apiserver's paths, pruning,
 * x-kubernetes-preserve-unknown-fields, int-or-string, embedded
 * resources, type/required/enum/bound errors, defaults, the built-in
 * documents (every kind loads, real manifests pass clean, kube's
 * defaults) and the navigation strategic merge patch uses.
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

#include "apiserver/patch.h"
#include "apiserver/request.h"
#include "apiserver/schema.h"

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  if (o == NULL)
    fail_msg("bad fixture: %s", text);
  return o;
}

static const char *show(json_object *o) {
  return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void assert_json(json_object *got, const char *want_text) {
  json_object *want = parse(want_text);

  if (!json_object_equal(got, want))
    fail_msg("got  %s\nwant %s", show(got), show(want));
  json_object_put(want);
}

static struct cp_schema_doc *doc(const char *text) {
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_parse(text, &err);

  if (d == NULL)
    fail_msg("schema refused: %s", err);
  return d;
}

/* A small document in the built-ins' form: $ref'd definitions. */
static const char *widget_doc =
    "{\"components\":{\"schemas\":{"
    "\"W\":{\"type\":\"object\",\"properties\":{"
    "  \"spec\":{\"$ref\":\"#/components/schemas/Spec\"},"
    "  \"status\":{\"type\":\"object\","
    "              \"x-kubernetes-preserve-unknown-fields\":true}}},"
    "\"Spec\":{\"type\":\"object\",\"required\":[\"size\"],\"properties\":{"
    "  \"size\":{\"type\":\"integer\",\"minimum\":0,\"default\":1},"
    "  \"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"],"
    "            \"default\":\"a\"},"
    "  \"port\":{\"x-kubernetes-int-or-string\":true},"
    "  \"name\":{\"type\":\"string\",\"maxLength\":3},"
    "  \"labels\":{\"type\":\"object\","
    "              \"additionalProperties\":{\"type\":\"string\"}},"
    "  \"items\":{\"type\":\"array\",\"x-kubernetes-patch-merge-key\":\"id\","
    "             \"x-kubernetes-patch-strategy\":\"merge\","
    "             \"items\":{\"allOf\":[{\"$ref\":"
    "                       \"#/components/schemas/Item\"}]}},"
    "  \"raw\":{\"type\":\"object\","
    "           \"x-kubernetes-embedded-resource\":true,"
    "           \"properties\":{\"spec\":{\"type\":\"object\"}}},"
    "  \"opt\":{\"type\":\"string\",\"nullable\":true}}},"
    "\"Item\":{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
    "  \"id\":{\"type\":\"string\"},"
    "  \"weight\":{\"type\":\"number\",\"default\":0.5}}}"
    "}}}";

static void test_parse_refs(void **state) {
  struct cp_schema_doc *d = doc(widget_doc);
  const struct cp_schema *w = cp_schema_doc_get(d, "W"), *items;

  (void)state;
  assert_non_null(w);
  assert_null(cp_schema_doc_root(d));
  assert_null(cp_schema_doc_get(d, "Nope"));
  /* spec is a $ref, items an allOf-wrapped $ref: both resolved. */
  items = cp_schema_property(cp_schema_property(w, "spec"), "items");
  assert_non_null(items);
  assert_string_equal(cp_schema_patch_merge_key(items), "id");
  assert_string_equal(cp_schema_patch_strategy(items), "merge");
  assert_non_null(cp_schema_property(cp_schema_items(items), "weight"));
  assert_true(cp_schema_preserves_unknown(cp_schema_property(w, "status")));
  /* additionalProperties answers for any key. */
  assert_non_null(cp_schema_property(
      cp_schema_property(cp_schema_property(w, "spec"), "labels"), "any"));
  cp_schema_doc_free(d);
}

static void expect_refused(const char *text, const char *want) {
  char *err = NULL;
  struct cp_schema_doc *d = cp_schema_doc_parse(text, &err);

  assert_null(d);
  assert_non_null(err);
  if (strstr(err, want) == NULL)
    fail_msg("error %s does not contain %s", err, want);
  free(err);
}

static void test_bad_schemas_refused(void **state) {
  json_object *j;
  char *err = NULL;

  (void)state;
  expect_refused("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
                 "\"strin\"}}}",
                 "<root>.properties[a].type: Unsupported value: \"strin\"");
  expect_refused("{\"type\":\"object\",\"required\":\"a\"}",
                 "<root>.required: must be a list of strings");
  expect_refused("{\"type\":\"array\"}", "<root>: an array needs items");
  expect_refused("{\"components\":{\"schemas\":{\"A\":{\"$ref\":"
                 "\"#/components/schemas/B\"}}}}",
                 "$ref #/components/schemas/B: no such definition");
  expect_refused("{\"type\":\"object\",\"properties\":{\"a\":3}}",
                 "<root>.properties[a]: a schema must be an object");
  expect_refused("not json", "not JSON");
  /* A CRD schema may not use $ref. */
  j = parse("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":"
            "\"#/components/schemas/X\"}}}");
  assert_null(cp_schema_doc_compile(j, &err));
  assert_non_null(strstr(err, "$ref is not allowed"));
  free(err);
  json_object_put(j);
}

static void test_unknown_fields_and_prune(void **state) {
  struct cp_schema_doc *d = doc(widget_doc);
  const struct cp_schema *w = cp_schema_doc_get(d, "W");
  json_object *o = parse(
      "{\"apiVersion\":\"x/v1\",\"kind\":\"W\","
      "\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":\"v\"},\"bogus\":1},"
      "\"spec\":{\"size\":1,\"foo\":1,\"labels\":{\"any\":\"x\"},"
      "\"items\":[{\"id\":\"a\"},{\"id\":\"b\",\"bar\":2}],"
      "\"raw\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
      "\"p\"},\"spec\":{},\"nope\":1}},"
      "\"status\":{\"anything\":{\"goes\":true}},\"top\":0}");
  struct cp_schema_result r = {0};

  (void)state;
  cp_schema_prune(w, o, 0, &r);
  assert_int_equal(r.n_unknown, 5);
  assert_string_equal(r.unknown[0], "metadata.bogus");
  assert_string_equal(r.unknown[1], "spec.foo");
  assert_string_equal(r.unknown[2], "spec.items[1].bar");
  assert_string_equal(r.unknown[3], "spec.raw.nope");
  assert_string_equal(r.unknown[4], "top");
  cp_schema_result_clear(&r);
  /* Without prune nothing moved; with it they are gone. */
  assert_true(json_object_object_get_ex(o, "top", NULL));
  cp_schema_prune(w, o, 1, &r);
  assert_int_equal(r.n_unknown, 5);
  cp_schema_result_clear(&r);
  assert_json(o, "{\"apiVersion\":\"x/v1\",\"kind\":\"W\","
                 "\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":\"v\"}},"
                 "\"spec\":{\"size\":1,\"labels\":{\"any\":\"x\"},"
                 "\"items\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
                 "\"raw\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                 "\"metadata\":{\"name\":\"p\"},\"spec\":{}}},"
                 "\"status\":{\"anything\":{\"goes\":true}}}");
  cp_schema_prune(w, o, 1, &r);
  assert_int_equal(r.n_unknown, 0);
  cp_schema_result_clear(&r);
  json_object_put(o);
  cp_schema_doc_free(d);
}

static void test_nulls_are_absent(void **state) {
  struct cp_schema_doc *d = doc(widget_doc);
  const struct cp_schema *w = cp_schema_doc_get(d, "W");
  json_object *o = parse("{\"metadata\":{\"creationTimestamp\":null},"
                         "\"spec\":{\"size\":null,\"opt\":null}}");
  struct cp_schema_result r = {0};

  (void)state;
  cp_schema_prune(w, o, 1, &r);
  assert_int_equal(r.n_unknown, 0);
  assert_json(o, "{\"metadata\":{},\"spec\":{\"opt\":null}}");
  cp_schema_result_clear(&r);
  json_object_put(o);
  cp_schema_doc_free(d);
}

static void expect_errors(const struct cp_schema *s, const char *text,
                          size_t n, const char *const *fields,
                          const char *const *reasons,
                          const char *const *messages) {
  json_object *o = parse(text);
  struct cp_schema_result r = {0};
  size_t i;

  assert_int_equal(cp_schema_validate(s, o, &r), n);
  for (i = 0; i < n; i++) {
    assert_string_equal(r.errors[i].field, fields[i]);
    assert_string_equal(r.errors[i].reason, reasons[i]);
    if (messages[i] != NULL)
      assert_string_equal(r.errors[i].message, messages[i]);
  }
  cp_schema_result_clear(&r);
  json_object_put(o);
}

static void test_validation_errors(void **state) {
  struct cp_schema_doc *d = doc(widget_doc);
  const struct cp_schema *w = cp_schema_doc_get(d, "W");
  const char *f1[] = {"spec.size"};
  const char *r1[] = {"FieldValueTypeInvalid"};
  const char *m1[] = {"Invalid value: \"string\": spec.size in body must be "
                      "of type integer: \"string\""};
  const char *f2[] = {"spec.size", "spec.items[0].id", "spec.mode",
                      "spec.name", "spec.port"};
  const char *r2[] = {"FieldValueRequired", "FieldValueRequired",
                      "FieldValueNotSupported", "FieldValueTooLong",
                      "FieldValueTypeInvalid"};
  const char *m2[] = {"Required value", "Required value",
                      "Unsupported value: \"c\": supported values: \"a\", "
                      "\"b\"",
                      NULL, NULL};
  const char *f3[] = {"spec.size", "spec.labels.k"};
  const char *r3[] = {"FieldValueInvalid", "FieldValueTypeInvalid"};
  const char *m3[] = {"Invalid value: -1: spec.size in body should be greater "
                      "than or equal to 0",
                      NULL};

  (void)state;
  expect_errors(w, "{\"spec\":{\"size\":\"3\"}}", 1, f1, r1, m1);
  expect_errors(w,
                "{\"spec\":{\"items\":[{\"weight\":1}],\"mode\":\"c\","
                "\"name\":\"long\",\"port\":true}}",
                5, f2, r2, m2);
  expect_errors(w, "{\"spec\":{\"size\":-1,\"labels\":{\"k\":1}}}", 2, f3,
                r3, m3);
  /* int-or-string takes both; a number is a number. */
  expect_errors(w,
                "{\"spec\":{\"size\":1,\"port\":\"http\",\"items\":[{\"id\":"
                "\"a\",\"weight\":2}]}}",
                0, NULL, NULL, NULL);
  expect_errors(w, "{\"spec\":{\"size\":1,\"port\":80}}", 0, NULL, NULL,
                NULL);
  cp_schema_doc_free(d);
}

static void test_defaults(void **state) {
  struct cp_schema_doc *d = doc(widget_doc);
  const struct cp_schema *w = cp_schema_doc_get(d, "W");
  json_object *o = parse("{\"spec\":{\"mode\":\"b\",\"items\":[{\"id\":\"a\"},"
                         "{\"id\":\"b\",\"weight\":2}]}}");
  json_object *none = parse("{\"metadata\":{}}");

  (void)state;
  cp_schema_default(w, o);
  assert_json(o, "{\"spec\":{\"mode\":\"b\",\"size\":1,\"items\":["
                 "{\"id\":\"a\",\"weight\":0.5},"
                 "{\"id\":\"b\",\"weight\":2}]}}");
  /* No spec: nothing is made up above the defaulted fields. */
  cp_schema_default(w, none);
  assert_json(none, "{\"metadata\":{}}");
  json_object_put(o);
  json_object_put(none);
  cp_schema_doc_free(d);
}

/* A CRD-style schema: structural pruning, preserve-unknown-fields. */
static void test_crd_schema(void **state) {
  json_object *sc = parse(
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
      "\"properties\":{\"size\":{\"type\":\"integer\"},\"extra\":{\"type\":"
      "\"object\",\"x-kubernetes-preserve-unknown-fields\":true},"
      "\"bag\":{\"type\":\"object\"}}}}}");
  json_object *o = parse(
      "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
      "\"metadata\":{\"name\":\"g\",\"annotations\":{\"a\":\"b\"}},"
      "\"spec\":{\"size\":1,\"weight\":2,\"extra\":{\"x\":[1]},"
      "\"bag\":{\"y\":1}},\"status\":{\"s\":1}}");
  struct cp_schema_result r = {0};
  struct cp_schema_doc *d;
  char *err = NULL;

  (void)state;
  d = cp_schema_doc_compile(sc, &err);
  assert_non_null(d);
  cp_schema_prune(cp_schema_doc_root(d), o, 1, &r);
  assert_int_equal(r.n_unknown, 3);
  assert_string_equal(r.unknown[0], "spec.weight");
  assert_string_equal(r.unknown[1], "spec.bag.y");
  assert_string_equal(r.unknown[2], "status");
  assert_json(o, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
                 "\"metadata\":{\"name\":\"g\",\"annotations\":{\"a\":\"b\"}},"
                 "\"spec\":{\"size\":1,\"extra\":{\"x\":[1]},\"bag\":{}}}");
  cp_schema_result_clear(&r);
  cp_schema_doc_free(d);
  json_object_put(sc);
  json_object_put(o);
}

static const char *kinds[][3] = {
    {"", "v1", "Namespace"},
    {"", "v1", "Node"},
    {"", "v1", "Pod"},
    {"", "v1", "ConfigMap"},
    {"", "v1", "Secret"},
    {"", "v1", "Event"},
    {"", "v1", "Binding"},
    {"apps", "v1", "Deployment"},
    {"apps", "v1", "ReplicaSet"},
    {"coordination.k8s.io", "v1", "Lease"},
    {"apiextensions.k8s.io", "v1", "CustomResourceDefinition"},
};

static void test_builtins_load(void **state) {
  size_t i;

  (void)state;
  assert_non_null(cp_schema_builtins());
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (cp_schema_builtin_kind(kinds[i][0], kinds[i][1], kinds[i][2]) ==
        NULL)
      fail_msg("no schema for %s/%s %s", kinds[i][0], kinds[i][1],
               kinds[i][2]);
    assert_non_null(
        cp_schema_builtin_kind_name(kinds[i][0], kinds[i][1], kinds[i][2]));
  }
  assert_null(cp_schema_builtin_kind("apps", "v1", "Pod"));
  assert_string_equal(cp_schema_builtin_kind_name("apps", "v1", "Deployment"),
                      "io.k8s.api.apps.v1.Deployment");
  assert_non_null(strstr(cp_schema_builtin_definitions(),
                         "\"io.k8s.api.core.v1.PodSpec\""));
}

/* Runs decode-time steps on a built-in kind; returns the unknown count. */
static size_t decode_builtin(const char *group, const char *kind,
                             json_object *o, size_t *n_errors) {
  const struct cp_schema *s = cp_schema_builtin_kind(group, "v1", kind);
  struct cp_schema_result r = {0};
  size_t n;

  assert_non_null(s);
  cp_schema_prune(s, o, 1, &r);
  n = r.n_unknown;
  if (n > 0)
    print_message("unknown: %s\n", r.unknown[0]);
  cp_schema_default(s, o);
  cp_schema_builtin_hooks(group, kind, o);
  *n_errors = cp_schema_validate(s, o, &r);
  if (*n_errors > 0)
    print_message("error: %s: %s\n", r.errors[0].field, r.errors[0].message);
  cp_schema_result_clear(&r);
  return n;
}

static void test_builtin_deployment(void **state) {
  json_object *o = parse(
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
      "\"name\":\"nginx-deployment\",\"labels\":{\"app\":\"nginx\"}},"
      "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":"
      "\"nginx\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"nginx\"}}"
      ",\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
      "\"nginx:1.14.2\",\"ports\":[{\"containerPort\":80}]}],"
      "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}],"
      "\"affinity\":{\"podAntiAffinity\":{"
      "\"requiredDuringSchedulingIgnoredDuringExecution\":[{"
      "\"labelSelector\":{\"matchExpressions\":[{\"key\":\"app\","
      "\"operator\":\"In\",\"values\":[\"nginx\"]}]},\"topologyKey\":"
      "\"kubernetes.io/hostname\"}]}}}}}}");
  json_object *spec, *pod;
  size_t errs;

  (void)state;
  assert_int_equal(decode_builtin("apps", "Deployment", o, &errs), 0);
  assert_int_equal(errs, 0);
  json_object_object_get_ex(o, "spec", &spec);
  assert_json(json_object_object_get(spec, "strategy"),
              "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{"
              "\"maxUnavailable\":\"25%\",\"maxSurge\":\"25%\"}}");
  assert_int_equal(json_object_get_int(json_object_object_get(
                       spec, "revisionHistoryLimit")),
                   10);
  assert_int_equal(json_object_get_int(json_object_object_get(
                       spec, "progressDeadlineSeconds")),
                   600);
  pod = json_object_object_get(json_object_object_get(spec, "template"),
                               "spec");
  assert_string_equal(
      json_object_get_string(json_object_object_get(pod, "restartPolicy")),
      "Always");
  assert_json(json_object_array_get_idx(
                  json_object_object_get(pod, "containers"), 0),
              "{\"name\":\"nginx\",\"image\":\"nginx:1.14.2\",\"ports\":[{"
              "\"containerPort\":80,\"protocol\":\"TCP\"}],"
              "\"terminationMessagePath\":\"/dev/termination-log\","
              "\"terminationMessagePolicy\":\"File\","
              "\"imagePullPolicy\":\"IfNotPresent\"}");
  json_object_put(o);
}

static void test_builtin_hooks(void **state) {
  json_object *o = parse(
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"},"
      "{\"name\":\"b\",\"image\":\"reg:5000/x:latest\"},{\"name\":\"c\","
      "\"image\":\"reg:5000/x\"},{\"name\":\"d\",\"image\":\"x@sha256:ab\"},"
      "{\"name\":\"e\",\"image\":\"x:1\",\"imagePullPolicy\":\"Never\"}]}}");
  json_object *d = parse("{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
  const char *want[] = {"Always", "Always", "Always", "IfNotPresent",
                        "Never"};
  size_t i;

  (void)state;
  cp_schema_builtin_hooks("", "Pod", o);
  for (i = 0; i < 5; i++)
    assert_string_equal(
        json_object_get_string(json_object_object_get(
            json_object_array_get_idx(
                json_object_object_get(json_object_object_get(o, "spec"),
                                       "containers"),
                i),
            "imagePullPolicy")),
        want[i]);
  cp_schema_builtin_hooks("apps", "Deployment", d);
  assert_json(d, "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
  json_object_put(o);
  json_object_put(d);
  /* stringData goes into data as base64, winning over data. */
  o = parse("{\"data\":{\"a\":\"eA==\",\"b\":\"eA==\"},\"stringData\":{"
            "\"b\":\"hello\",\"c\":\"hi!\",\"d\":\"\"}}");
  cp_schema_builtin_hooks("", "Secret", o);
  assert_json(o, "{\"data\":{\"a\":\"eA==\",\"b\":\"aGVsbG8=\","
                 "\"c\":\"aGkh\",\"d\":\"\"}}");
  json_object_put(o);
  /* An Event's involvedObject is always served, {} when not given (the
   * request fuzzer's Event without one broke the Python client's list). */
  o = parse("{\"reason\":\"x\"}");
  cp_schema_builtin_hooks("", "Event", o);
  assert_json(o, "{\"reason\":\"x\",\"involvedObject\":{}}");
  json_object_put(o);
  o = parse("{\"involvedObject\":{\"kind\":\"Pod\"}}");
  cp_schema_builtin_hooks("", "Event", o);
  assert_json(o, "{\"involvedObject\":{\"kind\":\"Pod\"}}");
  json_object_put(o);
}

static void test_builtin_pod_and_node(void **state) {
  json_object *pod = parse(
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
      "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
      "\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"u\",\"controller\":true}]},"
      "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\","
      "\"image\":\"x\",\"resources\":{\"requests\":{\"cpu\":\"100m\","
      "\"memory\":1024}},\"env\":[{\"name\":\"A\",\"valueFrom\":{"
      "\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}]}],"
      "\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/x\"}}]},"
      "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\",\"podIPs\":[{"
      "\"ip\":\"10.0.0.1\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":"
      "\"True\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}],"
      "\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,"
      "\"restartCount\":0,\"state\":{\"running\":{\"startedAt\":"
      "\"2026-01-01T00:00:00Z\"}}}]}}");
  json_object *node = parse(
      "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"},"
      "\"spec\":{\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}],"
      "\"unschedulable\":true,\"podCIDR\":\"10.0.0.0/24\"},"
      "\"status\":{\"capacity\":{\"cpu\":\"4\",\"pods\":\"110\"},"
      "\"allocatable\":{\"cpu\":\"4\"},\"conditions\":[{\"type\":\"Ready\","
      "\"status\":\"True\",\"lastHeartbeatTime\":\"2026-01-01T00:00:00Z\"}],"
      "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"}],"
      "\"nodeInfo\":{\"kubeletVersion\":\"v1.32.0\"},\"daemonEndpoints\":{"
      "\"kubeletEndpoint\":{\"Port\":10250}}}}");
  json_object *bad = parse("{\"spec\":{\"containers\":[{\"name\":\"c\"}],"
                           "\"nodeName\":5}}");
  size_t errs;

  (void)state;
  assert_int_equal(decode_builtin("", "Pod", pod, &errs), 0);
  assert_int_equal(errs, 0);
  assert_int_equal(decode_builtin("", "Node", node, &errs), 0);
  assert_int_equal(errs, 0);
  assert_int_equal(decode_builtin("", "Pod", bad, &errs), 0);
  assert_int_equal(errs, 2); /* image required, nodeName a string */
  json_object_put(pod);
  json_object_put(node);
  json_object_put(bad);
}

static json_object *smp(const struct cp_schema *s, const char *doc_text,
                        const char *patch) {
  json_object *d = parse(doc_text), *out = NULL;
  char *err = NULL;

  if (cp_patch_apply_schema(CP_PATCH_STRATEGIC, d, patch, strlen(patch), s,
                            &out, &err) != 0)
    fail_msg("patch failed: %s", err);
  json_object_put(d);
  return out;
}

/* Strategic merge patch takes its merge keys from the schema. */
static void test_smp_from_schema(void **state) {
  struct cp_schema_doc *d = doc(
      "{\"components\":{\"schemas\":{\"R\":{\"type\":\"object\","
      "\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
      "\"containers\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
      "\"properties\":{\"name\":{\"type\":\"string\"}}}},"
      "\"slots\":{\"type\":\"array\",\"x-kubernetes-patch-strategy\":"
      "\"merge\",\"x-kubernetes-patch-merge-key\":\"id\",\"items\":{"
      "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
      "\"tags\":{\"type\":\"array\",\"x-kubernetes-patch-strategy\":"
      "\"merge\",\"items\":{\"type\":\"string\"}}}}}}}}}}}}");
  const struct cp_schema *r = cp_schema_doc_get(d, "R");
  const struct cp_schema *pod = cp_schema_builtin_kind("", "v1", "Pod");
  json_object *out;

  (void)state;
  /* Here "containers" has no strategy: the patch's list replaces it,
   * whatever the table by name would say. */
  out = smp(r, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
            "{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}");
  assert_json(out, "{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}");
  json_object_put(out);
  /* "slots" merges by id, its elements' "tags" as a set. */
  out = smp(r, "{\"spec\":{\"slots\":[{\"id\":\"a\",\"tags\":[\"x\"]},"
               "{\"id\":\"b\"}]}}",
            "{\"spec\":{\"slots\":[{\"id\":\"a\",\"tags\":[\"y\"]}]}}");
  assert_json(out, "{\"spec\":{\"slots\":[{\"id\":\"a\",\"tags\":"
                   "[\"x\",\"y\"]},{\"id\":\"b\"}]}}");
  json_object_put(out);
  /* The built-in Pod: containers by name, tolerations replaced,
   * finalizers a set, a container's ports by containerPort. */
  out = smp(pod,
            "{\"metadata\":{\"finalizers\":[\"a\"]},\"spec\":{"
            "\"tolerations\":[{\"key\":\"k1\"}],\"containers\":[{\"name\":"
            "\"c\",\"image\":\"i\",\"ports\":[{\"containerPort\":80}]},"
            "{\"name\":\"d\",\"image\":\"j\"}]}}",
            "{\"metadata\":{\"finalizers\":[\"b\"]},\"spec\":{"
            "\"tolerations\":[{\"key\":\"k2\"}],\"containers\":[{\"name\":"
            "\"c\",\"image\":\"i2\",\"ports\":[{\"containerPort\":81}]}]}}");
  assert_json(out, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},"
                   "\"spec\":{\"tolerations\":[{\"key\":\"k2\"}],"
                   "\"containers\":[{\"name\":\"c\",\"image\":\"i2\","
                   "\"ports\":[{\"containerPort\":80},{\"containerPort\":81}]},"
                   "{\"name\":\"d\",\"image\":\"j\"}]}}");
  json_object_put(out);
  cp_schema_doc_free(d);
}

/* Warning header values: kube's 299 form, quotes escaped, packed, and
 * never more than the response's 4 KiB (a warning that does not fit is
 * dropped whole). */
static void test_warning_headers(void **state) {
  struct cp_api_response *rs = calloc(1, sizeof *rs);
  size_t n = 0;
  const char *w;

  (void)state;
  assert_non_null(rs);
  cp_api_add_warning(rs, "unknown field \"spec.foo\"");
  assert_string_equal(rs->warnings, "299 - \"unknown field \\\"spec.foo\\\"\"");
  while (rs->warnings_len < sizeof rs->warnings - 64)
    cp_api_add_warning(rs, "unknown field \"spec.a-rather-long-field-name\"");
  cp_api_add_warning(rs, "unknown field \"spec.a-rather-long-field-name\"");
  assert_true(rs->warnings_len <= sizeof rs->warnings);
  for (w = rs->warnings; w < rs->warnings + rs->warnings_len;
       w += strlen(w) + 1) {
    assert_true(strncmp(w, "299 - \"", 7) == 0);
    assert_int_equal(w[strlen(w) - 1], '"');
    n++;
  }
  assert_true(n > 50);
  free(rs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_refs),
      cmocka_unit_test(test_bad_schemas_refused),
      cmocka_unit_test(test_unknown_fields_and_prune),
      cmocka_unit_test(test_nulls_are_absent),
      cmocka_unit_test(test_validation_errors),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_crd_schema),
      cmocka_unit_test(test_builtins_load),
      cmocka_unit_test(test_builtin_deployment),
      cmocka_unit_test(test_builtin_hooks),
      cmocka_unit_test(test_builtin_pod_and_node),
      cmocka_unit_test(test_smp_from_schema),
      cmocka_unit_test(test_warning_headers),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
