/*
 * Unit tests for host/apiserver/webhook: a webhook read from its
 * configuration (defaults, bad types), the matching table (rules with
 * operations, groups, versions, resources and subresources, scope, the
 * Namespace special cases; object and namespace selectors), the order of
 * a snapshot, the AdmissionReview sent, and every check of the answer
 * with kube's wording.
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

#include "apiserver/webhook/hook.h"
#include "apiserver/webhook/match.h"
#include "apiserver/webhook/review.h"
#include "apiserver/webhook/set.h"

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  return o;
}

static void hook_of(const char *def, struct cp_webhook *h) {
  json_object *o = parse(def);

  assert_int_equal(cp_webhook_parse(o, "cfg", "uid-1", 0, 1, h), 0);
  json_object_put(o);
}

/* ------------------------------------------------------------ parse */

static void test_parse_defaults(void **state) {
  struct cp_webhook h;

  (void)state;
  hook_of("{\"name\":\"a.example.com\",\"clientConfig\":{\"service\":"
          "{\"namespace\":\"ns\",\"name\":\"svc\"},\"caBundle\":"
          "\"LS0tLS1CRUdJTg==\"},\"admissionReviewVersions\":[\"v1beta1\","
          "\"v1\"],\"sideEffects\":\"NoneOnDryRun\"}",
          &h);
  assert_string_equal(h.name, "a.example.com");
  assert_string_equal(h.uid, "uid-1/0");
  assert_int_equal(h.fail_open, 0);     /* Fail */
  assert_int_equal(h.exact, 0);         /* Equivalent */
  assert_int_equal(h.timeout_s, 10);
  assert_int_equal(h.svc_port, 443);
  assert_int_equal(h.dry_run_ok, 1);
  assert_int_equal(h.v1, 1);
  assert_int_equal(h.reinvoke, 0);
  assert_string_equal(h.ca_pem, "-----BEGIN");
  assert_null(h.url);
  cp_webhook_clear(&h);
}

static void test_parse_values_and_bad_types(void **state) {
  struct cp_webhook h;
  json_object *o;

  (void)state;
  hook_of("{\"name\":\"b\",\"failurePolicy\":\"Ignore\",\"matchPolicy\":"
          "\"Exact\",\"timeoutSeconds\":31,\"reinvocationPolicy\":"
          "\"IfNeeded\",\"sideEffects\":\"Some\",\"clientConfig\":{\"url\":"
          "\"https://h:8443/x\"},\"admissionReviewVersions\":[\"v1beta1\"],"
          "\"matchConditions\":[]}",
          &h);
  assert_int_equal(h.fail_open, 1);
  assert_int_equal(h.exact, 1);
  assert_int_equal(h.timeout_s, 10); /* out of 1..30: the default */
  assert_int_equal(h.reinvoke, 1);
  assert_int_equal(h.dry_run_ok, 0);
  assert_int_equal(h.v1, 0);
  assert_null(h.conditions); /* an empty list is none */
  assert_string_equal(h.url, "https://h:8443/x");
  cp_webhook_clear(&h);
  /* Wrong types take the defaults; no name is refused. */
  hook_of("{\"name\":\"c\",\"timeoutSeconds\":\"5\",\"rules\":{},"
          "\"clientConfig\":{\"service\":{\"port\":\"x\"}}}",
          &h);
  assert_int_equal(h.timeout_s, 10);
  assert_null(h.rules);
  assert_int_equal(h.svc_port, 443);
  cp_webhook_clear(&h);
  o = parse("{\"rules\":[]}");
  assert_int_equal(cp_webhook_parse(o, "cfg", NULL, 0, 0, &h), -1);
  json_object_put(o);
}

/* ------------------------------------------------------------ matching */

struct match_case {
  const char *rules; /* JSON array */
  const char *op, *group, *version, *resource, *sub, *ns;
  int want;
};

