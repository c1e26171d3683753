/*
 * Unit tests for host/clock/deadline: the time is ms later on the clock
 * asked for, and tv_nsec stays below a second whatever the carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "clock/deadline.h"

static int64_t ns_of(const struct timespec *t) {
  return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void expect_after(clockid_t clock, int64_t ms) {
  struct timespec before, d, after;

  clock_gettime(clock, &before);
  cp_deadline_after_ms(clock, ms, &d);
  clock_gettime(clock, &after);
  assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
  assert_true(ns_of(&d) >= ns_of(&before) + ms * 1000000);
  assert_true(ns_of(&d) <= ns_of(&after) + ms * 1000000);
}

static void test_monotonic(void **state) {
  int64_t ms[] = {0, 1, 999, 1000, 1500, 3600 * 1000};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof ms / sizeof ms[0]; i++)
    expect_after(CLOCK_MONOTONIC, ms[i]);
}

static void test_realtime(void **state) {
  (void)state;
  expect_after(CLOCK_REALTIME, 999);
  expect_after(CLOCK_REALTIME, 25000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_monotonic),
      cmocka_unit_test(test_realtime),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
