/*
 * conformance.c - the behaviour every store backend must have, as one set
 * of cmocka tests. A test binary includes this file and sets conf_backend
 * to a factory that returns a fresh, empty store for each test; the same
 * assertions then run against SQLite and against etcd.
 *
 * Revisions are compared relative to what the store returned, never to
 * fixed numbers, because an etcd cluster is shared between tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

typedef struct conf_backend {
  const char *name;
  /* Returns a fresh empty store (owned by the caller) or NULL. */
  cp_store *(*open)(void);
  /* Reopens the same data as the last open (for durability checks), or
   * NULL if the backend cannot. */
  int64_t progress_wait_ms; /* how long a PROGRESS may take */
} conf_backend;

static const conf_backend *conf_backend_in_use;

#define S(x) (x), strlen(x)

/* ---- Watch collector -------------------------------------------------- */

typedef struct collector {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  cp_store_event *events;
  size_t count, cap;
  int progress;
  int64_t progress_rev;
  int compacted;
  int64_t compact_rev;
  int errors;
  int out_of_order;
  int64_t last_rev;
} collector;

static void collector_init(collector *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cond, NULL);
}

static void collector_free(collector *c) {
  size_t i;

  for (i = 0; i < c->count; i++) {
    cp_store_kv_free(&c->events[i].kv);
    cp_store_kv_free(&c->events[i].prev);
  }
  free(c->events);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cond);
}

static void collector_cb(void *ud, const cp_store_watch_msg *m) {
  collector *c = ud;
  size_t i;

  pthread_mutex_lock(&c->mu);
  switch (m->kind) {
  case CP_STORE_WATCH_EVENTS:
    for (i = 0; i < m->count; i++) {
      cp_store_event *e;

      if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->events = realloc(c->events, c->cap * sizeof *c->events);
        assert_non_null(c->events);
      }
      e = &c->events[c->count++];
      e->type = m->events[i].type;
      assert_int_equal(cp_store_kv_copy(&e->kv, &m->events[i].kv), 0);
      assert_int_equal(cp_store_kv_copy(&e->prev, &m->events[i].prev), 0);
      if (e->kv.mod_revision <= c->last_rev)
        c->out_of_order++;
      c->last_rev = e->kv.mod_revision;
    }
    break;
  case CP_STORE_WATCH_PROGRESS:
    c->progress++;
    c->progress_rev = m->revision;
    break;
  case CP_STORE_WATCH_COMPACTED:
    c->compacted++;
    c->compact_rev = m->revision;
    break;
  default:
    c->errors++;
  }
  pthread_cond_broadcast(&c->cond);
  pthread_mutex_unlock(&c->mu);
}

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until field reaches want or timeout; returns the final value. */
static size_t collector_wait(collector *c, const size_t *field, size_t want,
                             int64_t timeout_ms) {
  int64_t end = mono_ms() + timeout_ms;
  size_t v;

  pthread_mutex_lock(&c->mu);
  while (*field < want && mono_ms() < end) {
    pthread_mutex_unlock(&c->mu);
    usleep(2000);
    pthread_mutex_lock(&c->mu);
  }
  v = *field;
  pthread_mutex_unlock(&c->mu);
  return v;
}

static int collector_wait_int(collector *c, const int *field, int want,
                              int64_t timeout_ms) {
  int64_t end = mono_ms() + timeout_ms;
  int v;

  pthread_mutex_lock(&c->mu);
  while (*field < want && mono_ms() < end) {
    pthread_mutex_unlock(&c->mu);
    usleep(2000);
    pthread_mutex_lock(&c->mu);
  }
  v = *field;
  pthread_mutex_unlock(&c->mu);
  return v;
}

/* ---- Fixtures --------------------------------------------------------- */

static int conf_setup(void **state) {
  cp_store *s = conf_backend_in_use->open();

  if (s == NULL)
    return -1;
  *state = s;
  return 0;
}

static int conf_teardown(void **state) {
  cp_store_close(*state);
  return 0;
}

static void kv_is(const cp_store_kv *kv, const char *key, const char *value) {
  assert_int_equal(kv->key_len, strlen(key));
  assert_memory_equal(kv->key, key, kv->key_len);
  assert_int_equal(kv->value_len, strlen(value));
  assert_memory_equal(kv->value, value, kv->value_len);
}

/* ---- Tests ------------------------------------------------------------ */

