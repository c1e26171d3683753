/*
 * test_store_sqlite - the store conformance suite against the SQLite
 * backend, plus what only an embedded file has: one owner process, clear
 * errors for corrupt or foreign files, durability across reopen, the
 * compaction timer, and watchers that fall behind the in-memory ring.
 */
#include "../store/conformance.c"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

static char tmpdir[] = "/tmp/cp-store-sqlite-XXXXXX";
static int store_seq;
static char last_path[256];

static cp_store_sqlite_opts test_opts(void) {
  cp_store_sqlite_opts o = {0};

  o.progress_interval_ms = 200;
  o.history_ring_events = 8; /* small, so watches exercise the backfill */
  return o;
}

static cp_store *open_fresh(void) {
  cp_store_sqlite_opts o = test_opts();
  cp_store *s = NULL;
  char *err = NULL;

  snprintf(last_path, sizeof last_path, "%s/s%d.db", tmpdir, ++store_seq);
  if (cp_store_sqlite_open(last_path, &o, &s, &err) != 0) {
    print_error("open %s: %s\n", last_path, err ? err : "?");
    free(err);
    return NULL;
  }
  return s;
}

static const conf_backend sqlite_backend = {
    .name = "sqlite", .open = open_fresh, .progress_wait_ms = 5000};

static void test_second_owner_refused(void **state) {
  cp_store *s = *state, *s2 = NULL;
  char *err = NULL;

  assert_int_equal(cp_store_sqlite_open(last_path, NULL, &s2, &err),
                   CP_STORE_EUNAVAILABLE);
  assert_null(s2);
  assert_non_null(err);
  assert_non_null(strstr(err, last_path));
  assert_non_null(strstr(err, "in use"));
  free(err);
  (void)s;
}

static void write_file(const char *path, const char *data, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, n), (ssize_t)n);
  close(fd);
}

static void test_corrupt_file_refused(void **state) {
  char path[256], junk[8192];
  cp_store *s = NULL;
  char *err = NULL;

  snprintf(path, sizeof path, "%s/corrupt.db", tmpdir);
  memset(junk, 'x', sizeof junk);
  write_file(path, junk, sizeof junk);
  assert_int_equal(cp_store_sqlite_open(path, NULL, &s, &err), CP_STORE_EIO);
  assert_null(s);
  assert_non_null(err);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "corrupt"));
  assert_non_null(strstr(err, "backup"));
  free(err);
}

static void test_damaged_pages_refused(void **state) {
  cp_store_sqlite_opts o = test_opts();
  char path[256], junk[4096];
  cp_store *s = NULL;
  char *err = NULL, key[32];
  int64_t r;
  int i, fd;

  snprintf(path, sizeof path, "%s/damaged.db", tmpdir);
  assert_int_equal(cp_store_sqlite_open(path, &o, &s, &err), 0);
  for (i = 0; i < 300; i++) {
    snprintf(key, sizeof key, "k/%04d", i);
    assert_int_equal(cp_store_create(s, S(key), S("some value here"), &r), 0);
  }
  cp_store_close(s);
  /* Overwrite a b-tree page in the middle of the file. */
  memset(junk, 0xa5, sizeof junk);
  fd = open(path, O_WRONLY);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, junk, sizeof junk, 4 * 4096), 4096);
  close(fd);
  s = NULL;
  assert_int_not_equal(cp_store_sqlite_open(path, &o, &s, &err), 0);
  assert_null(s);
  assert_non_null(err);
  assert_non_null(strstr(err, path));
  free(err);
}

static void test_foreign_database_refused(void **state) {
  char path[256];
  sqlite3 *db;
  cp_store *s = NULL;
  char *err = NULL;

  snprintf(path, sizeof path, "%s/foreign.db", tmpdir);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(cp_store_sqlite_open(path, NULL, &s, &err), CPLANE_EINVAL);
  assert_non_null(strstr(err, "not a cplane store"));
  free(err);
}

static void test_unwritable_directory(void **state) {
  cp_store *s = NULL;
  char *err = NULL;

  assert_int_not_equal(
      cp_store_sqlite_open("/nonexistent/dir/store.db", NULL, &s, &err), 0);
  assert_non_null(err);
  assert_non_null(strstr(err, "/nonexistent/dir/store.db"));
  free(err);
}

static void test_reopen_keeps_data(void **state) {
  cp_store *s = *state;
  cp_store_sqlite_opts o = test_opts();
  cp_store_kv kv;
  int64_t r1, r2, cur;
  char *err = NULL;

  assert_int_equal(cp_store_create(s, S("d/a"), S("1"), &r1), 0);
  assert_int_equal(cp_store_delete(s, S("d/a"), 0, &r2, NULL), 0);
  assert_int_equal(cp_store_create(s, S("d/b"), S("2"), &r2), 0);
  cp_store_close(s);
  *state = NULL;
  assert_int_equal(cp_store_sqlite_open(last_path, &o, &s, &err), 0);
  *state = s;
  assert_int_equal(cp_store_current_revision(s, &cur), 0);
  assert_int_equal(cur, r2);
  assert_int_equal(cp_store_get(s, S("d/b"), 0, &kv, NULL), 0);
  kv_is(&kv, "d/b", "2");
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_get(s, S("d/a"), r1, &kv, NULL), 0);
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_create(s, S("d/c"), S("3"), &r1), 0);
  assert_int_equal(r1, r2 + 1);
}

