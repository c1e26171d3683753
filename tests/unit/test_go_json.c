/*
 * Unit tests for host/object/go_json: strings and values written as Go's
 * encoding/json.Marshal writes them (HTML escaping, U+2028/U+2029,
 * invalid UTF-8 as U+FFFD byte by byte, Go 1.22's \b and \f, control
 * characters as \u00xx), values compact with members in their order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "object/go_json.h"

static void quoted_is(const char *s, size_t n, const char *want) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  char *got;

  cp_go_json_quoted(&b, s, n);
  got = cp_json_buf_take(&b);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

#define Q(lit, want) quoted_is(lit, sizeof lit - 1, want)

static void test_strings(void **state) {
  (void)state;
  Q("plain/path", "\"plain/path\"");
  Q("a<b>&c", "\"a\\u003cb\\u003e\\u0026c\"");
  Q("q\"\\", "\"q\\\"\\\\\"");
  Q("\n\r\t\b\f\x01\x1f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"");
  Q("nul\0x", "\"nul\\u0000x\"");
  Q("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", /* valid: as is */
    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  Q("\xe2\x80\xa8|\xe2\x80\xa9", "\"\\u2028|\\u2029\"");
  Q("\xff\xc3", "\"\\ufffd\\ufffd\"");              /* bad, cut short */
  Q("\xc0\xaf", "\"\\ufffd\\ufffd\"");              /* overlong */
  Q("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
}

static void test_values(void **state) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  json_object *o = json_tokener_parse(
      "{ \"z\": [1, 2.50, -3e2, true, null, \"<\"], \"a\": {\"k\": {}} }");
  char *got;

  (void)state;
  assert_non_null(o);
  cp_go_json_value(&b, o);
  cp_go_json_value(&b, NULL);
  got = cp_json_buf_take(&b);
  assert_string_equal(got, "{\"z\":[1,2.50,-3e2,true,null,\"\\u003c\"],"
                           "\"a\":{\"k\":{}}}null");
  free(got);
  json_object_put(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_values),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