static void conf_create_if_absent(void **state) {
  cp_store *s = *state;
  cp_store_kv kv;
  int64_t r1 = 0, r2 = 0, hdr = 0, cur = 0;

  assert_int_equal(cp_store_get(s, S("pods/default/a"), 0, &kv, &hdr),
                   CPLANE_ENOENT);
  assert_int_equal(cp_store_create(s, S("pods/default/a"), S("v1"), &r1), 0);
  assert_true(r1 > 0);
  assert_int_equal(cp_store_create(s, S("pods/default/a"), S("v2"), &r2),
                   CP_STORE_EEXISTS);
  assert_int_equal(cp_store_get(s, S("pods/default/a"), 0, &kv, &hdr), 0);
  kv_is(&kv, "pods/default/a", "v1");
  assert_int_equal(kv.create_revision, r1);
  assert_int_equal(kv.mod_revision, r1);
  assert_int_equal(kv.version, 1);
  assert_true(hdr >= r1);
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_current_revision(s, &cur), 0);
  assert_true(cur >= r1);
  /* Empty values are values. */
  assert_int_equal(cp_store_create(s, S("pods/default/empty"), "", 0, &r2),
                   0);
  assert_int_equal(cp_store_get(s, S("pods/default/empty"), 0, &kv, NULL), 0);
  assert_int_equal(kv.value_len, 0);
  assert_int_equal(kv.mod_revision, r2);
  cp_store_kv_free(&kv);
}

static void conf_update_cas(void **state) {
  cp_store *s = *state;
  cp_store_kv kv, cur;
  int64_t r1, r2, r3;

  assert_int_equal(cp_store_create(s, S("cm/ns/x"), S("one"), &r1), 0);
  assert_int_equal(cp_store_update(s, S("cm/ns/x"), S("two"), r1, &r2, NULL),
                   0);
  assert_true(r2 > r1);
  /* A stale revision loses and reports what is there now. */
  assert_int_equal(cp_store_update(s, S("cm/ns/x"), S("three"), r1, &r3, &cur),
                   CP_STORE_ECONFLICT);
  kv_is(&cur, "cm/ns/x", "two");
  assert_int_equal(cur.mod_revision, r2);
  cp_store_kv_free(&cur);
  assert_int_equal(cp_store_get(s, S("cm/ns/x"), 0, &kv, NULL), 0);
  kv_is(&kv, "cm/ns/x", "two");
  assert_int_equal(kv.create_revision, r1);
  assert_int_equal(kv.mod_revision, r2);
  assert_int_equal(kv.version, 2);
  cp_store_kv_free(&kv);
  /* Updating a key that does not exist is a conflict with nothing. */
  assert_int_equal(cp_store_update(s, S("cm/ns/none"), S("v"), r2, &r3, &cur),
                   CP_STORE_ECONFLICT);
  assert_int_equal(cur.key_len, 0);
  assert_int_equal(cur.mod_revision, 0);
  cp_store_kv_free(&cur);
}

static void conf_delete_expected(void **state) {
  cp_store *s = *state;
  cp_store_kv prev, kv;
  int64_t r1, r2, rd, r3;

  assert_int_equal(cp_store_create(s, S("sec/ns/d"), S("a"), &r1), 0);
  assert_int_equal(cp_store_update(s, S("sec/ns/d"), S("b"), r1, &r2, NULL),
                   0);
  assert_int_equal(cp_store_delete(s, S("sec/ns/d"), r1, &rd, &prev),
                   CP_STORE_ECONFLICT);
  kv_is(&prev, "sec/ns/d", "b");
  cp_store_kv_free(&prev);
  assert_int_equal(cp_store_delete(s, S("sec/ns/d"), r2, &rd, &prev), 0);
  assert_true(rd > r2);
  kv_is(&prev, "sec/ns/d", "b");
  assert_int_equal(prev.mod_revision, r2);
  cp_store_kv_free(&prev);
  assert_int_equal(cp_store_get(s, S("sec/ns/d"), 0, &kv, NULL),
                   CPLANE_ENOENT);
  assert_int_equal(cp_store_delete(s, S("sec/ns/d"), 0, &rd, NULL),
                   CPLANE_ENOENT);
  /* Re-creating starts a new life: version 1, new create revision. */
  assert_int_equal(cp_store_create(s, S("sec/ns/d"), S("c"), &r3), 0);
  assert_int_equal(cp_store_get(s, S("sec/ns/d"), 0, &kv, NULL), 0);
  assert_int_equal(kv.version, 1);
  assert_int_equal(kv.create_revision, r3);
  cp_store_kv_free(&kv);
  /* Expected 0 deletes whatever is there. */
  assert_int_equal(cp_store_delete(s, S("sec/ns/d"), 0, &rd, NULL), 0);
}