static void test_rules_table(void **state) {
  static const struct match_case cases[] = {
      {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":"
       "[\"v1\"],\"resources\":[\"pods\"]}]",
       "CREATE", "", "v1", "pods", "", "ns", 1},
      {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":"
       "[\"v1\"],\"resources\":[\"pods\"]}]",
       "UPDATE", "", "v1", "pods", "", "ns", 0},
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"]}]",
       "DELETE", "apps", "v1", "deployments", "", "ns", 1},
      /* "*" is every main resource, not a subresource. */
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"]}]",
       "UPDATE", "", "v1", "pods", "status", "ns", 0},
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*/*\"]}]",
       "UPDATE", "", "v1", "pods", "status", "ns", 1},
      {"[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":"
       "[\"v1\"],\"resources\":[\"pods/status\"]}]",
       "UPDATE", "", "v1", "pods", "status", "ns", 1},
      {"[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":"
       "[\"v1\"],\"resources\":[\"pods/status\"]}]",
       "UPDATE", "", "v1", "pods", "", "ns", 0},
      {"[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"apps\"],"
       "\"apiVersions\":[\"v1\"],\"resources\":[\"*/scale\"]}]",
       "UPDATE", "apps", "v1", "deployments", "scale", "ns", 1},
      /* A resource with sub "*" covers the main resource too. */
      {"[{\"operations\":[\"CONNECT\"],\"apiGroups\":[\"\"],\"apiVersions\":"
       "[\"v1\"],\"resources\":[\"pods/*\"]}]",
       "CONNECT", "", "v1", "pods", "", "ns", 1},
      {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"apps\"],"
       "\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"]}]",
       "CREATE", "", "v1", "pods", "", "ns", 0},
      {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":"
       "[\"v2\"],\"resources\":[\"pods\"]}]",
       "CREATE", "", "v1", "pods", "", "ns", 0},
      /* scope: Namespaced, Cluster, and a Namespace object. */
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"],\"scope\":\"Namespaced\"}]",
       "CREATE", "", "v1", "pods", "", "ns", 1},
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"],\"scope\":\"Namespaced\"}]",
       "CREATE", "", "v1", "nodes", "", "", 0},
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"],\"scope\":\"Namespaced\"}]",
       "CREATE", "", "v1", "namespaces", "", "ns1", 0},
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"],\"scope\":\"Cluster\"}]",
       "CREATE", "", "v1", "namespaces", "", "ns1", 1},
      {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":"
       "[\"*\"],\"resources\":[\"*\"],\"scope\":\"Cluster\"}]",
       "CREATE", "", "v1", "pods", "", "ns", 0},
      /* Several rules: any one. Non-strings are skipped. */
      {"[{\"operations\":[1],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
       "\"resources\":[\"pods\"]},{\"operations\":[\"CREATE\"],"
       "\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":"
       "[\"configmaps\"]}]",
       "CREATE", "", "v1", "configmaps", "", "ns", 1},
      {"[]", "CREATE", "", "v1", "pods", "", "ns", 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cp_webhook h = {0};
    struct cp_webhook_attrs a = {cases[i].op,       cases[i].group,
                                 cases[i].version,  cases[i].resource,
                                 cases[i].sub,      "Kind",
                                 cases[i].ns,       "n",
                                 NULL,              NULL,
                                 NULL,              NULL};

    h.rules = parse(cases[i].rules);
    if (cp_webhook_rules_match(&h, &a) != cases[i].want)
      fail_msg("case %zu: %s %s/%s %s/%s want %d", i, cases[i].op,
               cases[i].group, cases[i].version, cases[i].resource,
               cases[i].sub, cases[i].want);
    json_object_put(h.rules);
  }
}

static void test_selector_table(void **state) {
  static const struct {
    const char *sel, *labels;
    int want;
  } cases[] = {
      {"{}", "{}", 1},
      {"{\"matchLabels\":{\"a\":\"b\"}}", "{\"a\":\"b\",\"c\":\"d\"}", 1},
      {"{\"matchLabels\":{\"a\":\"b\"}}", "{\"a\":\"x\"}", 0},
      {"{\"matchLabels\":{\"a\":\"b\"}}", "{}", 0},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
       "\"values\":[\"x\",\"y\"]}]}",
       "{\"a\":\"y\"}", 1},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
       "\"values\":[\"x\"]}]}",
       "{}", 0},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\","
       "\"values\":[\"x\"]}]}",
       "{}", 1},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\","
       "\"values\":[\"x\"]}]}",
       "{\"a\":\"x\"}", 0},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}",
       "{\"a\":\"\"}", 1},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":"
       "\"DoesNotExist\"}]}",
       "{\"a\":\"1\"}", 0},
      {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Bogus\"}]}",
       "{\"a\":\"1\"}", 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_object *s = parse(cases[i].sel), *l = parse(cases[i].labels);

    if (cp_webhook_selector_match(s, l) != cases[i].want)
      fail_msg("case %zu: %s on %s", i, cases[i].sel, cases[i].labels);
    json_object_put(s);
    json_object_put(l);
  }
  assert_int_equal(cp_webhook_selector_match(NULL, NULL), 1);
}

