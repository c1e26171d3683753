/*
 * Unit tests for host/labels/names: the DNS-1123 and qualified-name rules
 * at their edges (lengths, case, dots, dashes) and kube-apiserver's
 * messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "labels/names.h"

static int sub(const char *s) {
  return cp_name_is_dns1123_subdomain(s, strlen(s));
}

static int lab(const char *s) { return cp_name_is_dns1123_label(s, strlen(s)); }

/* A string of n copies of c (n < 400). */
static const char *rep(char c, size_t n) {
  static char buf[2][400];
  static int which;
  char *b = buf[which ^= 1];

  memset(b, c, n);
  b[n] = '\0';
  return b;
}

static void test_dns1123_subdomain(void **state) {
  (void)state;
  assert_true(sub("a"));
  assert_true(sub("web-1"));
  assert_true(sub("example.com"));
  assert_true(sub("0.1-2.x"));
  assert_true(sub(rep('a', 253)));
  /* Labels of a subdomain may be longer than 63 (kube checks only 253). */
  assert_true(sub(rep('b', 100)));
  assert_false(sub(rep('a', 254)));
  assert_false(sub(""));
  assert_false(sub("Web"));
  assert_false(sub("-a"));
  assert_false(sub("a-"));
  assert_false(sub("a..b"));
  assert_false(sub(".a"));
  assert_false(sub("a."));
  assert_false(sub("a_b"));
  assert_false(sub("a/b"));
  assert_false(cp_name_is_dns1123_subdomain(NULL, 0));
}

static void test_dns1123_label(void **state) {
  (void)state;
  assert_true(lab("default"));
  assert_true(lab("kube-system"));
  assert_true(lab("1a"));
  assert_true(lab(rep('z', 63)));
  assert_false(lab(rep('z', 64)));
  assert_false(lab("a.b"));
  assert_false(lab(""));
  assert_false(lab("A"));
  assert_false(lab("a-"));
}

static void test_qualified_and_values(void **state) {
  (void)state;
  assert_true(cp_name_is_qualified("app"));
  assert_true(cp_name_is_qualified("App_Name.v1"));
  assert_true(cp_name_is_qualified("app.kubernetes.io/name"));
  assert_true(cp_name_is_qualified("x/Y"));
  assert_false(cp_name_is_qualified(""));
  assert_false(cp_name_is_qualified("/name"));
  assert_false(cp_name_is_qualified("prefix/"));
  assert_false(cp_name_is_qualified("Upper.io/name"));
  assert_false(cp_name_is_qualified("a/b/c"));
  assert_false(cp_name_is_qualified("-app"));
  assert_false(cp_name_is_qualified(rep('k', 64)));
  assert_false(cp_name_is_qualified(NULL));

  assert_true(cp_name_is_label_value(""));
  assert_true(cp_name_is_label_value("v1.2_3-x"));
  assert_true(cp_name_is_label_value(rep('v', 63)));
  assert_false(cp_name_is_label_value(rep('v', 64)));
  assert_false(cp_name_is_label_value("a b"));
  assert_false(cp_name_is_label_value("_a"));
  assert_false(cp_name_is_label_value("a/b"));
  assert_false(cp_name_is_label_value(NULL));
}

static void test_messages(void **state) {
  (void)state;
  assert_null(cp_name_dns1123_subdomain_error("ok.name"));
  assert_non_null(strstr(cp_name_dns1123_subdomain_error("Bad"),
                         "a lowercase RFC 1123 subdomain must consist of"));
  assert_string_equal(cp_name_dns1123_subdomain_error(rep('a', 254)),
                      "must be no more than 253 characters");
  assert_null(cp_name_dns1123_label_error("default"));
  assert_non_null(strstr(cp_name_dns1123_label_error("a.b"),
                         "a lowercase RFC 1123 label"));
  assert_string_equal(cp_name_dns1123_label_error(rep('a', 64)),
                      "must be no more than 63 characters");
  assert_null(cp_name_qualified_error("app.kubernetes.io/name"));
  assert_string_equal(cp_name_qualified_error(""),
                      "name part must be non-empty");
  assert_string_equal(cp_name_qualified_error("/x"),
                      "prefix part must be non-empty");
  assert_string_equal(cp_name_qualified_error("p/"),
                      "name part must be non-empty");
  assert_non_null(strstr(cp_name_qualified_error("Bad_/x"),
                         "prefix part a lowercase RFC 1123 subdomain"));
  assert_string_equal(cp_name_qualified_error(rep('n', 64)),
                      "name part must be no more than 63 characters");
  assert_non_null(strstr(cp_name_qualified_error("-x"),
                         "name part must consist of alphanumeric"));
  assert_null(cp_name_label_value_error(""));
  assert_non_null(strstr(cp_name_label_value_error("a b"),
                         "a valid label must be an empty string"));
  assert_string_equal(cp_name_label_value_error(rep('v', 64)),
                      "must be no more than 63 characters");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dns1123_subdomain),
      cmocka_unit_test(test_dns1123_label),
      cmocka_unit_test(test_qualified_and_values),
      cmocka_unit_test(test_messages),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
