/*
 * test_informer - the informer cache: reads, indexes, handler ordering,
 * late-handler replay, bounded buffers, resync, stale versions, replace,
 * handler removal.
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
#include "informer/ptab.h"
#include "labels/selector.h"
#include "object/object.h"

#define MS 1000000ull
#define MAX_EVENTS 4096

/* ---- Fixtures ---------------------------------------------------------- */

/* A pod; any of app, node, owner may be NULL (left out). Owned. */
static cplane_object *pod(const char *ns, const char *name, const char *rv,
                          const char *app, const char *node,
                          const char *owner) {
  char json[1024], labels[128] = "", spec[128] = "", owners[160] = "";
  cplane_object *obj = NULL;
  char *err = NULL;

  if (app != NULL)
    snprintf(labels, sizeof labels, ",\"labels\":{\"app\":\"%s\"}", app);
  if (node != NULL)
    snprintf(spec, sizeof spec, "\"nodeName\":\"%s\"", node);
  if (owner != NULL)
    snprintf(owners, sizeof owners,
             ",\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"rs\","
             "\"uid\":\"%s\",\"controller\":true}]", owner);
  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
           "\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"uid-%s\","
           "\"resourceVersion\":\"%s\"%s%s},\"spec\":{%s}}",
           name, ns, name, rv, labels, owners, spec);
  if (cp_object_parse(json, strlen(json), &obj, &err) != CPLANE_OK)
    fail_msg("parse: %s", err != NULL ? err : "?");
  return obj;
}

static cplane_object *parse(const char *json) {
  cplane_object *obj = NULL;

  assert_int_equal(cp_object_parse(json, strlen(json), &obj, NULL),
                   CPLANE_OK);
  return obj;
}

static void upsert(cp_informer *inf, cplane_object *obj) {
  assert_int_equal(cp_informer_upsert(inf, obj), CPLANE_OK);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  nanosleep(&ts, NULL);
}

static uint64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Keys of a list, sorted and joined with ',' (static buffer). */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *keys_of(const cplane_object **objs, size_t n) {
  static char buf[4096];
  const char *keys[256];
  size_t i;

  assert_true(n <= 256);
  for (i = 0; i < n; i++)
    keys[i] = cp_object_key(objs[i]);
  qsort(keys, n, sizeof *keys, cmp_str);
  buf[0] = '\0';
  for (i = 0; i < n; i++) {
    if (i > 0)
      strcat(buf, ",");
    strcat(buf, keys[i]);
  }
  return buf;
}

static void expect_list(cp_informer *inf, const char *ns, const char *selector,
                        const char *want) {
  const cplane_object **objs;
  cp_selector *sel = NULL;
  size_t n;

  if (selector != NULL)
    assert_int_equal(cp_selector_parse(selector, &sel, NULL), CPLANE_OK);
  assert_int_equal(cp_informer_list(inf, ns, sel, &objs, &n), CPLANE_OK);
  assert_string_equal(keys_of(objs, n), want);
  cp_informer_list_free(objs, n);
  cp_selector_free(sel);
}

static void expect_index(cp_informer *inf, const char *index,
                         const char *value, const char *want) {
  const cplane_object **objs;
  size_t n;

  assert_int_equal(
      cp_informer_list_by_index(inf, index, value, NULL, &objs, &n),
      CPLANE_OK);
  assert_string_equal(keys_of(objs, n), want);
  cp_informer_list_free(objs, n);
}

/* ---- A recording handler ---------------------------------------------- */

struct ev {
  char type; /* 'A', 'U', 'D' */
  char key[48];
  char rv[16];
  char old_rv[16];
  int initial;
  int resync;
};

struct rec {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct ev evs[MAX_EVENTS];
  size_t n;
  cp_informer *inf;     /* set: callbacks check the store is ahead */
  int gate_closed;      /* callbacks wait while set */
  int in_callback;
  unsigned sleep_us;    /* each callback sleeps this long */
  atomic_int forbidden; /* a callback ran when it must not */
  atomic_int must_not_run;
  atomic_int store_behind;
  cp_informer_handler *self; /* removes itself after remove_after events */
  size_t remove_after;
};

static void rec_init(struct rec *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
}

static void rec_destroy(struct rec *r) {
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
}

static const char *rv_or_empty(const cplane_object *obj) {
  const char *rv = obj != NULL ? cp_object_resource_version(obj) : NULL;

  return rv != NULL ? rv : "";
}

/* The cache must already show obj's change when obj is delivered (tests
 * that set r->inf use growing decimal versions): its key holds obj or
 * something newer, or nothing (deleted since); after a delete, nothing or
 * a newer incarnation. */
static void check_store(struct rec *r, char type, const cplane_object *obj) {
  const cplane_object *cached;
  long long have, got = atoll(rv_or_empty(obj));

  if (r->inf == NULL)
    return;
  cached = cp_informer_get(r->inf, cp_object_key(obj));
  if (cached == NULL)
    return;
  have = atoll(rv_or_empty(cached));
  if (have < got || (type == 'D' && have == got))
    atomic_store(&r->store_behind, 1);
  cp_object_release(cached);
}

