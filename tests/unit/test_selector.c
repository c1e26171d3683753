/*
 * Unit tests for host/labels/selector: the kubectl -l grammar, its error
 * messages and the matching rules (absent labels match != and notin).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labels/selector.h"
#include "object/object.h"

/* A label set given as "k1", "v1", "k2", "v2", ..., NULL. */
struct labels {
  const char *const *kv;
};

static const char *lookup(void *userdata, const char *key) {
  const struct labels *l = userdata;
  size_t i;

  for (i = 0; l->kv[i] != NULL; i += 2)
    if (strcmp(l->kv[i], key) == 0)
      return l->kv[i + 1];
  return NULL;
}

/* Parses `text` (which must be valid) and matches it against `kv`. */
static int match(const char *text, const char *const *kv) {
  cp_selector *sel = NULL;
  char *err = NULL;
  struct labels l = {kv};
  int rc, m;

  rc = cp_selector_parse(text, &sel, &err);
  if (rc != CPLANE_OK)
    fail_msg("parse \"%s\": %s", text, err != NULL ? err : "?");
  m = cp_selector_matches_fn(sel, lookup, &l);
  cp_selector_free(sel);
  return m;
}

static const char *const web[] = {"app", "web", "tier", "frontend",
                                  "app.kubernetes.io/name", "nginx",
                                  "replicas", "5", NULL};
static const char *const none[] = {NULL};

static void test_empty_matches_everything(void **state) {
  cp_selector *sel = NULL;
  char *err = NULL;

  (void)state;
  assert_int_equal(cp_selector_parse(NULL, &sel, &err), CPLANE_OK);
  assert_true(cp_selector_is_empty(sel));
  cp_selector_free(sel);
  assert_int_equal(cp_selector_parse("  ", &sel, &err), CPLANE_OK);
  assert_true(cp_selector_is_empty(sel));
  cp_selector_free(sel);
  assert_true(match("", web));
  assert_true(match("", none));
}

static void test_equality(void **state) {
  (void)state;
  assert_true(match("app=web", web));
  assert_true(match("app==web", web));
  assert_false(match("app=db", web));
  assert_true(match("app!=db", web));
  assert_false(match("app!=web", web));
  /* != matches an absent label, as kube-apiserver does. */
  assert_true(match("missing!=x", web));
  assert_false(match("missing=x", web));
  assert_true(match(" app = web , tier = frontend ", web));
  assert_false(match("app=web,tier=backend", web));
  assert_true(match("app.kubernetes.io/name=nginx", web));
}

static void test_set_based(void **state) {
  (void)state;
  assert_true(match("app in (web, db)", web));
  assert_true(match("app in(web)", web));
  assert_false(match("app in (db,cache)", web));
  assert_true(match("app notin (db)", web));
  assert_false(match("app notin (db,web)", web));
  assert_true(match("missing notin (x)", web));
  assert_false(match("missing in (x)", web));
  assert_true(match("app", web));
  assert_false(match("missing", web));
  assert_true(match("!missing", web));
  assert_false(match("!app", web));
  assert_true(match("app,!missing,tier in (frontend),app!=x", web));
  assert_true(match("env in (prod, )", (const char *const[]){"env", "", NULL}));
}

static void test_numeric(void **state) {
  (void)state;
  assert_true(match("replicas>3", web));
  assert_false(match("replicas>5", web));
  assert_true(match("replicas<6", web));
  assert_false(match("app>1", web)); /* not a number: no match */
  assert_false(match("missing<10", web));
}

/* Each bad selector is refused with a message naming the selector and the
 * position. */
static void expect_error(const char *text, const char *fragment) {
  cp_selector *sel = (cp_selector *)1;
  char *err = NULL;

  assert_int_equal(cp_selector_parse(text, &sel, &err), CPLANE_EINVAL);
  assert_null(sel);
  assert_non_null(err);
  if (strstr(err, fragment) == NULL || strstr(err, text) == NULL)
    fail_msg("error for \"%s\" is \"%s\", expected \"%s\"", text, err,
             fragment);
  free(err);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("=web", "expected a label key");
  expect_error("app in web", "expected '('");
  expect_error("app in (a b)", "expected ',' or ')'");
  expect_error("app in (a", "expected ',' or ')'");
  expect_error("app web", "expected an operator");
  expect_error("app=web tier=x", "expected ',' between");
  expect_error("-app=x", "invalid label key");
  expect_error("Bad_Prefix/app=x", "invalid label key");
  expect_error("a/b/c=x", "invalid label key");
  expect_error("app=-web", "invalid label value");
  expect_error("app=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
               "aaa",
               "invalid label value");
  expect_error("replicas>x", "not an integer");
  expect_error("app,", "expected a label key");
  expect_error("!", "expected a label key");
}

static void test_error_without_errmsg(void **state) {
  cp_selector *sel = NULL;

  (void)state;
  assert_int_equal(cp_selector_parse("app in", &sel, NULL), CPLANE_EINVAL);
  assert_null(sel);
}

static void test_matches_object(void **state) {
  static const char pod[] =
      "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\","
      "\"app.kubernetes.io/part-of\":\"shop\"}}}";
  cplane_object *obj = NULL;
  cp_selector *sel = NULL;

  (void)state;
  assert_int_equal(cp_object_parse(pod, sizeof(pod) - 1, &obj, NULL),
                   CPLANE_OK);
  assert_int_equal(
      cp_selector_parse("app=web,app.kubernetes.io/part-of in (shop)", &sel,
                        NULL),
      CPLANE_OK);
  assert_true(cp_selector_matches(sel, obj));
  cp_selector_free(sel);
  assert_int_equal(cp_selector_parse("app=db", &sel, NULL), CPLANE_OK);
  assert_false(cp_selector_matches(sel, obj));
  cp_selector_free(sel);
  cp_object_release(obj);
}

static void test_text_from_label_selector(void **state) {
  static const char doc[] =
      "{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"},"
      "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
      "\"values\":[\"a\",\"b\"]},{\"key\":\"canary\",\"operator\":"
      "\"DoesNotExist\"},{\"key\":\"zone\",\"operator\":\"Exists\"},"
      "{\"key\":\"x\",\"operator\":\"NotIn\",\"values\":[\"y\"]}]},"
      "\"empty\":{},\"bad\":{\"matchExpressions\":[{\"key\":\"a\","
      "\"operator\":\"Gt\",\"values\":[\"1\"]}]}}}";
  cplane_object *obj = NULL;
  cp_selector *sel = NULL;
  char *text;

  (void)state;
  assert_int_equal(cp_object_parse(doc, sizeof doc - 1, &obj, NULL),
                   CPLANE_OK);
  text = cp_selector_text_from(obj, "spec.selector");
  assert_non_null(text);
  assert_string_equal(text,
                      "app=web,tier in (a,b),!canary,zone,x notin (y)");
  /* The text is what the selector parser takes. */
  assert_int_equal(cp_selector_parse(text, &sel, NULL), CPLANE_OK);
  cp_selector_free(sel);
  free(text);
  text = cp_selector_text_from(obj, "spec.empty");
  assert_non_null(text);
  assert_string_equal(text, "");
  free(text);
  assert_null(cp_selector_text_from(obj, "spec.bad"));
  assert_null(cp_selector_text_from(obj, "spec.absent"));
  cp_object_release(obj);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_matches_everything),
      cmocka_unit_test(test_equality),
      cmocka_unit_test(test_set_based),
      cmocka_unit_test(test_numeric),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_error_without_errmsg),
      cmocka_unit_test(test_matches_object),
      cmocka_unit_test(test_text_from_label_selector),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
