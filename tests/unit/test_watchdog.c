/*
 * test_watchdog - the host runtime's watchdog thread and its helpers: the
 * tick runs on its own while the caller is blocked, an armed deadline
 * calls `expired` exactly once and a stop before it never does; in-flight
 * slots report a call only while it runs past its bound, once; and the
 * CP_ASSERT helpers (CP_ASSERT_HELD's trylock probe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/assert.h"
#include "log/log.h"
#include "plugin/inflight.h"
#include "plugin/watchdog.h"

struct counts {
  atomic_int ticks, expired;
};

static void on_tick(void *ud) {
  struct counts *c = ud;

  atomic_fetch_add(&c->ticks, 1);
}

static void on_expired(void *ud) {
  struct counts *c = ud;

  atomic_fetch_add(&c->expired, 1);
}

static const struct cp_watchdog_ops ops = {on_tick, on_expired};

static void test_ticks_and_expires_once(void **state) {
  struct counts c = {0, 0};
  struct cp_watchdog *w = NULL;
  int i, t;

  (void)state;
  assert_int_equal(cp_watchdog_start(20, &ops, &c, &w), 0);
  cp_watchdog_arm(w, 50);
  /* The caller is "blocked" (sleeping): the watchdog runs regardless. */
  for (i = 0; i < 3000 && atomic_load(&c.expired) == 0; i++)
    usleep(10000);
  assert_int_equal(atomic_load(&c.expired), 1);
  /* Three more ticks come (waited for: a loaded machine may run few in
   * a fixed time), and none of them expires it again. */
  t = atomic_load(&c.ticks) + 3;
  for (i = 0; i < 3000 && atomic_load(&c.ticks) < t; i++)
    usleep(10000);
  assert_true(atomic_load(&c.ticks) >= t);
  assert_int_equal(atomic_load(&c.expired), 1); /* once */
  cp_watchdog_stop(w);
}

static void test_stop_before_deadline_never_expires(void **state) {
  struct counts c = {0, 0};
  struct cp_watchdog *w = NULL;

  (void)state;
  assert_int_equal(cp_watchdog_start(10, &ops, &c, &w), 0);
  cp_watchdog_arm(w, 60000);
  usleep(50000);
  cp_watchdog_stop(w); /* returns at once, not after a tick or deadline */
  assert_int_equal(atomic_load(&c.expired), 0);
  cp_watchdog_stop(NULL);
}

static void test_inflight_bounds(void **state) {
  struct cp_inflight_set s;
  struct cp_inflight *f, *g;
  uint64_t t0, bound = 1000000000ull; /* 1 s */
  char *text = NULL;
  size_t len;
  FILE *out;

  (void)state;
  cp_log_set_level(CPLANE_LOG_ERROR);
  cp_inflight_set_init(&s, "p");
  f = cp_inflight_slot(&s, 3); /* slots 0..3 made; addresses stable */
  g = cp_inflight_slot(&s, 0);
  assert_non_null(f);
  assert_ptr_equal(cp_inflight_slot(&s, 3), f);
  assert_int_equal(s.n, 4);
  t0 = cp_inflight_now_ns();
  cp_inflight_begin(&s, f, "reconcile", "ns/a", bound);
  cp_inflight_begin(&s, g, "on_add", "ns/b", 0); /* no bound: never */
  assert_int_equal(cp_inflight_stuck(&s, t0 + bound / 2), 0);
  assert_int_equal(cp_inflight_stuck(&s, t0 + 100 * bound), 1);
  assert_int_equal(cp_inflight_report(&s, t0 + 2 * bound), 1);
  out = open_memstream(&text, &len);
  assert_int_equal(cp_inflight_ready_lines(&s, t0 + 3 * bound, out), 1);
  fclose(out);
  assert_non_null(strstr(text, "[-]plugin p: reconcile ns/a stuck for"));
  free(text);
  assert_int_equal(cp_inflight_log_running(&s, t0 + 3 * bound), 2);
  cp_inflight_end(&s, f);
  cp_inflight_end(&s, g);
  assert_int_equal(cp_inflight_stuck(&s, t0 + 100 * bound), 0);
  assert_int_equal(cp_inflight_log_running(&s, t0 + 100 * bound), 0);
  /* A long key is cut, never overflows. */
  {
    char key[1000];

    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    cp_inflight_begin(&s, f, "reconcile", key, bound);
    assert_int_equal(strlen(f->key), CP_INFLIGHT_KEY_MAX - 1);
    cp_inflight_end(&s, f);
  }
  cp_inflight_begin(NULL, NULL, "x", "y", 1); /* out of memory: no slot */
  cp_inflight_end(NULL, NULL);
  cp_inflight_set_destroy(&s);
}

static void test_assert_helpers(void **state) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

  (void)state;
  assert_int_equal(cp_assert_mutex_locked(&mu), 0);
  pthread_mutex_lock(&mu);
  assert_int_equal(cp_assert_mutex_locked(&mu), 1);
  CP_ASSERT_HELD(&mu);
  pthread_mutex_unlock(&mu);
  /* The probe left it unlocked. */
  assert_int_equal(pthread_mutex_trylock(&mu), 0);
  pthread_mutex_unlock(&mu);
  CP_ASSERT(1 + 1 == 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ticks_and_expires_once),
      cmocka_unit_test(test_stop_before_deadline_never_expires),
      cmocka_unit_test(test_inflight_bounds),
      cmocka_unit_test(test_assert_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
