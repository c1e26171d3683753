/*
 * test_event_correlator - kube's EventCorrelator rules without a server:
 * the same event continues one Event (count, firstTimestamp, name);
 * the spam filter's burst of 25 and refill of one per 5 minutes, per
 * source + object; 10 different messages of one reason within 10 minutes
 * combine, and an 11-minute pause starts the group over; the caches
 * forget their least recently used key past 4096.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/event_correlator.h"

#define T0 1700000000000LL
#define MIN (60 * 1000LL)

static struct cp_event_fields ev(const char *name, const char *reason,
                                 const char *message, int64_t ms) {
  return (struct cp_event_fields){"ctl", "host", "Pod", "v1", "default",
                                  name, "uid", "Normal", reason, message,
                                  ms};
}

/* Correlates one event; returns the verdict, *count and (if asked) the
 * message and name copied out. */
static int run(struct cp_event_correlator *c, struct cp_event_fields f,
               int64_t *count, char *message, char *name) {
  struct cp_event_decision d;
  int v = cp_event_correlate(c, &f, &d);

  assert_true(v >= 0);
  *count = d.count;
  if (message != NULL)
    snprintf(message, 256, "%s", d.message);
  if (name != NULL)
    snprintf(name, 256, "%s", d.name);
  cp_event_decision_clear(&d);
  return v;
}

static void test_same_event_continues_one(void **state) {
  struct cp_event_correlator *c = cp_event_correlator_new();
  char n1[256], n2[256];
  int64_t count;

  (void)state;
  assert_int_equal(run(c, ev("a", "Synced", "m", T0), &count, NULL, n1), 1);
  assert_int_equal(count, 1);
  assert_string_equal(n1, "a.17979cfe362a0000");
  assert_int_equal(run(c, ev("a", "Synced", "m", T0 + MIN), &count, NULL,
                       n2), 1);
  assert_int_equal(count, 2);
  assert_string_equal(n1, n2);
  /* Another message is another Event. */
  assert_int_equal(run(c, ev("a", "Synced", "other", T0 + MIN), &count,
                       NULL, n2), 1);
  assert_int_equal(count, 1);
  assert_string_not_equal(n1, n2);
  cp_event_correlator_free(c);
}

static void test_spam_burst_and_refill(void **state) {
  struct cp_event_correlator *c = cp_event_correlator_new();
  int64_t count;
  int i, passed = 0;

  (void)state;
  for (i = 0; i < 30; i++)
    passed += run(c, ev("a", "Synced", "m", T0), &count, NULL, NULL);
  assert_int_equal(passed, 25);
  assert_int_equal(count, 30); /* dropped ones still count */
  /* Another object has its own bucket. */
  assert_int_equal(run(c, ev("b", "Synced", "m", T0), &count, NULL, NULL),
                   1);
  /* 4 minutes: no token yet; 5 minutes: one. */
  assert_int_equal(run(c, ev("a", "Synced", "m", T0 + 4 * MIN), &count,
                       NULL, NULL), 0);
  assert_int_equal(run(c, ev("a", "Synced", "m", T0 + 5 * MIN), &count,
                       NULL, NULL), 1);
  assert_int_equal(run(c, ev("a", "Synced", "m", T0 + 5 * MIN), &count,
                       NULL, NULL), 0);
  /* Hours later the bucket is full again, not fuller. */
  for (i = 0, passed = 0; i < 30; i++)
    passed += run(c, ev("a", "Synced", "m", T0 + 600 * MIN), &count, NULL,
                  NULL);
  assert_int_equal(passed, 25);
  cp_event_correlator_free(c);
}

static void test_similar_messages_combine(void **state) {
  struct cp_event_correlator *c = cp_event_correlator_new();
  char msg[256], name[256], first[256];
  int64_t count;
  int i;

  (void)state;
  for (i = 0; i < 9; i++) {
    snprintf(msg, sizeof msg, "try %d", i);
    run(c, ev("a", "Failed", msg, T0 + i), &count, NULL, NULL);
    assert_int_equal(count, 1);
  }
  run(c, ev("a", "Failed", "try 9", T0 + 9), &count, msg, first);
  assert_string_equal(msg, "(combined from similar events): try 9");
  assert_int_equal(count, 1);
  run(c, ev("a", "Failed", "try 10", T0 + 10), &count, msg, name);
  assert_string_equal(msg, "(combined from similar events): try 10");
  assert_int_equal(count, 2);
  assert_string_equal(name, first);
  /* Another reason is another group. */
  run(c, ev("a", "Killed", "try 11", T0 + 11), &count, msg, NULL);
  assert_string_equal(msg, "try 11");
  /* Past the 10-minute window the group starts over. */
  run(c, ev("a", "Failed", "late", T0 + 11 * MIN), &count, msg, NULL);
  assert_string_equal(msg, "late");
  assert_int_equal(count, 1);
  cp_event_correlator_free(c);
}

static void test_caches_are_bounded(void **state) {
  struct cp_event_correlator *c = cp_event_correlator_new();
  char name[32];
  int64_t count;
  int i;

  (void)state;
  run(c, ev("first", "Synced", "m", T0), &count, NULL, NULL);
  for (i = 0; i < CP_EVENT_CACHE_MAX; i++) {
    snprintf(name, sizeof name, "o%d", i);
    run(c, ev(name, "Synced", "m", T0), &count, NULL, NULL);
  }
  /* "first" was the least recently used: forgotten, a new Event. */
  run(c, ev("first", "Synced", "m", T0 + 1), &count, NULL, NULL);
  assert_int_equal(count, 1);
  cp_event_correlator_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_event_continues_one),
      cmocka_unit_test(test_spam_burst_and_refill),
      cmocka_unit_test(test_similar_messages_combine),
      cmocka_unit_test(test_caches_are_bounded),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