static void conf_list_pagination(void **state) {
  cp_store *s = *state;
  cp_store_list_result res;
  char key[64], val[64];
  int64_t rev, r, revs[10];
  uint8_t *next = NULL;
  size_t next_len = 0, seen = 0, i;
  int pages = 0;

  for (i = 0; i < 10; i++) {
    snprintf(key, sizeof key, "pods/ns/p%02zu", i);
    snprintf(val, sizeof val, "v%zu", i);
    assert_int_equal(cp_store_create(s, S(key), S(val), &revs[i]), 0);
  }
  assert_int_equal(cp_store_create(s, S("pods/other"), S("x"), &r), 0);
  assert_int_equal(cp_store_create(s, S("pods/nt"), S("x"), &r), 0);
  assert_int_equal(cp_store_list(s, S("pods/ns/"), NULL, 0, 0, 3, &res), 0);
  assert_int_equal(res.count, 3);
  assert_true(res.more);
  rev = res.revision;
  assert_true(rev >= r);
  /* Change the data under the pages: the later pages must not see it. */
  assert_int_equal(cp_store_update(s, S("pods/ns/p05"), S("new"), revs[5], &r,
                                   NULL),
                   0);
  assert_int_equal(cp_store_delete(s, S("pods/ns/p07"), 0, &r, NULL), 0);
  assert_int_equal(cp_store_create(s, S("pods/ns/p04a"), S("new"), &r), 0);
  for (;;) {
    pages++;
    for (i = 0; i < res.count; i++, seen++) {
      snprintf(key, sizeof key, "pods/ns/p%02zu", seen);
      snprintf(val, sizeof val, "v%zu", seen);
      kv_is(&res.kvs[i], key, val);
      assert_int_equal(res.kvs[i].mod_revision, revs[seen]);
    }
    if (!res.more)
      break;
    free(next);
    next = cp_store_list_next_key(&res, &next_len);
    assert_non_null(next);
    cp_store_list_result_free(&res);
    assert_int_equal(cp_store_list(s, S("pods/ns/"), next, next_len, rev, 3,
                                   &res),
                     0);
    assert_int_equal(res.revision, rev);
  }
  cp_store_list_result_free(&res);
  free(next);
  assert_int_equal(seen, 10);
  assert_int_equal(pages, 4);
  /* The latest list sees the changes. */
  assert_int_equal(cp_store_list(s, S("pods/ns/"), NULL, 0, 0, 0, &res), 0);
  assert_int_equal(res.count, 10);
  assert_false(res.more);
  kv_is(&res.kvs[5], "pods/ns/p04a", "new");
  kv_is(&res.kvs[6], "pods/ns/p05", "new");
  cp_store_list_result_free(&res);
  /* An empty prefix lists everything. */
  assert_int_equal(cp_store_list(s, NULL, 0, NULL, 0, 0, 0, &res), 0);
  assert_int_equal(res.count, 12);
  cp_store_list_result_free(&res);
}

static void conf_get_past_revision(void **state) {
  cp_store *s = *state;
  cp_store_kv kv;
  int64_t r1, r2, r3;

  assert_int_equal(cp_store_create(s, S("a/k"), S("one"), &r1), 0);
  assert_int_equal(cp_store_update(s, S("a/k"), S("two"), r1, &r2, NULL), 0);
  assert_int_equal(cp_store_delete(s, S("a/k"), 0, &r3, NULL), 0);
  assert_int_equal(cp_store_get(s, S("a/k"), r1, &kv, NULL), 0);
  kv_is(&kv, "a/k", "one");
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_get(s, S("a/k"), r2, &kv, NULL), 0);
  kv_is(&kv, "a/k", "two");
  assert_int_equal(kv.version, 2);
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_get(s, S("a/k"), r3, &kv, NULL), CPLANE_ENOENT);
  assert_int_equal(cp_store_get(s, S("a/k"), r3 + 1000000, &kv, NULL),
                   CP_STORE_EFUTURE);
}

