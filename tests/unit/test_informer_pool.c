/*
 * test_informer_pool - the informer's dispatch pool: many handlers share a
 * few threads, yet each handler gets its notifications in order and one
 * at a time; a handler whose callbacks hang does not keep the others from
 * theirs; a handler may remove itself from a callback while the rest go
 * on; stop drains every handler.
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
#include <time.h>
#include <unistd.h>

#include "informer/informer.h"
#include "object/object.h"

#define KEYS 16
#define MAX_THREADS 64

static uint64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static cplane_object *pod(int key, long rv) {
  char json[256];
  cplane_object *obj = NULL;

  snprintf(json, sizeof json,
           "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"k%d\",\"namespace\":"
           "\"a\",\"resourceVersion\":\"%ld\"}}",
           key, rv);
  assert_int_equal(cp_object_parse(json, strlen(json), &obj, NULL),
                   CPLANE_OK);
  return obj;
}

/* One handler's view: the last version seen per key, callbacks in flight,
 * the threads its callbacks ran on. */
struct view {
  cp_informer *inf;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  long last_rv[KEYS];
  atomic_long events;
  atomic_int inside;     /* callbacks running now: never above 1 */
  atomic_int overlapped; /* two callbacks of this handler at once */
  atomic_int disorder;   /* a key's version went backwards */
  int gate_closed;       /* callbacks wait while set */
  atomic_int blocked;    /* callbacks waiting at the gate */
  unsigned sleep_us;
  cp_informer_handler *self; /* removes itself at event remove_at */
  long remove_at;
};

static pthread_mutex_t threads_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t threads_seen[MAX_THREADS];
static size_t n_threads_seen;

static void note_thread(void) {
  pthread_t me = pthread_self();
  size_t i;

  pthread_mutex_lock(&threads_mu);
  for (i = 0; i < n_threads_seen; i++)
    if (pthread_equal(threads_seen[i], me))
      break;
  if (i == n_threads_seen && n_threads_seen < MAX_THREADS)
    threads_seen[n_threads_seen++] = me;
  pthread_mutex_unlock(&threads_mu);
}

static void view_init(struct view *v, cp_informer *inf) {
  memset(v, 0, sizeof *v);
  v->inf = inf;
  pthread_mutex_init(&v->mu, NULL);
  pthread_cond_init(&v->cv, NULL);
}

static void view_destroy(struct view *v) {
  pthread_cond_destroy(&v->cv);
  pthread_mutex_destroy(&v->mu);
}

static void see(struct view *v, const cplane_object *obj) {
  int key = atoi(cp_object_name(obj) + 1);
  long rv = atol(cp_object_resource_version(obj));
  cp_informer_handler *remove = NULL;
  long n;

  if (atomic_fetch_add(&v->inside, 1) != 0)
    atomic_store(&v->overlapped, 1);
  note_thread();
  pthread_mutex_lock(&v->mu);
  atomic_fetch_add(&v->blocked, 1);
  while (v->gate_closed)
    pthread_cond_wait(&v->cv, &v->mu);
  atomic_fetch_sub(&v->blocked, 1);
  pthread_mutex_unlock(&v->mu);
  if (key >= 0 && key < KEYS) {
    if (rv <= v->last_rv[key])
      atomic_store(&v->disorder, 1);
    v->last_rv[key] = rv;
  }
  if (v->sleep_us > 0)
    usleep(v->sleep_us);
  n = atomic_fetch_add(&v->events, 1) + 1;
  if (v->remove_at != 0 && n == v->remove_at)
    remove = v->self;
  atomic_fetch_sub(&v->inside, 1);
  if (remove != NULL)
    cp_informer_remove_handler(v->inf, remove);
}

static void on_add(void *ud, const cplane_object *obj, int initial) {
  (void)initial;
  see(ud, obj);
}

static void on_update(void *ud, const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  see(ud, new_obj);
}

static const struct cp_informer_handler_ops view_ops = {on_add, on_update,
                                                        NULL};

static void set_gate(struct view *v, int closed) {
  pthread_mutex_lock(&v->mu);
  v->gate_closed = closed;
  pthread_cond_broadcast(&v->cv);
  pthread_mutex_unlock(&v->mu);
}

static int wait_events(struct view *v, long n, unsigned ms) {
  uint64_t deadline = now_ms() + ms;

  while (atomic_load(&v->events) < n && now_ms() < deadline)
    usleep(1000);
  return atomic_load(&v->events) >= n;
}

/* Feeds versions 1..n round-robin over the keys. */
static void feed(cp_informer *inf, long from, long n) {
  long rv;

  for (rv = from; rv < from + n; rv++)
    assert_int_equal(cp_informer_upsert(inf, pod((int)(rv % KEYS), rv)),
                     CPLANE_OK);
}

/* Sixteen handlers, fast callbacks: every one sees every change in order,
 * never two callbacks at once, and the pool used no more than its few
 * threads (one per handler before). */
