/*
 * Unit tests for host/apiserver/match_conditions (kube's matchConditions
 * for webhooks and ValidatingAdmissionPolicy) and webhook/conditions:
 * validation with kube's paths and words (count, names, expressions
 * compiled and of type bool), kube's matcher (a false wins over errors,
 * errors follow failurePolicy, the aggregate message), and a webhook's
 * conditions over a request (object, request, authorizer
 * .requestResource).
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

#include "apiserver/match_conditions.h"
#include "apiserver/webhook/conditions.h"
#include "apiserver/webhook/hook.h"
#include "cel/cel.h"

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  return o;
}

/* The errors of validating list (JSON) as "field: message; ...". */
static char *errors_of(const char *list, const char *const *vars) {
  struct cp_field_errors e = CP_FIELD_ERRORS_INIT;
  json_object *a = parse(list);
  char *out = calloc(1, 8192);
  size_t i;

  assert_non_null(out);
  cp_match_conditions_validate(a, "webhooks[0].matchConditions", vars, &e);
  for (i = 0; i < e.n; i++)
    snprintf(out + strlen(out), 8192 - strlen(out), "%s%s: %s",
             i ? "; " : "", e.v[i].field, e.v[i].message);
  cp_field_errors_clear(&e);
  json_object_put(a);
  return out;
}

static void test_validate(void **state) {
  const char *const *vars = cp_match_conditions_webhook_vars;
  char *got, big[8192];
  size_t i;

  (void)state;
  got = errors_of("[{\"name\":\"ok\",\"expression\":\"object.metadata.name "
                  "== 'a'\"},{\"name\":\"also-ok.example.com/x\","
                  "\"expression\":\"request.operation == 'CREATE' && "
                  "authorizer.requestResource.check('get').allowed()\"}]",
                  vars);
  assert_string_equal(got, "");
  free(got);
  got = errors_of(
      "[{\"name\":\"\",\"expression\":\"  \"},"
      "{\"name\":\"-bad-\",\"expression\":\"object.x +\"},"
      "{\"name\":\"n\",\"expression\":\"1 + 1\"},"
      "{\"name\":\"n\",\"expression\":\"params.x == 1\"}]",
      vars);
  assert_non_null(strstr(got, "webhooks[0].matchConditions[0].expression: "
                              "Required value; "
                              "webhooks[0].matchConditions[0].name: Required "
                              "value; "
                              "webhooks[0].matchConditions[1].expression: "
                              "Invalid value: \"object.x +\": compilation "
                              "failed: ERROR: <input>:1:"));
  assert_non_null(strstr(got, "webhooks[0].matchConditions[1].name: Invalid "
                              "value: \"-bad-\": name part must consist of "
                              "alphanumeric characters"));
  assert_non_null(strstr(got, "webhooks[0].matchConditions[2].expression: "
                              "Invalid value: \"1 + 1\": must evaluate to "
                              "bool; "));
  /* params is not a webhook's variable; the name repeats. */
  assert_non_null(strstr(got, "webhooks[0].matchConditions[3].expression: "
                              "Invalid value: \"params.x == 1\": "
                              "compilation failed: ERROR: <input>:1:1: "
                              "undeclared reference to 'params'"));
  assert_non_null(strstr(got, "webhooks[0].matchConditions[3].name: "
                              "Duplicate value: \"n\""));
  free(got);
  /* At most 64; names only when vars is NULL (a policy compiles its
   * expressions itself). */
  strcpy(big, "[");
  for (i = 0; i < 65; i++)
    snprintf(big + strlen(big), sizeof big - strlen(big),
             "%s{\"name\":\"c%zu\",\"expression\":\"oops(\"}", i ? "," : "",
             i);
  strcat(big, "]");
  got = errors_of(big, NULL);
  assert_string_equal(got, "webhooks[0].matchConditions: Too many: 65: must "
                           "have at most 64 items");
  free(got);
}

/* kube's matcher over conditions (JSON list) with object bound to obj. */
static int eval(const char *list, const char *obj, int fail_open,
                char **err) {
  json_object *a = parse(list), *o = parse(obj);
  struct cp_cel_binding b[] = {{"object", o, 0}};
  struct cp_named_expr *c = NULL;
  struct cp_cel_session *s;
  char *cerr = NULL;
  size_t n = 0;
  int rc;

  assert_int_equal(cp_match_conditions_compile(
                       a, cp_match_conditions_webhook_vars, &c, &n, &cerr),
                   0);
  s = cp_cel_session_new(b, 1, NULL, 0, CP_CEL_CRD_BUDGET);
  assert_non_null(s);
  rc = cp_match_conditions_eval(s, c, n, fail_open, cerr, err);
  cp_cel_session_free(s);
  cp_named_exprs_free(c, n);
  free(cerr);
  json_object_put(a);
  json_object_put(o);
  return rc;
}

