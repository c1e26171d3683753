/*
 * sqlite.c - the embedded store: one SQLite file in WAL mode.
 *
 * Layout, learnt from kine's problems:
 *  - kv holds the current value of every live key, so a list is an index
 *    range scan, never a GROUP BY over history;
 *  - history holds one row per revision above the compaction revision,
 *    for watches and for reads at a past revision, with the value the
 *    write replaced. The new value is not stored again: it is the next
 *    event's previous value, or kv's value for the latest event, so each
 *    write stores its value once (WAL bytes are the cost of a commit).
 *    Compaction deletes from history in small batches;
 *  - meta holds the revision and the compaction revision.
 *
 * Threads: one writer thread owns the only write connection and applies
 * queued writes in batches, one transaction and one fsync per batch
 * (group commit), so many concurrent writers share each fsync; it also
 * runs compaction, so compaction never meets "database is locked". Readers
 * use a small pool of read connections, which WAL lets run beside the
 * writer. Watch fan-out is a watch_hub fed straight from the writer after
 * each commit. After a failed commit the writer reopens its connection
 * (or exits the process when it cannot), and cp_store_check reports the
 * failure until then.
 */
#include "store/store_impl.h"
#include "clock/clock.h"
#include "clock/deadline.h"
#include "store/watch_hub.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "log/assert.h"

#define APP_ID 0x63706c6e /* "cpln": marks a file as a cplane store */
#define READ_POOL_MAX 8
#define PURGE_BATCH 5000
#define DEFAULT_COMPACT_MS (5 * 60 * 1000)
#define DEFAULT_PROGRESS_MS 5000
#define RECOVER_ATTEMPTS 5
#define RECOVER_BACKOFF_MS 200 /* doubling: 3 s in all before giving up */

enum { OP_CREATE, OP_UPDATE, OP_DELETE, OP_COMPACT };

/* A write waiting for the writer thread; lives on the caller's stack. */
typedef struct wop {
  int kind;
  const void *key;
  size_t key_len;
  const void *value;
  size_t value_len;
  int64_t expected; /* mod_revision (update, delete) or target (compact) */
  int rc;
  int64_t rev;
  cp_store_kv *other; /* update: current on conflict; delete: prev */
  /* A transaction's first write: how many writes (this one and the
   * next group - 1) are applied all or none; 0 for a lone write. */
  int group;
  cp_hub_event *event; /* made inside the batch, published after commit */
  sem_t done;
  struct wop *next;
} wop;

typedef struct rconn {
  sqlite3 *db;
  sqlite3_stmt *meta, *get_cur, *get_past, *list_cur, *list_past, *hist;
  /* Prepared once: sqlite3_exec("BEGIN") parsed the text on every read. */
  sqlite3_stmt *begin, *commit;
} rconn;

typedef struct sq_store {
  struct cp_store base;
  char *path;
  int lock_fd;
  cp_store_sqlite_opts opts;

  /* Writer. */
  sqlite3 *wdb;
  sqlite3_stmt *w_sel, *w_ins_kv, *w_upd_kv, *w_del_kv, *w_ins_hist,
      *w_meta, *w_purge;
  pthread_t writer;
  pthread_mutex_t qmu;
  pthread_cond_t qcond;
  wop *qhead, *qtail;
  int stop;
  int64_t rev;         /* atomic: last committed revision */
  int64_t compact_rev; /* writer only */
  int64_t purged_below; /* writer only: history below this is gone */
  int64_t next_compact_ms, compact_mark; /* writer only: the timer */

  /* Readers. */
  pthread_mutex_t pmu;
  pthread_cond_t pcond;
  rconn *pool[READ_POOL_MAX];
  size_t pool_free, pool_open;

  cp_watch_hub *hub;

  /* Health for cp_store_check, under hmu; the writer sets it. */
  pthread_mutex_t hmu;
  int health_rc;
  char health_why[256];
  int unhealthy; /* writer only: health_rc != CPLANE_OK */
} sq_store;

static const cp_store_ops sqlite_ops;

static int64_t now_ms(void) { return cp_now_ms(); }

static int map_sqlite(sqlite3 *db, int src, const char *what) {
  if (src == SQLITE_NOMEM)
    return CPLANE_ENOMEM;
  cp_log_error("store", "sqlite %s: %s", what, sqlite3_errmsg(db));
  return CP_STORE_EIO;
}

static int exec_sql(sqlite3 *db, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

  if (rc != SQLITE_OK) {
    cp_log_error("store", "sqlite: %s: %s", sql, err ? err : "?");
    sqlite3_free(err);
  }
  return rc;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
  return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

/* Column i as an owned byte buffer, NUL-terminated for convenience. */
static int column_bytes(sqlite3_stmt *st, int i, uint8_t **out, size_t *len) {
  const void *p = sqlite3_column_blob(st, i);
  size_t n = (size_t)sqlite3_column_bytes(st, i);

  *out = malloc(n + 1);
  if (*out == NULL)
    return CPLANE_ENOMEM;
  if (n > 0)
    memcpy(*out, p, n);
  (*out)[n] = 0;
  *len = n;
  return CPLANE_OK;
}

/* Reads key, value, create, mod, version from columns first..first+4. */
static int column_kv(sqlite3_stmt *st, int first, cp_store_kv *kv) {
  memset(kv, 0, sizeof *kv);
  if (column_bytes(st, first, &kv->key, &kv->key_len) != CPLANE_OK ||
      column_bytes(st, first + 1, &kv->value, &kv->value_len) != CPLANE_OK) {
    cp_store_kv_free(kv);
    return CPLANE_ENOMEM;
  }
  kv->create_revision = sqlite3_column_int64(st, first + 2);
  kv->mod_revision = sqlite3_column_int64(st, first + 3);
  kv->version = sqlite3_column_int64(st, first + 4);
  return CPLANE_OK;
}

/* ---- Schema and opening ----------------------------------------------- */

/*
 * Durability: WAL with synchronous=FULL. In WAL mode NORMAL already
 * survives a process crash (kill -9) but may lose the last transactions on
 * power loss, because it syncs the WAL only at checkpoints; FULL syncs the
 * WAL at every commit, so a write is on disk before it is acknowledged.
 * Group commit makes that one fsync per batch, not per write.
 * journal_size_limit truncates the WAL after a checkpoint so the file does
 * not stay at its high-water mark.
 */
static const char *const pragmas =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA journal_size_limit=67108864;"
    "PRAGMA wal_autocheckpoint=4000;"
    "PRAGMA temp_store=MEMORY;";

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " revision INTEGER NOT NULL, compact_revision INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES (1, 1, 0);"
    "CREATE TABLE IF NOT EXISTS kv ("
    " key BLOB PRIMARY KEY, value BLOB NOT NULL, create_rev INTEGER NOT NULL,"
    " mod_rev INTEGER NOT NULL, version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS history ("
    " rev INTEGER PRIMARY KEY, key BLOB NOT NULL, deleted INTEGER NOT NULL,"
    " create_rev INTEGER, version INTEGER,"
    " prev_value BLOB, prev_create INTEGER, prev_mod INTEGER,"
    " prev_version INTEGER);"
    "CREATE INDEX IF NOT EXISTS history_key_rev ON history (key, rev);";

static int take_lock(sq_store *s, char **errmsg) {
  char *lock_path = NULL;

  if (asprintf(&lock_path, "%s.lock", s->path) < 0)
    return CPLANE_ENOMEM;
  s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd < 0) {
    cp_store_set_errmsg(errmsg, "cannot open lock file '%s': %s", lock_path,
                        strerror(errno));
    free(lock_path);
    return CP_STORE_EIO;
  }
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    cp_store_set_errmsg(errmsg,
                        "store file '%s' is in use by another cplane process "
                        "(lock '%s' is held); stop that process or use "
                        "another data directory",
                        s->path, lock_path);
    free(lock_path);
    return CP_STORE_EUNAVAILABLE;
  }
  free(lock_path);
  return CPLANE_OK;
}