static void test_object_and_namespace_selectors(void **state) {
  struct cp_webhook h = {0};
  json_object *obj = parse("{\"metadata\":{\"labels\":{\"app\":\"x\"}}}");
  json_object *old = parse("{\"metadata\":{\"labels\":{\"app\":\"old\"}}}");
  json_object *nsl = parse("{\"env\":\"prod\"}");
  json_object *own = parse("{\"metadata\":{\"labels\":{\"env\":\"prod\"}}}");
  struct cp_webhook_attrs a = {"UPDATE", "", "v1", "configmaps", "",
                               "ConfigMap", "ns", "c", obj, old, NULL, NULL};

  (void)state;
  h.obj_selector = parse("{\"matchLabels\":{\"app\":\"old\"}}");
  assert_int_equal(cp_webhook_object_match(&h, &a), 1); /* the old one */
  a.old_object = NULL;
  assert_int_equal(cp_webhook_object_match(&h, &a), 0);
  h.ns_selector = parse("{\"matchLabels\":{\"env\":\"prod\"}}");
  assert_int_equal(cp_webhook_needs_ns_labels(&h, &a), 1);
  assert_int_equal(cp_webhook_ns_match(&h, &a, nsl), 1);
  assert_int_equal(cp_webhook_ns_match(&h, &a, NULL), 0);
  /* Cluster-scoped objects are never excluded. */
  a.ns = "";
  a.resource = "nodes";
  assert_int_equal(cp_webhook_needs_ns_labels(&h, &a), 0);
  assert_int_equal(cp_webhook_ns_match(&h, &a, NULL), 1);
  /* A Namespace created is judged by its own labels; deleted, by the
   * stored namespace's. */
  a.resource = "namespaces";
  a.ns = "prod-ns";
  a.operation = "CREATE";
  a.object = own;
  assert_int_equal(cp_webhook_needs_ns_labels(&h, &a), 0);
  assert_int_equal(cp_webhook_ns_match(&h, &a, NULL), 1);
  a.operation = "DELETE";
  a.object = NULL;
  assert_int_equal(cp_webhook_needs_ns_labels(&h, &a), 1);
  assert_int_equal(cp_webhook_ns_match(&h, &a, NULL), 0);
  json_object_put(h.obj_selector);
  json_object_put(h.ns_selector);
  json_object_put(obj);
  json_object_put(old);
  json_object_put(nsl);
  json_object_put(own);
}

/* ------------------------------------------------------------ snapshot */

static void test_snapshot_order(void **state) {
  json_object *cfgs[2] = {
      parse("{\"metadata\":{\"name\":\"zz\",\"uid\":\"u2\"},\"webhooks\":"
            "[{\"name\":\"z1\"},{\"name\":\"z2\"}]}"),
      parse("{\"metadata\":{\"name\":\"aa\",\"uid\":\"u1\"},\"webhooks\":"
            "[{\"name\":\"a1\"},{\"noname\":1}]}")};
  struct cp_webhook_snapshot *s = cp_webhook_snapshot_build(cfgs, 2, 0);

  (void)state;
  assert_non_null(s);
  assert_int_equal(s->n, 3); /* the nameless one is skipped */
  assert_string_equal(s->hooks[0].name, "a1");
  assert_string_equal(s->hooks[1].name, "z1");
  assert_string_equal(s->hooks[2].name, "z2");
  assert_string_equal(s->hooks[2].uid, "u2/1");
  cp_webhook_snapshot_free(s);
  json_object_put(cfgs[0]);
  json_object_put(cfgs[1]);
}

/* ------------------------------------------------------------ review */