static void record(struct rec *r, char type, const cplane_object *old_obj,
                   const cplane_object *obj, int initial) {
  struct ev *e;
  cp_informer_handler *remove_me = NULL;

  if (atomic_load(&r->must_not_run))
    atomic_store(&r->forbidden, 1);
  check_store(r, type, obj);
  pthread_mutex_lock(&r->mu);
  r->in_callback = 1;
  pthread_cond_broadcast(&r->cv);
  while (r->gate_closed)
    pthread_cond_wait(&r->cv, &r->mu);
  assert_true(r->n < MAX_EVENTS);
  e = &r->evs[r->n];
  e->type = type;
  snprintf(e->key, sizeof e->key, "%s", cp_object_key(obj));
  snprintf(e->rv, sizeof e->rv, "%s", rv_or_empty(obj));
  snprintf(e->old_rv, sizeof e->old_rv, "%s", rv_or_empty(old_obj));
  e->initial = initial;
  e->resync = type == 'U' && old_obj == obj;
  r->n++;
  if (r->self != NULL && r->n == r->remove_after)
    remove_me = r->self;
  r->in_callback = 0;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  if (r->sleep_us > 0)
    usleep(r->sleep_us);
  if (remove_me != NULL)
    cp_informer_remove_handler(r->inf, remove_me);
}

static void on_add(void *ud, const cplane_object *obj, int initial) {
  record(ud, 'A', NULL, obj, initial);
}

static void on_update(void *ud, const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  record(ud, 'U', old_obj, new_obj, 0);
}

static void on_delete(void *ud, const cplane_object *obj) {
  record(ud, 'D', NULL, obj, 0);
}

static const struct cp_informer_handler_ops rec_ops = {on_add, on_update,
                                                       on_delete};

static void wait_events(struct rec *r, size_t n) {
  uint64_t deadline = now_ms() + 30000;

  pthread_mutex_lock(&r->mu);
  while (r->n < n && now_ms() < deadline) {
    pthread_mutex_unlock(&r->mu);
    sleep_ms(1);
    pthread_mutex_lock(&r->mu);
  }
  if (r->n < n) {
    size_t got = r->n;

    pthread_mutex_unlock(&r->mu);
    fail_msg("waited for %zu events, got %zu", n, got);
  }
  pthread_mutex_unlock(&r->mu);
}

static size_t rec_count(struct rec *r) {
  size_t n;

  pthread_mutex_lock(&r->mu);
  n = r->n;
  pthread_mutex_unlock(&r->mu);
  return n;
}

