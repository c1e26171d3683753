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
#include <sys/wait.h>

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
  struct stat st;
  char path[256];
  sqlite3 *db;
  cp_store *s = NULL;
  char *err = NULL;

  snprintf(path, sizeof path, "%s/foreign.db", tmpdir);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(chmod(path, 0644), 0);
  assert_int_equal(cp_store_sqlite_open(path, NULL, &s, &err), CPLANE_EINVAL);
  assert_non_null(strstr(err, "not a cplane store"));
  free(err);
  /* Another program's file keeps its mode. */
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
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
  end = mono_ms() + 30000;
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
  assert_int_equal(collector_wait(&a.c, &a.c.count, 200, 60000), 200);
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

/* ---- Fault injection: a VFS over the default one that fails the WAL's
 * fsync on demand, as a failing disk would. Registered as the default
 * VFS, so the store uses it without knowing. ---- */

typedef struct faulty_file {
  sqlite3_file base;
  int is_wal;
  sqlite3_file *real; /* follows this struct in the same allocation */
} faulty_file;

static sqlite3_vfs faulty_vfs, *real_vfs;
static int fail_syncs;   /* atomic: WAL fsyncs still to fail; -1 forever */
static int failed_syncs; /* atomic: how many failed */
static int fail_writes;  /* atomic: WAL writes still to fail */

#define REAL(f) (((faulty_file *)(f))->real)