static void test_review_request(void **state) {
  char *groups[] = {"system:masters", "system:authenticated"};
  char *extra[] = {"k=v1", "k=v2"};
  struct cp_api_user u = {"alice", "42", groups, 2, extra, 2};
  json_object *obj = parse("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}");
  json_object *opts = parse("{\"kind\":\"CreateOptions\"}");
  struct cp_webhook_attrs a = {"CREATE", "", "v1", "pods", "status",
                               "Pod", "ns", "p", obj, NULL, NULL, NULL};
  struct cp_webhook_review_in in = {&a, &u, 1, opts};
  char *text = cp_webhook_review_request(&in, "the-uid");
  json_object *r, *rq;

  (void)state;
  assert_non_null(text);
  r = parse(text);
  assert_string_equal(json_object_get_string(json_object_object_get(r,
                          "apiVersion")),
                      "admission.k8s.io/v1");
  rq = json_object_object_get(r, "request");
  assert_string_equal(
      json_object_get_string(json_object_object_get(rq, "uid")), "the-uid");
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(rq, "kind"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"}");
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(rq, "resource"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"group\":\"\",\"version\":\"v1\","
                      "\"resource\":\"pods\"}");
  assert_string_equal(json_object_get_string(json_object_object_get(rq,
                          "subResource")),
                      "status");
  assert_string_equal(json_object_get_string(json_object_object_get(rq,
                          "requestSubResource")),
                      "status");
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(rq, "userInfo"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"username\":\"alice\",\"uid\":\"42\",\"groups\":"
                      "[\"system:masters\",\"system:authenticated\"],"
                      "\"extra\":{\"k\":[\"v1\",\"v2\"]}}");
  assert_true(json_object_get_boolean(json_object_object_get(rq, "dryRun")));
  assert_true(json_object_object_get_ex(rq, "oldObject", NULL));
  assert_null(json_object_object_get(rq, "oldObject"));
  assert_string_equal(json_object_get_string(json_object_object_get(rq,
                          "operation")),
                      "CREATE");
  json_object_put(r);
  free(text);
  json_object_put(obj);
  json_object_put(opts);
}

/* A /scale write is reviewed as kube's: kind autoscaling/v1 Scale, the
 * resource the deployment's, subResource scale. */
static void test_review_request_scale(void **state) {
  struct cp_api_user u = {"alice", NULL, NULL, 0, NULL, 0};
  json_object *obj = parse("{\"kind\":\"Scale\",\"spec\":{\"replicas\":2}}");
  struct cp_webhook_attrs a = {"UPDATE", "apps", "v1", "deployments",
                               "scale", "Scale", "ns", "d", obj, obj,
                               "autoscaling", "v1"};
  struct cp_webhook_review_in in = {&a, &u, 0, NULL};
  char *text = cp_webhook_review_request(&in, "u");
  json_object *r, *rq;

  (void)state;
  assert_non_null(text);
  r = parse(text);
  rq = json_object_object_get(r, "request");
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(rq, "kind"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"group\":\"autoscaling\",\"version\":\"v1\","
                      "\"kind\":\"Scale\"}");
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(rq, "requestKind"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"group\":\"autoscaling\",\"version\":\"v1\","
                      "\"kind\":\"Scale\"}");
  assert_string_equal(json_object_to_json_string_ext(
                          json_object_object_get(rq, "resource"),
                          JSON_C_TO_STRING_PLAIN),
                      "{\"group\":\"apps\",\"version\":\"v1\","
                      "\"resource\":\"deployments\"}");
  json_object_put(r);
  free(text);
  json_object_put(obj);
}

struct answer_case {
  const char *body;
  int mutating, rc;
  const char *err; /* expected *err, or NULL */
};

