/*
 * Unit tests for host/workqueue: client-go's de-duplication and
 * processing guarantees, delayed adds (earlier deadline wins), the rate
 * limiter (per-key backoff, token bucket, forget), fairness, shutdown with
 * and without drain, stats and Prometheus metrics.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <cplane/version.h>

#include "workqueue/workqueue.h"

#define MS 1000000ull

static uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  nanosleep(&ts, NULL);
}

/* get() then done(), checking the key. */
static void expect_get(struct cp_workqueue *q, const char *want) {
  const char *k = cp_workqueue_get(q);

  assert_non_null(k);
  assert_string_equal(k, want);
  cp_workqueue_done(q, k);
}

static void test_add_deduplicates(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct cp_workqueue_stats st;

  (void)state;
  assert_int_equal(cp_workqueue_add(q, "a"), CPLANE_OK);
  assert_int_equal(cp_workqueue_add(q, "a"), CPLANE_OK);
  assert_int_equal(cp_workqueue_add(q, "b"), CPLANE_OK);
  assert_int_equal(cp_workqueue_len(q), 2);
  cp_workqueue_stats(q, &st);
  assert_int_equal(st.adds, 2); /* the duplicate is not an add */
  expect_get(q, "a");
  expect_get(q, "b");
  assert_int_equal(cp_workqueue_len(q), 0);
  cp_workqueue_free(q);
}

static void test_fifo_order(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  char key[16];
  int i;

  (void)state;
  for (i = 0; i < 100; i++) {
    snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(cp_workqueue_add(q, key), CPLANE_OK);
  }
  for (i = 0; i < 100; i++) {
    snprintf(key, sizeof key, "k%d", i);
    expect_get(q, key);
  }
  cp_workqueue_free(q);
}

static void test_add_during_processing_is_kept(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  const char *k;

  (void)state;
  cp_workqueue_add(q, "a");
  k = cp_workqueue_get(q);
  assert_string_equal(k, "a");
  /* While a is processed, a new add must not hand it to another worker. */
  cp_workqueue_add(q, "a");
  cp_workqueue_add(q, "a");
  assert_int_equal(cp_workqueue_len(q), 0);
  cp_workqueue_add(q, "b");
  expect_get(q, "b");
  cp_workqueue_done(q, k);
  /* ...but it comes back exactly once after done. */
  assert_int_equal(cp_workqueue_len(q), 1);
  expect_get(q, "a");
  assert_int_equal(cp_workqueue_len(q), 0);
  cp_workqueue_free(q);
}

static void test_done_without_get_is_ignored(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);

  (void)state;
  cp_workqueue_done(q, "never");
  cp_workqueue_add(q, "a");
  cp_workqueue_done(q, "a"); /* queued, not processing */
  assert_int_equal(cp_workqueue_len(q), 1);
  expect_get(q, "a");
  cp_workqueue_done(q, NULL);
  cp_workqueue_free(q);
}

static void test_bad_keys(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);

  (void)state;
  assert_int_equal(cp_workqueue_add(q, NULL), CPLANE_EINVAL);
  assert_int_equal(cp_workqueue_add(q, ""), CPLANE_EINVAL);
  assert_int_equal(cp_workqueue_add_after(q, "", MS), CPLANE_EINVAL);
  assert_int_equal(cp_workqueue_add_rate_limited(q, NULL), CPLANE_EINVAL);
  assert_int_equal(cp_workqueue_num_requeues(q, NULL), 0);
  cp_workqueue_forget(q, NULL);
  assert_int_equal(cp_workqueue_len(q), 0);
  cp_workqueue_free(q);
}

