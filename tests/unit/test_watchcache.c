/*
 * test_watchcache - the API server's shared watch per resource type, on a
 * real SQLite store: one store watch however many subscribers, catch-up
 * from the ring, prefixes, misses for starts the cache cannot serve,
 * ordering without gaps or repeats under concurrent writers, that an
 * unsubscribe is final, the byte bound over all types' rings, and that
 * the cache shares the store's copy of each event.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiserver/watchcache.h"
#include "store/store.h"

#include "../store/etcd_cluster.c"

static char tmpdir[] = "/tmp/cp-watchcache-XXXXXX";
static int seq;

/* What one subscriber saw. */
struct seen {
  pthread_mutex_t mu;
  int64_t revs[4096];
  char keys[4096][32];
  size_t n;
  int progress, ended;
};

static void on_msg(void *ud, const cp_store_watch_msg *msg) {
  struct seen *s = ud;
  size_t i;

  pthread_mutex_lock(&s->mu);
  if (msg->kind == CP_STORE_WATCH_PROGRESS)
    s->progress++;
  else if (msg->kind != CP_STORE_WATCH_EVENTS)
    s->ended++;
  for (i = 0; msg->kind == CP_STORE_WATCH_EVENTS && i < msg->count; i++) {
    if (s->n < 4096) {
      s->revs[s->n] = msg->events[i].kv.mod_revision;
      snprintf(s->keys[s->n], sizeof s->keys[0], "%.*s",
               (int)msg->events[i].kv.key_len,
               (const char *)msg->events[i].kv.key);
      s->n++;
    }
  }
  pthread_mutex_unlock(&s->mu);
}

static struct seen *seen_new(void) {
  struct seen *s = calloc(1, sizeof *s);

  assert_non_null(s);
  pthread_mutex_init(&s->mu, NULL);
  return s;
}

static size_t seen_count(struct seen *s) {
  size_t n;

  pthread_mutex_lock(&s->mu);
  n = s->n;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* Waits up to 30 s (a loaded machine under ASan) for want messages. */
static void wait_count(struct seen *s, size_t want) {
  int i;

  for (i = 0; i < 3000 && seen_count(s) < want; i++)
    usleep(10000);
  assert_int_equal(seen_count(s), want);
}

/* Whether s hears a progress message within 30 s. */
static int wait_progress(struct seen *s) {
  int i, n = 0;

  for (i = 0; i < 3000 && n == 0; i++) {
    pthread_mutex_lock(&s->mu);
    n = s->progress;
    pthread_mutex_unlock(&s->mu);
    if (n == 0)
      usleep(10000);
  }
  return n > 0;
}

static cp_store *open_store(void) {
  cp_store_sqlite_opts o = {0};
  cp_store *st = NULL;
  char path[256], *err = NULL;

  o.progress_interval_ms = 100;
  snprintf(path, sizeof path, "%s/w%d.db", tmpdir, ++seq);
  assert_int_equal(cp_store_sqlite_open(path, &o, &st, &err), 0);
  return st;
}

static int64_t put(cp_store *st, const char *key) {
  int64_t rev = 0;

  assert_int_equal(cp_store_create(st, key, strlen(key), "{}", 2, &rev), 0);
  return rev;
}

static void test_shared_and_filtered(void **state) {
  cp_store *st = open_store();
  struct cp_watch_cache *c = cp_watch_cache_new(st, 16, 0);
  struct seen *all = seen_new(), *ns = seen_new(), *other = seen_new();
  cp_watch_sub *a = NULL, *b = NULL, *o = NULL;
  int64_t rev = 0;

  (void)state;
  assert_int_equal(cp_store_current_revision(st, &rev), 0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", rev + 1,
                                            on_msg, all, &a),
                   0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/ns1/", rev + 1,
                                            on_msg, ns, &b),
                   0);
  assert_int_equal(cp_watch_cache_subscribe(c, "configmaps/", "configmaps/",
                                            rev + 1, on_msg, other, &o),
                   0);
  /* Two types, three subscribers: two store watches. */
  assert_int_equal(cp_watch_cache_store_watches(c), 2);
  put(st, "pods/ns1/a");
  put(st, "pods/ns2/b");
  put(st, "configmaps/ns1/c");
  put(st, "pods/ns1/d");
  wait_count(all, 3);
  wait_count(ns, 2);
  wait_count(other, 1);
  assert_string_equal(ns->keys[0], "pods/ns1/a");
  assert_string_equal(ns->keys[1], "pods/ns1/d");
  assert_true(all->revs[0] < all->revs[1] && all->revs[1] < all->revs[2]);
  /* Idle subscribers hear the store's progress (for bookmarks): every
   * 100 ms here; waited for, not slept on (300 ms was tight at load 20). */
  assert_true(wait_progress(all));
  cp_watch_cache_unsubscribe(a);
  cp_watch_cache_unsubscribe(b);
  cp_watch_cache_unsubscribe(o);
  cp_watch_cache_free(c);
  cp_store_close(st);
  free(all);
  free(ns);
  free(other);
}