static void set_gate(struct rec *r, int closed) {
  pthread_mutex_lock(&r->mu);
  r->gate_closed = closed;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* Waits until a callback is inside the gate. */
static void wait_in_callback(struct rec *r) {
  uint64_t deadline = now_ms() + 30000;

  pthread_mutex_lock(&r->mu);
  while (!r->in_callback && now_ms() < deadline) {
    pthread_mutex_unlock(&r->mu);
    sleep_ms(1);
    pthread_mutex_lock(&r->mu);
  }
  assert_true(r->in_callback);
  pthread_mutex_unlock(&r->mu);
}

/* Event i as "A key rv", "U key old->new", "R key rv" (resync),
 * "D key rv"; initial adds are "I key rv". */
static const char *ev_str(const struct rec *r, size_t i) {
  static char buf[128];
  const struct ev *e = &r->evs[i];

  if (e->type == 'U' && e->resync)
    snprintf(buf, sizeof buf, "R %s %s", e->key, e->rv);
  else if (e->type == 'U')
    snprintf(buf, sizeof buf, "U %s %s->%s", e->key, e->old_rv, e->rv);
  else
    snprintf(buf, sizeof buf, "%c %s %s",
             e->type == 'A' && e->initial ? 'I' : e->type, e->key, e->rv);
  return buf;
}

static void expect_events(struct rec *r, size_t from, const char **want,
                          size_t n) {
  size_t i;

  wait_events(r, from + n);
  sleep_ms(20); /* nothing more may come */
  pthread_mutex_lock(&r->mu);
  for (i = 0; i < n; i++)
    assert_string_equal(ev_str(r, from + i), want[i]);
  assert_int_equal(r->n, from + n);
  pthread_mutex_unlock(&r->mu);
}

/* ---- The hash table underneath ---------------------------------------- */

struct item {
  char key[16];
  int present;
};

static const char *item_key(const void *p) {
  return ((const struct item *)p)->key;
}

/* Random puts and deletes against a plain array: every lookup agrees,
 * through growth, backward-shift deletion, wrap-around and shrinking. */
static void test_ptab_random(void **state) {
  enum { N = 3000 };
  struct item *items = calloc(N, sizeof *items);
  struct cp_ptab t = {0};
  size_t acct = 0;
  unsigned seed = 42;
  uint32_t len = 0;
  int i, round;

  assert_non_null(items);
  for (i = 0; i < N; i++)
    snprintf(items[i].key, sizeof items[i].key, "ns/p%d", i);
  for (round = 0; round < 60000; round++) {
    int k = (int)(rand_r(&seed) % N);
    uint32_t h = cp_ptab_hash(items[k].key);

    /* Phases: mostly inserts, then mostly deletes, so the table both
     * grows and shrinks. */
    if ((round / 15000) % 2 == 0 ? rand_r(&seed) % 4 != 0
                                 : rand_r(&seed) % 4 == 0) {
      assert_int_equal(cp_ptab_reserve(&t, 1, &acct), 0);
      assert_ptr_equal(cp_ptab_put(&t, item_key, &items[k], h),
                       items[k].present ? &items[k] : NULL);
      len += !items[k].present;
      items[k].present = 1;
    } else {
      assert_ptr_equal(cp_ptab_del(&t, item_key, items[k].key, h, NULL,
                                   &acct),
                       items[k].present ? &items[k] : NULL);
      len -= items[k].present;
      items[k].present = 0;
    }
    assert_int_equal(t.len, len);
    if (round % 1000 == 0) {
      for (i = 0; i < N; i++)
        assert_ptr_equal(cp_ptab_get(&t, item_key, items[i].key,
                                     cp_ptab_hash(items[i].key)),
                         items[i].present ? &items[i] : NULL);
      assert_int_equal(acct, cp_ptab_alloc_size(t.items));
    }
  }
  /* "only" spares another item of the same key. */
  for (i = 0; i < N; i++)
    cp_ptab_del(&t, item_key, items[i].key, cp_ptab_hash(items[i].key),
                NULL, &acct);
  assert_int_equal(t.len, 0);
  assert_int_equal(acct, 0);
  assert_int_equal(cp_ptab_reserve(&t, 1, &acct), 0);
  cp_ptab_put(&t, item_key, &items[0], cp_ptab_hash(items[0].key));
  assert_null(cp_ptab_del(&t, item_key, items[0].key,
                          cp_ptab_hash(items[0].key), &items[1], &acct));
  assert_int_equal(t.len, 1);
  cp_ptab_free(&t, &acct);
  assert_int_equal(acct, 0);
  free(items);
}

/* ---- Reads ------------------------------------------------------------- */

static void test_get_and_list(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  const cplane_object *obj;

  assert_non_null(inf);
  upsert(inf, pod("a", "web-1", "1", "web", "n1", NULL));
  upsert(inf, pod("a", "web-2", "2", "web", "n2", NULL));
  upsert(inf, pod("a", "db-1", "3", "db", "n1", NULL));
  upsert(inf, pod("b", "web-1", "4", "web", "n2", NULL));
  upsert(inf, parse("{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\","
                    "\"resourceVersion\":\"5\"}}"));
  assert_int_equal(cp_informer_len(inf), 5);

  obj = cp_informer_get(inf, "a/web-2");
  assert_non_null(obj);
  assert_string_equal(cp_object_resource_version(obj), "2");
  cp_object_release(obj);
  assert_null(cp_informer_get(inf, "a/missing"));
  assert_null(cp_informer_get(inf, "web-2"));
  obj = cp_informer_get(inf, "n1");
  assert_non_null(obj);
  cp_object_release(obj);

  expect_list(inf, NULL, NULL, "a/db-1,a/web-1,a/web-2,b/web-1,n1");
  expect_list(inf, "", NULL, "a/db-1,a/web-1,a/web-2,b/web-1,n1");
  expect_list(inf, "a", NULL, "a/db-1,a/web-1,a/web-2");
  expect_list(inf, "c", NULL, "");
  expect_list(inf, NULL, "app=web", "a/web-1,a/web-2,b/web-1");
  expect_list(inf, "a", "app=web", "a/web-1,a/web-2");
  expect_list(inf, "a", "app=nothing", "");
  /* Cluster-scoped objects are filed under "" in the namespace index. */
  expect_index(inf, "namespace", "", "n1");
  expect_index(inf, "namespace", "b", "b/web-1");

  /* A snapshot handed out stays valid after the cache moves on. */
  obj = cp_informer_get(inf, "a/web-1");
  upsert(inf, pod("a", "web-1", "9", "web", "n1", NULL));
  assert_int_equal(cp_informer_delete(inf, "a/web-1"), CPLANE_OK);
  assert_string_equal(cp_object_resource_version(obj), "1");
  cp_object_release(obj);
  assert_int_equal(cp_informer_delete(inf, "a/web-1"), CPLANE_ENOENT);
  assert_int_equal(cp_informer_upsert(inf, parse("{\"kind\":\"Pod\"}")),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_len(inf), 4);
  cp_informer_free(inf);
}

/* ---- Indexes ----------------------------------------------------------- */

static void test_indexes(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  const cplane_object **objs;
  size_t n;
  cp_selector *sel;

  upsert(inf, pod("a", "p1", "1", "web", "n1", "rs-1"));
  upsert(inf, pod("a", "p2", "2", "web", "n2", "rs-1"));
  upsert(inf, pod("b", "p3", "3", "db", "n1", "rs-2"));
  upsert(inf, pod("b", "p4", "4", "db", NULL, NULL));

  /* Built over the objects already there. */
  assert_int_equal(cp_informer_add_index(inf, "node", "spec.nodeName"),
                   CPLANE_OK);
  expect_index(inf, "node", "n1", "a/p1,b/p3");
  expect_index(inf, "node", "n2", "a/p2");
  expect_index(inf, "node", "n3", "");
  expect_index(inf, "owner-uid", "rs-1", "a/p1,a/p2");
  expect_index(inf, "owner-uid", "rs-2", "b/p3");
  expect_index(inf, "namespace", "b", "b/p3,b/p4");

  /* Same name and path again is fine; anything else is refused. */
  assert_int_equal(cp_informer_add_index(inf, "node", "spec.nodeName"),
                   CPLANE_OK);
  assert_int_equal(cp_informer_add_index(inf, "node", "spec.other"),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "namespace", "a"),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "owner-uid", "a"),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "", "a"), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "x", "a..b"), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "x", ".a"), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "x", "a["), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "x", "a[x]"), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "x", ""), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "x", "a\\"), CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index(inf, "y", "a[0].b\\.c[1]"),
                   CPLANE_OK);
  assert_int_equal(cp_informer_list_by_index(inf, "nope", "n1", NULL, &objs,
                                             &n),
                   CPLANE_ENOENT);

  /* An update moves the key between values; the index follows. */
  upsert(inf, pod("a", "p1", "5", "web", "n2", "rs-2"));
  expect_index(inf, "node", "n1", "b/p3");
  expect_index(inf, "node", "n2", "a/p1,a/p2");
  expect_index(inf, "owner-uid", "rs-1", "a/p2");
  expect_index(inf, "owner-uid", "rs-2", "a/p1,b/p3");
  /* An update that keeps its values points the index at the new state. */
  upsert(inf, pod("a", "p2", "6", "web", "n2", "rs-1"));
  assert_int_equal(cp_informer_list_by_index(inf, "node", "n2", NULL, &objs,
                                             &n),
                   CPLANE_OK);
  assert_int_equal(n, 2);
  assert_true(strcmp(cp_object_resource_version(objs[0]), "6") == 0 ||
              strcmp(cp_object_resource_version(objs[1]), "6") == 0);
  cp_informer_list_free(objs, n);

  assert_int_equal(cp_informer_delete(inf, "b/p3"), CPLANE_OK);
  expect_index(inf, "node", "n1", "");
  expect_index(inf, "owner-uid", "rs-2", "a/p1");
  expect_index(inf, "namespace", "b", "b/p4");

  /* Selector on top of an index. */
  assert_int_equal(cp_selector_parse("app=web", &sel, NULL), CPLANE_OK);
  assert_int_equal(cp_informer_list_by_index(inf, "namespace", "b", sel,
                                             &objs, &n),
                   CPLANE_OK);
  assert_int_equal(n, 0);
  assert_null(objs);
  assert_int_equal(cp_informer_list_by_index(inf, "node", "n2", sel, &objs,
                                             &n),
                   CPLANE_OK);
  assert_int_equal(n, 2);
  cp_informer_list_free(objs, n);
  cp_selector_free(sel);
  assert_true(cp_informer_heap_bytes(inf) > 0);
  cp_informer_free(inf);
}