static void test_add_after_waits(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct cp_workqueue_stats st;
  uint64_t t0 = now_ns();

  (void)state;
  assert_int_equal(cp_workqueue_add_after(q, "a", 60 * MS), CPLANE_OK);
  assert_int_equal(cp_workqueue_len(q), 0);
  cp_workqueue_stats(q, &st);
  assert_int_equal(st.waiting, 1);
  /* A planned requeue is no retry (workqueue_retries_total). */
  assert_int_equal(st.retries, 0);
  assert_int_equal(cp_workqueue_add_rate_limited(q, "b"), CPLANE_OK);
  cp_workqueue_stats(q, &st);
  assert_int_equal(st.retries, 1);
  expect_get(q, "b");
  cp_workqueue_done(q, "b");
  expect_get(q, "a"); /* blocks until the deadline */
  assert_true(now_ns() - t0 >= 60 * MS);
  cp_workqueue_free(q);
}

static void test_add_after_zero_is_add(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);

  (void)state;
  assert_int_equal(cp_workqueue_add_after(q, "a", 0), CPLANE_OK);
  assert_int_equal(cp_workqueue_len(q), 1);
  cp_workqueue_free(q);
}

static void test_add_after_earlier_wins(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  uint64_t t0;

  (void)state;
  /* A later deadline never postpones a waiting key... */
  t0 = now_ns();
  cp_workqueue_add_after(q, "a", 30 * MS);
  cp_workqueue_add_after(q, "a", 3600000 * MS);
  expect_get(q, "a");
  assert_true(now_ns() - t0 < 30000 * MS); /* 30 ms, not the hour */
  /* ...and an earlier one moves it forward. */
  t0 = now_ns();
  cp_workqueue_add_after(q, "b", 3600000 * MS);
  cp_workqueue_add_after(q, "b", 30 * MS);
  expect_get(q, "b");
  assert_true(now_ns() - t0 < 30000 * MS); /* 30 ms, not the hour */
  cp_workqueue_free(q);
}

static void test_delayed_keys_leave_in_deadline_order(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);

  (void)state;
  cp_workqueue_add_after(q, "c", 90 * MS);
  cp_workqueue_add_after(q, "a", 30 * MS);
  cp_workqueue_add_after(q, "b", 60 * MS);
  expect_get(q, "a");
  expect_get(q, "b");
  expect_get(q, "c");
  cp_workqueue_free(q);
}

static void test_delayed_key_while_queued_is_one_item(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct cp_workqueue_stats st;
  int i;

  (void)state;
  cp_workqueue_add(q, "a");
  cp_workqueue_add_after(q, "a", 20 * MS);
  /* Until its timer has run (20 ms, or much later on a loaded machine). */
  for (i = 0; i < 30000; i++) {
    cp_workqueue_stats(q, &st);
    if (st.waiting == 0)
      break;
    sleep_ms(1);
  }
  assert_int_equal(st.waiting, 0);
  assert_int_equal(cp_workqueue_len(q), 1); /* the timer found it dirty */
  expect_get(q, "a");
  assert_int_equal(cp_workqueue_len(q), 0);
  cp_workqueue_free(q);
}

/* One get()/done() on a thread; key points at a copy (done frees the
 * queue's own) or is NULL. */
struct blocked_get {
  struct cp_workqueue *q;
  const char *key;
  uint64_t returned_ns;
  char copy[32];
};

static void *get_thread(void *arg) {
  struct blocked_get *b = arg;
  const char *k = cp_workqueue_get(b->q);

  b->returned_ns = now_ns();
  b->key = NULL;
  if (k != NULL) {
    snprintf(b->copy, sizeof b->copy, "%s", k);
    b->key = b->copy;
    cp_workqueue_done(b->q, k);
  }
  return NULL;
}

static void test_sleeping_worker_wakes_for_earlier_deadline(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct blocked_get b = {.q = q};
  pthread_t th;
  uint64_t t0;

  (void)state;
  cp_workqueue_add_after(q, "late", 3600000 * MS);
  pthread_create(&th, NULL, get_thread, &b);
  sleep_ms(20); /* let it sleep until the hour-long deadline */
  t0 = now_ns();
  cp_workqueue_add_after(q, "soon", 20 * MS);
  pthread_join(th, NULL);
  assert_string_equal(b.key, "soon");
  /* Not the hour: 30 s is far from both on any machine. */
  assert_true(b.returned_ns - t0 < 30000 * MS);
  cp_workqueue_free(q);
}