static void test_order_and_few_threads(void **state) {
  enum { H = 16, N = 3000 };
  cp_informer *inf = cp_informer_new("pods");
  struct view *v = calloc(H, sizeof *v);
  int i;

  (void)state;
  n_threads_seen = 0;
  for (i = 0; i < H; i++) {
    view_init(&v[i], inf);
    assert_non_null(cp_informer_add_handler(inf, &view_ops, &v[i], 64, 0));
  }
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  feed(inf, 1, N);
  for (i = 0; i < H; i++) {
    assert_true(wait_events(&v[i], N, 30000));
    assert_int_equal(atomic_load(&v[i].overlapped), 0);
    assert_int_equal(atomic_load(&v[i].disorder), 0);
  }
  assert_true(n_threads_seen <= CP_INFORMER_DISPATCH_THREADS);
  cp_informer_free(inf);
  for (i = 0; i < H; i++)
    view_destroy(&v[i]);
  free(v);
}

/* More handlers hang in a callback than the pool has threads: the others
 * still get every notification, soon; the hung ones catch up, in order,
 * once they return. */
static void test_stalled_handlers_do_not_stall_others(void **state) {
  enum { H = 6, STUCK = 3, N = 40 };
  cp_informer *inf = cp_informer_new("pods");
  struct view *v = calloc(H, sizeof *v);
  uint64_t t0;
  int i;

  (void)state;
  for (i = 0; i < H; i++) {
    view_init(&v[i], inf);
    v[i].gate_closed = i < STUCK;
    assert_non_null(cp_informer_add_handler(inf, &view_ops, &v[i], 256, 0));
  }
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  feed(inf, 1, N);
  t0 = now_ms();
  for (i = STUCK; i < H; i++)
    assert_true(wait_events(&v[i], N, 30000));
  /* Two watch periods per stuck thread to find and replace it, and
   * room for a loaded machine. */
  assert_true(now_ms() - t0 < 3000);
  for (i = 0; i < STUCK; i++) {
    assert_int_equal(atomic_load(&v[i].events), 0);
    assert_int_equal(atomic_load(&v[i].blocked), 1);
  }
  for (i = 0; i < STUCK; i++)
    set_gate(&v[i], 0);
  for (i = 0; i < H; i++) {
    assert_true(wait_events(&v[i], N, 30000));
    assert_int_equal(atomic_load(&v[i].overlapped), 0);
    assert_int_equal(atomic_load(&v[i].disorder), 0);
  }
  cp_informer_free(inf);
  for (i = 0; i < H; i++)
    view_destroy(&v[i]);
  free(v);
}

/* Two handlers remove themselves mid-stream, through small buffers that
 * keep the feeder waiting: no callback of either after its removal, the
 * rest get everything. */
static void test_remove_from_callbacks(void **state) {
  enum { H = 5, N = 500 };
  cp_informer *inf = cp_informer_new("pods");
  struct view *v = calloc(H, sizeof *v);
  cp_informer_handler *hs[H];
  int i;

  (void)state;
  for (i = 0; i < H; i++) {
    view_init(&v[i], inf);
    v[i].sleep_us = i < 3 ? 50 : 0;
    v[i].gate_closed = 1; /* self/other are set before any callback */
    hs[i] = cp_informer_add_handler(inf, &view_ops, &v[i], 16, 0);
    assert_non_null(hs[i]);
  }
  v[0].self = hs[0];
  v[0].remove_at = 100;
  v[2].self = hs[2];
  v[2].remove_at = 150;
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  for (i = 0; i < H; i++)
    set_gate(&v[i], 0);
  feed(inf, 1, N);
  for (i = 3; i < H; i++)
    assert_true(wait_events(&v[i], N, 30000));
  assert_true(wait_events(&v[1], N, 30000));
  assert_int_equal(atomic_load(&v[0].events), 100);
  assert_int_equal(atomic_load(&v[2].events), 150);
  for (i = 0; i < H; i++) {
    assert_int_equal(atomic_load(&v[i].overlapped), 0);
    assert_int_equal(atomic_load(&v[i].disorder), 0);
  }
  cp_informer_free(inf);
  for (i = 0; i < H; i++)
    view_destroy(&v[i]);
  free(v);
}

/* Stop lets every handler deliver what it has buffered, however few the
 * threads; a restart carries on from there. */
static void test_stop_drains_all(void **state) {
  enum { H = 8, N = 40 };
  cp_informer *inf = cp_informer_new("pods");
  struct view *v = calloc(H, sizeof *v);
  int i;

  (void)state;
  for (i = 0; i < H; i++) {
    view_init(&v[i], inf);
    v[i].sleep_us = 200;
    assert_non_null(cp_informer_add_handler(inf, &view_ops, &v[i], 64, 0));
  }
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  feed(inf, 1, N);
  cp_informer_stop(inf);
  for (i = 0; i < H; i++)
    assert_int_equal(atomic_load(&v[i].events), N);
  /* Fed while stopped: delivered after the next start. */
  feed(inf, N + 1, N);
  usleep(20000);
  for (i = 0; i < H; i++)
    assert_int_equal(atomic_load(&v[i].events), N);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  for (i = 0; i < H; i++) {
    assert_true(wait_events(&v[i], 2 * N, 30000));
    assert_int_equal(atomic_load(&v[i].disorder), 0);
  }
  cp_informer_free(inf);
  for (i = 0; i < H; i++)
    view_destroy(&v[i]);
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_and_few_threads),
      cmocka_unit_test(test_stalled_handlers_do_not_stall_others),
      cmocka_unit_test(test_remove_from_callbacks),
      cmocka_unit_test(test_stop_drains_all),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