static int ff_close(sqlite3_file *f) {
  int rc = REAL(f)->pMethods->xClose(REAL(f));

  return rc;
}
static int ff_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) {
  return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int ff_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) {
  int left = __atomic_load_n(&fail_writes, __ATOMIC_ACQUIRE);

  if (((faulty_file *)f)->is_wal && left != 0) {
    if (left > 0)
      __atomic_fetch_sub(&fail_writes, 1, __ATOMIC_ACQ_REL);
    return SQLITE_IOERR_WRITE;
  }
  return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int ff_truncate(sqlite3_file *f, sqlite3_int64 n) {
  return REAL(f)->pMethods->xTruncate(REAL(f), n);
}
static int ff_sync(sqlite3_file *f, int flags) {
  int left = __atomic_load_n(&fail_syncs, __ATOMIC_ACQUIRE);

  if (((faulty_file *)f)->is_wal && left != 0) {
    if (left > 0)
      __atomic_fetch_sub(&fail_syncs, 1, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&failed_syncs, 1, __ATOMIC_ACQ_REL);
    return SQLITE_IOERR_FSYNC;
  }
  return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int ff_size(sqlite3_file *f, sqlite3_int64 *n) {
  return REAL(f)->pMethods->xFileSize(REAL(f), n);
}
static int ff_lock(sqlite3_file *f, int l) {
  return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int ff_unlock(sqlite3_file *f, int l) {
  return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int ff_check_lock(sqlite3_file *f, int *r) {
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}
static int ff_control(sqlite3_file *f, int op, void *a) {
  return REAL(f)->pMethods->xFileControl(REAL(f), op, a);
}
static int ff_sector(sqlite3_file *f) {
  return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int ff_chars(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int ff_shm_map(sqlite3_file *f, int pg, int sz, int ext,
                      void volatile **p) {
  return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, p);
}
static int ff_shm_lock(sqlite3_file *f, int off, int n, int flags) {
  return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void ff_shm_barrier(sqlite3_file *f) {
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int ff_shm_unmap(sqlite3_file *f, int del) {
  return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods faulty_io = {
    .iVersion = 2,
    .xClose = ff_close,
    .xRead = ff_read,
    .xWrite = ff_write,
    .xTruncate = ff_truncate,
    .xSync = ff_sync,
    .xFileSize = ff_size,
    .xLock = ff_lock,
    .xUnlock = ff_unlock,
    .xCheckReservedLock = ff_check_lock,
    .xFileControl = ff_control,
    .xSectorSize = ff_sector,
    .xDeviceCharacteristics = ff_chars,
    .xShmMap = ff_shm_map,
    .xShmLock = ff_shm_lock,
    .xShmBarrier = ff_shm_barrier,
    .xShmUnmap = ff_shm_unmap,
};

static int ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                   int flags, int *out_flags) {
  faulty_file *ff = (faulty_file *)f;
  int rc;

  ff->real = (sqlite3_file *)&ff[1];
  ff->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
  f->pMethods = rc == SQLITE_OK ? &faulty_io : NULL;
  return rc;
}

static void faulty_vfs_install(void) {
  real_vfs = sqlite3_vfs_find(NULL);
  assert_non_null(real_vfs);
  faulty_vfs = *real_vfs;
  faulty_vfs.zName = "cplane-faulty";
  faulty_vfs.szOsFile = (int)sizeof(faulty_file) + real_vfs->szOsFile;
  faulty_vfs.xOpen = ff_open;
  assert_int_equal(sqlite3_vfs_register(&faulty_vfs, 1), SQLITE_OK);
}

static void faulty_vfs_remove(void) {
  sqlite3_vfs_unregister(&faulty_vfs);
}

static int recovered_check(cp_store *s, int64_t deadline_ms) {
  int rc;

  while ((rc = cp_store_check(s, NULL)) != CPLANE_OK && mono_ms() < deadline_ms)
    usleep(10000);
  return rc;
}

/* One failed commit (disk I/O error) fails its batch, and the store goes
 * on: later writes succeed, nothing acknowledged is lost, a watch sees
 * every acknowledged write once, and the health check says so. */
static void test_failed_commit_recovers(void **state) {
  cp_store_sqlite_opts o = test_opts();
  char path[256], *why = NULL;
  cp_store *s = NULL;
  cp_store_watcher *w = NULL;
  cp_store_kv kv;
  collector c;
  int64_t r1, r2 = 0, r3, cur;
  int rc;

  faulty_vfs_install();
  snprintf(path, sizeof path, "%s/faulty.db", tmpdir);
  assert_int_equal(cp_store_sqlite_open(path, &o, &s, NULL), 0);
  assert_int_equal(cp_store_check(s, &why), CPLANE_OK);
  assert_null(why);
  collector_init(&c);
  assert_int_equal(cp_store_watch(s, S("f/"), 0, collector_cb, &c, &w), 0);
  assert_int_equal(cp_store_create(s, S("f/a"), S("1"), &r1), 0);
  __atomic_store_n(&fail_writes, 1, __ATOMIC_RELEASE);
  rc = cp_store_create(s, S("f/b"), S("2"), &r2);
  assert_int_equal(rc, CP_STORE_EIO);
  rc = cp_store_create(s, S("f/b2"), S("2"), &r2);
  assert_int_equal(rc, CPLANE_OK);
  __atomic_store_n(&fail_syncs, 1, __ATOMIC_RELEASE);
  rc = cp_store_create(s, S("f/b"), S("2"), &r2);
  assert_int_equal(rc, CP_STORE_EIO);
  assert_int_equal(__atomic_load_n(&failed_syncs, __ATOMIC_ACQUIRE), 1);
  /* The writer reopens the file; every later write works. */
  assert_int_equal(cp_store_create(s, S("f/c"), S("3"), &r3), 0);
  assert_int_equal(cp_store_update(s, S("f/a"), S("4"), r1, &r3, NULL), 0);
  assert_int_equal(recovered_check(s, mono_ms() + 30000), CPLANE_OK);
  assert_int_equal(cp_store_get(s, S("f/a"), 0, &kv, NULL), 0);
  kv_is(&kv, "f/a", "4");
  cp_store_kv_free(&kv);
  assert_int_equal(cp_store_current_revision(s, &cur), 0);
  assert_int_equal(cur, r3);
  /* The watch got every write that is in the store, in order. */
  assert_true(collector_wait(&c, &c.count, (size_t)(r3 - r1 + 1), 30000) >=
              (size_t)(r3 - r1 + 1));
  assert_int_equal(c.out_of_order, 0);
  assert_int_equal(c.errors, 0);
  cp_store_watch_cancel(w);
  collector_free(&c);
  cp_store_close(s);
  /* And the file reopens with everything acknowledged. */
  assert_int_equal(cp_store_sqlite_open(path, &o, &s, NULL), 0);
  assert_int_equal(cp_store_get(s, S("f/c"), 0, &kv, NULL), 0);
  kv_is(&kv, "f/c", "3");
  cp_store_kv_free(&kv);
  cp_store_close(s);
  faulty_vfs_remove();
}

/* A disk that keeps failing: the store does not serve errors forever
 * looking healthy; it exits so that a supervisor restarts it. */
static void test_failing_disk_exits(void **state) {
  char path[256];
  pid_t pid;
  int status = 0;

  snprintf(path, sizeof path, "%s/dying.db", tmpdir);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    cp_store_sqlite_opts o = test_opts();
    cp_store *s = NULL;
    int64_t r;

    faulty_vfs_install();
    if (cp_store_sqlite_open(path, &o, &s, NULL) != 0)
      _exit(2);
    __atomic_store_n(&fail_syncs, -1, __ATOMIC_RELEASE);
    cp_store_create(s, S("x"), S("1"), &r);
    sleep(30);
    _exit(3); /* still running: the writer did not give up */
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), EXIT_FAILURE);
}

/* Secrets live in the file: it and its -wal and -shm are 0600 even in a
 * directory anyone can read, and with a permissive umask. */
static void test_files_private(void **state) {
  static const char *const suffixes[] = {"", "-wal", "-shm", ".lock"};
  char dir[256], path[300], f[320];
  cp_store *s = NULL;
  struct stat st;
  mode_t old = umask(022);
  int64_t r;
  size_t i;

  snprintf(dir, sizeof dir, "%s/open", tmpdir);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(path, sizeof path, "%s/cplane.db", dir);
  /* A -wal file an older version left 0644 loses its other bits. */
  snprintf(f, sizeof f, "%s-wal", path);
  write_file(f, "", 0);
  assert_int_equal(chmod(f, 0644), 0);
  assert_int_equal(cp_store_sqlite_open(path, NULL, &s, NULL), 0);
  assert_int_equal(cp_store_create(s, S("k"), S("v"), &r), 0);
  for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    snprintf(f, sizeof f, "%s%s", path, suffixes[i]);
    assert_int_equal(stat(f, &st), 0);
    if ((st.st_mode & 0777) != 0600)
      fail_msg("%s has mode %o", f, st.st_mode & 0777);
  }
  cp_store_close(s);
  umask(old);
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
      cmocka_unit_test(test_failed_commit_recovers),
      cmocka_unit_test(test_failing_disk_exits),
      cmocka_unit_test(test_files_private),
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