static void test_rate_limited_backoff(void **state) {
  struct cp_rate_limiter_config rl = {.base_delay_ns = 40 * MS,
                                      .max_delay_ns = 1000 * MS,
                                      .qps = -1};
  struct cp_workqueue *q = cp_workqueue_new("t", &rl);
  uint64_t t0;

  (void)state;
  /* failure 0: 40 ms */
  t0 = now_ns();
  assert_int_equal(cp_workqueue_add_rate_limited(q, "a"), CPLANE_OK);
  assert_int_equal(cp_workqueue_num_requeues(q, "a"), 1);
  assert_int_equal(cp_workqueue_len(q), 0);
  expect_get(q, "a");
  assert_true(now_ns() - t0 >= 40 * MS);
  /* failure 1: 80 ms */
  t0 = now_ns();
  cp_workqueue_add_rate_limited(q, "a");
  assert_int_equal(cp_workqueue_num_requeues(q, "a"), 2);
  expect_get(q, "a");
  assert_true(now_ns() - t0 >= 80 * MS);
  /* The count outlives get/done until forget. */
  assert_int_equal(cp_workqueue_num_requeues(q, "a"), 2);
  cp_workqueue_forget(q, "a");
  assert_int_equal(cp_workqueue_num_requeues(q, "a"), 0);
  assert_int_equal(cp_workqueue_num_requeues(q, "other"), 0);
  cp_workqueue_free(q);
}

static void test_rate_limited_backoff_is_capped(void **state) {
  struct cp_rate_limiter_config rl = {.base_delay_ns = 1 * MS,
                                      .max_delay_ns = 5 * MS,
                                      .qps = -1};
  struct cp_workqueue *q = cp_workqueue_new("t", &rl);
  uint64_t t0;
  int i;

  (void)state;
  for (i = 0; i < 80; i++) { /* 2^80 would overflow without the cap */
    cp_workqueue_add_rate_limited(q, "a");
    expect_get(q, "a");
  }
  assert_int_equal(cp_workqueue_num_requeues(q, "a"), 80);
  t0 = now_ns();
  cp_workqueue_add_rate_limited(q, "a");
  expect_get(q, "a");
  assert_true(now_ns() - t0 < 30000 * MS); /* 5 ms, not 2^80 ns */
  cp_workqueue_free(q);
}

static void test_token_bucket(void **state) {
  /* Tiny per-key backoff, 20 qps with a burst of 2: the third and fourth
   * retries wait about 50 and 100 ms for tokens. */
  struct cp_rate_limiter_config rl = {.base_delay_ns = 1,
                                      .max_delay_ns = 1,
                                      .qps = 20,
                                      .burst = 2};
  struct cp_workqueue *q = cp_workqueue_new("t", &rl);
  uint64_t t0 = now_ns();
  struct cp_workqueue_stats st;
  int i;

  (void)state;
  cp_workqueue_add_rate_limited(q, "a");
  cp_workqueue_add_rate_limited(q, "b");
  cp_workqueue_add_rate_limited(q, "c");
  cp_workqueue_add_rate_limited(q, "d");
  sleep_ms(5);
  cp_workqueue_stats(q, &st);
  /* Within 50 ms of the first add (a loaded machine may take longer, and
   * then c's token may rightly have come). */
  if (now_ns() - t0 < 50 * MS) {
    assert_int_equal(st.depth, 2);   /* a, b within the burst */
    assert_int_equal(st.waiting, 2); /* c, d wait for tokens */
  }
  assert_int_equal(st.depth + st.waiting, 4);
  for (i = 0; i < 4; i++)
    assert_non_null(cp_workqueue_get(q));
  assert_true(now_ns() - t0 >= 95 * MS);
  cp_workqueue_free(q);
}