static int corrupt(sq_store *s, sqlite3 *db, char **errmsg, const char *why) {
  cp_store_set_errmsg(errmsg,
                      "store file '%s' is unreadable or corrupt (%s); restore "
                      "it from a backup, or move it (and its -wal file) "
                      "aside to start with an empty store",
                      s->path, why ? why : sqlite3_errmsg(db));
  return CP_STORE_EIO;
}

/* Refuses a SQLite file that is some other program's database. */
static int check_identity(sq_store *s, sqlite3 *db, char **errmsg) {
  sqlite3_stmt *st = NULL;
  int rc, app_id, tables;

  if (sqlite3_prepare_v2(db,
                         "SELECT (SELECT application_id FROM "
                         "pragma_application_id), (SELECT count(*) FROM "
                         "sqlite_schema)",
                         -1, &st, NULL) != SQLITE_OK ||
      (rc = sqlite3_step(st)) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return corrupt(s, db, errmsg, NULL);
  }
  app_id = sqlite3_column_int(st, 0);
  tables = sqlite3_column_int(st, 1);
  sqlite3_finalize(st);
  if (app_id == APP_ID || (app_id == 0 && tables == 0))
    return CPLANE_OK;
  cp_store_set_errmsg(errmsg,
                      "'%s' is a SQLite database but not a cplane store; "
                      "point cplane at another file",
                      s->path);
  return CPLANE_EINVAL;
}

static int integrity_check(sq_store *s, sqlite3 *db, char **errmsg) {
  sqlite3_stmt *st = NULL;
  int rc = CPLANE_OK;
  const char *res;

  if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) !=
          SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    rc = corrupt(s, db, errmsg, NULL);
  else if ((res = (const char *)sqlite3_column_text(st, 0)) == NULL ||
           strcmp(res, "ok") != 0)
    rc = corrupt(s, db, errmsg, res ? res : "quick_check failed");
  sqlite3_finalize(st);
  return rc;
}

/* Go's os.FileMode text ("drwxr-xr-x"), as etcd prints it. */
static void mode_text(mode_t m, char out[11]) {
  static const char rwx[] = "rwxrwxrwx";
  int i;

  out[0] = S_ISDIR(m) ? 'd' : '-';
  for (i = 0; i < 9; i++)
    out[i + 1] = m & (0400 >> i) ? rwx[i] : '-';
  out[10] = 0;
}

/* The store holds Secrets: warn, as etcd does, when others may enter the
 * directory that holds it. */
static void check_dir_mode(const char *path) {
  char *dir = strdup(path), *slash, text[11];
  struct stat st;

  if (dir == NULL)
    return;
  slash = strrchr(dir, '/');
  if (slash == NULL)
    snprintf(dir, strlen(dir) + 1, ".");
  else if (slash == dir)
    slash[1] = 0;
  else
    *slash = 0;
  if (stat(dir, &st) == 0 && (st.st_mode & 077) != 0) {
    mode_text(st.st_mode, text);
    cp_log_warn("store", "check file permission: directory \"%s\" exists, "
                "but the permission is \"%s\". The recommended permission "
                "is \"-rwx------\" to prevent possible unprivileged access "
                "to the data", dir, text);
  }
  free(dir);
}

/* Makes path (if present) private to its owner; says so when it cannot
 * (not our file), which does not stop the store. */
static void make_private(const char *path) {
  struct stat st;

  if (stat(path, &st) != 0 || (st.st_mode & 077) == 0)
    return;
  if (chmod(path, 0600) == 0)
    cp_log_warn("store", "'%s' was open to others (mode %o); it is 0600 "
                "now", path, (unsigned)(st.st_mode & 0777));
  else
    cp_log_warn("store", "'%s' is open to others (mode %o) and cannot be "
                "made 0600: %s", path, (unsigned)(st.st_mode & 0777),
                strerror(errno));
}

/*
 * Every file of the store is 0600: SQLite creates -wal and -shm with the
 * main file's mode, so it is enough that the main file is created 0600
 * before SQLite would create it 0644 (create_private), and that files an
 * older version left open lose their group and other bits once the file
 * is known to be a cplane store (make_store_private).
 */
static int create_private(sq_store *s, char **errmsg) {
  int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0) {
    cp_store_set_errmsg(errmsg,
                        "cannot open store file '%s': %s; check that the "
                        "directory exists and is writable",
                        s->path, strerror(errno));
    return CP_STORE_EIO;
  }
  close(fd);
  check_dir_mode(s->path);
  return CPLANE_OK;
}

static int make_store_private(sq_store *s) {
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  char *p = NULL;
  size_t i;

  for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    if (asprintf(&p, "%s%s", s->path, suffixes[i]) < 0)
      return CPLANE_ENOMEM;
    make_private(p);
    free(p);
  }
  return CPLANE_OK;
}

static int open_db(sq_store *s, int readonly, sqlite3 **out) {
  int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE |
                                                    SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(s->path, out, flags, NULL);

  if (rc == SQLITE_OK)
    sqlite3_busy_timeout(*out, 10000);
  return rc;
}

/* Reads the revisions. The revision goes to *rev, not s->rev: readers
 * load s->rev at any time, and a recovery must publish what it finds
 * first. */