static void conf_watch_replay(void **state) {
  cp_store *s = *state;
  cp_store_watcher *w;
  collector c;
  int64_t r0, r1, r2, r3, r4, r;

  collector_init(&c);
  assert_int_equal(cp_store_create(s, S("w/a"), S("1"), &r0), 0);
  assert_int_equal(cp_store_create(s, S("w/b"), S("1"), &r1), 0);
  assert_int_equal(cp_store_create(s, S("x/outside"), S("1"), &r), 0);
  assert_int_equal(cp_store_update(s, S("w/a"), S("2"), r0, &r2, NULL), 0);
  assert_int_equal(cp_store_delete(s, S("w/b"), r1, &r3, NULL), 0);
  /* From r1: exactly the missed events of the prefix, in order. */
  assert_int_equal(cp_store_watch(s, S("w/"), r1, collector_cb, &c, &w), 0);
  assert_int_equal(collector_wait(&c, &c.count, 3, 10000), 3);
  assert_int_equal(c.events[0].type, CP_STORE_EVENT_PUT);
  kv_is(&c.events[0].kv, "w/b", "1");
  assert_int_equal(c.events[0].kv.mod_revision, r1);
  assert_int_equal(c.events[0].prev.mod_revision, 0);
  kv_is(&c.events[1].kv, "w/a", "2");
  assert_int_equal(c.events[1].kv.mod_revision, r2);
  assert_int_equal(c.events[1].kv.version, 2);
  assert_int_equal(c.events[1].kv.create_revision, r0);
  kv_is(&c.events[1].prev, "w/a", "1");
  assert_int_equal(c.events[1].prev.mod_revision, r0);
  assert_int_equal(c.events[2].type, CP_STORE_EVENT_DELETE);
  assert_int_equal(c.events[2].kv.mod_revision, r3);
  assert_int_equal(c.events[2].kv.key_len, 3);
  kv_is(&c.events[2].prev, "w/b", "1");
  /* Then live events follow with no gap. */
  assert_int_equal(cp_store_create(s, S("w/c"), S("live"), &r4), 0);
  assert_int_equal(collector_wait(&c, &c.count, 4, 10000), 4);
  kv_is(&c.events[3].kv, "w/c", "live");
  assert_int_equal(c.events[3].kv.mod_revision, r4);
  usleep(100000);
  assert_int_equal(c.count, 4);
  assert_int_equal(c.out_of_order, 0);
  assert_int_equal(c.errors, 0);
  cp_store_watch_cancel(w);
  collector_free(&c);
}

static void conf_watch_from_now_and_progress(void **state) {
  cp_store *s = *state;
  cp_store_watcher *w;
  collector c;
  int64_t r1, r2;

  collector_init(&c);
  assert_int_equal(cp_store_create(s, S("n/old"), S("1"), &r1), 0);
  assert_int_equal(cp_store_watch(s, S("n/"), 0, collector_cb, &c, &w), 0);
  /* etcd gives no ack that a watch is live; a progress message is one. */
  assert_true(collector_wait_int(&c, &c.progress, 1,
                                 conf_backend_in_use->progress_wait_ms) >= 1);
  assert_true(c.progress_rev >= r1);
  assert_int_equal(c.count, 0);
  assert_int_equal(cp_store_create(s, S("n/new"), S("2"), &r2), 0);
  assert_int_equal(collector_wait(&c, &c.count, 1, 10000), 1);
  kv_is(&c.events[0].kv, "n/new", "2");
  cp_store_watch_cancel(w);
  collector_free(&c);
}

