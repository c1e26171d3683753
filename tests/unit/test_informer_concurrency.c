/*
 * test_informer_concurrency - several feeders on disjoint keys, readers
 * listing all the while, two handlers (one resyncing every 10 ms through a
 * small buffer) and a third added mid-run. Each handler rebuilds the cache
 * from its notifications and checks every one against what it has seen
 * of that key: an add only for an absent key, an update only from the
 * version it last saw to a newer one, a resync only at the version it
 * last saw, a delete of exactly that version. At the end every model, the
 * cache and the feeders' own record agree.
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

#include "informer/informer.h"
#include "object/object.h"

#define FEEDERS 4
#define KEYS 100 /* per feeder */
#define OPS 2500 /* per feeder */
#define NKEYS (FEEDERS * KEYS)

struct key_state {
  int exists;
  long rv;
};

struct model {
  pthread_mutex_t mu;
  struct key_state keys[NKEYS];
  atomic_int violations;
  atomic_long resyncs;
  char first_violation[160];
};

struct feeder {
  cp_informer *inf;
  int id;
  unsigned seed;
  struct key_state keys[KEYS]; /* what this feeder made the cache hold */
};

static atomic_int readers_stop;

static cplane_object *make(int feeder, int k, long rv, int node) {
  char json[512];
  cplane_object *obj = NULL;

  snprintf(json, sizeof json,
           "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"k%d\","
           "\"namespace\":\"f%d\",\"resourceVersion\":\"%ld\","
           "\"labels\":{\"app\":\"a%d\"}},\"spec\":{\"nodeName\":\"n%d\"}}",
           k, feeder, rv, k % 3, node);
  if (cp_object_parse(json, strlen(json), &obj, NULL) != CPLANE_OK)
    abort();
  return obj;
}

static int slot_of(const cplane_object *obj) {
  int f, k;

  if (sscanf(cp_object_key(obj), "f%d/k%d", &f, &k) != 2)
    return -1;
  return f * KEYS + k;
}

static long rv_of(const cplane_object *obj) {
  return atol(cp_object_resource_version(obj));
}

static void violation(struct model *m, const char *what,
                      const cplane_object *obj) {
  if (atomic_fetch_add(&m->violations, 1) == 0)
    snprintf(m->first_violation, sizeof m->first_violation, "%s %s rv %s",
             what, cp_object_key(obj), cp_object_resource_version(obj));
}

static void on_add(void *ud, const cplane_object *obj, int initial) {
  struct model *m = ud;
  int s = slot_of(obj);

  pthread_mutex_lock(&m->mu);
  if (s < 0 || m->keys[s].exists)
    violation(m, "add of a present key", obj);
  else
    m->keys[s] = (struct key_state){1, rv_of(obj)};
  pthread_mutex_unlock(&m->mu);
}

static void on_update(void *ud, const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  struct model *m = ud;
  int s = slot_of(new_obj);

  pthread_mutex_lock(&m->mu);
  if (s < 0 || !m->keys[s].exists) {
    violation(m, "update of an absent key", new_obj);
  } else if (old_obj == new_obj) {
    atomic_fetch_add(&m->resyncs, 1);
    if (rv_of(new_obj) != m->keys[s].rv)
      violation(m, "resync at another version", new_obj);
  } else if (rv_of(old_obj) != m->keys[s].rv ||
             rv_of(new_obj) <= m->keys[s].rv) {
    violation(m, "update out of order", new_obj);
  } else {
    m->keys[s].rv = rv_of(new_obj);
  }
  pthread_mutex_unlock(&m->mu);
}

static void on_delete(void *ud, const cplane_object *obj) {
  struct model *m = ud;
  int s = slot_of(obj);

  pthread_mutex_lock(&m->mu);
  if (s < 0 || !m->keys[s].exists || m->keys[s].rv != rv_of(obj))
    violation(m, "delete out of order", obj);
  else
    m->keys[s].exists = 0;
  pthread_mutex_unlock(&m->mu);
}

static const struct cp_informer_handler_ops ops = {on_add, on_update,
                                                   on_delete};