static int load_meta(sq_store *s, int64_t *rev, char **errmsg) {
  sqlite3_stmt *st = NULL;
  int rc = CPLANE_OK;

  if (sqlite3_prepare_v2(s->wdb,
                         "SELECT revision, compact_revision, "
                         "(SELECT coalesce(min(rev), 0) FROM history) "
                         "FROM meta WHERE id = 1",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    rc = corrupt(s, s->wdb, errmsg, NULL);
    goto out;
  }
  *rev = sqlite3_column_int64(st, 0);
  s->compact_rev = sqlite3_column_int64(st, 1);
  s->purged_below = sqlite3_column_int64(st, 2);
  if (s->purged_below == 0)
    s->purged_below = *rev + 1;
out:
  sqlite3_finalize(st);
  return rc;
}

static int prepare_writer(sq_store *s) {
  sqlite3 *db = s->wdb;

  if (prepare(db,
              "SELECT key, value, create_rev, mod_rev, version FROM kv "
              "WHERE key = ?1",
              &s->w_sel) ||
      prepare(db,
              "INSERT INTO kv (key, value, create_rev, mod_rev, version) "
              "VALUES (?1, ?2, ?3, ?3, 1)",
              &s->w_ins_kv) ||
      prepare(db,
              "UPDATE kv SET value = ?2, mod_rev = ?3, version = version + 1 "
              "WHERE key = ?1",
              &s->w_upd_kv) ||
      prepare(db, "DELETE FROM kv WHERE key = ?1", &s->w_del_kv) ||
      prepare(db,
              "INSERT INTO history (rev, key, deleted, create_rev, "
              "version, prev_value, prev_create, prev_mod, prev_version) "
              "VALUES (?1, ?2, ?3, ?5, ?6, ?7, ?8, ?9, ?10)",
              &s->w_ins_hist) ||
      prepare(db,
              "UPDATE meta SET revision = ?1, compact_revision = ?2 "
              "WHERE id = 1",
              &s->w_meta) ||
      prepare(db, "DELETE FROM history WHERE rev >= ?1 AND rev < ?2",
              &s->w_purge))
    return map_sqlite(db, sqlite3_errcode(db), "prepare");
  return CPLANE_OK;
}

/* Opens the write connection; *rev receives the stored revision. A
 * recovery passes check 0: the file was checked at start. */
static int open_writer(sq_store *s, int check, int64_t *rev, char **errmsg) {
  int rc = open_db(s, 0, &s->wdb);

  if (rc != SQLITE_OK) {
    cp_store_set_errmsg(errmsg,
                        "cannot open store file '%s': %s; check that the "
                        "directory exists and is writable",
                        s->path,
                        s->wdb ? sqlite3_errmsg(s->wdb) : sqlite3_errstr(rc));
    return CP_STORE_EIO;
  }
  if ((rc = check_identity(s, s->wdb, errmsg)) != CPLANE_OK)
    return rc;
  if (check && (rc = make_store_private(s)) != CPLANE_OK)
    return rc;
  if (check && !s->opts.skip_integrity_check &&
      (rc = integrity_check(s, s->wdb, errmsg)) != CPLANE_OK)
    return rc;
  if (exec_sql(s->wdb, pragmas) != SQLITE_OK)
    return corrupt(s, s->wdb, errmsg, NULL);
  if (exec_sql(s->wdb, "BEGIN IMMEDIATE") != SQLITE_OK ||
      exec_sql(s->wdb, schema) != SQLITE_OK ||
      exec_sql(s->wdb, "PRAGMA application_id=1668312174") != SQLITE_OK ||
      exec_sql(s->wdb, "COMMIT") != SQLITE_OK)
    return corrupt(s, s->wdb, errmsg, NULL);
  if ((rc = load_meta(s, rev, errmsg)) != CPLANE_OK)
    return rc;
  if ((rc = prepare_writer(s)) != CPLANE_OK)
    return corrupt(s, s->wdb, errmsg, NULL);
  return CPLANE_OK;
}

/* ---- Read connections ------------------------------------------------- */

static void rconn_free(rconn *c) {
  if (c == NULL)
    return;
  sqlite3_finalize(c->begin);
  sqlite3_finalize(c->commit);
  sqlite3_finalize(c->meta);
  sqlite3_finalize(c->get_cur);
  sqlite3_finalize(c->get_past);
  sqlite3_finalize(c->list_cur);
  sqlite3_finalize(c->list_past);
  sqlite3_finalize(c->hist);
  sqlite3_close(c->db);
  free(c);
}

static rconn *rconn_new(sq_store *s) {
  rconn *c = calloc(1, sizeof *c);

  if (c == NULL)
    return NULL;
  if (open_db(s, 1, &c->db) != SQLITE_OK)
    goto fail;
  if (prepare(c->db, "BEGIN", &c->begin) ||
      prepare(c->db, "COMMIT", &c->commit) ||
      prepare(c->db,
              "SELECT revision, compact_revision FROM meta WHERE id = 1",
              &c->meta) ||
      prepare(c->db,
              "SELECT key, value, create_rev, mod_rev, version FROM kv "
              "WHERE key = ?1",
              &c->get_cur) ||
      /* The value at ?2 of a key changed since: the first later event's
       * previous value. */
      prepare(c->db,
              "SELECT key, prev_value, prev_create, prev_mod, prev_version "
              "FROM history WHERE key = ?1 AND rev > ?2 ORDER BY rev LIMIT 1",
              &c->get_past) ||
      prepare(c->db,
              "SELECT key, value, create_rev, mod_rev, version FROM kv "
              "WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3",
              &c->list_cur) ||
      /* Keys unchanged since ?4 from kv, plus every key changed since,
       * as it was before its first later event. The two sets are
       * disjoint. */
      prepare(c->db,
              "SELECT key, value, create_rev, mod_rev, version FROM kv "
              " WHERE key >= ?1 AND key < ?2 AND mod_rev <= ?4 "
              "UNION ALL "
              "SELECT h.key, h.prev_value, h.prev_create, h.prev_mod, "
              " h.prev_version FROM history h "
              " WHERE h.key >= ?1 AND h.key < ?2 AND h.rev > ?4 "
              " AND h.prev_mod > 0 AND h.rev = (SELECT min(rev) FROM history"
              " g WHERE g.key = h.key AND g.rev > ?4) "
              "ORDER BY 1 LIMIT ?3",
              &c->list_past) ||
      prepare(c->db,
              "SELECT rev, key, deleted, CASE WHEN deleted THEN NULL ELSE"
              " coalesce((SELECT g.prev_value FROM history g WHERE"
              " g.key = h.key AND g.rev > h.rev ORDER BY g.rev LIMIT 1),"
              " (SELECT value FROM kv WHERE key = h.key AND mod_rev = h.rev))"
              " END, create_rev, version, "
              "prev_value, prev_create, prev_mod, prev_version FROM history"
              " h WHERE rev >= ?1 AND rev <= ?2 AND key >= ?3 AND key < ?4 "
              "ORDER BY rev LIMIT ?5",
              &c->hist))
    goto fail;
  return c;
fail:
  cp_log_error("store", "cannot open a read connection to '%s': %s", s->path,
               c->db ? sqlite3_errmsg(c->db) : "out of memory");
  rconn_free(c);
  return NULL;
}

static rconn *pool_get(sq_store *s) {
  rconn *c = NULL;

  pthread_mutex_lock(&s->pmu);
  while (s->pool_free == 0 && s->pool_open == READ_POOL_MAX)
    pthread_cond_wait(&s->pcond, &s->pmu);
  if (s->pool_free > 0) {
    c = s->pool[--s->pool_free];
    pthread_mutex_unlock(&s->pmu);
    return c;
  }
  s->pool_open++;
  pthread_mutex_unlock(&s->pmu);
  c = rconn_new(s);
  if (c == NULL) {
    pthread_mutex_lock(&s->pmu);
    s->pool_open--;
    pthread_cond_signal(&s->pcond);
    pthread_mutex_unlock(&s->pmu);
  }
  return c;
}

static void pool_put(sq_store *s, rconn *c) {
  pthread_mutex_lock(&s->pmu);
  s->pool[s->pool_free++] = c;
  pthread_cond_signal(&s->pcond);
  pthread_mutex_unlock(&s->pmu);
}

/* Opens a read transaction and checks rev against the snapshot's range.
 * *header gets the snapshot revision. */
static int read_begin(rconn *c, int64_t rev, int64_t *header) {
  int rc;

  rc = sqlite3_step(c->begin);
  sqlite3_reset(c->begin);
  if (rc != SQLITE_DONE)
    return map_sqlite(c->db, rc, "begin");
  rc = sqlite3_step(c->meta);
  if (rc != SQLITE_ROW) {
    rc = map_sqlite(c->db, rc, "read meta");
    sqlite3_reset(c->meta);
    return rc;
  }
  *header = sqlite3_column_int64(c->meta, 0);
  rc = CPLANE_OK;
  if (rev > *header)
    rc = CP_STORE_EFUTURE;
  else if (rev > 0 && rev < sqlite3_column_int64(c->meta, 1))
    rc = CP_STORE_ECOMPACTED;
  sqlite3_reset(c->meta);
  return rc;
}

static void read_end(rconn *c) {
  sqlite3_step(c->commit);
  sqlite3_reset(c->commit);
}

static int step_kv(sqlite3 *db, sqlite3_stmt *st, cp_store_kv *out) {
  int rc = sqlite3_step(st);

  if (rc == SQLITE_ROW)
    rc = column_kv(st, 0, out);
  else if (rc == SQLITE_DONE)
    rc = CPLANE_ENOENT;
  else
    rc = map_sqlite(db, rc, "read");
  sqlite3_reset(st);
  return rc;
}

static int sq_get(cp_store *base, const void *key, size_t key_len,
                  int64_t rev, cp_store_kv *out, int64_t *header_rev) {
  sq_store *s = (sq_store *)base;
  rconn *c = pool_get(s);
  int64_t header = 0;
  int rc;

  if (c == NULL)
    return CP_STORE_EIO;
  rc = read_begin(c, rev, &header);
  if (rc != CPLANE_OK)
    goto out;
  sqlite3_bind_blob(c->get_cur, 1, key, (int)key_len, SQLITE_STATIC);
  rc = step_kv(c->db, c->get_cur, out);
  if (rc != CPLANE_OK && rc != CPLANE_ENOENT)
    goto out;
  if (rev == 0 || rev == header || (rc == CPLANE_OK && out->mod_revision <= rev))
    goto out;
  /* The key changed after rev (or is gone): its value then is the one the
   * first later event replaced. */
  cp_store_kv_free(out);
  sqlite3_bind_blob(c->get_past, 1, key, (int)key_len, SQLITE_STATIC);
  sqlite3_bind_int64(c->get_past, 2, rev);
  rc = step_kv(c->db, c->get_past, out);
  if (rc == CPLANE_OK && out->mod_revision == 0) {
    cp_store_kv_free(out);
    rc = CPLANE_ENOENT;
  }
out:
  read_end(c);
  pool_put(s, c);
  if (header_rev != NULL)
    *header_rev = header;
  return rc;
}

/* Binds the [lo, hi) key range of a prefix and a start key. A prefix with
 * no upper bound uses a blob longer than any valid key, all 0xff. */
typedef struct key_range {
  const void *lo;
  size_t lo_len;
  uint8_t hi[CP_STORE_MAX_KEY + 2];
  size_t hi_len;
} key_range;

static void make_range(key_range *r, const void *prefix, size_t prefix_len,
                       const void *start, size_t start_len) {
  /* A NULL pointer would bind SQL NULL, which compares false with
   * everything. */
  r->lo = prefix != NULL ? prefix : "";
  r->lo_len = prefix_len;
  if (start_len > 0) {
    size_t n = start_len < prefix_len ? start_len : prefix_len;
    int cmp = n ? memcmp(start, prefix, n) : 0;

    if (cmp > 0 || (cmp == 0 && start_len >= prefix_len)) {
      r->lo = start;
      r->lo_len = start_len;
    }
  }
  cp_store_prefix_end(prefix, prefix_len, r->hi, &r->hi_len);
  if (r->hi_len == 0) {
    memset(r->hi, 0xff, sizeof r->hi);
    r->hi_len = sizeof r->hi;
  }
}

static int list_rows(sqlite3 *db, sqlite3_stmt *st, size_t limit,
                     cp_store_list_result *res) {
  size_t cap = 0;
  int rc;

  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (limit > 0 && res->count == limit) {
      res->more = 1;
      break;
    }
    if (res->count == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      cp_store_kv *k = realloc(res->kvs, ncap * sizeof *k);

      if (k == NULL)
        return CPLANE_ENOMEM;
      res->kvs = k;
      cap = ncap;
    }
    if (column_kv(st, 0, &res->kvs[res->count]) != CPLANE_OK)
      return CPLANE_ENOMEM;
    res->count++;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return map_sqlite(db, rc, "list");
  return CPLANE_OK;
}

static int sq_list(cp_store *base, const void *prefix, size_t prefix_len,
                   const void *start, size_t start_len, int64_t rev,
                   size_t limit, cp_store_list_result *res) {
  sq_store *s = (sq_store *)base;
  rconn *c = pool_get(s);
  key_range *r = malloc(sizeof *r);
  sqlite3_stmt *st;
  int64_t header = 0;
  int rc;

  if (c == NULL || r == NULL) {
    rc = c == NULL ? CP_STORE_EIO : CPLANE_ENOMEM;
    goto out;
  }
  make_range(r, prefix, prefix_len, start, start_len);
  rc = read_begin(c, rev, &header);
  if (rc != CPLANE_OK)
    goto out_read;
  st = (rev == 0 || rev == header) ? c->list_cur : c->list_past;
  sqlite3_bind_blob(st, 1, r->lo, (int)r->lo_len, SQLITE_STATIC);
  sqlite3_bind_blob(st, 2, r->hi, (int)r->hi_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, limit > 0 ? (int64_t)limit + 1 : -1);
  if (st == c->list_past)
    sqlite3_bind_int64(st, 4, rev);
  rc = list_rows(c->db, st, limit, res);
  sqlite3_reset(st);
  res->revision = rev == 0 ? header : rev;
out_read:
  read_end(c);
out:
  if (c != NULL)
    pool_put(s, c);
  free(r);
  if (rc != CPLANE_OK)
    cp_store_list_result_free(res);
  return rc;
}

/* Decodes a row of c->hist: rev key deleted value create_rev version
 * prev_value prev_create prev_mod prev_version. */
static int hist_row(sqlite3_stmt *st, cp_store_event *e) {
  memset(e, 0, sizeof *e);
  if (column_bytes(st, 1, &e->kv.key, &e->kv.key_len) != CPLANE_OK ||
      column_bytes(st, 3, &e->kv.value, &e->kv.value_len) != CPLANE_OK ||
      column_bytes(st, 6, &e->prev.value, &e->prev.value_len) != CPLANE_OK ||
      column_bytes(st, 1, &e->prev.key, &e->prev.key_len) != CPLANE_OK) {
    cp_store_kv_free(&e->kv);
    cp_store_kv_free(&e->prev);
    return CPLANE_ENOMEM;
  }
  e->type = sqlite3_column_int(st, 2) ? CP_STORE_EVENT_DELETE
                                      : CP_STORE_EVENT_PUT;
  e->kv.mod_revision = sqlite3_column_int64(st, 0);
  e->kv.create_revision = sqlite3_column_int64(st, 4);
  e->kv.version = sqlite3_column_int64(st, 5);
  e->prev.create_revision = sqlite3_column_int64(st, 7);
  e->prev.mod_revision = sqlite3_column_int64(st, 8);
  e->prev.version = sqlite3_column_int64(st, 9);
  if (e->prev.mod_revision == 0)
    e->prev.key_len = 0;
  return CPLANE_OK;
}

/* Reads one batch of history for the watch hub (dispatcher thread). */
static int sq_backfill(void *ctx, const uint8_t *prefix, size_t prefix_len,
                       int64_t from, int64_t to, size_t max,
                       cp_store_event **events, size_t *count,
                       int64_t *covered, int64_t *compact_rev) {
  sq_store *s = ctx;
  rconn *c = pool_get(s);
  key_range *r = malloc(sizeof *r);
  sqlite3_stmt *st;
  int64_t header = 0;
  size_t n = 0;
  int rc;

  *events = NULL;
  *count = 0;
  *covered = to;
  if (c == NULL || r == NULL || (*events = calloc(max, sizeof **events)) ==
                                    NULL) {
    rc = c == NULL ? CP_STORE_EIO : CPLANE_ENOMEM;
    goto out;
  }
  make_range(r, prefix, prefix_len, NULL, 0);
  rc = read_begin(c, from, &header);
  if (rc == CP_STORE_ECOMPACTED) {
    sqlite3_step(c->meta);
    *compact_rev = sqlite3_column_int64(c->meta, 1);
    sqlite3_reset(c->meta);
  }
  if (rc != CPLANE_OK)
    goto out_read;
  st = c->hist;
  sqlite3_bind_int64(st, 1, from);
  sqlite3_bind_int64(st, 2, to);
  sqlite3_bind_blob(st, 3, r->lo, (int)r->lo_len, SQLITE_STATIC);
  sqlite3_bind_blob(st, 4, r->hi, (int)r->hi_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (int64_t)max);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (hist_row(st, &(*events)[n]) != CPLANE_OK) {
      rc = CPLANE_ENOMEM;
      break;
    }
    n++;
  }
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    rc = CPLANE_OK;
  else if (rc != CPLANE_ENOMEM)
    rc = map_sqlite(c->db, rc, "watch history");
  sqlite3_reset(st);
  if (rc == CPLANE_OK && n == max)
    *covered = (*events)[n - 1].kv.mod_revision;
out_read:
  read_end(c);
out:
  if (c != NULL)
    pool_put(s, c);
  free(r);
  if (rc != CPLANE_OK) {
    cp_hub_events_free(*events, n);
    *events = NULL;
    n = 0;
  }
  *count = n;
  return rc;
}