static void conf_compaction(void **state) {
  cp_store *s = *state;
  cp_store_watcher *w;
  cp_store_kv kv;
  cp_store_list_result res;
  collector c;
  int64_t r1, r2, r3, r;

  collector_init(&c);
  assert_int_equal(cp_store_create(s, S("c/k"), S("1"), &r1), 0);
  assert_int_equal(cp_store_update(s, S("c/k"), S("2"), r1, &r2, NULL), 0);
  assert_int_equal(cp_store_update(s, S("c/k"), S("3"), r2, &r3, NULL), 0);
  assert_int_equal(cp_store_compact(s, r3), 0);
  assert_int_equal(cp_store_compact(s, r3), CP_STORE_ECOMPACTED);
  assert_int_equal(cp_store_compact(s, r3 + 1000000), CP_STORE_EFUTURE);
  assert_int_equal(cp_store_get(s, S("c/k"), r1, &kv, NULL),
                   CP_STORE_ECOMPACTED);
  assert_int_equal(cp_store_list(s, S("c/"), NULL, 0, r2, 0, &res),
                   CP_STORE_ECOMPACTED);
  /* At the compaction revision itself reads still work. */
  assert_int_equal(cp_store_get(s, S("c/k"), r3, &kv, NULL), 0);
  kv_is(&kv, "c/k", "3");
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_watch(s, S("c/"), r1, collector_cb, &c, &w), 0);
  assert_int_equal(collector_wait_int(&c, &c.compacted, 1, 10000), 1);
  assert_true(c.compact_rev >= r3);
  assert_int_equal(c.count, 0);
  cp_store_watch_cancel(w);
  collector_free(&c);
  /* A watch from the compaction revision still replays it. */
  collector_init(&c);
  assert_int_equal(cp_store_watch(s, S("c/"), r3, collector_cb, &c, &w), 0);
  assert_int_equal(collector_wait(&c, &c.count, 1, 10000), 1);
  kv_is(&c.events[0].kv, "c/k", "3");
  assert_int_equal(cp_store_update(s, S("c/k"), S("4"), r3, &r, NULL), 0);
  assert_int_equal(collector_wait(&c, &c.count, 2, 10000), 2);
  assert_int_equal(c.compacted, 0);
  cp_store_watch_cancel(w);
  collector_free(&c);
}

typedef struct race_arg {
  cp_store *s;
  int wins;
  int64_t revs[400];
} race_arg;

static void *race_writer(void *p) {
  race_arg *a = p;
  int i;

  for (i = 0; i < 40; i++) {
    cp_store_kv kv;
    int64_t r;
    char val[32];

    if (cp_store_get(a->s, S("race/key"), 0, &kv, NULL) != 0)
      continue;
    snprintf(val, sizeof val, "%d", i);
    if (cp_store_update(a->s, S("race/key"), S(val), kv.mod_revision, &r,
                        NULL) == 0)
      a->revs[a->wins++] = r;
    cp_store_kv_free(&kv);
  }
  return NULL;
}

static int cmp_rev(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return x < y ? -1 : x > y;
}

static void conf_concurrent_writers(void **state) {
  cp_store *s = *state;
  race_arg args[6];
  pthread_t th[6];
  int64_t all[6 * 400], r0;
  size_t n = 0, i, j;
  cp_store_kv kv;

  assert_int_equal(cp_store_create(s, S("race/key"), S("init"), &r0), 0);
  for (i = 0; i < 6; i++) {
    memset(&args[i], 0, sizeof args[i]);
    args[i].s = s;
    assert_int_equal(pthread_create(&th[i], NULL, race_writer, &args[i]), 0);
  }
  for (i = 0; i < 6; i++) {
    pthread_join(th[i], NULL);
    for (j = 0; j < (size_t)args[i].wins; j++)
      all[n++] = args[i].revs[j];
  }
  qsort(all, n, sizeof all[0], cmp_rev);
  for (i = 1; i < n; i++)
    assert_true(all[i] > all[i - 1]); /* one winner per revision */
  assert_int_equal(cp_store_get(s, S("race/key"), 0, &kv, NULL), 0);
  /* Every success is a version; no lost or phantom update. */
  assert_int_equal(kv.version, (int64_t)n + 1);
  assert_int_equal(kv.mod_revision, all[n - 1]);
  cp_store_kv_free(&kv);
  assert_true(n >= 40);
}

/* A transaction op: an update when expected > 0, else a create. */
static cp_store_txn_op txn_op(const char *key, const char *value,
                              int64_t expected) {
  cp_store_txn_op op = {
      .kind = expected > 0 ? CP_STORE_TXN_UPDATE : CP_STORE_TXN_CREATE,
      .key = key, .key_len = strlen(key), .value = value,
      .value_len = strlen(value), .expected_rev = expected};

  return op;
}

/* Fails unless key holds value at mod_revision rev. */
static void kv_at(cp_store *s, const char *key, const char *value,
                  int64_t rev) {
  cp_store_kv kv;

  assert_int_equal(cp_store_get(s, key, strlen(key), 0, &kv, NULL), 0);
  kv_is(&kv, key, value);
  assert_int_equal(kv.mod_revision, rev);
  cp_store_kv_free(&kv);
}

/* A guarded two-key write (a quota's update and an object's create, as
 * ResourceQuota admission makes): both or neither, each guard reported. */