static void test_review_response_table(void **state) {
  static const struct answer_case cases[] = {
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":true}}",
       0, CP_WEBHOOK_REVIEW_OK, NULL},
      {"garbage", 0, CP_WEBHOOK_REVIEW_UNDECODABLE,
       "invalid character 'g' looking for beginning of value at byte 0"},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
       0, CP_WEBHOOK_REVIEW_INVALID, "webhook response was absent"},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"other\",\"allowed\":true}}",
       0, CP_WEBHOOK_REVIEW_INVALID,
       "expected response.uid=\"u\", got \"other\""},
      {"{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":"
       "\"AdmissionReview\",\"response\":{\"uid\":\"u\",\"allowed\":true}}",
       0, CP_WEBHOOK_REVIEW_INVALID,
       "expected webhook response of admission.k8s.io/v1, "
       "Kind=AdmissionReview, got admission.k8s.io/v1beta1, "
       "Kind=AdmissionReview"},
      {"{\"response\":{\"uid\":\"u\",\"allowed\":true}}", 0,
       CP_WEBHOOK_REVIEW_INVALID,
       "expected webhook response of admission.k8s.io/v1, "
       "Kind=AdmissionReview, got /, Kind="},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":\"yes\"}}",
       0, CP_WEBHOOK_REVIEW_UNDECODABLE,
       "json: cannot unmarshal string into Go struct field "
       "AdmissionReview.response.allowed of type bool"},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":true,\"patch\":\"W10=\"}}",
       0, CP_WEBHOOK_REVIEW_INVALID,
       "validating webhook may not return response.patch"},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":true,\"patch\":\"W10=\"}}",
       1, CP_WEBHOOK_REVIEW_INVALID,
       "webhook returned response.patch but not response.patchType"},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":true,\"patchType\":"
       "\"JSONPatch\"}}",
       1, CP_WEBHOOK_REVIEW_INVALID,
       "webhook returned response.patchType but not response.patch"},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":true,\"patch\":\"W10=\","
       "\"patchType\":\"Merge\"}}",
       1, CP_WEBHOOK_REVIEW_INVALID,
       "webhook returned invalid response.patchType of \"Merge\""},
      {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
       "\"response\":{\"uid\":\"u\",\"allowed\":true,\"patch\":\"!!\","
       "\"patchType\":\"JSONPatch\"}}",
       1, CP_WEBHOOK_REVIEW_UNDECODABLE, NULL},
      {"[]", 0, CP_WEBHOOK_REVIEW_UNDECODABLE,
       "json: cannot unmarshal array into Go value of type "
       "v1.AdmissionReview"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cp_webhook_verdict v;
    char *err = NULL;
    int rc = cp_webhook_review_response(cases[i].body, strlen(cases[i].body),
                                        "u", cases[i].mutating, &v, &err);

    if (rc != cases[i].rc)
      fail_msg("case %zu: rc %d want %d (%s)", i, rc, cases[i].rc,
               err ? err : "");
    if (cases[i].err != NULL &&
        (err == NULL || strcmp(err, cases[i].err) != 0))
      fail_msg("case %zu: err '%s' want '%s'", i, err ? err : "(null)",
               cases[i].err);
    if (rc != CP_WEBHOOK_REVIEW_OK)
      assert_non_null(err);
    free(err);
    cp_webhook_verdict_clear(&v);
  }
}

static void test_review_response_patch_and_denial(void **state) {
  const char *ok = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                   "\"AdmissionReview\",\"response\":{\"uid\":\"u\","
                   "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":"
                   "\"W3sib3AiOiJhZGQiLCJwYXRoIjoiL2EiLCJ2YWx1ZSI6MX1d\","
                   "\"warnings\":[\"w1\"],\"auditAnnotations\":{\"k\":\"v\"}"
                   "}}";
  const char *no = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                   "\"AdmissionReview\",\"response\":{\"uid\":\"u\","
                   "\"allowed\":false,\"status\":{\"code\":403,\"message\":"
                   "\"nope\"}}}";
  struct cp_webhook_verdict v;
  char *err = NULL;

  (void)state;
  assert_int_equal(cp_webhook_review_response(ok, strlen(ok), "u", 1, &v,
                                              &err),
                   CP_WEBHOOK_REVIEW_OK);
  assert_int_equal(v.allowed, 1);
  assert_int_equal(v.patch_len, strlen("[{\"op\":\"add\",\"path\":\"/a\","
                                       "\"value\":1}]"));
  assert_memory_equal(v.patch, "[{\"op\":\"add\"", 12);
  assert_int_equal(json_object_array_length(v.warnings), 1);
  cp_webhook_verdict_clear(&v);
  assert_int_equal(cp_webhook_review_response(no, strlen(no), "u", 0, &v,
                                              &err),
                   CP_WEBHOOK_REVIEW_OK);
  assert_int_equal(v.allowed, 0);
  assert_non_null(v.status);
  cp_webhook_verdict_clear(&v);
  /* Nothing at all (an empty 200). */
  assert_int_equal(cp_webhook_review_response(NULL, 0, "u", 0, &v, &err),
                   CP_WEBHOOK_REVIEW_UNDECODABLE);
  assert_non_null(err);
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_defaults),
      cmocka_unit_test(test_parse_values_and_bad_types),
      cmocka_unit_test(test_rules_table),
      cmocka_unit_test(test_selector_table),
      cmocka_unit_test(test_object_and_namespace_selectors),
      cmocka_unit_test(test_snapshot_order),
      cmocka_unit_test(test_review_request),
      cmocka_unit_test(test_review_request_scale),
      cmocka_unit_test(test_review_response_table),
      cmocka_unit_test(test_review_response_patch_and_denial),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
