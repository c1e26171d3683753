/*
 * Concurrency tests for host/workqueue, meant to run under ThreadSanitizer
 * too: many producers and workers on a small key set, asserting that a key
 * is never held by two workers, that no add is lost (every add is followed
 * by a get that starts after it), and that shutdown wakes everyone.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <cplane/version.h>

#include "workqueue/workqueue.h"

#define N_KEYS 64
#define N_PRODUCERS 4
#define N_WORKERS 8
#define ADDS_PER_PRODUCER 20000

struct shared {
  struct cp_workqueue *q;
  atomic_int busy[N_KEYS];       /* workers currently holding the key */
  atomic_uint_fast64_t adds[N_KEYS];     /* adds announced so far */
  atomic_uint_fast64_t seen_upto[N_KEYS]; /* adds covered by a get */
  atomic_int overlaps;
  atomic_uint_fast64_t processed;
};

static int key_index(const char *k) { return atoi(k + 1); }

static void *producer(void *arg) {
  struct shared *s = arg;
  unsigned seed = (unsigned)(uintptr_t)&seed;
  char key[16];
  int i;

  for (i = 0; i < ADDS_PER_PRODUCER; i++) {
    int k = (int)(rand_r(&seed) % N_KEYS);

    snprintf(key, sizeof key, "k%d", k);
    /* Announce first: a get that starts after this covers it. */
    atomic_fetch_add(&s->adds[k], 1);
    if (i % 50 == 0)
      cp_workqueue_add_after(s->q, key, (uint64_t)(rand_r(&seed) % 3) *
                                            1000000u);
    else
      cp_workqueue_add(s->q, key);
  }
  return NULL;
}

static void *worker(void *arg) {
  struct shared *s = arg;
  const char *key;

  while ((key = cp_workqueue_get(s->q)) != NULL) {
    int k = key_index(key);
    uint_fast64_t upto = atomic_load(&s->adds[k]);

    if (atomic_fetch_add(&s->busy[k], 1) != 0)
      atomic_fetch_add(&s->overlaps, 1);
    /* seen_upto only grows: a get started later saw at least as much. */
    if (upto > atomic_load(&s->seen_upto[k]))
      atomic_store(&s->seen_upto[k], upto);
    if ((atomic_fetch_add(&s->processed, 1) & 63) == 0)
      sched_yield();
    atomic_fetch_sub(&s->busy[k], 1);
    cp_workqueue_done(s->q, key);
  }
  return NULL;
}

static void wait_idle(struct cp_workqueue *q) {
  struct cp_workqueue_stats st;
  struct timespec ts = {0, 1000000};
  int i;

  for (i = 0; i < 30000; i++) {
    cp_workqueue_stats(q, &st);
    if (st.depth == 0 && st.processing == 0 && st.waiting == 0)
      return;
    nanosleep(&ts, NULL);
  }
  fail_msg("queue never went idle: depth %zu processing %zu waiting %zu",
           st.depth, st.processing, st.waiting);
}

static void test_no_overlap_no_lost_add(void **state) {
  struct shared *s = calloc(1, sizeof *s);
  pthread_t prod[N_PRODUCERS], work[N_WORKERS];
  struct cp_workqueue_stats st;
  int i;

  (void)state;
  assert_non_null(s);
  s->q = cp_workqueue_new("concurrency", NULL);
  for (i = 0; i < N_WORKERS; i++)
    pthread_create(&work[i], NULL, worker, s);
  for (i = 0; i < N_PRODUCERS; i++)
    pthread_create(&prod[i], NULL, producer, s);
  for (i = 0; i < N_PRODUCERS; i++)
    pthread_join(prod[i], NULL);
  wait_idle(s->q);
  cp_workqueue_stats(s->q, &st);
  cp_workqueue_shutdown(s->q);
  for (i = 0; i < N_WORKERS; i++)
    pthread_join(work[i], NULL);

  assert_int_equal(atomic_load(&s->overlaps), 0);
  for (i = 0; i < N_KEYS; i++)
    assert_int_equal(atomic_load(&s->seen_upto[i]), atomic_load(&s->adds[i]));
  /* De-duplication did its job, and every get had its done. */
  assert_true(atomic_load(&s->processed) <=
              (uint_fast64_t)N_PRODUCERS * ADDS_PER_PRODUCER);
  assert_int_equal(st.gets, atomic_load(&s->processed));
  cp_workqueue_free(s->q);
  free(s);
}