static void test_array_index(void **state) {
  cp_informer *inf = cp_informer_new("svc");

  assert_int_equal(cp_informer_add_index(inf, "ports", "spec.portNames"),
                   CPLANE_OK);
  upsert(inf, parse("{\"metadata\":{\"name\":\"s1\",\"namespace\":\"a\","
                    "\"resourceVersion\":\"1\"},\"spec\":{\"portNames\":"
                    "[\"http\",\"https\",\"http\",7]}}"));
  upsert(inf, parse("{\"metadata\":{\"name\":\"s2\",\"namespace\":\"a\","
                    "\"resourceVersion\":\"2\"},\"spec\":{\"portNames\":"
                    "[\"grpc\",\"http\"]}}"));
  expect_index(inf, "ports", "http", "a/s1,a/s2");
  expect_index(inf, "ports", "https", "a/s1");
  expect_index(inf, "ports", "grpc", "a/s2");
  upsert(inf, parse("{\"metadata\":{\"name\":\"s1\",\"namespace\":\"a\","
                    "\"resourceVersion\":\"3\"},\"spec\":{\"portNames\":"
                    "[\"grpc\"]}}"));
  expect_index(inf, "ports", "http", "a/s2");
  expect_index(inf, "ports", "https", "");
  expect_index(inf, "ports", "grpc", "a/s1,a/s2");
  cp_informer_free(inf);
}

/* A computed index emitting PREFIX + the namespace. */
static void prefixed_ns(void *userdata, const cplane_object *obj,
                        cplane_index_emit_fn emit, void *emit_ctx) {
  char v[64];

  snprintf(v, sizeof v, "%s%s", (const char *)userdata,
           cp_object_namespace(obj));
  emit(emit_ctx, v);
}

/* Owned computed indexes: only the owner's successor takes one over
 * (rebuilt with its function), a drop gives it back to the owner it was
 * taken from or removes it; path indexes and others' are untouched. */
static void test_index_fn_owners(void **state) {
  cp_informer *inf = cp_informer_new("own");
  int a, b, c; /* three owners, by address */
  const cplane_object **objs = NULL;
  size_t n = 0;

  (void)state;
  assert_int_equal(cp_informer_add_index_fn(inf, "ns", prefixed_ns, "a:", &a,
                                            NULL),
                   CPLANE_OK);
  assert_int_equal(cp_informer_add_index(inf, "ports", "spec.portNames"),
                   CPLANE_OK);
  upsert(inf, parse("{\"metadata\":{\"name\":\"s1\",\"namespace\":\"x\","
                    "\"resourceVersion\":\"1\"}}"));
  expect_index(inf, "ns", "a:x", "x/s1");
  /* Another function without a predecessor, or not a's successor. */
  assert_int_equal(cp_informer_add_index_fn(inf, "ns", prefixed_ns, "b:", &b,
                                            NULL),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index_fn(inf, "ns", prefixed_ns, "b:", &b,
                                            &c),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_add_index_fn(inf, "ports", prefixed_ns, "b:",
                                            &b, &a),
                   CPLANE_EINVAL);
  /* b succeeds a: re-indexed at once. */
  assert_int_equal(cp_informer_add_index_fn(inf, "ns", prefixed_ns, "b:", &b,
                                            &a),
                   CPLANE_OK);
  expect_index(inf, "ns", "a:x", "");
  expect_index(inf, "ns", "b:x", "x/s1");
  /* a's drop no longer touches it; b's gives it back to a. */
  cp_informer_drop_indexes(inf, &a, NULL);
  expect_index(inf, "ns", "b:x", "x/s1");
  cp_informer_drop_indexes(inf, &b, &a);
  expect_index(inf, "ns", "a:x", "x/s1");
  upsert(inf, parse("{\"metadata\":{\"name\":\"s2\",\"namespace\":\"y\","
                    "\"resourceVersion\":\"2\"}}"));
  expect_index(inf, "ns", "a:y", "y/s2");
  /* a's drop removes it; the path index stays. */
  cp_informer_drop_indexes(inf, &a, NULL);
  assert_int_equal(cp_informer_list_by_index(inf, "ns", "a:x", NULL, &objs,
                                             &n),
                   CPLANE_ENOENT);
  expect_index(inf, "ports", "http", "");
  upsert(inf, parse("{\"metadata\":{\"name\":\"s3\",\"namespace\":\"z\","
                    "\"resourceVersion\":\"3\"}}"));
  cp_informer_free(inf);
}