/* ---- Writer ----------------------------------------------------------- */

/* Queues ops[0..n) together, so that one batch takes them all (a
 * transaction is never split between two), and waits until the writer
 * has done them. CPLANE_OK, or CP_STORE_ECLOSED with nothing queued. */
static int submit_n(sq_store *s, wop *ops, size_t n) {
  size_t i;
  int closed;

  for (i = 0; i < n; i++) {
    sem_init(&ops[i].done, 0, 0);
    ops[i].next = i + 1 < n ? &ops[i + 1] : NULL;
  }
  pthread_mutex_lock(&s->qmu);
  closed = s->stop;
  if (!closed) {
    if (s->qtail != NULL)
      s->qtail->next = &ops[0];
    else
      s->qhead = &ops[0];
    s->qtail = &ops[n - 1];
    pthread_cond_signal(&s->qcond);
  }
  pthread_mutex_unlock(&s->qmu);
  for (i = 0; i < n; i++) {
    while (!closed && sem_wait(&ops[i].done) != 0 && errno == EINTR)
      ;
    sem_destroy(&ops[i].done);
  }
  return closed ? CP_STORE_ECLOSED : CPLANE_OK;
}

static int submit(sq_store *s, wop *op) {
  int rc = submit_n(s, op, 1);

  return rc != CPLANE_OK ? rc : op->rc;
}