/* A late subscriber starting from a past revision gets exactly the events
 * since then from the ring; a start older than the ring, or newer than
 * what the cache has seen, is a miss. */
static void test_catch_up_and_miss(void **state) {
  cp_store *st = open_store();
  struct cp_watch_cache *c = cp_watch_cache_new(st, 4, 0);
  struct seen *first = seen_new(), *late = seen_new(), *tmp = seen_new();
  cp_watch_sub *a = NULL, *b = NULL, *m = NULL;
  int64_t rev = 0, r[6];
  int i;
  char key[32];

  (void)state;
  assert_int_equal(cp_store_current_revision(st, &rev), 0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", rev + 1,
                                            on_msg, first, &a),
                   0);
  for (i = 0; i < 6; i++) {
    snprintf(key, sizeof key, "pods/ns/p%d", i);
    r[i] = put(st, key);
  }
  wait_count(first, 6);
  /* The ring holds the last 4 events: r[2]..r[5]. */
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r[3],
                                            on_msg, late, &b),
                   0);
  assert_int_equal(seen_count(late), 3);
  assert_int_equal(late->revs[0], r[3]);
  assert_int_equal(late->revs[2], r[5]);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r[1],
                                            on_msg, tmp, &m),
                   CP_WATCH_CACHE_MISS);
  assert_null(m);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r[5] + 5,
                                            on_msg, tmp, &m),
                   CP_WATCH_CACHE_MISS);
  /* Both go on with new events, without repeats. */
  put(st, "pods/ns/later");
  wait_count(first, 7);
  wait_count(late, 4);
  assert_int_equal(seen_count(tmp), 0);
  cp_watch_cache_unsubscribe(a);
  cp_watch_cache_unsubscribe(b);
  cp_watch_cache_free(c);
  cp_store_close(st);
  free(first);
  free(late);
  free(tmp);
}

struct writer_arg {
  cp_store *st;
  int id;
};

static void *writer(void *p) {
  struct writer_arg *w = p;
  char key[32];
  int i;

  for (i = 0; i < 100; i++) {
    snprintf(key, sizeof key, "pods/w%d/%d", w->id, i);
    put(w->st, key);
  }
  return NULL;
}

/* Subscribers joining and leaving while 4 writers write: every one that
 * stays sees every revision once, in order; one that leaves hears nothing
 * after unsubscribe returns. */
static void test_concurrent_order(void **state) {
  cp_store *st = open_store();
  struct cp_watch_cache *c = cp_watch_cache_new(st, 64, 0);
  struct seen *keep = seen_new(), *gone = seen_new();
  cp_watch_sub *a = NULL, *b = NULL;
  struct writer_arg wa[4];
  pthread_t th[4];
  int64_t rev = 0;
  size_t i, n_gone;

  (void)state;
  assert_int_equal(cp_store_current_revision(st, &rev), 0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", rev + 1,
                                            on_msg, keep, &a),
                   0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", rev + 1,
                                            on_msg, gone, &b),
                   0);
  for (i = 0; i < 4; i++) {
    wa[i] = (struct writer_arg){st, (int)i};
    pthread_create(&th[i], NULL, writer, &wa[i]);
  }
  usleep(20000);
  cp_watch_cache_unsubscribe(b);
  n_gone = seen_count(gone);
  for (i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  wait_count(keep, 400);
  for (i = 0; i < 400; i++)
    assert_int_equal(keep->revs[i], rev + 1 + (int64_t)i);
  assert_int_equal(seen_count(gone), n_gone);
  cp_watch_cache_unsubscribe(a);
  cp_watch_cache_free(c);
  cp_store_close(st);
  free(keep);
  free(gone);
}

