/*
 * Unit tests for host/object/json_format: quote mapping, every directive,
 * escaping of hostile strings, %j validation, refusal of templates that
 * would produce invalid JSON, and the reason cp_json_format_error() gives.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object/json_format.h"
#include "object/object.h"

static void expect(char *got, const char *want) {
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

static void test_quotes_and_strings(void **state) {
  (void)state;
  expect(cp_json_format("{'metadata':{'name':%s}}", "web-1"),
         "{\"metadata\":{\"name\":\"web-1\"}}");
  /* A hostile value cannot break out of its string. */
  expect(cp_json_format("{'a':%s}", "x\",\"admin\":true,\"y\":\"\\\n\t\x01'"),
         "{\"a\":\"x\\\",\\\"admin\\\":true,\\\"y\\\":\\\"\\\\\\n\\t\\u0001'\"}");
  expect(cp_json_format("{'a':%s}", (const char *)NULL), "{\"a\":null}");
  expect(cp_json_format("{'a':%s}", "caf\xc3\xa9"), "{\"a\":\"caf\xc3\xa9\"}");
}

static void test_numbers_and_bools(void **state) {
  (void)state;
  expect(cp_json_format("{'i':%d,'u':%u,'l':%ld,'ll':%lld}", -5, 7u,
                        (long)LONG_MIN, (long long)LLONG_MAX),
         "{\"i\":-5,\"u\":7,\"l\":-9223372036854775808,"
         "\"ll\":9223372036854775807}");
  expect(cp_json_format("[%b,%b]", 1, 0), "[true,false]");
  expect(cp_json_format("{'pct':'100%%'}"), "{\"pct\":\"100%\"}");
}

static void test_raw_json(void **state) {
  (void)state;
  expect(cp_json_format("{'spec':%j}", "{\"replicas\":3}"),
         "{\"spec\":{\"replicas\":3}}");
  expect(cp_json_format("{'spec':%j}", (const char *)NULL),
         "{\"spec\":null}");
  /* Invalid raw JSON is refused, not pasted. */
  assert_null(cp_json_format("{'spec':%j}", "{\"replicas\":"));
  assert_null(cp_json_format("{'spec':%j}", "1,\"x\":2"));
}

static void test_bad_templates(void **state) {
  (void)state;
  assert_null(cp_json_format(NULL));
  assert_null(cp_json_format("{'a':%q}", 1));    /* unknown directive */
  assert_null(cp_json_format("{'a':%l}", 1L));   /* incomplete %l */
  assert_null(cp_json_format("{'a':%s", "x"));   /* unbalanced */
  assert_null(cp_json_format("{'a':}"));         /* no value */
  assert_null(cp_json_format("{'a':1} {}"));     /* two documents */
  assert_null(cp_json_format(""));
  assert_null(cp_json_format("{'a':%d}%", 1));   /* trailing % */
}

static void test_result_parses(void **state) {
  char *s = cp_json_format("{'apiVersion':'v1','kind':'ConfigMap',"
                           "'metadata':{'name':%s,'namespace':%s,"
                           "'labels':{'n':%s}},'data':{'k':%s}}",
                           "cm", "default", "1", "v\"");
  cplane_object *o = NULL;

  (void)state;
  assert_non_null(s);
  assert_int_equal(cp_object_parse(s, strlen(s), &o, NULL), 0);
  assert_string_equal(cp_object_key(o), "default/cm");
  assert_string_equal(cp_object_string(o, "data.k"), "v\"");
  cp_object_release(o);
  free(s);
}

/* cp_json_format_error(): why the last call failed, NULL after success. */
static void test_error_says_why(void **state) {
  (void)state;
  expect(cp_json_format("[%d]", 1), "[1]");
  assert_null(cp_json_format_error());
  assert_null(cp_json_format("{'a':%x}", 1));
  assert_string_equal(cp_json_format_error(),
                      "unknown directive %x at offset 5 of the template");
  assert_null(cp_json_format("[%j]", "[1,"));
  assert_non_null(strstr(cp_json_format_error(),
                         "%j text is not JSON at offset 3: "));
  assert_null(cp_json_format("[%j]", "1 2"));
  assert_non_null(strstr(cp_json_format_error(),
                         "%j text is not JSON at offset 2: "));
  assert_null(cp_json_format("[%j]", "{\"a\":tru}"));
  assert_non_null(strstr(cp_json_format_error(),
                         "%j text is not JSON at offset 5: "));
  assert_null(cp_json_format("{'a':1"));
  assert_non_null(strstr(cp_json_format_error(), "the result is not JSON"));
  assert_null(cp_json_format(""));
  assert_string_equal(cp_json_format_error(), "the template is empty");
  assert_null(cp_json_format(NULL));
  assert_string_equal(cp_json_format_error(), "the template is NULL");
  expect(cp_json_format("%s", "x"), "\"x\"");
  assert_null(cp_json_format_error());
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quotes_and_strings),
      cmocka_unit_test(test_numbers_and_bools),
      cmocka_unit_test(test_raw_json),
      cmocka_unit_test(test_bad_templates),
      cmocka_unit_test(test_result_parses),
      cmocka_unit_test(test_error_says_why),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
