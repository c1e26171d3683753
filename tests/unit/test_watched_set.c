/*
 * Unit tests for host/apiserver/watched_set over a real SQLite store:
 * the first read before start returns, a write seen through the watch
 * (a new snapshot swapped in while a reader still holds the old one),
 * events handed to on_events instead of a read, a start from a revision
 * the caller already read, and a loop without watches that reads on its
 * thread and when kicked. Leaks and races show under ASan and TSan.
 */
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
#include <json-c/json.h>

#include "apiserver/watched_set.h"

struct fixture {
  char dir[64];
  struct cp_api_ctx ctx;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  char path[96], *err = NULL;

  assert_non_null(f);
  strcpy(f->dir, "/tmp/cp-wset-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(path, sizeof path, "%s/db", f->dir);
  if (cp_store_sqlite_open(path, NULL, &f->ctx.store, &err) != 0)
    fail_msg("%s", err);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];

  cp_store_close(f->ctx.store);
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static int64_t put(struct fixture *f, const char *key) {
  const char *v = "{\"metadata\":{\"name\":\"x\"}}";
  int64_t rev = 0;

  assert_int_equal(cp_store_create(f->ctx.store, key, strlen(key), v,
                                   strlen(v), &rev),
                   CPLANE_OK);
  return rev;
}

/* A snapshot: how many objects each prefix had. */
struct counts {
  struct cp_watched_snapshot ws; /* first */
  size_t n[2];
};

struct owner {
  atomic_int builds, events;
};

static int build(void *arg, json_object **const *objs, const size_t *n,
                 size_t prev, struct cp_watched_snapshot **out) {
  struct owner *o = arg;
  struct counts *c = calloc(1, sizeof *c);

  (void)objs;
  (void)prev;
  atomic_fetch_add(&o->builds, 1);
  if (c == NULL)
    return -1;
  c->n[0] = n[0];
  c->n[1] = n[1];
  c->ws.weight = n[0] + n[1];
  *out = &c->ws;
  return 0;
}

static void counts_free(struct cp_watched_snapshot *ws) { free(ws); }

static void on_events(void *arg, const cp_store_watch_msg *msg) {
  struct owner *o = arg;

  atomic_fetch_add(&o->events, (int)msg->count);
}

/* Waits up to 10 s for the snapshot to hold n0 and n1 objects. */
static struct counts *wait_counts(struct cp_watched_set *s, size_t n0,
                                  size_t n1) {
  struct timespec ms10 = {0, 10000000};
  int i;

  for (i = 0; i < 3000; i++) {
    struct counts *c = (struct counts *)cp_watched_set_acquire(s);

    if (c != NULL && c->n[0] == n0 && c->n[1] == n1)
      return c;
    if (c != NULL)
      cp_watched_set_release(s, &c->ws);
    nanosleep(&ms10, NULL);
  }
  fail_msg("the snapshot never held %zu and %zu objects", n0, n1);
  return NULL;
}

static void wait_int(atomic_int *v, int want) {
  struct timespec ms10 = {0, 10000000};
  int i;

  for (i = 0; i < 3000 && atomic_load(v) < want; i++)
    nanosleep(&ms10, NULL);
  assert_int_equal(atomic_load(v), want);
}

static const char *const two[] = {"things/", "others/", NULL};

static void test_watch_and_swap(void **state) {
  struct fixture *f = *state;
  static const struct cp_watched_set_def def = {
      .thread = "test-wset", .what = "things", .prefixes = two,
      .watch = 1, .build = build, .free = counts_free};
  struct owner o = {0, 0};
  struct cp_watched_set *s;
  struct counts *held, *now;

  put(f, "things/a");
  s = cp_watched_set_start(&f->ctx, &def, &o, 0);
  assert_non_null(s);
  /* Read before start returned. */
  assert_int_equal(atomic_load(&o.builds), 1);
  held = (struct counts *)cp_watched_set_acquire(s);
  assert_non_null(held);
  assert_int_equal(held->n[0], 1);
  /* A write through the watch: a new snapshot while the old is held. */
  put(f, "others/b");
  now = wait_counts(s, 1, 1);
  assert_int_equal(held->n[1], 0);
  cp_watched_set_release(s, &held->ws);
  cp_watched_set_release(s, &now->ws);
  cp_watched_set_stop(s);
}

static void test_empty_is_null(void **state) {
  struct fixture *f = *state;
  static const struct cp_watched_set_def def = {
      .thread = "test-wset", .what = "things", .prefixes = two,
      .watch = 1, .build = build, .free = counts_free};
  struct owner o = {0, 0};
  struct cp_watched_set *s = cp_watched_set_start(&f->ctx, &def, &o, 0);

  assert_non_null(s);
  /* Weight 0: no snapshot for readers (one atomic load). */
  assert_null(cp_watched_set_acquire(s));
  cp_watched_set_stop(s);
  assert_null(cp_watched_set_acquire(NULL));
}

static void test_events_and_loaded_rev(void **state) {
  struct fixture *f = *state;
  static const char *const one[] = {"things/", NULL};
  static const struct cp_watched_set_def def = {
      .thread = "test-wset", .what = "things", .prefixes = one,
      .watch = 1, .build = build, .on_events = on_events};
  struct owner o = {0, 0};
  int64_t rev = put(f, "things/a");
  struct cp_watched_set *s = cp_watched_set_start(&f->ctx, &def, &o, rev);

  assert_non_null(s);
  /* Read by the caller already: watched from there, not read again. */
  assert_int_equal(atomic_load(&o.builds), 0);
  put(f, "things/b");
  put(f, "things/c");
  wait_int(&o.events, 2);
  assert_int_equal(atomic_load(&o.builds), 0);
  cp_watched_set_stop(s);
}

static void test_loop_and_kick(void **state) {
  struct fixture *f = *state;
  static const char *const one[] = {"things/", NULL};
  static const struct cp_watched_set_def def = {
      .thread = "test-wset", .what = "things", .prefixes = one,
      .period_ms = 60000, .build = build, .free = counts_free};
  struct owner o = {0, 0};
  struct cp_watched_set *s = cp_watched_set_start(&f->ctx, &def, &o, 0);

  assert_non_null(s);
  /* The first read is the thread's; then one per kick (the period is a
   * minute: nothing else reads). */
  wait_int(&o.builds, 1);
  cp_watched_set_kick(s);
  wait_int(&o.builds, 2);
  cp_watched_set_kick(NULL);
  cp_watched_set_stop(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_watch_and_swap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_is_null, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_and_loaded_rev, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_loop_and_kick, setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