/* Many keys through one bucket and the store: grows, shrinks, stays
 * consistent. */
static void test_many_keys(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  char name[32], node[16];
  size_t heap_full, i, n;
  const cplane_object **objs;

  assert_int_equal(cp_informer_add_index(inf, "node", "spec.nodeName"),
                   CPLANE_OK);
  for (i = 0; i < 3000; i++) {
    snprintf(name, sizeof name, "p%zu", i);
    snprintf(node, sizeof node, "n%zu", i % 7);
    upsert(inf, pod("a", name, "1", "web", node, NULL));
  }
  assert_int_equal(cp_informer_len(inf), 3000);
  assert_int_equal(cp_informer_list_by_index(inf, "node", "n3", NULL, &objs,
                                             &n),
                   CPLANE_OK);
  assert_int_equal(n, 3000 / 7 + (3 < 3000 % 7));
  cp_informer_list_free(objs, n);
  heap_full = cp_informer_heap_bytes(inf);
  for (i = 0; i < 3000; i += 2) {
    snprintf(name, sizeof name, "a/p%zu", i);
    assert_int_equal(cp_informer_delete(inf, name), CPLANE_OK);
  }
  for (i = 1; i < 3000; i += 2) {
    const cplane_object *obj;

    snprintf(name, sizeof name, "a/p%zu", i);
    obj = cp_informer_get(inf, name);
    assert_non_null(obj);
    cp_object_release(obj);
  }
  for (i = 1; i < 3000; i += 2) {
    snprintf(name, sizeof name, "a/p%zu", i);
    assert_int_equal(cp_informer_delete(inf, name), CPLANE_OK);
  }
  assert_int_equal(cp_informer_len(inf), 0);
  /* Memory comes back: only the index descriptors are left. */
  assert_true(cp_informer_heap_bytes(inf) < heap_full / 10);
  expect_index(inf, "node", "n3", "");
  cp_informer_free(inf);
}

/* ---- Handlers ---------------------------------------------------------- */

static void test_order_per_object(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r);
  cp_informer_handler *h;
  static const char *want[] = {
      "I a/x 1", "I a/y 2", "U a/x 1->3", "U a/y 2->4", "D a/x 3",
      "I a/x 5", "U a/x 5->6", "D a/y 4",
  };

  rec_init(r);
  r->inf = inf;
  h = cp_informer_add_handler(inf, &rec_ops, r, 16, 0);
  assert_non_null(h);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  r->sleep_us = 200; /* let events pile up behind the callback */
  upsert(inf, pod("a", "x", "1", NULL, NULL, NULL));
  upsert(inf, pod("a", "y", "2", NULL, NULL, NULL));
  upsert(inf, pod("a", "x", "3", NULL, NULL, NULL));
  upsert(inf, pod("a", "y", "4", NULL, NULL, NULL));
  assert_int_equal(cp_informer_delete(inf, "a/x"), CPLANE_OK);
  upsert(inf, pod("a", "x", "5", NULL, NULL, NULL));
  upsert(inf, pod("a", "x", "6", NULL, NULL, NULL));
  assert_int_equal(cp_informer_delete(inf, "a/y"), CPLANE_OK);
  expect_events(r, 0, want, 8);
  assert_int_equal(atomic_load(&r->store_behind), 0);
  /* Not synced: no list yet. */
  assert_false(cp_informer_has_synced(inf));
  assert_false(cp_informer_handler_has_synced(h));
  cp_informer_mark_synced(inf);
  assert_true(cp_informer_has_synced(inf));
  assert_true(cp_informer_handler_has_synced(h));
  cp_informer_free(inf);
  rec_destroy(r);
  free(r);
}

static void test_late_handler_replay(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r1 = malloc(sizeof *r1), *r2 = malloc(sizeof *r2);
  cp_informer_handler *h1, *h2;
  cplane_object *list[3];
  size_t i;

  rec_init(r1);
  rec_init(r2);
  h1 = cp_informer_add_handler(inf, &rec_ops, r1, 8, 0);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  list[0] = pod("a", "p1", "1", NULL, NULL, NULL);
  list[1] = pod("a", "p2", "2", NULL, NULL, NULL);
  list[2] = pod("a", "p3", "3", NULL, NULL, NULL);
  assert_int_equal(cp_informer_replace(inf, list, 3), CPLANE_OK);
  wait_events(r1, 3);
  for (i = 0; i < 3; i++)
    assert_int_equal(r1->evs[i].initial, 1);
  assert_true(cp_informer_handler_has_synced(h1));

  /* The late handler gets the cache as initial adds, to itself only;
   * capacity 1 does not bound the replay. */
  r2->gate_closed = 1;
  h2 = cp_informer_add_handler(inf, &rec_ops, r2, 1, 0);
  assert_non_null(h2);
  wait_in_callback(r2);
  assert_false(cp_informer_handler_has_synced(h2));
  set_gate(r2, 0);
  wait_events(r2, 3);
  for (i = 0; i < 3; i++) {
    assert_int_equal(r2->evs[i].type, 'A');
    assert_int_equal(r2->evs[i].initial, 1);
  }
  assert_true(cp_informer_handler_has_synced(h2));
  sleep_ms(20);
  assert_int_equal(rec_count(r1), 3);

  /* From now on both see the same changes, not initial. */
  upsert(inf, pod("a", "p4", "4", NULL, NULL, NULL));
  wait_events(r1, 4);
  wait_events(r2, 4);
  assert_string_equal(ev_str(r1, 3), "A a/p4 4");
  assert_string_equal(ev_str(r2, 3), "A a/p4 4");

  /* A handler added before start replays at start. */
  cp_informer_stop(inf);
  cp_informer_remove_handler(inf, h2);
  rec_destroy(r2);
  rec_init(r2);
  h2 = cp_informer_add_handler(inf, &rec_ops, r2, 2, 0);
  sleep_ms(10);
  assert_int_equal(rec_count(r2), 0);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  wait_events(r2, 4);
  assert_true(cp_informer_handler_has_synced(h2));
  cp_informer_free(inf);
  rec_destroy(r1);
  rec_destroy(r2);
  free(r1);
  free(r2);
}