/* Looks up key in the writer's transaction: CPLANE_OK with *cur filled,
 * CPLANE_ENOENT, or an error. */
static int w_lookup(sq_store *s, const wop *op, cp_store_kv *cur) {
  sqlite3_bind_blob(s->w_sel, 1, op->key, (int)op->key_len, SQLITE_STATIC);
  return step_kv(s->wdb, s->w_sel, cur);
}

static int w_step(sq_store *s, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);

  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? CPLANE_OK : map_sqlite(s->wdb, rc, "write");
}

static int w_history(sq_store *s, int64_t rev, const wop *op, int deleted,
                     const cp_store_kv *kv, const cp_store_kv *prev) {
  sqlite3_stmt *st = s->w_ins_hist;

  sqlite3_bind_int64(st, 1, rev);
  sqlite3_bind_blob(st, 2, op->key, (int)op->key_len, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, deleted);
  if (!deleted) {
    sqlite3_bind_int64(st, 5, kv->create_revision);
    sqlite3_bind_int64(st, 6, kv->version);
  }
  if (prev != NULL) {
    sqlite3_bind_blob(st, 7, prev->value, (int)prev->value_len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, prev->create_revision);
    sqlite3_bind_int64(st, 9, prev->mod_revision);
    sqlite3_bind_int64(st, 10, prev->version);
  }
  return w_step(s, st);
}

/* Applies one create/update/delete inside the batch transaction at
 * revision *rev + 1. Returns a status for the caller in op->rc, or a
 * database error (< 0 and not a per-op outcome) in the return value. */
static int w_apply(sq_store *s, wop *op, int64_t *rev) {
  cp_store_kv cur, kv;
  int found, rc, type = CP_STORE_EVENT_PUT;
  int64_t next = *rev + 1;

  rc = w_lookup(s, op, &cur);
  if (rc != CPLANE_OK && rc != CPLANE_ENOENT)
    return rc;
  found = rc == CPLANE_OK;
  op->rc = CPLANE_OK;
  if (op->kind == OP_CREATE && found)
    op->rc = CP_STORE_EEXISTS;
  else if (op->kind == OP_UPDATE && (!found || cur.mod_revision != op->expected))
    op->rc = CP_STORE_ECONFLICT;
  else if (op->kind == OP_DELETE && !found)
    op->rc = CPLANE_ENOENT;
  else if (op->kind == OP_DELETE && op->expected != 0 &&
           cur.mod_revision != op->expected)
    op->rc = CP_STORE_ECONFLICT;
  if (op->rc != CPLANE_OK) {
    if (found && op->other != NULL && op->rc == CP_STORE_ECONFLICT) {
      *op->other = cur;
      return CPLANE_OK;
    }
    if (found)
      cp_store_kv_free(&cur);
    return CPLANE_OK;
  }
  memset(&kv, 0, sizeof kv);
  kv.key = (uint8_t *)op->key;
  kv.key_len = op->key_len;
  kv.mod_revision = next;
  if (op->kind == OP_DELETE) {
    type = CP_STORE_EVENT_DELETE;
    sqlite3_bind_blob(s->w_del_kv, 1, op->key, (int)op->key_len,
                      SQLITE_STATIC);
    rc = w_step(s, s->w_del_kv);
  } else {
    sqlite3_stmt *st = found ? s->w_upd_kv : s->w_ins_kv;

    kv.value = (uint8_t *)(op->value ? op->value : "");
    kv.value_len = op->value_len;
    kv.create_revision = found ? cur.create_revision : next;
    kv.version = found ? cur.version + 1 : 1;
    sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, kv.value, (int)op->value_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, next);
    rc = w_step(s, st);
  }
  if (rc == CPLANE_OK)
    rc = w_history(s, next, op, type == CP_STORE_EVENT_DELETE, &kv,
                   found ? &cur : NULL);
  if (rc == CPLANE_OK) {
    if (type == CP_STORE_EVENT_DELETE) {
      kv.value = (uint8_t *)"";
      kv.value_len = 0;
    }
    op->event = cp_hub_event_new(type, &kv, found ? &cur : NULL);
    if (op->event == NULL)
      rc = CPLANE_ENOMEM;
  }
  if (rc == CPLANE_OK && op->kind == OP_DELETE && op->other != NULL) {
    *op->other = cur;
    found = 0; /* handed over */
  }
  if (found)
    cp_store_kv_free(&cur);
  if (rc == CPLANE_OK) {
    op->rev = next;
    *rev = next;
  }
  return rc;
}