static void test_backoff_does_not_block_fresh_keys(void **state) {
  /* A base delay of a minute: "slow" is never ready during the test, even
   * on a machine slow enough to spend the default 5 ms on the adds. */
  struct cp_rate_limiter_config rl = {.base_delay_ns = 60000 * MS,
                                      .max_delay_ns = 1000000 * MS,
                                      .qps = -1};
  struct cp_workqueue *q = cp_workqueue_new("t", &rl);
  uint64_t t0;
  int i;

  (void)state;
  /* Drive "slow" into a long backoff. */
  for (i = 0; i < 12; i++)
    cp_workqueue_add_rate_limited(q, "slow");
  cp_workqueue_add(q, "fresh");
  t0 = now_ns();
  expect_get(q, "fresh");
  assert_true(now_ns() - t0 < 30000 * MS); /* not after slow's minute */
  assert_int_equal(cp_workqueue_num_requeues(q, "slow"), 12);
  cp_workqueue_free(q);
}

static void test_shutdown(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct blocked_get b = {.q = q};
  pthread_t th;
  const char *k;

  (void)state;
  pthread_create(&th, NULL, get_thread, &b);
  sleep_ms(20);
  cp_workqueue_add(q, "a");
  pthread_join(th, NULL);
  assert_string_equal(b.key, "a");

  cp_workqueue_add(q, "b");
  k = cp_workqueue_get(q);
  assert_string_equal(k, "b");
  cp_workqueue_add(q, "b");
  cp_workqueue_add(q, "c");
  cp_workqueue_add_after(q, "d", 3600000 * MS);
  b.key = "x";
  pthread_create(&th, NULL, get_thread, &b); /* b is busy: takes c */
  pthread_join(th, NULL);
  assert_string_equal(b.key, "c");

  /* A worker blocked in get() is woken with NULL. */
  pthread_create(&th, NULL, get_thread, &b);
  sleep_ms(20);
  cp_workqueue_shutdown(q);
  pthread_join(th, NULL);
  assert_null(b.key);
  assert_true(cp_workqueue_is_shutdown(q));
  assert_int_equal(cp_workqueue_add(q, "e"), CPLANE_ESHUTDOWN);
  assert_int_equal(cp_workqueue_add_after(q, "e", MS), CPLANE_ESHUTDOWN);
  assert_int_equal(cp_workqueue_add_rate_limited(q, "e"), CPLANE_ESHUTDOWN);
  assert_null(cp_workqueue_get(q));
  assert_int_equal(cp_workqueue_len(q), 0);
  /* The key still being processed takes its done, and is not requeued. */
  cp_workqueue_done(q, k);
  assert_null(cp_workqueue_get(q));
  cp_workqueue_free(q);
}

static void test_shutdown_drain_delivers_queued(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct blocked_get b = {.q = q};
  pthread_t th;
  const char *k;

  (void)state;
  cp_workqueue_add(q, "a");
  cp_workqueue_add(q, "b");
  cp_workqueue_add_after(q, "later", 3600000 * MS);
  k = cp_workqueue_get(q); /* a, in flight */
  pthread_create(&th, NULL, get_thread, &b); /* takes b */
  pthread_join(th, NULL);
  assert_string_equal(b.key, "b");
  /* Drain with a in flight: finish it from another thread. */
  {
    struct cp_workqueue_stats st;

    cp_workqueue_stats(q, &st);
    assert_int_equal(st.processing, 1);
  }
  b.q = q;
  b.key = "x";
  pthread_create(&th, NULL, get_thread, &b); /* blocks: queue is empty */
  sleep_ms(20);
  cp_workqueue_done(q, k);
  assert_int_equal(cp_workqueue_shutdown_drain(q, 2000 * MS), CPLANE_OK);
  pthread_join(th, NULL);
  assert_null(b.key); /* woken by the drain, queue empty: NULL */
  assert_int_equal(cp_workqueue_add(q, "c"), CPLANE_ESHUTDOWN);
  cp_workqueue_free(q);
}