struct feeder {
  cp_informer *inf;
  int n;
  atomic_int fed;
};

static void *feed_main(void *arg) {
  struct feeder *f = arg;
  char rv[16];
  int i;

  for (i = 0; i < f->n; i++) {
    snprintf(rv, sizeof rv, "%d", i + 1);
    upsert(f->inf, pod("a", "hot", rv, NULL, NULL, NULL));
    atomic_fetch_add(&f->fed, 1);
  }
  return NULL;
}

static void test_backpressure(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r);
  struct cp_informer_handler_stats st;
  struct feeder f = {inf, 40, 0};
  cp_informer_handler *h;
  pthread_t t;
  size_t i;

  rec_init(r);
  r->gate_closed = 1;
  h = cp_informer_add_handler(inf, &rec_ops, r, 4, 0);
  cp_informer_mark_synced(inf);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  assert_int_equal(pthread_create(&t, NULL, feed_main, &f), 0);
  wait_in_callback(r);
  /* One event in the callback, four buffered, the feeder stuck on the
   * sixth: waited for (a loaded machine may feed slowly), then given
   * 50 ms to go wrong. */
  for (i = 0; i < 30000 && atomic_load(&f.fed) < 5; i++)
    sleep_ms(1);
  sleep_ms(50);
  assert_int_equal(atomic_load(&f.fed), 5);
  cp_informer_handler_stats(h, &st);
  assert_int_equal(st.depth, 4);
  assert_int_equal(st.depth_high_water, 4);
  /* Readers are not held up by the blocked feeder. */
  assert_int_equal(cp_informer_len(inf), 1);
  set_gate(r, 0);
  pthread_join(t, NULL);
  wait_events(r, 40);
  for (i = 0; i < 40; i++) {
    char want[32];

    if (i == 0)
      snprintf(want, sizeof want, "A a/hot 1");
    else
      snprintf(want, sizeof want, "U a/hot %zu->%zu", i, i + 1);
    assert_string_equal(ev_str(r, i), want);
  }
  cp_informer_handler_stats(h, &st);
  assert_int_equal(st.depth, 0);
  assert_int_equal(st.depth_high_water, 4);
  assert_int_equal(st.delivered, 40);
  cp_informer_free(inf);
  rec_destroy(r);
  free(r);
}

static void test_resync_quiet_keys_only(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r);
  struct cp_informer_handler_stats st;
  cp_informer_handler *h;
  size_t i, n;

  rec_init(r);
  h = cp_informer_add_handler(inf, &rec_ops, r, 16, 3600 * 1000 * MS);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  upsert(inf, pod("a", "k1", "1", NULL, NULL, NULL));
  upsert(inf, pod("a", "k2", "2", NULL, NULL, NULL));
  upsert(inf, pod("a", "k3", "3", NULL, NULL, NULL));
  wait_events(r, 3);

  /* k3's update is in the callback (no longer pending), k2's waits in the
   * buffer: k2 must not be resynced, the others must. */
  set_gate(r, 1);
  upsert(inf, pod("a", "k3", "4", NULL, NULL, NULL));
  wait_in_callback(r);
  upsert(inf, pod("a", "k2", "5", NULL, NULL, NULL));
  cp_informer_resync_now(inf);
  set_gate(r, 0);
  wait_events(r, 7);
  sleep_ms(20);
  n = rec_count(r);
  assert_int_equal(n, 7);
  assert_string_equal(ev_str(r, 3), "U a/k3 3->4");
  assert_string_equal(ev_str(r, 4), "U a/k2 2->5");
  for (i = 5; i < 7; i++) {
    assert_true(r->evs[i].resync);
    assert_string_not_equal(r->evs[i].key, "a/k2");
    assert_string_equal(r->evs[i].rv,
                        strcmp(r->evs[i].key, "a/k1") == 0 ? "1" : "4");
  }
  cp_informer_handler_stats(h, &st);
  assert_int_equal(st.resyncs, 2);

  /* Quiet now: every key is resynced at its cached version. */
  cp_informer_resync_now(inf);
  wait_events(r, 10);
  for (i = 7; i < 10; i++)
    assert_true(r->evs[i].resync);
  cp_informer_free(inf);
  rec_destroy(r);
  free(r);
}