/* A compaction does not disturb the shared watch (it follows the head),
 * and a subscriber from before the compaction is a miss, so that the
 * store reports it. */
static void test_compaction(void **state) {
  cp_store *st = open_store();
  struct cp_watch_cache *c = cp_watch_cache_new(st, 2, 0);
  struct seen *s1 = seen_new(), *s2 = seen_new();
  cp_watch_sub *a = NULL, *b = NULL;
  int64_t rev = 0, r1, r2, r3;

  (void)state;
  assert_int_equal(cp_store_current_revision(st, &rev), 0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", rev + 1,
                                            on_msg, s1, &a),
                   0);
  r1 = put(st, "pods/a");
  r2 = put(st, "pods/b");
  r3 = put(st, "pods/c");
  wait_count(s1, 3);
  assert_int_equal(cp_store_compact(st, r3), 0);
  put(st, "pods/d");
  wait_count(s1, 4);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r1, on_msg,
                                            s2, &b),
                   CP_WATCH_CACHE_MISS);
  (void)r2;
  pthread_mutex_lock(&s1->mu);
  assert_int_equal(s1->ended, 0);
  pthread_mutex_unlock(&s1->mu);
  cp_watch_cache_unsubscribe(a);
  cp_watch_cache_free(c);
  cp_store_close(st);
  free(s1);
  free(s2);
}

/* Reads every byte of every value a subscriber is given (so that ASan
 * sees a view of a freed event) and counts the events. */
static void on_big(void *ud, const cp_store_watch_msg *msg) {
  struct seen *s = ud;
  size_t i, j;
  unsigned sum = 0;

  if (msg->kind != CP_STORE_WATCH_EVENTS)
    return;
  for (i = 0; i < msg->count; i++) {
    const cp_store_event *e = &msg->events[i];

    for (j = 0; j < e->kv.value_len; j++)
      sum += e->kv.value[j];
    for (j = 0; j < e->prev.value_len; j++)
      sum += e->prev.value[j];
  }
  pthread_mutex_lock(&s->mu);
  for (i = 0; i < msg->count && s->n < 4096; i++)
    s->revs[s->n++] = msg->events[i].kv.mod_revision;
  s->progress += sum == 0; /* never: values are 'v' bytes */
  pthread_mutex_unlock(&s->mu);
}

/* The rings of all types share a byte bound: updates of a 20 KB object
 * under a 100 KB bound keep the last three (each event's previous value
 * is the buffer the last event holds as its new value, so an update costs
 * 20 KB, not 40; the oldest kept still holds its predecessor's value),
 * the other type's older event going first; a start before what is left
 * misses (the store then replays or answers 410), a live subscriber
 * still gets every event, and every shared buffer is freed once
 * (ASan). */