/* A transaction write's guard in the writer's transaction: *guard gets
 * CPLANE_OK, CP_STORE_EEXISTS or CP_STORE_ECONFLICT. Returns a database
 * error, or CPLANE_OK. */
static int w_guard(sq_store *s, const wop *op, int *guard) {
  cp_store_kv cur;
  int rc = w_lookup(s, op, &cur);

  if (rc != CPLANE_OK && rc != CPLANE_ENOENT)
    return rc;
  if (op->kind == OP_CREATE)
    *guard = rc == CPLANE_OK ? CP_STORE_EEXISTS : CPLANE_OK;
  else
    *guard = rc == CPLANE_OK && cur.mod_revision == op->expected
                 ? CPLANE_OK
                 : CP_STORE_ECONFLICT;
  if (rc == CPLANE_OK)
    cp_store_kv_free(&cur);
  return CPLANE_OK;
}

/* Applies the transaction that starts at head (head->group writes) at
 * revisions *rev + 1 on: every guard is checked before anything is
 * written, so it is written whole or not at all; each write's rc tells
 * its guard. *last gets the transaction's last write. Returns a
 * database error, or CPLANE_OK. */
static int w_txn(sq_store *s, wop *head, int64_t *rev, wop **last) {
  wop *op = head;
  int i, rc, held = 1;

  for (i = 0; i < head->group; i++, op = op->next) {
    CP_ASSERT(op != NULL);
    op->event = NULL;
    op->rev = 0;
    if ((rc = w_guard(s, op, &op->rc)) != CPLANE_OK)
      return rc;
    held &= op->rc == CPLANE_OK;
    *last = op;
  }
  for (op = head; held && op != (*last)->next; op = op->next)
    if ((rc = w_apply(s, op, rev)) != CPLANE_OK)
      return rc;
  return CPLANE_OK;
}

static int w_compact(sq_store *s, wop *op, int64_t rev, int64_t *compact) {
  op->rc = CPLANE_OK;
  if (op->expected <= *compact)
    op->rc = CP_STORE_ECOMPACTED;
  else if (op->expected > rev)
    op->rc = CP_STORE_EFUTURE;
  else
    *compact = op->expected;
  return CPLANE_OK;
}

static void finish_batch(sq_store *s, wop *batch, int failed_rc,
                         int64_t compact) {
  cp_hub_event *evs[64];
  size_t n = 0;
  wop *op, *next;

  if (failed_rc == CPLANE_OK && compact > s->compact_rev) {
    s->compact_rev = compact;
    cp_watch_hub_set_compacted(s->hub, compact);
  }
  for (op = batch; op != NULL; op = next) {
    next = op->next;
    if (op->event != NULL && failed_rc == CPLANE_OK) {
      evs[n++] = op->event;
      if (n == 64) {
        cp_watch_hub_publish(s->hub, evs, n);
        n = 0;
      }
    } else if (op->event != NULL) {
      cp_hub_event_unref(op->event);
    }
    if (failed_rc != CPLANE_OK) {
      if (op->other != NULL)
        cp_store_kv_free(op->other);
      op->rc = failed_rc;
    }
  }
  if (n > 0)
    cp_watch_hub_publish(s->hub, evs, n);
  /* Acknowledge only once the events are in the hub: a watcher created
   * after an acknowledged write then never misses it. */
  for (op = batch; op != NULL; op = next) {
    next = op->next;
    sem_post(&op->done);
  }
}

/* ---- Health and recovery (writer thread) ------------------------------ */

static void set_health(sq_store *s, int rc, const char *why) {
  pthread_mutex_lock(&s->hmu);
  s->health_rc = rc;
  snprintf(s->health_why, sizeof s->health_why, "%s", why ? why : "");
  pthread_mutex_unlock(&s->hmu);
  s->unhealthy = rc != CPLANE_OK;
}

static int sq_check(cp_store *base, char **why) {
  sq_store *s = (sq_store *)base;
  int rc;

  pthread_mutex_lock(&s->hmu);
  rc = s->health_rc;
  if (rc != CPLANE_OK && why != NULL)
    *why = strdup(s->health_why);
  pthread_mutex_unlock(&s->hmu);
  return rc;
}

static void close_writer(sq_store *s) {
  sqlite3_stmt **sts[] = {&s->w_sel,    &s->w_ins_kv,   &s->w_upd_kv,
                          &s->w_del_kv, &s->w_ins_hist, &s->w_meta,
                          &s->w_purge};
  size_t i;

  for (i = 0; i < sizeof sts / sizeof *sts; i++) {
    sqlite3_finalize(*sts[i]);
    *sts[i] = NULL;
  }
  if (s->wdb != NULL)
    sqlite3_close(s->wdb);
  s->wdb = NULL;
}

/* Ends a failed transaction. SQLite may have rolled it back itself (it
 * does after an I/O error in COMMIT); a ROLLBACK then only fails with
 * "cannot rollback - no transaction is active". */
static void w_rollback(sq_store *s) {
  if (s->wdb != NULL && !sqlite3_get_autocommit(s->wdb))
    exec_sql(s->wdb, "ROLLBACK");
}

/* One real write and fsync: proves a new connection can commit. */
static int w_probe(sq_store *s) {
  if (exec_sql(s->wdb, "BEGIN IMMEDIATE") == SQLITE_OK &&
      exec_sql(s->wdb, "UPDATE meta SET revision = revision WHERE id = 1") ==
          SQLITE_OK &&
      exec_sql(s->wdb, "COMMIT") == SQLITE_OK)
    return CPLANE_OK;
  w_rollback(s);
  return CP_STORE_EIO;
}

/* A commit reported failed may still be on disk (the error came after
 * the WAL frames were written): hands its events, revisions (from, to],
 * to the watch hub so watches stay gap-free. */
static int publish_found(sq_store *s, int64_t from, int64_t to) {
  while (from < to) {
    cp_store_event *evs = NULL;
    cp_hub_event *hev[64];
    size_t n = 0, i, k = 0;
    int64_t covered = to, crev = 0;
    int rc = sq_backfill(s, NULL, 0, from + 1, to, 64, &evs, &n, &covered,
                         &crev);

    if (rc != CPLANE_OK)
      return rc;
    for (i = 0; i < n; i++) {
      hev[k] = cp_hub_event_new(evs[i].type, &evs[i].kv,
                                evs[i].prev.mod_revision ? &evs[i].prev
                                                         : NULL);
      if (hev[k] == NULL)
        rc = CPLANE_ENOMEM;
      else
        k++;
    }
    cp_hub_events_free(evs, n);
    if (rc != CPLANE_OK) {
      while (k > 0)
        cp_hub_event_unref(hev[--k]);
      return rc;
    }
    cp_watch_hub_publish(s->hub, hev, k);
    __atomic_store_n(&s->rev, covered, __ATOMIC_RELEASE);
    from = covered;
  }
  return CPLANE_OK;
}