static void test_resync_period(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r1 = malloc(sizeof *r1), *r2 = malloc(sizeof *r2);
  struct cp_informer_handler_stats st;
  cp_informer_handler *h1, *h2;
  size_t i;

  rec_init(r1);
  rec_init(r2);
  upsert(inf, pod("a", "k1", "1", NULL, NULL, NULL));
  h1 = cp_informer_add_handler(inf, &rec_ops, r1, 16, 20 * MS);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  /* Added while running, with its own period; the other has none. */
  h2 = cp_informer_add_handler(inf, &rec_ops, r2, 16, 0);
  wait_events(r1, 4);
  for (i = 1; i < 4; i++)
    assert_string_equal(ev_str(r1, i), "R a/k1 1");
  cp_informer_handler_stats(h1, &st);
  assert_true(st.resyncs >= 3);
  cp_informer_handler_stats(h2, &st);
  assert_int_equal(st.resyncs, 0);
  assert_int_equal(rec_count(r2), 1);
  cp_informer_free(inf);
  rec_destroy(r1);
  rec_destroy(r2);
  free(r1);
  free(r2);
}

static void test_stale_versions(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r);
  struct cp_informer_stats st;
  const cplane_object *obj;
  cplane_object *same;
  static const char *want[] = {"A a/p 10", "U a/p 10->100", "U a/p 100->x1",
                               "U a/p x1->x2", "D a/p 5"};

  rec_init(r);
  cp_informer_add_handler(inf, &rec_ops, r, 16, 0);
  cp_informer_mark_synced(inf);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  upsert(inf, pod("a", "p", "10", NULL, NULL, NULL));
  upsert(inf, pod("a", "p", "9", NULL, NULL, NULL));   /* stale */
  upsert(inf, pod("a", "p", "10", "x", NULL, NULL));   /* same version */
  upsert(inf, pod("a", "p", "100", NULL, NULL, NULL)); /* 100 > 10 */
  upsert(inf, pod("a", "p", "099", NULL, NULL, NULL)); /* stale */
  obj = cp_informer_get(inf, "a/p");
  assert_string_equal(cp_object_resource_version(obj), "100");
  /* The very snapshot fed again is no change. */
  same = (cplane_object *)cp_object_retain(obj);
  upsert(inf, same);
  cp_object_release(obj);
  /* Versions that are not decimal cannot be ordered: newest wins. */
  upsert(inf, pod("a", "p", "x1", NULL, NULL, NULL));
  upsert(inf, pod("a", "p", "x2", NULL, NULL, NULL));
  /* A delete event older than the cache is stale too. */
  assert_int_equal(cp_informer_delete_object(
                       inf, pod("a", "p", "5", NULL, NULL, NULL)),
                   CPLANE_OK);
  assert_int_equal(cp_informer_len(inf), 0); /* x2 vs 5: not comparable */
  assert_int_equal(cp_informer_delete_object(
                       inf, pod("a", "p", "5", NULL, NULL, NULL)),
                   CPLANE_ENOENT);
  expect_events(r, 0, want, 5);
  cp_informer_stats(inf, &st);
  assert_int_equal(st.stale, 2);
  assert_int_equal(st.unchanged, 2);
  assert_int_equal(st.adds, 1);
  assert_int_equal(st.updates, 3);
  assert_int_equal(st.deletes, 1);

  upsert(inf, pod("a", "q", "20", NULL, NULL, NULL));
  assert_int_equal(cp_informer_delete_object(
                       inf, pod("a", "q", "19", NULL, NULL, NULL)),
                   CPLANE_OK);
  assert_int_equal(cp_informer_len(inf), 1);
  assert_int_equal(cp_informer_delete_object(
                       inf, pod("a", "q", "21", NULL, NULL, NULL)),
                   CPLANE_OK);
  assert_int_equal(cp_informer_len(inf), 0);
  cp_informer_stats(inf, &st);
  assert_int_equal(st.stale, 3);
  cp_informer_free(inf);
  rec_destroy(r);
  free(r);
}

static void test_replace(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r);
  cp_informer_handler *h;
  cplane_object *list[5];
  const cplane_object *obj;
  /* Before the first sync, adds are part of the initial state. */
  static const char *first[] = {"I a/p1 1", "I a/p2 2", "I a/p3 3"};
  static const char *second[] = {"U a/p2 2->20", "I a/p4 4", "D a/p3 3"};
  static const char *third[] = {"A a/p5 5", "D a/p1 1"};

  rec_init(r);
  r->inf = inf;
  h = cp_informer_add_handler(inf, &rec_ops, r, 2, 0);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  upsert(inf, pod("a", "p1", "1", NULL, NULL, NULL));
  upsert(inf, pod("a", "p2", "2", NULL, NULL, NULL));
  upsert(inf, pod("a", "p3", "3", NULL, NULL, NULL));
  expect_events(r, 0, first, 3);
  assert_false(cp_informer_has_synced(inf));
  assert_false(cp_informer_handler_has_synced(h));

  /* p1 unchanged, p2 newer, p4 new (an initial add: first list), p3 gone
   * (delivered as last known). A name-less object is skipped. */
  list[0] = pod("a", "p1", "1", NULL, NULL, NULL);
  list[1] = pod("a", "p2", "20", NULL, NULL, NULL);
  list[2] = pod("a", "p4", "4", NULL, NULL, NULL);
  list[3] = parse("{\"metadata\":{\"namespace\":\"a\"}}");
  assert_int_equal(cp_informer_replace(inf, list, 4), CPLANE_OK);
  assert_true(cp_informer_has_synced(inf));
  expect_events(r, 3, second, 3);
  assert_true(cp_informer_handler_has_synced(h));
  expect_list(inf, NULL, NULL, "a/p1,a/p2,a/p4");

  /* A later list: adds are no longer initial; a stale entry is ignored
   * but its key still counts as listed. */
  list[0] = pod("a", "p5", "5", NULL, NULL, NULL);
  list[1] = pod("a", "p2", "19", NULL, NULL, NULL);
  list[2] = pod("a", "p4", "4", NULL, NULL, NULL);
  assert_int_equal(cp_informer_replace(inf, list, 3), CPLANE_OK);
  expect_events(r, 6, third, 2);
  expect_list(inf, NULL, NULL, "a/p2,a/p4,a/p5");
  obj = cp_informer_get(inf, "a/p5");
  assert_non_null(obj);
  cp_object_release(obj);

  /* The empty list empties the cache. */
  assert_int_equal(cp_informer_replace(inf, NULL, 0), CPLANE_OK);
  assert_int_equal(cp_informer_len(inf), 0);
  assert_int_equal(atomic_load(&r->store_behind), 0);
  cp_informer_free(inf);
  rec_destroy(r);
  free(r);
}