static void conf_txn_all_or_nothing(void **state) {
  cp_store *s = *state;
  cp_store_txn_op ops[2];
  cp_store_kv kv;
  int64_t r1, rq, rp, cur;

  assert_int_equal(cp_store_create(s, S("tq/ns/q"), S("used=0"), &r1), 0);
  ops[0] = txn_op("tq/ns/q", "used=1", r1);
  ops[1] = txn_op("tp/ns/a", "pod a", 0);
  assert_int_equal(cp_store_txn(s, ops, 2), CPLANE_OK);
  assert_int_equal(ops[0].rc, CPLANE_OK);
  assert_int_equal(ops[1].rc, CPLANE_OK);
  assert_true(ops[0].rev > r1);
  if (cp_store_txn_shares_revision(s))
    assert_int_equal(ops[1].rev, ops[0].rev);
  else
    assert_int_equal(ops[1].rev, ops[0].rev + 1);
  rq = ops[0].rev;
  rp = ops[1].rev;
  kv_at(s, "tq/ns/q", "used=1", rq);
  kv_at(s, "tp/ns/a", "pod a", rp);
  assert_int_equal(cp_store_current_revision(s, &cur), 0);
  assert_true(cur >= rp);
  /* A stale quota revision: nothing is written, the create's guard held. */
  ops[0] = txn_op("tq/ns/q", "used=2", r1);
  ops[1] = txn_op("tp/ns/b", "pod b", 0);
  assert_int_equal(cp_store_txn(s, ops, 2), CP_STORE_ECONFLICT);
  assert_int_equal(ops[0].rc, CP_STORE_ECONFLICT);
  assert_int_equal(ops[1].rc, CPLANE_OK);
  assert_int_equal(cp_store_get(s, S("tp/ns/b"), 0, &kv, NULL),
                   CPLANE_ENOENT);
  /* The object exists: the quota is not charged. */
  ops[0] = txn_op("tq/ns/q", "used=2", rq);
  ops[1] = txn_op("tp/ns/a", "pod a again", 0);
  assert_int_equal(cp_store_txn(s, ops, 2), CP_STORE_EEXISTS);
  assert_int_equal(ops[0].rc, CPLANE_OK);
  assert_int_equal(ops[1].rc, CP_STORE_EEXISTS);
  assert_int_equal(ops[0].rev, 0);
  kv_at(s, "tq/ns/q", "used=1", rq);
  kv_at(s, "tp/ns/a", "pod a", rp);
  /* A key gone is a conflict for an update. */
  ops[0] = txn_op("tq/ns/gone", "x", 5);
  assert_int_equal(cp_store_txn(s, ops, 1), CP_STORE_ECONFLICT);
  /* Bad transactions are refused before the backend. */
  ops[0] = txn_op("tp/ns/c", "c", 0);
  ops[1] = txn_op("tp/ns/c", "c", 0);
  assert_int_equal(cp_store_txn(s, ops, 2), CPLANE_EINVAL);
  assert_int_equal(cp_store_txn(s, ops, 0), CPLANE_EINVAL);
  ops[0].kind = CP_STORE_TXN_UPDATE;
  assert_int_equal(cp_store_txn(s, ops, 1), CPLANE_EINVAL);
  assert_int_equal(cp_store_get(s, S("tp/ns/c"), 0, &kv, NULL),
                   CPLANE_ENOENT);
}

/* Watchers of each key's prefix (informers of quotas and of pods) get
 * their event of a committed transaction, with the previous value; a
 * failed one delivers nothing. */
