/*
 * Unit tests for host/object/json_strict: exactly Go's JSON grammar, the
 * values Go refuses (NaN, Infinity, 1e400), the repairs Go makes (invalid
 * UTF-8, lone surrogates), duplicate keys and their paths, depth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "object/json_strict.h"

#define OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int parse(const char *s, json_object **o, const char **err) {
  size_t at;

  return cp_json_strict_parse(s, strlen(s), 64, o, NULL, err, &at);
}

/* s parses and re-serializes as want. */
static void round_trip(const char *s, const char *want) {
  json_object *o = NULL;
  const char *err;

  if (parse(s, &o, &err) != CP_JSON_STRICT_OK)
    fail_msg("refused %s: %s", s, err);
  assert_string_equal(o ? json_object_to_json_string_ext(o, OUT) : "null",
                      want);
  json_object_put(o);
}

static void refused(const char *s, const char *want_err) {
  json_object *o = (json_object *)1;
  const char *err = NULL;

  if (parse(s, &o, &err) == CP_JSON_STRICT_OK)
    fail_msg("accepted %s", s);
  assert_null(o);
  assert_non_null(err);
  if (want_err != NULL && strstr(err, want_err) == NULL)
    fail_msg("%s: got \"%s\", want \"%s\"", s, err, want_err);
}

static void test_accepts(void **state) {
  (void)state;
  round_trip("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}",
             "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}");
  round_trip(" \t\r\n[ ] ", "[]");
  round_trip("{}", "{}");
  round_trip("null", "null");
  round_trip("-0", "0");
  round_trip("9223372036854775807", "9223372036854775807");
  round_trip("-9223372036854775808", "-9223372036854775808");
  round_trip("9223372036854775808", "9223372036854775808");
  round_trip("18446744073709551616", "18446744073709551616");
  round_trip("1.50", "1.50");
  round_trip("1e300", "1e300");
  round_trip("-2.5E-3", "-2.5E-3");
  round_trip("1e-400", "1e-400"); /* underflow is 0 for Go, no error */
  round_trip("\"\\u00e9\\ud83d\\ude00\\n\\/\"", "\"é😀\\n/\"");
  /* U+0000 in a value is kept (json-c strings have a length). */
  round_trip("\"a\\u0000b\"", "\"a\\u0000b\"");
}

