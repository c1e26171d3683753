/*
 * Unit tests for host/apiserver/query: decoding ('+' and %XX), booleans as
 * kube-apiserver reads them, integers and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/query.h"

static void test_decoding(void **state) {
  struct cp_query q;

  (void)state;
  assert_int_equal(cp_query_parse("labelSelector=app+in+%28web%2Cx%29%2C"
                                  "tier+notin+%28db%29&limit=500&watch",
                                  &q), 0);
  assert_int_equal(q.n, 3);
  assert_string_equal(cp_query_get(&q, "labelSelector"),
                      "app in (web,x),tier notin (db)");
  assert_string_equal(cp_query_get(&q, "limit"), "500");
  assert_string_equal(cp_query_get(&q, "watch"), "");
  assert_null(cp_query_get(&q, "missing"));
  cp_query_free(&q);
  assert_int_equal(cp_query_parse(NULL, &q), 0);
  assert_int_equal(q.n, 0);
  assert_int_equal(cp_query_parse("&&a=1&", &q), 0);
  assert_int_equal(q.n, 1);
  cp_query_free(&q);
  /* The first of repeated keys wins. */
  assert_int_equal(cp_query_parse("a=1&a=2", &q), 0);
  assert_string_equal(cp_query_get(&q, "a"), "1");
  cp_query_free(&q);
}

static void test_bad_escapes(void **state) {
  struct cp_query q;

  (void)state;
  assert_int_equal(cp_query_parse("a=%zz", &q), -1);
  assert_int_equal(q.n, 0);
  assert_int_equal(cp_query_parse("a=%2", &q), -1);
  assert_int_equal(cp_query_parse("a=1&b=%", &q), -1);
}

static void test_booleans(void **state) {
  struct cp_query q;

  (void)state;
  assert_int_equal(cp_query_parse("watch=True&allowWatchBookmarks=true&"
                                  "a=FALSE&b=0&c=&d=1&e=yes",
                                  &q), 0);
  assert_int_equal(cp_query_bool(&q, "watch"), 1);
  assert_int_equal(cp_query_bool(&q, "allowWatchBookmarks"), 1);
  assert_int_equal(cp_query_bool(&q, "a"), 0);
  assert_int_equal(cp_query_bool(&q, "b"), 0);
  assert_int_equal(cp_query_bool(&q, "c"), 1); /* empty means true */
  assert_int_equal(cp_query_bool(&q, "d"), 1);
  assert_int_equal(cp_query_bool(&q, "e"), 1);
  assert_int_equal(cp_query_bool(&q, "absent"), 0);
  cp_query_free(&q);
}

static void test_integers(void **state) {
  struct cp_query q;
  int64_t v = 42;

  (void)state;
  assert_int_equal(cp_query_parse("limit=500&t=-1&x=12a&e=&big="
                                  "99999999999999999999&sp=+5",
                                  &q), 0);
  assert_int_equal(cp_query_int(&q, "limit", 0, INT64_MAX, &v), 1);
  assert_int_equal(v, 500);
  assert_int_equal(cp_query_int(&q, "t", 0, 100, &v), -1); /* range */
  assert_int_equal(cp_query_int(&q, "x", 0, 100, &v), -1);
  assert_int_equal(cp_query_int(&q, "e", 0, 100, &v), -1);
  assert_int_equal(cp_query_int(&q, "big", 0, INT64_MAX, &v), -1);
  assert_int_equal(cp_query_int(&q, "sp", 0, 100, &v), -1);
  v = 7;
  assert_int_equal(cp_query_int(&q, "none", 0, 100, &v), 0);
  assert_int_equal(v, 7);
  cp_query_free(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decoding),
      cmocka_unit_test(test_bad_escapes),
      cmocka_unit_test(test_booleans),
      cmocka_unit_test(test_integers),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