static void conf_txn_watch(void **state) {
  cp_store *s = *state;
  cp_store_watcher *wq, *wp;
  collector cq, cp;
  cp_store_txn_op ops[2];
  int64_t r1, r2, rq, rp;

  collector_init(&cq);
  collector_init(&cp);
  assert_int_equal(cp_store_create(s, S("wq/ns/q"), S("used=0"), &r1), 0);
  assert_int_equal(cp_store_watch(s, S("wq/"), r1 + 1, collector_cb, &cq,
                                  &wq), 0);
  assert_int_equal(cp_store_watch(s, S("wp/"), r1 + 1, collector_cb, &cp,
                                  &wp), 0);
  ops[0] = txn_op("wq/ns/q", "used=1", r1);
  ops[1] = txn_op("wp/ns/a", "pod a", 0);
  assert_int_equal(cp_store_txn(s, ops, 2), CPLANE_OK);
  rq = ops[0].rev;
  rp = ops[1].rev;
  ops[0] = txn_op("wq/ns/q", "used=2", r1); /* stale: nothing */
  ops[1] = txn_op("wp/ns/b", "pod b", 0);
  assert_int_equal(cp_store_txn(s, ops, 2), CP_STORE_ECONFLICT);
  assert_int_equal(cp_store_create(s, S("wp/ns/c"), S("pod c"), &r2), 0);
  assert_int_equal(collector_wait(&cq, &cq.count, 1, 10000), 1);
  assert_int_equal(collector_wait(&cp, &cp.count, 2, 10000), 2);
  kv_is(&cq.events[0].kv, "wq/ns/q", "used=1");
  assert_int_equal(cq.events[0].kv.mod_revision, rq);
  kv_is(&cq.events[0].prev, "wq/ns/q", "used=0");
  assert_int_equal(cq.events[0].prev.mod_revision, r1);
  kv_is(&cp.events[0].kv, "wp/ns/a", "pod a");
  assert_int_equal(cp.events[0].kv.mod_revision, rp);
  assert_int_equal(cp.events[0].prev.mod_revision, 0);
  kv_is(&cp.events[1].kv, "wp/ns/c", "pod c");
  assert_int_equal(cp.events[1].kv.mod_revision, r2);
  assert_true(rq < r2 && rp < r2);
  usleep(100000);
  assert_int_equal(cq.count, 1);
  assert_int_equal(cp.count, 2);
  assert_int_equal(cq.errors + cp.errors, 0);
  cp_store_watch_cancel(wq);
  cp_store_watch_cancel(wp);
  collector_free(&cq);
  collector_free(&cp);
}

typedef struct txn_race_arg {
  cp_store *s;
  int id;
  int created;
} txn_race_arg;

/* Charges the counter key and creates a key of its own in one
 * transaction, reading the counter again after a lost race. */
static void *txn_racer(void *p) {
  txn_race_arg *a = p;
  int i, tries;

  for (i = 0; i < 20; i++) {
    for (tries = 0; tries < 1000; tries++) {
      cp_store_txn_op ops[2];
      cp_store_kv kv;
      char val[32], key[32];
      int rc;

      if (cp_store_get(a->s, S("tr/count"), 0, &kv, NULL) != 0)
        continue;
      snprintf(val, sizeof val, "%d", atoi((const char *)kv.value) + 1);
      snprintf(key, sizeof key, "tr/obj/%d-%d", a->id, i);
      ops[0] = txn_op("tr/count", val, kv.mod_revision);
      ops[1] = txn_op(key, "x", 0);
      cp_store_kv_free(&kv);
      rc = cp_store_txn(a->s, ops, 2);
      if (rc == CPLANE_OK) {
        a->created++;
        break;
      }
      assert_int_equal(rc, CP_STORE_ECONFLICT);
    }
  }
  return NULL;
}

/* Racing transactions (many in one SQLite group commit): the counter is
 * exactly the number of keys created, none lost, none charged twice. */
static void conf_txn_concurrent(void **state) {
  cp_store *s = *state;
  txn_race_arg args[6];
  pthread_t th[6];
  cp_store_list_result res;
  cp_store_kv kv;
  int i, total = 0;

  assert_int_equal(cp_store_create(s, S("tr/count"), S("0"), NULL), 0);
  for (i = 0; i < 6; i++) {
    args[i] = (txn_race_arg){s, i, 0};
    assert_int_equal(pthread_create(&th[i], NULL, txn_racer, &args[i]), 0);
  }
  for (i = 0; i < 6; i++) {
    pthread_join(th[i], NULL);
    total += args[i].created;
  }
  assert_int_equal(total, 6 * 20);
  assert_int_equal(cp_store_get(s, S("tr/count"), 0, &kv, NULL), 0);
  assert_int_equal(atoi((const char *)kv.value), total);
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_list(s, S("tr/obj/"), NULL, 0, 0, 0, &res), 0);
  assert_int_equal(res.count, (size_t)total);
  cp_store_list_result_free(&res);
}