static void test_byte_bound(void **state) {
  cp_store *st = open_store();
  struct cp_watch_cache *c = cp_watch_cache_new(st, 0, 100000);
  struct seen *live = seen_new(), *late = seen_new(), *tmp = seen_new();
  cp_watch_sub *a = NULL, *b = NULL, *m = NULL, *cm = NULL;
  size_t vlen = 20000;
  char *v = malloc(vlen);
  int64_t rev = 0, cm_rev, r[8], cur;
  int i;

  (void)state;
  assert_non_null(v);
  memset(v, 'v', vlen);
  assert_int_equal(cp_store_current_revision(st, &rev), 0);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", rev + 1,
                                            on_big, live, &a),
                   0);
  assert_int_equal(cp_watch_cache_subscribe(c, "configmaps/", "configmaps/",
                                            rev + 1, on_big, tmp, &cm),
                   0);
  assert_int_equal(cp_store_create(st, "configmaps/x", 12, v, vlen, &cm_rev),
                   0);
  wait_count(tmp, 1);
  assert_int_equal(cp_store_create(st, "pods/a", 6, v, vlen, &r[0]), 0);
  for (i = 1; i < 8; i++)
    assert_int_equal(cp_store_update(st, "pods/a", 6, v, vlen, r[i - 1],
                                     &r[i], NULL),
                     0);
  wait_count(live, 8);
  for (i = 0; i < 8; i++)
    assert_int_equal(live->revs[i], r[i]);
  /* The other type's event went first, then the oldest updates. */
  assert_int_equal(cp_watch_cache_subscribe(c, "configmaps/", "configmaps/",
                                            cm_rev, on_big, late, &m),
                   CP_WATCH_CACHE_MISS);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r[0],
                                            on_big, late, &m),
                   CP_WATCH_CACHE_MISS);
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r[4],
                                            on_big, late, &m),
                   CP_WATCH_CACHE_MISS);
  /* Three updates and the value before the first fit under 100 KB (with
   * a copy of each previous value, only two would). */
  assert_int_equal(cp_watch_cache_subscribe(c, "pods/", "pods/", r[5],
                                            on_big, late, &b),
                   0);
  assert_int_equal(seen_count(late), 3);
  assert_int_equal(late->revs[0], r[5]);
  /* Both go on. */
  assert_int_equal(cp_store_update(st, "pods/a", 6, v, vlen, r[7], &cur,
                                   NULL),
                   0);
  wait_count(live, 9);
  wait_count(late, 4);
  pthread_mutex_lock(&live->mu);
  assert_int_equal(live->progress, 0);
  pthread_mutex_unlock(&live->mu);
  cp_watch_cache_unsubscribe(a);
  cp_watch_cache_unsubscribe(b);
  cp_watch_cache_unsubscribe(cm);
  cp_watch_cache_free(c);
  cp_store_close(st);
  free(v);
  free(live);
  free(late);
  free(tmp);
}

/* Where each event's bytes were, by revision. */
struct where {
  pthread_mutex_t mu;
  int64_t base; /* index = revision - base */
  const uint8_t *value[256], *prev[256];
  size_t n;
};

static void on_where(void *ud, const cp_store_watch_msg *msg) {
  struct where *w = ud;
  size_t i;

  if (msg->kind != CP_STORE_WATCH_EVENTS)
    return;
  pthread_mutex_lock(&w->mu);
  for (i = 0; i < msg->count; i++) {
    int64_t rev = msg->events[i].kv.mod_revision - w->base;

    if (rev > 0 && rev < 256) {
      w->value[rev] = msg->events[i].kv.value;
      w->prev[rev] = msg->events[i].prev.value;
      w->n++;
    }
  }
  pthread_mutex_unlock(&w->mu);
}

static size_t where_count(struct where *w) {
  size_t n;

  pthread_mutex_lock(&w->mu);
  n = w->n;
  pthread_mutex_unlock(&w->mu);
  return n;
}

/* Through the cache on st: creates configmaps/a, 100 other keys, then
 * updates a; in the cache's ring (as a late subscriber gets it) the
 * update's previous value must be the buffer of the create's value,
 * though 100 events lie between (the cache used to look 64 events back
 * and copy it). With same_as_store the cache's events must be the store's
 * own bytes, those a direct store watch sees (the SQLite store hands its
 * ring's events over). */