struct drainer {
  struct cp_workqueue *q;
  int seen;
};

static void *drain_worker(void *arg) {
  struct drainer *d = arg;
  const char *k;

  while ((k = cp_workqueue_get(d->q)) != NULL) {
    sleep_ms(2);
    d->seen++;
    cp_workqueue_done(d->q, k);
  }
  return NULL;
}

static void test_shutdown_drain_lets_workers_finish(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct drainer d = {q, 0};
  char key[16];
  pthread_t th;
  int i;

  (void)state;
  for (i = 0; i < 20; i++) {
    snprintf(key, sizeof key, "k%d", i);
    cp_workqueue_add(q, key);
  }
  pthread_create(&th, NULL, drain_worker, &d);
  assert_int_equal(cp_workqueue_shutdown_drain(q, 5000 * MS), CPLANE_OK);
  pthread_join(th, NULL);
  assert_int_equal(d.seen, 20);
  cp_workqueue_free(q);
}

static void test_shutdown_drain_times_out(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  uint64_t t0;
  const char *k;

  (void)state;
  cp_workqueue_add(q, "stuck");
  k = cp_workqueue_get(q);
  t0 = now_ns();
  assert_int_equal(cp_workqueue_shutdown_drain(q, 50 * MS), CPLANE_ERR);
  assert_true(now_ns() - t0 >= 50 * MS);
  assert_null(cp_workqueue_get(q));
  cp_workqueue_done(q, k);
  cp_workqueue_free(q);
}

static void test_many_keys_grow_and_shrink(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct cp_workqueue_stats st;
  char key[32];
  int i;

  (void)state;
  for (i = 0; i < 20000; i++) {
    snprintf(key, sizeof key, "ns-%d/pod-%d", i % 7, i);
    assert_int_equal(cp_workqueue_add(q, key), CPLANE_OK);
    if (i % 3 == 0)
      assert_int_equal(cp_workqueue_add(q, key), CPLANE_OK);
  }
  assert_int_equal(cp_workqueue_len(q), 20000);
  for (i = 0; i < 20000; i++) {
    const char *k = cp_workqueue_get(q);

    snprintf(key, sizeof key, "ns-%d/pod-%d", i % 7, i);
    assert_string_equal(k, key);
    if (i % 2 == 0)
      cp_workqueue_done(q, k);
  }
  for (i = 1; i < 20000; i += 2) {
    snprintf(key, sizeof key, "ns-%d/pod-%d", i % 7, i);
    cp_workqueue_done(q, key); /* an equal string, not get's pointer */
  }
  cp_workqueue_stats(q, &st);
  assert_int_equal(st.depth, 0);
  assert_int_equal(st.processing, 0);
  assert_int_equal(st.gets, 20000);
  assert_int_equal(st.adds, 20000);
  /* The emptied table still works. */
  cp_workqueue_add(q, "again");
  expect_get(q, "again");
  cp_workqueue_free(q);
}

static void test_stats_unfinished_work(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("t", NULL);
  struct cp_workqueue_stats st;
  const char *a, *b;

  (void)state;
  cp_workqueue_add(q, "a");
  cp_workqueue_add(q, "b");
  a = cp_workqueue_get(q);
  sleep_ms(30);
  b = cp_workqueue_get(q);
  sleep_ms(10);
  cp_workqueue_stats(q, &st);
  assert_int_equal(st.processing, 2);
  assert_true(st.longest_running_s >= 0.039);
  assert_true(st.unfinished_work_s >= st.longest_running_s + 0.009);
  cp_workqueue_done(q, a);
  cp_workqueue_done(q, b);
  cp_workqueue_stats(q, &st);
  assert_int_equal(st.processing, 0);
  assert_true(st.longest_running_s == 0.0);
  cp_workqueue_free(q);
}