static void *rate_limited_producer(void *arg) {
  struct shared *s = arg;
  char key[16];
  int i;

  for (i = 0; i < 2000; i++) {
    int k = i % N_KEYS;

    snprintf(key, sizeof key, "k%d", k);
    atomic_fetch_add(&s->adds[k], 1);
    cp_workqueue_add_rate_limited(s->q, key);
    if (i % 7 == 0)
      cp_workqueue_forget(s->q, key);
    (void)cp_workqueue_num_requeues(s->q, key);
  }
  return NULL;
}

static void test_rate_limited_under_contention(void **state) {
  struct cp_rate_limiter_config rl = {.base_delay_ns = 100000,
                                      .max_delay_ns = 2000000,
                                      .qps = -1};
  struct shared *s = calloc(1, sizeof *s);
  pthread_t prod[N_PRODUCERS], work[N_WORKERS];
  int i;

  (void)state;
  assert_non_null(s);
  s->q = cp_workqueue_new("rl", &rl);
  for (i = 0; i < N_WORKERS; i++)
    pthread_create(&work[i], NULL, worker, s);
  for (i = 0; i < N_PRODUCERS; i++)
    pthread_create(&prod[i], NULL, rate_limited_producer, s);
  for (i = 0; i < N_PRODUCERS; i++)
    pthread_join(prod[i], NULL);
  wait_idle(s->q);
  cp_workqueue_shutdown(s->q);
  for (i = 0; i < N_WORKERS; i++)
    pthread_join(work[i], NULL);
  assert_int_equal(atomic_load(&s->overlaps), 0);
  for (i = 0; i < N_KEYS; i++)
    assert_int_equal(atomic_load(&s->seen_upto[i]), atomic_load(&s->adds[i]));
  cp_workqueue_free(s->q);
  free(s);
}

static void test_shutdown_wakes_all_workers(void **state) {
  struct shared *s = calloc(1, sizeof *s);
  pthread_t work[N_WORKERS];
  int i;

  (void)state;
  assert_non_null(s);
  s->q = cp_workqueue_new("shutdown", NULL);
  for (i = 0; i < N_WORKERS; i++)
    pthread_create(&work[i], NULL, worker, s);
  cp_workqueue_add_after(s->q, "k1", 3600ull * 1000000000ull);
  cp_workqueue_add(s->q, "k2");
  /* k2 is processed; k1 waits an hour and every worker sleeps. */
  while (atomic_load(&s->processed) < 1 || cp_workqueue_len(s->q) > 0)
    sched_yield();
  cp_workqueue_shutdown(s->q);
  for (i = 0; i < N_WORKERS; i++)
    pthread_join(work[i], NULL); /* hangs here if a worker is not woken */
  assert_int_equal(atomic_load(&s->processed), 1);
  cp_workqueue_free(s->q);
  free(s);
}

static void test_drain_under_load(void **state) {
  struct shared *s = calloc(1, sizeof *s);
  pthread_t prod[N_PRODUCERS], work[N_WORKERS];
  struct cp_workqueue_stats st;
  int i;

  (void)state;
  assert_non_null(s);
  s->q = cp_workqueue_new("drain", NULL);
  for (i = 0; i < N_WORKERS; i++)
    pthread_create(&work[i], NULL, worker, s);
  for (i = 0; i < N_PRODUCERS; i++)
    pthread_create(&prod[i], NULL, producer, s);
  /* Drain while producers still add: their late adds are refused. */
  assert_int_equal(cp_workqueue_shutdown_drain(s->q, 30ull * 1000000000ull),
                   CPLANE_OK);
  for (i = 0; i < N_PRODUCERS; i++)
    pthread_join(prod[i], NULL);
  for (i = 0; i < N_WORKERS; i++)
    pthread_join(work[i], NULL);
  cp_workqueue_stats(s->q, &st);
  assert_int_equal(st.processing, 0);
  assert_int_equal(st.depth, 0);
  assert_int_equal(atomic_load(&s->overlaps), 0);
  cp_workqueue_free(s->q);
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_overlap_no_lost_add),
      cmocka_unit_test(test_rate_limited_under_contention),
      cmocka_unit_test(test_shutdown_wakes_all_workers),
      cmocka_unit_test(test_drain_under_load),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
