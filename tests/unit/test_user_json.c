/*
 * Unit tests for host/apiserver/user_json: the one UserInfo that
 * TokenReview, SelfSubjectReview and AdmissionReview all carry, as kube
 * writes it (empty members left out, extra a map of lists).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/user_json.h"

static void expect_json(const struct cp_api_user *u, const char *want) {
  json_object *o = cp_api_user_json(u);

  assert_non_null(o);
  assert_string_equal(json_object_to_json_string_ext(
                          o, JSON_C_TO_STRING_PLAIN |
                                 JSON_C_TO_STRING_NOSLASHESCAPE),
                      want);
  json_object_put(o);
}

static void test_full_user(void **state) {
  char *groups[] = {"system:serviceaccounts", "system:authenticated"};
  char *extra[] = {"authentication.kubernetes.io/pod-name=p1",
                   "scopes=a", "no-equals-sign", "scopes=b"};
  struct cp_api_user u = {.name = "system:serviceaccount:default:bob",
                          .uid = "u-1",
                          .groups = groups,
                          .n_groups = 2,
                          .extra = extra,
                          .n_extra = 4};

  (void)state;
  expect_json(&u, "{\"username\":\"system:serviceaccount:default:bob\","
                  "\"uid\":\"u-1\",\"groups\":[\"system:serviceaccounts\","
                  "\"system:authenticated\"],\"extra\":{"
                  "\"authentication.kubernetes.io/pod-name\":[\"p1\"],"
                  "\"scopes\":[\"a\",\"b\"]}}");
}

/* omitempty: no uid, no groups, no extra; no user at all is {}. */
static void test_empty_members(void **state) {
  struct cp_api_user u = {.name = "alice", .uid = ""};
  struct cp_api_user none = {0};

  (void)state;
  expect_json(&u, "{\"username\":\"alice\"}");
  expect_json(&none, "{}");
  expect_json(NULL, "{}");
}

/* A key past the bound is skipped, not truncated into another key. */
static void test_long_extra_key(void **state) {
  char key[CP_USER_JSON_MAX_KEY + 8], *extra[2];
  struct cp_api_user u = {.name = "a", .extra = extra, .n_extra = 2};

  (void)state;
  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 3] = '=';
  key[sizeof key - 2] = 'v';
  key[sizeof key - 1] = '\0';
  extra[0] = key;
  extra[1] = "x=y";
  expect_json(&u, "{\"username\":\"a\",\"extra\":{\"x\":[\"y\"]}}");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_user),
      cmocka_unit_test(test_empty_members),
      cmocka_unit_test(test_long_extra_key),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