static void *feeder_main(void *arg) {
  struct feeder *f = arg;
  long next_rv[KEYS];
  char key[32];
  int i;

  for (i = 0; i < KEYS; i++)
    next_rv[i] = 1;
  for (i = 0; i < OPS; i++) {
    int k = (int)(rand_r(&f->seed) % KEYS);
    int dice = (int)(rand_r(&f->seed) % 10);
    struct key_state *ks = &f->keys[k];

    if (!ks->exists || dice < 6) {
      ks->rv = next_rv[k]++;
      ks->exists = 1;
      cp_informer_upsert(f->inf, make(f->id, k, ks->rv, dice));
    } else if (dice < 8) {
      /* An old version arriving late must change nothing. */
      cp_informer_upsert(f->inf, make(f->id, k, ks->rv - 1, 9));
    } else {
      snprintf(key, sizeof key, "f%d/k%d", f->id, k);
      if (cp_informer_delete(f->inf, key) != CPLANE_OK)
        abort();
      ks->exists = 0;
    }
  }
  return NULL;
}

static void *reader_main(void *arg) {
  cp_informer *inf = arg;
  const cplane_object **objs;
  size_t n, i;
  unsigned seed = 7;

  while (!atomic_load(&readers_stop)) {
    char key[32];
    const cplane_object *obj;

    if (cp_informer_list(inf, NULL, NULL, &objs, &n) != CPLANE_OK)
      abort();
    for (i = 0; i < n; i++)
      if (slot_of(objs[i]) < 0)
        abort();
    cp_informer_list_free(objs, n);
    if (cp_informer_list_by_index(inf, "node", "n3", NULL, &objs, &n) !=
        CPLANE_OK)
      abort();
    for (i = 0; i < n; i++)
      if (strcmp(cp_object_string(objs[i], "spec.nodeName"), "n3") != 0)
        abort();
    cp_informer_list_free(objs, n);
    if (cp_informer_list(inf, "f1", NULL, &objs, &n) != CPLANE_OK)
      abort();
    cp_informer_list_free(objs, n);
    snprintf(key, sizeof key, "f%u/k%u", rand_r(&seed) % FEEDERS,
             rand_r(&seed) % KEYS);
    obj = cp_informer_get(inf, key);
    if (obj != NULL)
      cp_object_release(obj);
  }
  return NULL;
}

static struct model *model_new(void) {
  struct model *m = calloc(1, sizeof *m);

  assert_non_null(m);
  pthread_mutex_init(&m->mu, NULL);
  return m;
}

static void model_free(struct model *m) {
  pthread_mutex_destroy(&m->mu);
  free(m);
}

/* 1 when m holds exactly what the feeders left. */
static int model_matches(struct model *m, const struct feeder *f) {
  int i, ok = 1;

  pthread_mutex_lock(&m->mu);
  for (i = 0; i < NKEYS && ok; i++) {
    const struct key_state *want = &f[i / KEYS].keys[i % KEYS];

    ok = m->keys[i].exists == want->exists &&
         (!want->exists || m->keys[i].rv == want->rv);
  }
  pthread_mutex_unlock(&m->mu);
  return ok;
}

static void wait_model(struct model *m, const struct feeder *f) {
  int i;

  for (i = 0; i < 30000 && !model_matches(m, f); i++) { /* 30 s+ */
    struct timespec ts = {0, 1000000};

    nanosleep(&ts, NULL);
  }
  assert_int_equal(atomic_load(&m->violations), 0);
  assert_true(model_matches(m, f));
}

