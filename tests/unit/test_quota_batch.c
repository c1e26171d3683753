/*
 * test_quota_batch - ResourceQuota admission's batches: writes that wait
 * on a namespace while another batch runs are led together in one batch
 * (in join order), each exactly once; a batch never mixes namespaces or
 * servers (args).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "apiserver/quota_batch.h"

#define WAITERS 8
#define OTHER_NS 4
#define OTHER_ARG 2
#define ALL (1 + WAITERS + OTHER_NS + OTHER_ARG)

struct item {
  int id, processed;
  int taken; /* under mu: its batch is at the gate or past it */
  struct cp_quota_batch_entry e;
  pthread_t th;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int gate_open, batches, mixed, out_of_order;
static size_t sizes[ALL];
static void *args_of[ALL];
static char arg1, arg2;

/* The first batch waits at the gate, so that the others queue. */
static void process(void *arg, struct cp_quota_batch_entry **b, size_t n) {
  size_t i;

  pthread_mutex_lock(&mu);
  for (i = 0; i < n; i++)
    ((struct item *)b[i]->data)->taken = 1;
  while (!gate_open)
    pthread_cond_wait(&cv, &mu);
  for (i = 0; i < n; i++) {
    struct item *it = b[i]->data;

    it->processed++;
    if (strcmp(b[i]->ns, b[0]->ns) != 0)
      mixed++;
    if (i > 0 && ((struct item *)b[i - 1]->data)->id > it->id)
      out_of_order++;
  }
  sizes[batches] = n;
  args_of[batches++] = arg;
  pthread_mutex_unlock(&mu);
}

static void *joiner(void *p) {
  struct item *it = p;
  void *arg = it->id > WAITERS + OTHER_NS ? &arg2 : &arg1;

  cp_quota_batch_join(&it->e, process, arg);
  return NULL;
}

/* Starts item it and returns once it waits in its namespace's queue or
 * its batch has reached the gate, so that the next joins after it. The
 * deadline only ends a hung run (a loaded TSan run needs milliseconds). */
static void start_and_wait_joined(struct item *it) {
  int i, taken;

  assert_int_equal(pthread_create(&it->th, NULL, joiner, it), 0);
  for (i = 0; i < 60000; i++) {
    pthread_mutex_lock(&mu);
    taken = it->taken;
    pthread_mutex_unlock(&mu);
    if (taken || cp_quota_batch_queued(&it->e))
      return;
    usleep(1000);
  }
  fail_msg("item %d neither queued nor taken after 60 s", it->id);
}

static void test_waiting_writes_are_led_together(void **state) {
  static struct item items[ALL];
  int i, of_eight = 0;

  (void)state;
  for (i = 0; i < ALL; i++) {
    items[i].id = i;
    items[i].e.ns = i > WAITERS && i <= WAITERS + OTHER_NS ? "other" : "team";
    items[i].e.data = &items[i];
  }
  /* The first leads a batch that waits at the gate (taken)... */
  start_and_wait_joined(&items[0]);
  assert_true(items[0].taken);
  /* ...while the others join, one at a time (join order = id order);
   * each queues behind it, or leads its own batch to the gate when its
   * namespace hashes to another stripe. */
  for (i = 1; i < ALL; i++)
    start_and_wait_joined(&items[i]);
  pthread_mutex_lock(&mu);
  gate_open = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (i = 0; i < ALL; i++)
    pthread_join(items[i].th, NULL);
  for (i = 0; i < ALL; i++)
    assert_int_equal(items[i].processed, 1);
  assert_int_equal(mixed, 0);
  assert_int_equal(out_of_order, 0);
  /* The eight that waited on "team" with arg1 were one batch. */
  for (i = 0; i < batches; i++)
    of_eight += sizes[i] == WAITERS && args_of[i] == &arg1;
  assert_int_equal(of_eight, 1);
  /* Batches of arg2 held only arg2's entries (ids past the others). */
  for (i = 0; i < batches; i++)
    if (args_of[i] == &arg2)
      assert_true(sizes[i] <= OTHER_ARG);
}

/* Wake-ups go to single waiters (their batch ended, or they lead the
 * next): with threads joining again and again over namespaces and
 * servers, none is left waiting and every entry is processed once. */
#define STRESS_THREADS 12
#define STRESS_JOINS 300

static long stress_processed; /* under mu */

static void stress_process(void *arg, struct cp_quota_batch_entry **b,
                           size_t n) {
  size_t i;

  (void)arg;
  pthread_mutex_lock(&mu);
  for (i = 0; i < n; i++) {
    ((struct item *)b[i]->data)->processed++;
    stress_processed++;
  }
  pthread_mutex_unlock(&mu);
}

static void *stress_joiner(void *p) {
  static const char *const ns[] = {"a", "b", "c"};
  struct item *it = p;
  int k;

  for (k = 0; k < STRESS_JOINS; k++) {
    it->processed = 0;
    it->e.ns = ns[(it->id + k) % 3];
    it->e.data = it;
    cp_quota_batch_join(&it->e, stress_process,
                        (it->id + k) % 2 ? &arg1 : &arg2);
    if (it->processed != 1)
      return (void *)1;
  }
  return NULL;
}

static void test_no_waiter_is_left_behind(void **state) {
  static struct item items[STRESS_THREADS];
  void *bad;
  int i;

  (void)state;
  for (i = 0; i < STRESS_THREADS; i++) {
    items[i].id = i;
    assert_int_equal(
        pthread_create(&items[i].th, NULL, stress_joiner, &items[i]), 0);
  }
  for (i = 0; i < STRESS_THREADS; i++) {
    assert_int_equal(pthread_join(items[i].th, &bad), 0);
    assert_null(bad);
  }
  assert_int_equal(stress_processed, (long)STRESS_THREADS * STRESS_JOINS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_waiting_writes_are_led_together),
      cmocka_unit_test(test_no_waiter_is_left_behind),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