static void test_matcher(void **state) {
  char *err = NULL;

  (void)state;
  assert_int_equal(eval("[{\"name\":\"a\",\"expression\":\"object.x == 1\"},"
                        "{\"name\":\"b\",\"expression\":\"true\"}]",
                        "{\"x\":1}", 0, &err),
                   1);
  assert_null(err);
  /* One false wins over an error, whatever the failurePolicy. */
  assert_int_equal(eval("[{\"name\":\"a\",\"expression\":\"object.nope == "
                        "1\"},{\"name\":\"b\",\"expression\":\"false\"}]",
                        "{}", 0, &err),
                   0);
  assert_null(err);
  /* Errors and no false: Ignore skips, Fail is kube's aggregate. */
  assert_int_equal(eval("[{\"name\":\"a\",\"expression\":\"object.nope == "
                        "1\"},{\"name\":\"b\",\"expression\":\"true\"}]",
                        "{}", 1, &err),
                   0);
  assert_null(err);
  assert_int_equal(eval("[{\"name\":\"a\",\"expression\":\"object.nope == "
                        "1\"}]",
                        "{}", 0, &err),
                   -1);
  assert_string_equal(err, "expression 'object.nope == 1' resulted in "
                           "error: no such key: nope");
  free(err);
  assert_int_equal(eval("[{\"name\":\"a\",\"expression\":\"object.nope == "
                        "1\"},{\"name\":\"b\",\"expression\":\"object.y == "
                        "1\"},{\"name\":\"c\",\"expression\":\"oops(\"}]",
                        "{}", 0, &err),
                   -1);
  assert_non_null(err);
  assert_non_null(strstr(err, "[expression 'object.nope == 1' resulted in "
                              "error: no such key: nope, expression "
                              "'object.y == 1' resulted in error: no such "
                              "key: y, expression 'oops(' resulted in "
                              "error: compilation failed: ERROR: "));
  free(err);
}

static void test_webhook_conditions(void **state) {
  json_object *def = parse(
      "{\"name\":\"c.example.com\",\"failurePolicy\":\"Fail\","
      "\"matchConditions\":[{\"name\":\"not-kube-system\",\"expression\":"
      "\"request.namespace != 'kube-system'\"},{\"name\":\"labelled\","
      "\"expression\":\"has(object.metadata.labels) && "
      "object.metadata.labels.hook == 'yes'\"},{\"name\":\"rr\","
      "\"expression\":\"authorizer.requestResource.check('create')"
      ".errored()\"}]}");
  json_object *yes = parse("{\"metadata\":{\"labels\":{\"hook\":\"yes\"}}}");
  json_object *no = parse("{\"metadata\":{}}");
  struct cp_api_user user = {"alice", NULL, NULL, 0, NULL, 0};
  struct cp_webhook_attrs a = {"CREATE", "", "v1", "configmaps", "",
                               "ConfigMap", "ns", "c", yes, NULL, NULL,
                               NULL};
  struct cp_webhook_review_in in = {&a, &user, 0, NULL};
  struct cp_webhook h;
  char *err = NULL;

  (void)state;
  assert_int_equal(cp_webhook_parse(def, "cfg", "uid", 0, 0, &h), 0);
  assert_int_equal(h.n_conditions, 3);
  /* No server: the authorizer's checks error (requestResource is the
   * request's own). */
  assert_int_equal(cp_webhook_conditions_match(NULL, &h, &in, &err), 1);
  a.object = no;
  assert_int_equal(cp_webhook_conditions_match(NULL, &h, &in, &err), 0);
  a.ns = "kube-system";
  a.object = yes;
  assert_int_equal(cp_webhook_conditions_match(NULL, &h, &in, &err), 0);
  assert_null(err);
  cp_webhook_clear(&h);
  json_object_put(def);
  json_object_put(yes);
  json_object_put(no);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_validate),
      cmocka_unit_test(test_matcher),
      cmocka_unit_test(test_webhook_conditions),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