static void test_concurrent_feeders_readers_handlers(void **state) {
  cp_informer *inf = cp_informer_new("pods");
  struct model *m1 = model_new(), *m2 = model_new(), *m3 = model_new();
  struct feeder *f = calloc(FEEDERS, sizeof *f);
  cp_informer_handler *h1, *h2, *h3;
  pthread_t ft[FEEDERS], rt[2];
  int i, k;

  assert_non_null(inf);
  assert_non_null(f);
  assert_int_equal(cp_informer_add_index(inf, "node", "spec.nodeName"),
                   CPLANE_OK);
  h1 = cp_informer_add_handler(inf, &ops, m1, 8, 10 * 1000 * 1000);
  h2 = cp_informer_add_handler(inf, &ops, m2, 64, 0);
  assert_non_null(h1);
  assert_non_null(h2);
  cp_informer_mark_synced(inf);
  assert_int_equal(cp_informer_start(inf), CPLANE_OK);
  atomic_store(&readers_stop, 0);
  for (i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&rt[i], NULL, reader_main, inf), 0);
  for (i = 0; i < FEEDERS; i++) {
    f[i].inf = inf;
    f[i].id = i;
    f[i].seed = 1234u + (unsigned)i;
    assert_int_equal(pthread_create(&ft[i], NULL, feeder_main, &f[i]), 0);
  }
  /* A handler that joins mid-stream starts from a replay. */
  {
    struct timespec ts = {0, 20 * 1000 * 1000};

    nanosleep(&ts, NULL);
  }
  h3 = cp_informer_add_handler(inf, &ops, m3, 4, 0);
  assert_non_null(h3);
  for (i = 0; i < FEEDERS; i++)
    pthread_join(ft[i], NULL);
  atomic_store(&readers_stop, 1);
  for (i = 0; i < 2; i++)
    pthread_join(rt[i], NULL);

  if (atomic_load(&m1->violations) > 0)
    fail_msg("h1: %s", m1->first_violation);
  wait_model(m1, f);
  wait_model(m2, f);
  wait_model(m3, f);
  assert_true(cp_informer_handler_has_synced(h3));

  /* The cache itself equals the feeders' record. */
  for (i = 0; i < FEEDERS; i++) {
    for (k = 0; k < KEYS; k++) {
      char key[32];
      const cplane_object *obj;

      snprintf(key, sizeof key, "f%d/k%d", i, k);
      obj = cp_informer_get(inf, key);
      assert_int_equal(obj != NULL, f[i].keys[k].exists);
      if (obj != NULL) {
        assert_int_equal(rv_of(obj), f[i].keys[k].rv);
        cp_object_release(obj);
      }
    }
  }
  /* A final resync agrees with every model. */
  cp_informer_resync_now(inf);
  cp_informer_stop(inf);
  assert_int_equal(atomic_load(&m1->violations), 0);
  assert_true(atomic_load(&m1->resyncs) > 0);
  cp_informer_remove_handler(inf, h2);
  cp_informer_free(inf);
  model_free(m1);
  model_free(m2);
  model_free(m3);
  free(f);
}

/* ---- Life cycle under load -------------------------------------------- */

struct churn {
  cp_informer *inf;
  atomic_int stop;
};

static void noop_update(void *ud, const cplane_object *old_obj,
                        const cplane_object *new_obj) {
  (void)ud;
  (void)old_obj;
  (void)new_obj;
}

static const struct cp_informer_handler_ops noop_ops = {NULL, noop_update,
                                                        NULL};

static void *churn_handlers(void *arg) {
  struct churn *c = arg;

  while (!atomic_load(&c->stop)) {
    cp_informer_handler *h =
        cp_informer_add_handler(c->inf, &noop_ops, NULL, 2, 10 * 1000 * 1000);

    if (h == NULL)
      abort();
    cp_informer_resync_now(c->inf);
    cp_informer_remove_handler(c->inf, h);
  }
  return NULL;
}

static void *churn_feed(void *arg) {
  struct churn *c = arg;
  long rv = 1;

  while (!atomic_load(&c->stop)) {
    cp_informer_upsert(c->inf, make(0, (int)(rv % KEYS), rv, 0));
    rv++;
  }
  return NULL;
}

/* Start, stop, add and remove handlers and resync all at once, with a
 * resyncing handler's small buffer full: nothing deadlocks, nothing
 * leaks, TSan stays quiet. */
static void test_lifecycle_churn(void **state) {
  struct churn c = {cp_informer_new("churn"), 0};
  cp_informer_handler *slow;
  pthread_t t[2];
  int i;

  assert_non_null(c.inf);
  slow = cp_informer_add_handler(c.inf, &noop_ops, NULL, 1, 10 * 1000 * 1000);
  assert_non_null(slow);
  assert_int_equal(cp_informer_start(c.inf), CPLANE_OK);
  assert_int_equal(pthread_create(&t[0], NULL, churn_handlers, &c), 0);
  assert_int_equal(pthread_create(&t[1], NULL, churn_feed, &c), 0);
  for (i = 0; i < 40; i++) {
    struct timespec ts = {0, 3 * 1000 * 1000};

    nanosleep(&ts, NULL);
    cp_informer_stop(c.inf);
    assert_int_equal(cp_informer_start(c.inf), CPLANE_OK);
  }
  atomic_store(&c.stop, 1);
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  cp_informer_free(c.inf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_concurrent_feeders_readers_handlers),
      cmocka_unit_test(test_lifecycle_churn),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