/* Closes the write connection and opens a new one, as a restart would. */
static int w_reopen(sq_store *s, char **errmsg) {
  int64_t before = s->rev, found = 0;
  int rc;

  close_writer(s);
  rc = open_writer(s, 0, &found, errmsg);
  if (rc == CPLANE_OK)
    rc = w_probe(s);
  if (rc != CPLANE_OK) /* not open_writer's advice on corrupt files */
    cp_store_set_errmsg(errmsg, "%s",
                        s->wdb ? sqlite3_errmsg(s->wdb) : "cannot open");
  if (rc == CPLANE_OK && found > before) {
    cp_log_warn("store", "sqlite: revisions %lld to %lld were written "
                "although their commit reported an error",
                (long long)before + 1, (long long)found);
    rc = publish_found(s, before, found);
  }
  return rc;
}

/*
 * After a failed commit SQLite can refuse every later transaction on the
 * same connection (its pager stays in an error state), so the writer
 * starts over with a new connection and goes on from the revision on
 * disk. If that keeps failing it exits, as etcd stops when it cannot
 * write its log: a supervisor restarts a process that serves nothing, but
 * not one that answers every write with an error while looking healthy.
 */
static void w_recover(sq_store *s, const char *why) {
  char *err = NULL;
  int i, rc = CP_STORE_EIO;

  set_health(s, CP_STORE_EIO, why);
  cp_log_error("store", "sqlite: a write to '%s' failed (%s); reopening it",
               s->path, why);
  for (i = 0; i < RECOVER_ATTEMPTS && rc != CPLANE_OK; i++) {
    if (i > 0)
      usleep((useconds_t)(RECOVER_BACKOFF_MS << (i - 1)) * 1000);
    rc = w_reopen(s, &err);
    if (rc != CPLANE_OK)
      cp_log_error("store", "sqlite: reopening '%s' failed: %s", s->path,
                   err ? err : cp_store_strerror(rc));
    free(err);
    err = NULL;
  }
  if (rc != CPLANE_OK) {
    cp_log_error("store", "sqlite: '%s' cannot be written after %d "
                 "attempts; exiting so that a supervisor restarts cplane",
                 s->path, RECOVER_ATTEMPTS);
    _exit(EXIT_FAILURE);
  }
  set_health(s, CPLANE_OK, NULL);
  cp_log_info("store", "sqlite: '%s' reopened at revision %lld; writes go on",
              s->path, (long long)s->rev);
}

/* Applies a batch of queued writes in one transaction: one fsync. */
static void w_batch(sq_store *s, wop *batch) {
  int64_t rev = s->rev, compact = s->compact_rev;
  char why[256] = "";
  int rc;
  wop *op;

  rc = exec_sql(s->wdb, "BEGIN IMMEDIATE") == SQLITE_OK ? CPLANE_OK
                                                        : CP_STORE_EIO;
  for (op = batch; op != NULL && rc == CPLANE_OK; op = op->next) {
    op->event = NULL;
    if (op->kind == OP_COMPACT)
      rc = w_compact(s, op, rev, &compact);
    else if (op->group > 0)
      rc = w_txn(s, op, &rev, &op);
    else
      rc = w_apply(s, op, &rev);
  }
  if (rc == CPLANE_OK) {
    sqlite3_bind_int64(s->w_meta, 1, rev);
    sqlite3_bind_int64(s->w_meta, 2, compact);
    rc = w_step(s, s->w_meta);
  }
  if (rc == CPLANE_OK && exec_sql(s->wdb, "COMMIT") != SQLITE_OK)
    rc = CP_STORE_EIO;
  if (rc != CPLANE_OK) {
    /* Nothing of the batch is kept, so every write in it failed. */
    snprintf(why, sizeof why, "%s", sqlite3_errmsg(s->wdb));
    w_rollback(s);
  } else {
    __atomic_store_n(&s->rev, rev, __ATOMIC_RELEASE);
  }
  finish_batch(s, batch, rc, compact);
  if (rc == CP_STORE_EIO)
    w_recover(s, why);
  else if (rc == CPLANE_OK && s->unhealthy)
    set_health(s, CPLANE_OK, NULL);
}

/* Deletes one batch of history below the compaction revision. Short
 * transactions keep writers waiting at most one batch. */
static void w_purge_some(sq_store *s) {
  int64_t hi = s->purged_below + PURGE_BATCH;

  if (hi > s->compact_rev)
    hi = s->compact_rev;
  if (exec_sql(s->wdb, "BEGIN IMMEDIATE") != SQLITE_OK)
    return;
  sqlite3_bind_int64(s->w_purge, 1, s->purged_below);
  sqlite3_bind_int64(s->w_purge, 2, hi);
  if (w_step(s, s->w_purge) != CPLANE_OK ||
      exec_sql(s->wdb, "COMMIT") != SQLITE_OK) {
    char why[256];

    snprintf(why, sizeof why, "%s", sqlite3_errmsg(s->wdb));
    w_rollback(s);
    w_recover(s, why);
    return;
  }
  s->purged_below = hi;
  if (hi == s->compact_rev) {
    /* Return the WAL to zero size so it does not keep its high-water
     * mark; a reader in the way just makes this a no-op until next
     * time. */
    sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                              NULL);
  }
}

/* kube-apiserver's policy: every interval, compact to the revision seen at
 * the previous tick, so about one interval of history is kept. */
static void w_timer(sq_store *s) {
  wop op;
  int64_t target = s->compact_mark;

  s->compact_mark = s->rev;
  s->next_compact_ms = now_ms() + s->opts.compact_interval_ms;
  if (target <= s->compact_rev)
    return;
  memset(&op, 0, sizeof op);
  op.kind = OP_COMPACT;
  op.expected = target;
  sem_init(&op.done, 0, 0);
  w_batch(s, &op);
  sem_destroy(&op.done);
  cp_log_debug("store", "compacted to revision %lld", (long long)target);
}

static wop *w_wait(sq_store *s) {
  wop *batch;
  struct timespec ts;

  pthread_mutex_lock(&s->qmu);
  while (s->qhead == NULL && !s->stop) {
    int64_t wait_ms;

    if (s->purged_below < s->compact_rev)
      break; /* idle: purge history */
    if (s->opts.compact_interval_ms > 0 && now_ms() >= s->next_compact_ms)
      break;
    wait_ms = s->opts.compact_interval_ms > 0
                  ? s->next_compact_ms - now_ms()
                  : 3600 * 1000;
    cp_deadline_after_ms(CLOCK_MONOTONIC, wait_ms, &ts);
    pthread_cond_timedwait(&s->qcond, &s->qmu, &ts);
  }
  batch = s->qhead;
  s->qhead = s->qtail = NULL;
  pthread_mutex_unlock(&s->qmu);
  return batch;
}

static void *writer_main(void *arg) {
  sq_store *s = arg;

  pthread_setname_np(pthread_self(), "sqlite-writer"); /* top -H, perf */
  for (;;) {
    wop *batch = w_wait(s);

    if (batch != NULL) {
      w_batch(s, batch);
      continue;
    }
    if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
      break; /* written under qmu, read here without it */
    if (s->opts.compact_interval_ms > 0 && now_ms() >= s->next_compact_ms)
      w_timer(s);
    else if (s->purged_below < s->compact_rev)
      w_purge_some(s);
  }
  return NULL;
}