static void test_compaction_timer(void **state) {
  cp_store_sqlite_opts o = test_opts();
  char path[256];
  cp_store *s = NULL;
  cp_store_kv kv;
  int64_t r1, r2, end;
  int rc = 0;

  o.compact_interval_ms = 100;
  snprintf(path, sizeof path, "%s/timer.db", tmpdir);
  assert_int_equal(cp_store_sqlite_open(path, &o, &s, NULL), 0);
  assert_int_equal(cp_store_create(s, S("t/a"), S("1"), &r1), 0);
  assert_int_equal(cp_store_update(s, S("t/a"), S("2"), r1, &r2, NULL), 0);
  /* The first tick marks the revision, the next compacts to it. */
  end = mono_ms() + 5000;
  while (mono_ms() < end &&
         (rc = cp_store_get(s, S("t/a"), r1, &kv, NULL)) == 0) {
    cp_store_kv_free(&kv);
    usleep(20000);
  }
  assert_int_equal(rc, CP_STORE_ECOMPACTED);
  assert_int_equal(cp_store_get(s, S("t/a"), r2, &kv, NULL), 0);
  cp_store_kv_free(&kv);
  cp_store_close(s);
}

typedef struct slow_arg {
  collector c;
  int delay_us;
} slow_arg;

static void slow_cb(void *ud, const cp_store_watch_msg *m) {
  slow_arg *a = ud;

  usleep(a->delay_us);
  collector_cb(&a->c, m);
}

/* A watcher slower than the writers falls behind the ring and catches up
 * from the history table without a gap. */
static void test_slow_watcher_catches_up(void **state) {
  cp_store *s = *state;
  cp_store_watcher *w;
  slow_arg a;
  char key[32];
  int64_t r, first = 0;
  size_t i;

  collector_init(&a.c);
  a.delay_us = 2000;
  assert_int_equal(cp_store_watch(s, S("slow/"), 0, slow_cb, &a, &w), 0);
  usleep(50000);
  for (i = 0; i < 200; i++) {
    snprintf(key, sizeof key, "slow/%03zu", i);
    assert_int_equal(cp_store_create(s, S(key), S("v"), &r), 0);
    if (i == 0)
      first = r;
  }
  assert_int_equal(collector_wait(&a.c, &a.c.count, 200, 20000), 200);
  for (i = 0; i < 200; i++) {
    snprintf(key, sizeof key, "slow/%03zu", i);
    kv_is(&a.c.events[i].kv, key, "v");
    assert_int_equal(a.c.events[i].kv.mod_revision, first + (int64_t)i);
  }
  assert_int_equal(a.c.out_of_order, 0);
  cp_store_watch_cancel(w);
  collector_free(&a.c);
}

static void cancel_self_cb(void *ud, const cp_store_watch_msg *m) {
  cp_store_watcher **w = ud;
  cp_store_watcher *self = __atomic_load_n(w, __ATOMIC_ACQUIRE);

  if (m->kind == CP_STORE_WATCH_EVENTS && self != NULL) {
    cp_store_watch_cancel(self);
    __atomic_store_n(w, NULL, __ATOMIC_RELEASE);
  }
}

static void test_cancel_from_callback(void **state) {
  cp_store *s = *state;
  cp_store_watcher *w = NULL;
  int64_t r;

  cp_store_watcher *tmp = NULL;

  assert_int_equal(cp_store_watch(s, S("cb/"), 0, cancel_self_cb, &w, &tmp),
                   0);
  __atomic_store_n(&w, tmp, __ATOMIC_RELEASE);
  assert_int_equal(cp_store_create(s, S("cb/x"), S("1"), &r), 0);
  while (__atomic_load_n(&w, __ATOMIC_ACQUIRE) != NULL)
    usleep(1000);
  assert_int_equal(cp_store_create(s, S("cb/y"), S("1"), &r), 0);
}

static int group_setup(void **state) {
  conf_backend_in_use = &sqlite_backend;
  return 0;
}

int main(void) {
  static const struct CMUnitTest own[] = {
      CONF_TEST(test_second_owner_refused),
      cmocka_unit_test(test_corrupt_file_refused),
      cmocka_unit_test(test_damaged_pages_refused),
      cmocka_unit_test(test_foreign_database_refused),
      cmocka_unit_test(test_unwritable_directory),
      CONF_TEST(test_reopen_keeps_data),
      cmocka_unit_test(test_compaction_timer),
      CONF_TEST(test_slow_watcher_catches_up),
      CONF_TEST(test_cancel_from_callback),
  };
  char cmd[300];
  int rc;

  if (mkdtemp(tmpdir) == NULL)
    return 1;
  rc = cmocka_run_group_tests_name("store conformance: sqlite",
                                   conformance_tests, group_setup, NULL);
  rc |= cmocka_run_group_tests_name("store sqlite", own, group_setup, NULL);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
