/*
 * test_quota_versions - the version of a quota ResourceQuota admission
 * charges is the newer of the policy cache's and the one this server
 * noted (wrote or read): the noted one only when its revision is larger;
 * an older note never replaces a newer one; keys do not mix; the least
 * recently used goes when the cache is full; NULL (no cache) knows
 * nothing. A parsed quota kept for the noted version is taken once, at
 * that revision only, and a newer note drops it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/quota_versions.h"

#define KEY "/registry/resourcequotas/q/q"

static void note(struct cp_quota_versions *c, const char *key, int64_t rev,
                 const char *text) {
  cp_quota_versions_note(c, key, rev, text, strlen(text));
}

/* Asserts what newer answers for key at rev: want_text NULL for "the
 * caller's is as new". */
static void expect_newer(struct cp_quota_versions *c, const char *key,
                         int64_t rev, const char *want_text, int64_t want_rev) {
  char *text = (char *)"unset";
  int64_t got = -1;
  int r = cp_quota_versions_newer(c, key, rev, &text, &got);

  if (want_text == NULL) {
    assert_int_equal(r, 0);
    assert_null(text);
    return;
  }
  assert_int_equal(r, 1);
  assert_string_equal(text, want_text);
  assert_int_equal(got, want_rev);
  free(text);
}

static void test_newer_of_cache_and_own_write(void **state) {
  struct cp_quota_versions *c = cp_quota_versions_new();

  (void)state;
  assert_non_null(c);
  expect_newer(c, KEY, 5, NULL, 0); /* nothing noted: the cache's */
  note(c, KEY, 7, "{\"w\":7}");     /* this server wrote rev 7 */
  expect_newer(c, KEY, 5, "{\"w\":7}", 7); /* cache older: own write */
  expect_newer(c, KEY, 7, NULL, 0);        /* the same revision: cache */
  expect_newer(c, KEY, 9, NULL, 0);        /* cache newer (a recount) */
  expect_newer(c, KEY "x", 1, NULL, 0);    /* another quota */
  note(c, KEY, 6, "{\"w\":6}"); /* an older read never replaces it */
  expect_newer(c, KEY, 5, "{\"w\":7}", 7);
  note(c, KEY, 8, "{\"w\":8}"); /* a newer one does */
  expect_newer(c, KEY, 5, "{\"w\":8}", 8);
  cp_quota_versions_free(c);
}

static void test_least_recently_used_goes(void **state) {
  struct cp_quota_versions *c = cp_quota_versions_new();
  char key[64];
  int i;

  (void)state;
  assert_non_null(c);
  for (i = 0; i < CP_QUOTA_VERSIONS_MAX; i++) {
    snprintf(key, sizeof key, KEY "%d", i);
    note(c, key, 10, "{}");
  }
  expect_newer(c, KEY "0", 1, "{}", 10); /* used: 1 is now the oldest */
  note(c, KEY "new", 10, "{\"n\":1}");
  expect_newer(c, KEY "1", 1, NULL, 0);
  expect_newer(c, KEY "0", 1, "{}", 10);
  expect_newer(c, KEY "new", 1, "{\"n\":1}", 10);
  cp_quota_versions_free(c);
}

static void test_no_cache(void **state) {
  (void)state;
  note(NULL, KEY, 3, "{}");
  expect_newer(NULL, KEY, 1, NULL, 0);
  cp_quota_versions_free(NULL);
}

static void test_parsed_kept_for_its_version(void **state) {
  struct cp_quota_versions *c = cp_quota_versions_new();
  json_object *o;

  (void)state;
  assert_non_null(c);
  /* Not noted at that revision: not kept (and put, no leak). */
  cp_quota_versions_keep(c, KEY, 7, json_object_new_object());
  assert_null(cp_quota_versions_take(c, KEY, 7));
  note(c, KEY, 7, "{\"w\":7}");
  cp_quota_versions_keep(c, KEY, 7, json_object_new_int(7));
  assert_null(cp_quota_versions_take(c, KEY, 6)); /* another revision */
  o = cp_quota_versions_take(c, KEY, 7);
  assert_non_null(o);
  assert_int_equal(json_object_get_int(o), 7);
  json_object_put(o);
  assert_null(cp_quota_versions_take(c, KEY, 7)); /* taken once */
  cp_quota_versions_keep(c, KEY, 7, json_object_new_int(7));
  note(c, KEY, 9, "{\"w\":9}"); /* a newer version drops it */
  assert_null(cp_quota_versions_take(c, KEY, 7));
  assert_null(cp_quota_versions_take(c, KEY, 9));
  cp_quota_versions_keep(c, KEY, 9, json_object_new_int(9)); /* freed */
  cp_quota_versions_free(c);
  cp_quota_versions_keep(NULL, KEY, 1, json_object_new_object());
  assert_null(cp_quota_versions_take(NULL, KEY, 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parsed_kept_for_its_version),
      cmocka_unit_test(test_newer_of_cache_and_own_write),
      cmocka_unit_test(test_least_recently_used_goes),
      cmocka_unit_test(test_no_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