/* ---- Operations ------------------------------------------------------- */

static int sq_create(cp_store *base, const void *key, size_t key_len,
                     const void *value, size_t value_len, int64_t *rev_out) {
  wop op = {.kind = OP_CREATE, .key = key, .key_len = key_len,
            .value = value, .value_len = value_len};
  int rc = submit((sq_store *)base, &op);

  if (rc == CPLANE_OK && rev_out != NULL)
    *rev_out = op.rev;
  return rc;
}

static int sq_update(cp_store *base, const void *key, size_t key_len,
                     const void *value, size_t value_len, int64_t expected,
                     int64_t *rev_out, cp_store_kv *current) {
  wop op = {.kind = OP_UPDATE, .key = key, .key_len = key_len,
            .value = value, .value_len = value_len, .expected = expected,
            .other = current};
  int rc = submit((sq_store *)base, &op);

  if (rc == CPLANE_OK && rev_out != NULL)
    *rev_out = op.rev;
  return rc;
}

static int sq_delete(cp_store *base, const void *key, size_t key_len,
                     int64_t expected, int64_t *rev_out, cp_store_kv *prev) {
  wop op = {.kind = OP_DELETE, .key = key, .key_len = key_len,
            .expected = expected, .other = prev};
  int rc = submit((sq_store *)base, &op);

  if (rc == CPLANE_OK && rev_out != NULL)
    *rev_out = op.rev;
  return rc;
}

static int sq_txn(cp_store *base, cp_store_txn_op *ops, size_t n) {
  wop *w = calloc(n, sizeof *w);
  size_t i;
  int rc;

  if (w == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < n; i++)
    w[i] = (wop){.kind = ops[i].kind == CP_STORE_TXN_CREATE ? OP_CREATE
                                                             : OP_UPDATE,
                 .key = ops[i].key, .key_len = ops[i].key_len,
                 .value = ops[i].value, .value_len = ops[i].value_len,
                 .expected = ops[i].expected_rev};
  w[0].group = (int)n;
  rc = submit_n((sq_store *)base, w, n);
  for (i = 0; rc == CPLANE_OK && i < n; i++) {
    ops[i].rc = w[i].rc;
    ops[i].rev = w[i].rev;
  }
  for (i = 0; rc == CPLANE_OK && i < n; i++)
    if (ops[i].rc != CPLANE_OK)
      rc = ops[i].rc; /* the first failed guard, or the batch's error */
  free(w);
  return rc;
}

static int sq_compact(cp_store *base, int64_t rev) {
  wop op = {.kind = OP_COMPACT, .expected = rev};

  return submit((sq_store *)base, &op);
}

static int sq_current_revision(cp_store *base, int64_t *rev) {
  sq_store *s = (sq_store *)base;

  *rev = __atomic_load_n(&s->rev, __ATOMIC_ACQUIRE);
  return CPLANE_OK;
}

static int sq_watch(cp_store *base, const void *prefix, size_t prefix_len,
                    int64_t from_rev, cp_store_watch_cb cb, void *userdata,
                    cp_store_watcher **out) {
  return cp_watch_hub_add(((sq_store *)base)->hub, prefix, prefix_len,
                          from_rev, cb, userdata, out);
}

/* ---- Life cycle ------------------------------------------------------- */

static void free_store(sq_store *s) {
  size_t i;

  cp_watch_hub_free(s->hub);
  for (i = 0; i < s->pool_free; i++)
    rconn_free(s->pool[i]);
  close_writer(s);
  if (s->lock_fd >= 0)
    close(s->lock_fd);
  pthread_mutex_destroy(&s->qmu);
  pthread_cond_destroy(&s->qcond);
  pthread_mutex_destroy(&s->pmu);
  pthread_cond_destroy(&s->pcond);
  pthread_mutex_destroy(&s->hmu);
  free(s->path);
  free(s);
}

static void sq_close(cp_store *base) {
  sq_store *s = (sq_store *)base;

  pthread_mutex_lock(&s->qmu);
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_cond_signal(&s->qcond);
  pthread_mutex_unlock(&s->qmu);
  pthread_join(s->writer, NULL);
  /* A clean close leaves no WAL behind. */
  sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                            NULL);
  free_store(s);
}

static int start_threads(sq_store *s, char **errmsg) {
  cp_watch_hub_opts ho = {
      .head_rev = s->rev,
      .compact_rev = s->compact_rev,
      .ring_events = s->opts.history_ring_events,
      .progress_ms = s->opts.progress_interval_ms,
      .backfill = sq_backfill,
      .backfill_ctx = s,
      .store = &s->base,
  };
  int rc = cp_watch_hub_new(&ho, &s->hub);

  if (rc != CPLANE_OK) {
    cp_store_set_errmsg(errmsg, "cannot start the watch thread");
    return rc;
  }
  s->compact_mark = s->rev;
  s->next_compact_ms = now_ms() + s->opts.compact_interval_ms;
  if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
    cp_store_set_errmsg(errmsg, "cannot start the writer thread");
    return CP_STORE_EIO;
  }
  return CPLANE_OK;
}

int cp_store_sqlite_open(const char *path, const cp_store_sqlite_opts *opts,
                         cp_store **out, char **errmsg) {
  sq_store *s;
  pthread_condattr_t ca;
  int rc;

  *out = NULL;
  if (errmsg != NULL)
    *errmsg = NULL;
  if (path == NULL || path[0] == '\0')
    return CPLANE_EINVAL;
  s = calloc(1, sizeof *s);
  if (s == NULL || (s->path = strdup(path)) == NULL) {
    free(s);
    return CPLANE_ENOMEM;
  }
  s->base.ops = &sqlite_ops;
  s->lock_fd = -1;
  if (opts != NULL)
    s->opts = *opts;
  if (s->opts.max_value_size == 0)
    s->opts.max_value_size = CP_STORE_DEFAULT_MAX_VALUE;
  if (s->opts.compact_interval_ms == 0)
    s->opts.compact_interval_ms = DEFAULT_COMPACT_MS;
  if (s->opts.progress_interval_ms == 0)
    s->opts.progress_interval_ms = DEFAULT_PROGRESS_MS;
  s->base.max_value_size = s->opts.max_value_size;
  pthread_mutex_init(&s->qmu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->qcond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&s->pmu, NULL);
  pthread_cond_init(&s->pcond, NULL);
  pthread_mutex_init(&s->hmu, NULL);
  if ((rc = take_lock(s, errmsg)) != CPLANE_OK ||
      (rc = create_private(s, errmsg)) != CPLANE_OK ||
      (rc = open_writer(s, 1, &s->rev, errmsg)) != CPLANE_OK) {
    free_store(s);
    return rc;
  }
  if ((rc = start_threads(s, errmsg)) != CPLANE_OK) {
    free_store(s);
    return rc;
  }
  *out = &s->base;
  return CPLANE_OK;
}

static const cp_store_ops sqlite_ops = {
    .name = "sqlite",
    .get = sq_get,
    .list = sq_list,
    .create = sq_create,
    .update = sq_update,
    .del = sq_delete,
    .txn = sq_txn,
    .txn_shares_revision = 0,
    .compact = sq_compact,
    .current_revision = sq_current_revision,
    .check = sq_check,
    .watch = sq_watch,
    .watch_cancel = cp_watch_hub_cancel,
    .close = sq_close,
};