static void conf_large_values(void **state) {
  cp_store *s = *state;
  size_t big = 1024 * 1024, i;
  uint8_t *v = malloc(CP_STORE_DEFAULT_MAX_VALUE + 1);
  cp_store_kv kv;
  int64_t r;

  assert_non_null(v);
  for (i = 0; i < CP_STORE_DEFAULT_MAX_VALUE + 1; i++)
    v[i] = (uint8_t)(i * 7 + (i >> 9));
  assert_int_equal(cp_store_create(s, S("big/one"), v, big, &r), 0);
  assert_int_equal(cp_store_get(s, S("big/one"), 0, &kv, NULL), 0);
  assert_int_equal(kv.value_len, big);
  assert_memory_equal(kv.value, v, big);
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_update(s, S("big/one"), v + 1, big, r, &r, NULL),
                   0);
  /* Oversized values are refused before they reach the store. */
  assert_int_equal(cp_store_create(s, S("big/two"), v,
                                   CP_STORE_DEFAULT_MAX_VALUE + 1, &r),
                   CP_STORE_ETOOLARGE);
  assert_int_equal(cp_store_get(s, S("big/two"), 0, &kv, NULL),
                   CPLANE_ENOENT);
  free(v);
}

static void conf_binary_keys(void **state) {
  cp_store *s = *state;
  static const uint8_t k1[] = {'b', '/', 0x00, 0x01, 0xff};
  static const uint8_t k2[] = {'b', '/', 0xff, 0xff};
  static const uint8_t k3[] = {'b', '/', 0x00};
  static const uint8_t pfx_ff[] = {'b', '/', 0xff};
  static const uint8_t val[] = {0x00, 0xff, 0x00, '\n', '"'};
  cp_store_list_result res;
  cp_store_kv kv;
  int64_t r;

  assert_int_equal(cp_store_create(s, k1, sizeof k1, val, sizeof val, &r), 0);
  assert_int_equal(cp_store_create(s, k2, sizeof k2, val, 2, &r), 0);
  assert_int_equal(cp_store_create(s, k3, sizeof k3, val, 1, &r), 0);
  assert_int_equal(cp_store_get(s, k1, sizeof k1, 0, &kv, NULL), 0);
  assert_int_equal(kv.key_len, sizeof k1);
  assert_memory_equal(kv.key, k1, sizeof k1);
  assert_int_equal(kv.value_len, sizeof val);
  assert_memory_equal(kv.value, val, sizeof val);
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_list(s, S("b/"), NULL, 0, 0, 0, &res), 0);
  assert_int_equal(res.count, 3);
  /* Byte order: 00 < 00 01 ff < ff ff. */
  assert_int_equal(res.kvs[0].key_len, sizeof k3);
  assert_int_equal(res.kvs[1].key_len, sizeof k1);
  assert_memory_equal(res.kvs[2].key, k2, sizeof k2);
  cp_store_list_result_free(&res);
  /* A prefix ending in 0xff has an upper bound past its last byte. */
  assert_int_equal(cp_store_list(s, pfx_ff, sizeof pfx_ff, NULL, 0, 0, 0,
                                 &res),
                   0);
  assert_int_equal(res.count, 1);
  assert_memory_equal(res.kvs[0].key, k2, sizeof k2);
  cp_store_list_result_free(&res);
  assert_int_equal(cp_store_create(s, NULL, 0, val, 1, &r), CPLANE_EINVAL);
}

/* A store that just opened can serve: its check passes, with no reason. */
static void conf_check_healthy(void **state) {
  cp_store *s = *state;
  char *why = NULL;

  assert_int_equal(cp_store_check(s, &why), CPLANE_OK);
  assert_null(why);
  assert_int_equal(cp_store_check(s, NULL), CPLANE_OK);
}

#define CONF_TEST(f) cmocka_unit_test_setup_teardown(f, conf_setup, conf_teardown)

static const struct CMUnitTest conformance_tests[] = {
    CONF_TEST(conf_create_if_absent),
    CONF_TEST(conf_check_healthy),
    CONF_TEST(conf_update_cas),
    CONF_TEST(conf_delete_expected),
    CONF_TEST(conf_list_pagination),
    CONF_TEST(conf_get_past_revision),
    CONF_TEST(conf_watch_replay),
    CONF_TEST(conf_watch_from_now_and_progress),
    CONF_TEST(conf_compaction),
    CONF_TEST(conf_concurrent_writers),
    CONF_TEST(conf_txn_all_or_nothing),
    CONF_TEST(conf_txn_watch),
    CONF_TEST(conf_txn_concurrent),
    CONF_TEST(conf_large_values),
    CONF_TEST(conf_binary_keys),
};
