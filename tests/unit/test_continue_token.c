/*
 * Unit tests for host/apiserver/continue_token: a token round-trips, and
 * every malformed token is refused without leaking or freeing twice (a
 * "1.zz" token used to double-free and abort the server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/continue_token.h"

static void test_round_trip(void **state) {
  const uint8_t key[] = {'p', 'o', 'd', 's', '/', 0x00, 0xff, 'x'};
  uint8_t *start = NULL;
  size_t len = 0;
  int64_t rev = 0;
  char *tok;

  (void)state;
  tok = cp_continue_encode(42, key, sizeof key);
  assert_non_null(tok);
  assert_string_equal(tok, "42.706f64732f00ff78");
  assert_int_equal(cp_continue_decode(tok, &rev, &start, &len), 0);
  assert_int_equal(rev, 42);
  assert_int_equal(len, sizeof key);
  assert_memory_equal(start, key, sizeof key);
  free(start);
  free(tok);
  tok = cp_continue_encode(INT64_MAX, key, 1);
  assert_non_null(tok);
  assert_int_equal(cp_continue_decode(tok, &rev, &start, &len), 0);
  assert_int_equal(rev, INT64_MAX);
  free(start);
  free(tok);
  /* Upper-case hex from a hand-written token is still hex. */
  assert_int_equal(cp_continue_decode("7.4A", &rev, &start, &len), 0);
  assert_int_equal(start[0], 0x4a);
  free(start);
}

static void test_encode_refuses(void **state) {
  const uint8_t k[1] = {'a'};
  static uint8_t big[CP_CONTINUE_MAX_KEY + 1];

  (void)state;
  assert_null(cp_continue_encode(0, k, 1));
  assert_null(cp_continue_encode(-5, k, 1));
  assert_null(cp_continue_encode(1, k, 0));
  assert_null(cp_continue_encode(1, NULL, 1));
  assert_null(cp_continue_encode(1, big, sizeof big));
}

static void test_malformed(void **state) {
  static const char *bad[] = {
      "1.zz", "1.z",   "1.a",    "1.",      ".61",     "0.61", "-1.61",
      "+1.61", " 1.61", "01.61", "1x.61",   "0x1.61",  "",     "61",
      "1.6g", "1.61 ", "1.6 1", "9223372036854775808.61",
      "99999999999999999999999.61", "1..61", "1.61.62",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t *start = (uint8_t *)"poison";
    size_t len = 99;
    int64_t rev = 0;

    assert_int_equal(cp_continue_decode(bad[i], &rev, &start, &len), -1);
    assert_null(start);
    assert_int_equal(len, 0);
  }
  {
    uint8_t *start = NULL;
    size_t len;
    int64_t rev;

    assert_int_equal(cp_continue_decode(NULL, &rev, &start, &len), -1);
  }
}

static void test_bounded(void **state) {
  size_t n = 2 + 2 * (CP_CONTINUE_MAX_KEY + 1);
  char *tok = malloc(n + 1);
  uint8_t *start;
  size_t len;
  int64_t rev;

  (void)state;
  assert_non_null(tok);
  memcpy(tok, "1.", 2);
  memset(tok + 2, 'a', n - 2);
  tok[n] = '\0';
  assert_int_equal(cp_continue_decode(tok, &rev, &start, &len), -1);
  tok[n - 2] = '\0'; /* exactly the maximum */
  assert_int_equal(cp_continue_decode(tok, &rev, &start, &len), 0);
  assert_int_equal(len, CP_CONTINUE_MAX_KEY);
  free(start);
  free(tok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_encode_refuses),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_bounded),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