/* Replace takes every reference even with a stale object in the list. */
static void test_replace_stale_in_list(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  cplane_object *list[2];
  struct cp_informer_stats st;
  const cplane_object *obj;

  upsert(inf, pod("a", "p", "10", NULL, NULL, NULL));
  list[0] = pod("a", "p", "9", NULL, NULL, NULL);
  list[1] = pod("a", "q", "1", NULL, NULL, NULL);
  assert_int_equal(cp_informer_replace(inf, list, 2), CPLANE_OK);
  obj = cp_informer_get(inf, "a/p");
  assert_string_equal(cp_object_resource_version(obj), "10");
  cp_object_release(obj);
  cp_informer_stats(inf, &st);
  assert_int_equal(st.stale, 1);
  assert_int_equal(cp_informer_len(inf), 2);
  cp_informer_free(inf);
}

struct pump {
  cp_informer *inf;
  atomic_int stop;
};

static void *pump_main(void *arg) {
  struct pump *p = arg;
  char rv[16];
  int i = 0;

  while (!atomic_load(&p->stop)) {
    snprintf(rv, sizeof rv, "%d", ++i);
    upsert(p->inf, pod("a", "k", rv, NULL, NULL, NULL));
  }
  return NULL;
}

static void test_remove_handler(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r), *keep = malloc(sizeof *keep);
  struct pump p = {inf, 0};
  cp_informer_handler *h;
  pthread_t t;
  size_t n;

  rec_init(r);
  rec_init(keep);
  h = cp_informer_add_handler(inf, &rec_ops, r, 2, 0);
  cp_informer_add_handler(inf, &rec_ops, keep, 64, 0);
  r->sleep_us = 100;
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  assert_int_equal(pthread_create(&t, NULL, pump_main, &p), 0);
  wait_events(r, 20);
  /* Removed while a feeder keeps it full and a callback is likely
   * running: once remove returns, its callbacks are over for good. */
  cp_informer_remove_handler(inf, h);
  atomic_store(&r->must_not_run, 1);
  n = rec_count(keep) + 50;
  wait_events(keep, n);
  atomic_store(&p.stop, 1);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&r->forbidden), 0);

  /* A handler may remove itself from its callback. */
  rec_destroy(r);
  rec_init(r);
  r->inf = inf;
  r->remove_after = 3;
  r->gate_closed = 1; /* r->self is set before any callback looks */
  h = cp_informer_add_handler(inf, &rec_ops, r, 4, 0);
  pthread_mutex_lock(&r->mu);
  r->self = h;
  pthread_mutex_unlock(&r->mu);
  set_gate(r, 0);
  wait_events(r, 1); /* the replay of a/k */
  upsert(inf, pod("a", "z1", "1", NULL, NULL, NULL));
  upsert(inf, pod("a", "z2", "2", NULL, NULL, NULL));
  upsert(inf, pod("a", "z3", "3", NULL, NULL, NULL));
  wait_events(r, 3);
  sleep_ms(30); /* and no fourth */
  assert_int_equal(rec_count(r), 3);
  cp_informer_free(inf);
  rec_destroy(r);
  rec_destroy(keep);
  free(r);
  free(keep);
}

/* Stop delivers what is buffered within the drain bound; what is left
 * stays for the next start. */
static void test_stop_drains(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct rec *r = malloc(sizeof *r);
  char name[16];
  int i;

  rec_init(r);
  r->sleep_us = 1000;
  cp_informer_add_handler(inf, &rec_ops, r, 64, 0);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "p%d", i);
    upsert(inf, pod("a", name, "1", NULL, NULL, NULL));
  }
  cp_informer_stop(inf);
  assert_int_equal(rec_count(r), 10);

  /* With a tiny bound part is left behind, and comes after a restart. */
  r->sleep_us = 20000;
  cp_informer_set_drain_timeout(inf, 1 * MS);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  for (i = 10; i < 20; i++) {
    snprintf(name, sizeof name, "p%d", i);
    upsert(inf, pod("a", name, "1", NULL, NULL, NULL));
  }
  cp_informer_stop(inf);
  assert_true(rec_count(r) < 20);
  r->sleep_us = 0;
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  wait_events(r, 20);
  cp_informer_free(inf);
  rec_destroy(r);
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ptab_random),
      cmocka_unit_test(test_get_and_list),
      cmocka_unit_test(test_indexes),
      cmocka_unit_test(test_array_index),
      cmocka_unit_test(test_index_fn_owners),
      cmocka_unit_test(test_many_keys),
      cmocka_unit_test(test_order_per_object),
      cmocka_unit_test(test_late_handler_replay),
      cmocka_unit_test(test_backpressure),
      cmocka_unit_test(test_resync_quiet_keys_only),
      cmocka_unit_test(test_resync_period),
      cmocka_unit_test(test_stale_versions),
      cmocka_unit_test(test_replace),
      cmocka_unit_test(test_replace_stale_in_list),
      cmocka_unit_test(test_remove_handler),
      cmocka_unit_test(test_stop_drains),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
