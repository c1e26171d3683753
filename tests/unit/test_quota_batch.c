/*
 * test_quota_batch - ResourceQuota admission's batches: writes that wait
 * on a namespace while another batch runs are led together in one batch
 * (in join order), each exactly once; a batch never mixes namespaces or
 * servers (args); a join on an idle stripe leads alone at once, and
 * never runs beside a batch of its namespace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
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

/* it joins joins times, under nss[(id + k) % n_ns] and the two servers
 * in turn; (void *)1 when a join was not processed exactly once. */
static void *join_rounds(struct item *it, int joins,
                         const char *const *nss, int n_ns,
                         cp_quota_batch_fn fn) {
  int k;

  for (k = 0; k < joins; k++) {
    it->processed = 0;
    it->e.ns = nss[(it->id + k) % n_ns];
    it->e.data = it;
    cp_quota_batch_join(&it->e, fn, (it->id + k) % 2 ? &arg1 : &arg2);
    if (it->processed != 1)
      return (void *)1;
  }
  return NULL;
}

static void *stress_joiner(void *p) {
  static const char *const ns[] = {"a", "b", "c"};

  return join_rounds(p, STRESS_JOINS, ns, 3, stress_process);
}

/* Runs fn on n threads, one item each (ids 0..n-1); each must return
 * NULL. */
static void run_joiners(struct item *items, int n, void *(*fn)(void *)) {
  void *bad;
  int i;

  for (i = 0; i < n; i++) {
    items[i].id = i;
    assert_int_equal(pthread_create(&items[i].th, NULL, fn, &items[i]), 0);
  }
  for (i = 0; i < n; i++) {
    assert_int_equal(pthread_join(items[i].th, &bad), 0);
    assert_null(bad);
  }
}

static void test_no_waiter_is_left_behind(void **state) {
  static struct item items[STRESS_THREADS];

  (void)state;
  run_joiners(items, STRESS_THREADS, stress_joiner);
  assert_int_equal(stress_processed, (long)STRESS_THREADS * STRESS_JOINS);
}

/* A join on an idle stripe leads a batch of itself at once, on its own
 * thread; the stripe is idle again once it returns. */
static pthread_t alone_thread;
static size_t alone_n;

static void alone_process(void *arg, struct cp_quota_batch_entry **b,
                          size_t n) {
  (void)arg;
  alone_thread = pthread_self();
  alone_n = n;
  ((struct item *)b[0]->data)->processed++;
}

static void test_idle_join_leads_alone(void **state) {
  struct item it;
  int k;

  (void)state;
  for (k = 0; k < 2; k++) {
    memset(&it, 0, sizeof it);
    it.e.ns = "idle";
    it.e.data = &it;
    alone_n = 0;
    cp_quota_batch_join(&it.e, alone_process, &arg1);
    assert_int_equal(it.processed, 1);
    assert_int_equal(alone_n, 1);
    assert_true(pthread_equal(alone_thread, pthread_self()));
    assert_int_equal(it.e.finished, 1);
  }
}

/* Batches of one namespace never run at the same time, whether their
 * leader came in on an idle stripe (no queue) or was queued behind a
 * batch: threads joining "solo" again and again under two servers (one
 * stripe), each batch yielding inside to let the others race in. */
#define OVERLAP_THREADS 8
#define OVERLAP_JOINS 400

static int inside, overlaps; /* under mu */
static long overlap_processed, overlap_batches;

static void overlap_process(void *arg, struct cp_quota_batch_entry **b,
                            size_t n) {
  size_t i;

  (void)arg;
  pthread_mutex_lock(&mu);
  overlaps += inside > 0;
  inside++;
  overlap_batches++;
  pthread_mutex_unlock(&mu);
  sched_yield();
  pthread_mutex_lock(&mu);
  for (i = 0; i < n; i++) {
    ((struct item *)b[i]->data)->processed++;
    overlap_processed++;
  }
  inside--;
  pthread_mutex_unlock(&mu);
}

static void *overlap_joiner(void *p) {
  static const char *const ns[] = {"solo"};

  return join_rounds(p, OVERLAP_JOINS, ns, 1, overlap_process);
}

static void test_idle_path_serialises_with_batches(void **state) {
  static struct item items[OVERLAP_THREADS];

  (void)state;
  run_joiners(items, OVERLAP_THREADS, overlap_joiner);
  assert_int_equal(overlaps, 0);
  assert_int_equal(overlap_processed,
                   (long)OVERLAP_THREADS * OVERLAP_JOINS);
  assert_true(overlap_batches <= overlap_processed);
}

/* More waiters than a batch holds: behind a batch held at a gate, 70
 * writes of one namespace queue; batches hold at most
 * CP_QUOTA_BATCH_MAX, and one whose leader was not in its (full) batch
 * leads again until it was. Each write is processed once. */
#define FULL_WAITERS (CP_QUOTA_BATCH_MAX + 6)

static int full_gate, full_joined, full_too_big;
static long full_processed;

static void full_process(void *arg, struct cp_quota_batch_entry **b,
                         size_t n) {
  size_t i;

  (void)arg;
  pthread_mutex_lock(&mu);
  while (!full_gate)
    pthread_cond_wait(&cv, &mu);
  full_too_big += n > CP_QUOTA_BATCH_MAX;
  for (i = 0; i < n; i++) {
    ((struct item *)b[i]->data)->processed++;
    full_processed++;
  }
  pthread_mutex_unlock(&mu);
}

static void *full_joiner(void *p) {
  struct item *it = p;

  pthread_mutex_lock(&mu);
  full_joined++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  cp_quota_batch_join(&it->e, full_process, &arg1);
  return NULL;
}

static void test_full_batches_leave_the_rest_queued(void **state) {
  static struct item items[1 + FULL_WAITERS];
  int i;

  (void)state;
  for (i = 0; i <= FULL_WAITERS; i++) {
    items[i].id = i;
    items[i].e.ns = "full";
    items[i].e.data = &items[i];
    assert_int_equal(
        pthread_create(&items[i].th, NULL, full_joiner, &items[i]), 0);
  }
  pthread_mutex_lock(&mu);
  while (full_joined <= FULL_WAITERS)
    pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  usleep(200000); /* let them queue behind the gated batch */
  pthread_mutex_lock(&mu);
  full_gate = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (i = 0; i <= FULL_WAITERS; i++)
    pthread_join(items[i].th, NULL);
  for (i = 0; i <= FULL_WAITERS; i++)
    assert_int_equal(items[i].processed, 1);
  assert_int_equal(full_processed, 1 + FULL_WAITERS);
  assert_int_equal(full_too_big, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_waiting_writes_are_led_together),
      cmocka_unit_test(test_no_waiter_is_left_behind),
      cmocka_unit_test(test_idle_join_leads_alone),
      cmocka_unit_test(test_idle_path_serialises_with_batches),
      cmocka_unit_test(test_full_batches_leave_the_rest_queued),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
