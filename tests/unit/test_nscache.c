/*
 * test_nscache - namespace admission's cache: hits within the second,
 * nothing survives a namespace write (including a read that began before
 * it), entries expire, and names too long to be namespaces are not kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "apiserver/nscache.h"

static void test_hit_and_invalidate(void **state) {
  struct cp_ns_cache *c = cp_ns_cache_new();
  uint64_t e;
  int term = -1;

  (void)state;
  assert_non_null(c);
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 0);
  e = cp_ns_cache_epoch(c);
  cp_ns_cache_put(c, "default", 0, e);
  cp_ns_cache_put(c, "going", 1, e);
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 1);
  assert_int_equal(term, 0);
  assert_int_equal(cp_ns_cache_get(c, "going", &term), 1);
  assert_int_equal(term, 1);
  assert_int_equal(cp_ns_cache_get(c, "other", &term), 0);
  /* A namespace write forgets everything. */
  cp_ns_cache_invalidate(c);
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 0);
  assert_int_equal(cp_ns_cache_get(c, "going", &term), 0);
  cp_ns_cache_free(c);
}

/* A read that began before a namespace write cannot fill the cache after
 * it: what it read may be older than the write. */
static void test_stale_read_dropped(void **state) {
  struct cp_ns_cache *c = cp_ns_cache_new();
  uint64_t before = cp_ns_cache_epoch(c);
  int term = -1;

  (void)state;
  cp_ns_cache_invalidate(c);
  cp_ns_cache_put(c, "default", 0, before);
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 0);
  cp_ns_cache_put(c, "default", 1, cp_ns_cache_epoch(c));
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 1);
  assert_int_equal(term, 1);
  cp_ns_cache_free(c);
}

static void test_expiry_and_long_names(void **state) {
  struct cp_ns_cache *c = cp_ns_cache_new();
  char longname[400]; /* beyond the 319 a key may have */
  int term = -1;

  (void)state;
  cp_ns_cache_put(c, "default", 0, cp_ns_cache_epoch(c));
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 1);
  usleep(1100 * 1000);
  assert_int_equal(cp_ns_cache_get(c, "default", &term), 0);
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  cp_ns_cache_put(c, longname, 0, cp_ns_cache_epoch(c));
  assert_int_equal(cp_ns_cache_get(c, longname, &term), 0);
  cp_ns_cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hit_and_invalidate),
      cmocka_unit_test(test_stale_read_dropped),
      cmocka_unit_test(test_expiry_and_long_names),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