static void check_one_copy(cp_store *st, int same_as_store) {
  struct cp_watch_cache *c = cp_watch_cache_new(st, 4096, 0);
  struct where *direct = calloc(1, sizeof *direct);
  struct where *cached = calloc(1, sizeof *cached);
  struct where *late = calloc(1, sizeof *late);
  cp_store_watcher *sw = NULL;
  cp_watch_sub *sub = NULL, *lsub = NULL;
  int64_t rev = 0, created, updated, r, base;
  char key[32];
  int i;

  assert_non_null(direct);
  assert_non_null(cached);
  assert_non_null(late);
  pthread_mutex_init(&direct->mu, NULL);
  pthread_mutex_init(&cached->mu, NULL);
  pthread_mutex_init(&late->mu, NULL);
  assert_int_equal(cp_store_current_revision(st, &rev), 0);
  base = rev; /* revisions are kept relative to it */
  direct->base = cached->base = base;
  assert_int_equal(cp_store_watch(st, "configmaps/", 11, rev + 1, on_where,
                                  direct, &sw),
                   0);
  assert_int_equal(cp_watch_cache_subscribe(c, "configmaps/", "configmaps/",
                                            rev + 1, on_where, cached, &sub),
                   0);
  assert_int_equal(cp_store_create(st, "configmaps/a", 12, "{\"v\":1}", 7,
                                   &created),
                   0);
  for (i = 0; i < 100; i++) {
    snprintf(key, sizeof key, "configmaps/o%d", i);
    assert_int_equal(cp_store_create(st, key, strlen(key), "{}", 2, &r), 0);
  }
  assert_int_equal(cp_store_update(st, "configmaps/a", 12, "{\"v\":2}", 7,
                                   created, &updated, NULL),
                   0);
  assert_true(updated - base < 256);
  for (i = 0; i < 3000 && (where_count(direct) < 102 ||
                           where_count(cached) < 102);
       i++)
    usleep(10000);
  assert_int_equal(where_count(direct), 102);
  assert_int_equal(where_count(cached), 102);
  for (r = created; same_as_store && r <= updated; r++)
    assert_ptr_equal(cached->value[r - base], direct->value[r - base]);
  /* What the ring holds, as a late subscriber is caught up from it. */
  late->base = base;
  assert_int_equal(cp_watch_cache_subscribe(c, "configmaps/", "configmaps/",
                                            base + 1, on_where, late, &lsub),
                   0);
  assert_int_equal(where_count(late), 102);
  for (r = created; same_as_store && r <= updated; r++)
    assert_ptr_equal(late->value[r - base], direct->value[r - base]);
  assert_ptr_equal(late->prev[updated - base], late->value[created - base]);
  assert_memory_equal(late->prev[updated - base], "{\"v\":1}", 7);
  cp_store_watch_cancel(sw);
  cp_watch_cache_unsubscribe(sub);
  cp_watch_cache_unsubscribe(lsub);
  cp_watch_cache_free(c);
  pthread_mutex_destroy(&direct->mu);
  pthread_mutex_destroy(&cached->mu);
  pthread_mutex_destroy(&late->mu);
  free(direct);
  free(cached);
  free(late);
}

/* One copy of each event on SQLite: shared with the store's ring. */
static void test_one_copy_shared_with_store(void **state) {
  cp_store *st = open_store();

  (void)state;
  check_one_copy(st, 1);
  cp_store_close(st);
}

/* On etcd (events parsed per watch, none handed over) the cache builds
 * its own shared events, previous values found by key. */
static void test_prev_shared_on_etcd(void **state) {
  etcd_cluster ec;
  cp_store_etcd_opts o = {0};
  cp_store *st = NULL;
  char *err = NULL;

  (void)state;
  if (etcd_cluster_start(&ec, 1) != 0)
    fail_msg("cannot start etcd");
  o.endpoints = ec.endpoints;
  o.endpoint_count = 1;
  o.dial_timeout_ms = 15000;
  o.request_timeout_ms = 10000;
  if (cp_store_etcd_open(&o, &st, &err) != 0) {
    etcd_cluster_stop(&ec);
    fail_msg("etcd open: %s", err != NULL ? err : "?");
  }
  check_one_copy(st, 0);
  cp_store_close(st);
  etcd_cluster_stop(&ec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_copy_shared_with_store),
      cmocka_unit_test(test_prev_shared_on_etcd),
      cmocka_unit_test(test_shared_and_filtered),
      cmocka_unit_test(test_catch_up_and_miss),
      cmocka_unit_test(test_concurrent_order),
      cmocka_unit_test(test_compaction),
      cmocka_unit_test(test_byte_bound),
  };
  char cmd[64];
  int rc;

  if (mkdtemp(tmpdir) == NULL)
    return 1;
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