static char *metrics_text(struct cp_workqueue *q, int with_help) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  assert_non_null(f);
  assert_int_equal(cp_workqueue_metrics_write(q, f, with_help), 0);
  fclose(f);
  return buf;
}

static void test_metrics(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("replica\"set", NULL);
  const char *k;
  char *text;

  (void)state;
  cp_workqueue_add(q, "a");
  cp_workqueue_add(q, "b");
  cp_workqueue_add(q, "c");
  k = cp_workqueue_get(q);
  cp_workqueue_done(q, k);
  cp_workqueue_add_after(q, "d", 3600000 * MS);
  text = metrics_text(q, 1);
  /* add_after is a requeue, not a retry. */
  assert_non_null(
      strstr(text, "workqueue_retries_total{name=\"replica\\\"set\"} 0\n"));
  free(text);
  text = metrics_text(q, 1);
  assert_non_null(strstr(text, "# TYPE workqueue_depth gauge\n"));
  assert_non_null(strstr(text, "workqueue_depth{name=\"replica\\\"set\"} 2\n"));
  assert_non_null(
      strstr(text, "workqueue_adds_total{name=\"replica\\\"set\"} 3\n"));
  assert_non_null(strstr(text, "# TYPE workqueue_queue_duration_seconds "
                               "histogram\n"));
  assert_non_null(strstr(text, "workqueue_queue_duration_seconds_bucket{"
                               "name=\"replica\\\"set\",le=\"+Inf\"} 1\n"));
  assert_non_null(strstr(text, "workqueue_work_duration_seconds_count{"
                               "name=\"replica\\\"set\"} 1\n"));
  assert_non_null(strstr(text, "workqueue_unfinished_work_seconds{"));
  assert_non_null(strstr(text, "workqueue_longest_running_processor_"
                               "seconds{"));
  assert_non_null(strstr(text, "le=\"1e-08\""));
  free(text);
  text = metrics_text(q, 0);
  assert_null(strstr(text, "# HELP"));
  assert_non_null(strstr(text, "workqueue_depth{"));
  free(text);
  /* A rate-limited add is what counts as a retry, as client-go's
   * AddRateLimited. */
  cp_workqueue_add_rate_limited(q, "e");
  text = metrics_text(q, 0);
  assert_non_null(
      strstr(text, "workqueue_retries_total{name=\"replica\\\"set\"} 1\n"));
  free(text);
  cp_workqueue_free(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_deduplicates),
      cmocka_unit_test(test_fifo_order),
      cmocka_unit_test(test_add_during_processing_is_kept),
      cmocka_unit_test(test_done_without_get_is_ignored),
      cmocka_unit_test(test_bad_keys),
      cmocka_unit_test(test_add_after_waits),
      cmocka_unit_test(test_add_after_zero_is_add),
      cmocka_unit_test(test_add_after_earlier_wins),
      cmocka_unit_test(test_delayed_keys_leave_in_deadline_order),
      cmocka_unit_test(test_delayed_key_while_queued_is_one_item),
      cmocka_unit_test(test_sleeping_worker_wakes_for_earlier_deadline),
      cmocka_unit_test(test_rate_limited_backoff),
      cmocka_unit_test(test_rate_limited_backoff_is_capped),
      cmocka_unit_test(test_token_bucket),
      cmocka_unit_test(test_backoff_does_not_block_fresh_keys),
      cmocka_unit_test(test_shutdown),
      cmocka_unit_test(test_shutdown_drain_delivers_queued),
      cmocka_unit_test(test_shutdown_drain_lets_workers_finish),
      cmocka_unit_test(test_shutdown_drain_times_out),
      cmocka_unit_test(test_many_keys_grow_and_shrink),
      cmocka_unit_test(test_stats_unfinished_work),
      cmocka_unit_test(test_metrics),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