static void test_repairs_like_go(void **state) {
  (void)state;
  round_trip("\"\\ud800x\"", "\"\xef\xbf\xbdx\"");      /* lone surrogate */
  round_trip("\"a\xff" "b\"", "\"a\xef\xbf\xbd" "b\""); /* invalid byte */
  round_trip("\"\xc0\xaf\"", "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* overlong */
  round_trip("\"\xed\xa0\x80\"",
             "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* UTF-8 surrogate */
}

static void test_refuses_non_json(void **state) {
  (void)state;
  refused("NaN", "invalid character 'N' looking for beginning of value");
  refused("{\"a\":NaN}", "invalid character 'N'");
  refused("{\"a\":Infinity}", "invalid character 'I'");
  refused("{\"a\":-Infinity}", "in numeric literal");
  refused("{\"a\":1e400}", "cannot unmarshal number 1e400");
  refused("-1e400", "cannot unmarshal number");
  refused("{\"a\":1}/*c*/", "after top-level value");
  refused("{/*c*/\"a\":1}", "looking for beginning of object key string");
  refused("// x\n{}", "looking for beginning of value");
  refused("{'a':1}", "invalid character '\\''");
  refused("{\"a\":'x'}", NULL);
  refused("{\"a\":1,}", "looking for beginning of object key string");
  refused("[1,]", "looking for beginning of value");
  refused("[1 2]", "after array element");
  refused("{\"a\" 1}", "after object key");
  refused("{\"a\":1 \"b\":2}", "after object key:value pair");
  refused("01", "after top-level value");
  refused("1.", "unexpected end of JSON input");
  refused("1.x", "after decimal point");
  refused("1ex", "in exponent");
  refused("+1", "looking for beginning of value");
  refused(".5", NULL);
  refused("0x10", NULL);
  refused("tru", "unexpected end of JSON input");
  refused("nul", NULL);
  refused("True", NULL);
  refused("\"a\tb\"", "in string literal");
  refused("\"\\x\"", "in string escape code");
  refused("\"\\u12g4\"", "in \\u hexadecimal character escape");
  refused("\"\\u12", "unexpected end of JSON input");
  refused("\"abc", "unexpected end of JSON input");
  refused("", "unexpected end of JSON input");
  refused("   ", "unexpected end of JSON input");
  refused("{\"a\":1}{}", "after top-level value");
  refused("{\"a\\u0000b\":1}", "U+0000");
}

static void test_nul_byte_input(void **state) {
  json_object *o = NULL;
  const char *err;
  size_t at;

  (void)state;
  /* A NUL in the body is a character, not the end of the document. */
  assert_int_equal(cp_json_strict_parse("{}\0{}", 5, 8, &o, NULL, &err, &at),
                   CP_JSON_STRICT_SYNTAX);
  assert_int_equal(at, 2);
  assert_int_equal(cp_json_strict_parse("\"a\0\"", 4, 8, &o, NULL, &err, &at),
                   CP_JSON_STRICT_SYNTAX);
}

/* No body at all (a PUT with none, found by fuzz_request) is an empty
 * document, and parsing it forms no pointer from NULL (UBSan). */
static void test_no_body(void **state) {
  json_object *o = (json_object *)1;
  const char *err = NULL;
  size_t at = 1;

  (void)state;
  assert_int_equal(cp_json_strict_parse(NULL, 0, 8, &o, NULL, &err, &at),
                   CP_JSON_STRICT_SYNTAX);
  assert_null(o);
  assert_non_null(strstr(err, "unexpected end of JSON input"));
  assert_int_equal(at, 0);
  assert_int_equal(cp_json_strict_parse(NULL, 5, 8, &o, NULL, &err, &at),
                   CP_JSON_STRICT_SYNTAX);
}

static void test_duplicates(void **state) {
  struct cp_json_strict_dups d = {0};
  const char *s = "{\"metadata\":{\"name\":\"a\",\"name\":\"b\"},"
                  "\"spec\":{\"containers\":[{\"x\":1},{\"name\":1,"
                  "\"name\":2}]},\"k\":1,\"k\":2}";
  json_object *o = NULL, *v;
  const char *err;
  size_t at;

  (void)state;
  assert_int_equal(cp_json_strict_parse(s, strlen(s), 64, &o, &d, &err, &at),
                   CP_JSON_STRICT_OK);
  assert_int_equal(d.total, 3);
  assert_int_equal(d.n, 3);
  assert_string_equal(d.paths[0], "metadata.name");
  assert_string_equal(d.paths[1], "spec.containers[1].name");
  assert_string_equal(d.paths[2], "k");
  /* The last wins, as in Go. */
  assert_true(json_object_object_get_ex(o, "k", &v));
  assert_int_equal(json_object_get_int(v), 2);
  cp_json_strict_dups_clear(&d);
  json_object_put(o);
}

static void test_depth(void **state) {
  char deep[200];
  json_object *o = NULL;
  const char *err;
  size_t at;

  (void)state;
  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  assert_int_equal(cp_json_strict_parse(deep, 200, 64, &o, NULL, &err, &at),
                   CP_JSON_STRICT_DEPTH);
  assert_null(o);
  assert_int_equal(cp_json_strict_parse(deep + 36, 128, 64, &o, NULL, &err,
                                        &at),
                   CP_JSON_STRICT_OK);
  json_object_put(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts),
      cmocka_unit_test(test_repairs_like_go),
      cmocka_unit_test(test_refuses_non_json),
      cmocka_unit_test(test_nul_byte_input),
      cmocka_unit_test(test_no_body),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_depth),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
