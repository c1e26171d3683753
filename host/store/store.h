/*
 * store - the one key-value store the API server talks to, with etcd's
 * model: byte-string keys and values, one global revision that grows by one
 * on every write, and per key create_revision, mod_revision and version.
 * Writes are guarded compare-and-swap operations, the way kube-apiserver
 * uses etcd transactions. Two backends implement it: an embedded SQLite
 * file (the default, store/sqlite.c) and a real etcd 3.4+ cluster through
 * its v3 JSON gateway (store/etcd.c). Both pass one conformance suite.
 *
 * Threading: every function may be called from any thread at once, except
 * cp_store_close(), which must be the last call on a store. Watch callbacks
 * run on a thread owned by the store; see cp_store_watch().
 *
 * Ownership: keys and values passed in are borrowed for the call only.
 * Results (cp_store_kv, cp_store_list_result) are owned by the caller and
 * released with their free function. Watch events passed to a callback are
 * borrowed for the duration of the callback only, unless the message
 * hands over their shared events (cp_store_watch_msg.shared), of which
 * the callback may keep references.
 */
#ifndef CPLANE_HOST_STORE_H
#define CPLANE_HOST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cplane/version.h>

/* Store-specific status codes, below -100 so they never clash with the
 * SDK's CPLANE_E* codes, which the store also returns (CPLANE_ENOENT for a
 * missing key, CPLANE_EINVAL for a bad argument, CPLANE_ENOMEM). */
#define CP_STORE_ECONFLICT -101    /* mod_revision did not match */
#define CP_STORE_EEXISTS -102      /* create of a key that exists */
#define CP_STORE_ECOMPACTED -103   /* revision older than the compaction */
#define CP_STORE_ETOOLARGE -104    /* key or value over the size limit */
#define CP_STORE_EUNAVAILABLE -105 /* backend unreachable after retries */
#define CP_STORE_EFUTURE -106      /* revision newer than the store's */
#define CP_STORE_EIO -107          /* disk or database error; see the log */
#define CP_STORE_ECLOSED -108      /* the store is closing */

/* Limits. etcd refuses requests over 1.5 MiB, so values stay a little
 * below that on every backend: data that fits one backend fits both. */
#define CP_STORE_DEFAULT_MAX_VALUE (1536 * 1024 - 8 * 1024)
#define CP_STORE_MAX_KEY 8192

typedef struct cp_store cp_store;
typedef struct cp_store_watcher cp_store_watcher;

/* One key at one revision. For a deleted key in a watch event only key and
 * mod_revision (the delete's revision) are set. */
typedef struct cp_store_kv {
  uint8_t *key;
  size_t key_len;
  uint8_t *value;
  size_t value_len;
  int64_t create_revision;
  int64_t mod_revision;
  int64_t version; /* writes since the key was (re)created, from 1 */
} cp_store_kv;

typedef struct cp_store_list_result {
  cp_store_kv *kvs;
  size_t count;
  /* The revision the list was read at: pass it back with the continue key
   * to read the next page from the same snapshot. */
  int64_t revision;
  int more; /* 1 if keys remain after the last one returned */
} cp_store_list_result;

/* Options common to both backends; zero means "default" everywhere. */
typedef struct cp_store_sqlite_opts {
  size_t max_value_size;      /* default CP_STORE_DEFAULT_MAX_VALUE */
  int64_t compact_interval_ms; /* default 5 min; < 0 turns it off */
  int64_t progress_interval_ms; /* watch progress; default 5 s */
  int skip_integrity_check;   /* 1: no PRAGMA quick_check at open */
  size_t history_ring_events; /* in-memory watch ring; default 65536 */
} cp_store_sqlite_opts;

typedef struct cp_store_etcd_opts {
  /* "http://host:port" or "https://host:port"; tried in order, the next
   * one on failure. */
  const char *const *endpoints;
  size_t endpoint_count;
  const char *prefix;  /* prepended to every key; default "/registry/" */
  const char *ca_file; /* https: CA bundle to verify the server */
  const char *cert_file; /* https: client certificate, optional */
  const char *key_file;  /* https: its private key */
  size_t max_value_size; /* default CP_STORE_DEFAULT_MAX_VALUE */
  int64_t request_timeout_ms; /* one call, all retries; default 5 s */
  int64_t dial_timeout_ms;    /* wait for etcd at open; default 5 s */
  /* Compaction as kube-apiserver does it, shared with every other API
   * server on the cluster through the key compact_rev_key; default 5 min;
   * < 0 turns it off. */
  int64_t compact_interval_ms;
} cp_store_etcd_opts;

/* Opens (creating if absent) the SQLite store at path. Only one process
 * may own a store file; a second one gets an error naming the file. On
 * failure returns a negative code, *out stays NULL and *errmsg (if not
 * NULL) receives a message for the operator, owned by the caller (free()).
 */
int cp_store_sqlite_open(const char *path, const cp_store_sqlite_opts *opts,
                         cp_store **out, char **errmsg);

/* Connects to etcd. Fails with CP_STORE_EUNAVAILABLE and a message if no
 * endpoint answers within dial_timeout_ms. Same ownership as above.
 * Ignores SIGPIPE if the process left it at its default (net/sigpipe.h):
 * etcd closing a connection mid-write must be an error, not an exit. */
int cp_store_etcd_open(const cp_store_etcd_opts *opts, cp_store **out,
                       char **errmsg);

/* Stops the store's threads and frees it. Watches still open are ended
 * without further callbacks and freed: their handles become invalid, so
 * cancel them first. NULL is ignored. */
void cp_store_close(cp_store *s);

/* "sqlite" or "etcd". */
const char *cp_store_backend_name(const cp_store *s);

/* Reads one key at revision rev (0: latest). On success *out is filled and
 * owned by the caller (cp_store_kv_free); *header_rev, if not NULL,
 * receives the store revision the read saw. CPLANE_ENOENT if absent,
 * CP_STORE_ECOMPACTED / CP_STORE_EFUTURE for a revision out of range. */
int cp_store_get(cp_store *s, const void *key, size_t key_len, int64_t rev,
                 cp_store_kv *out, int64_t *header_rev);

/* Lists keys that start with prefix (empty: every key), in byte order,
 * from start_key (inclusive; NULL: from the prefix) at revision rev (0:
 * latest), at most limit keys (0: no limit). To read the next page pass
 * the last key plus a 0 byte (cp_store_list_next_key) and res->revision.
 * *res is owned by the caller (cp_store_list_result_free). */
int cp_store_list(cp_store *s, const void *prefix, size_t prefix_len,
                  const void *start_key, size_t start_len, int64_t rev,
                  size_t limit, cp_store_list_result *res);

/* Creates key only if it does not exist. *rev_out receives the new
 * revision. CP_STORE_EEXISTS if the key exists. */
int cp_store_create(cp_store *s, const void *key, size_t key_len,
                    const void *value, size_t value_len, int64_t *rev_out);

/* Replaces key's value only if its mod_revision is expected_rev (an
 * existing key always has one > 0). CP_STORE_ECONFLICT otherwise, with the
 * current value in *current (if not NULL; caller frees; key_len 0 when the
 * key is gone). *rev_out receives the new revision. */
int cp_store_update(cp_store *s, const void *key, size_t key_len,
                    const void *value, size_t value_len, int64_t expected_rev,
                    int64_t *rev_out, cp_store_kv *current);

/* Deletes key if its mod_revision is expected_rev (0: whatever it is).
 * CPLANE_ENOENT if absent, CP_STORE_ECONFLICT as for update. *prev, if not
 * NULL, receives the deleted value (caller frees). *rev_out receives the
 * delete's revision. */
int cp_store_delete(cp_store *s, const void *key, size_t key_len,
                    int64_t expected_rev, int64_t *rev_out, cp_store_kv *prev);

/* ---- Transactions ------------------------------------------------------ */

/* One write of a transaction (cp_store_txn). */
#define CP_STORE_TXN_CREATE 0 /* guard: the key does not exist */
#define CP_STORE_TXN_UPDATE 1 /* guard: the key's mod_revision is expected */

/* Writes one transaction may hold (etcd's default --max-txn-ops), and
 * the bytes of its keys and values together (etcd's default
 * --max-request-bytes): what fits one backend fits both. */
#define CP_STORE_TXN_MAX 128
#define CP_STORE_TXN_MAX_BYTES (1536 * 1024)

typedef struct cp_store_txn_op {
  int kind;  /* CP_STORE_TXN_CREATE or CP_STORE_TXN_UPDATE */
  const void *key;
  size_t key_len;
  const void *value;
  size_t value_len;
  int64_t expected_rev; /* UPDATE: the mod_revision required (> 0) */
  /* Results. rc: CPLANE_OK when the guard held, else CP_STORE_EEXISTS
   * (CREATE) or CP_STORE_ECONFLICT (UPDATE; also when the key is gone).
   * rev: the revision that wrote the key, when the transaction did. */
  int rc;
  int64_t rev;
} cp_store_txn_op;

/* Writes ops[0..n) as one guarded transaction, as kube-apiserver would
 * with an etcd Txn: if every op's guard holds, every key is written, in
 * one commit, and a watcher of each key's prefix gets its event; if any
 * guard fails nothing is written. Keys must be distinct. Revisions: etcd
 * gives every op the transaction's one revision; SQLite, whose history
 * holds one event per revision, gives them consecutive revisions in op
 * order (cp_store_txn_shares_revision says which); either way no reader
 * or watcher sees a part of it. Returns CPLANE_OK (each op's rc
 * CPLANE_OK, rev set); the first failed guard's code, each op's rc
 * telling its own guard; CPLANE_EINVAL (n 0 or over CP_STORE_TXN_MAX, a
 * duplicate key, a bad kind or revision), CP_STORE_ETOOLARGE (a key or
 * value over its limit, or over CP_STORE_TXN_MAX_BYTES in all), or a
 * store error, with nothing written. */
int cp_store_txn(cp_store *s, cp_store_txn_op *ops, size_t n);

/* 1 when the ops of one cp_store_txn share a revision (etcd), 0 when each
 * gets its own (SQLite). A caller that writes several objects of one
 * resource in a transaction needs 0: a resource's revisions identify
 * its events, and a watch resumes after one. */
int cp_store_txn_shares_revision(const cp_store *s);

/* Discards history below rev: reads and watches from an older revision
 * then fail with CP_STORE_ECOMPACTED. Compacting to an already compacted
 * revision is CP_STORE_ECOMPACTED; beyond the current one CP_STORE_EFUTURE.
 */
int cp_store_compact(cp_store *s, int64_t rev);

/* The store's latest revision (linearizable: includes every acknowledged
 * write). */
int cp_store_current_revision(cp_store *s, int64_t *rev);

/* Whether the store can serve now, for /livez and /readyz. Never blocks:
 * it answers from what the backend saw last (SQLite: the writer's last
 * commit or recovery; etcd: the last call or health ping, refreshed in the
 * background at most once a second while someone asks). CPLANE_OK, or
 * CP_STORE_EUNAVAILABLE / CP_STORE_EIO with *why (if not NULL) set to a
 * malloc'd reason for the log, owned by the caller. */
int cp_store_check(cp_store *s, char **why);

/* ---- Watches ---------------------------------------------------------- */

#define CP_STORE_EVENT_PUT 0
#define CP_STORE_EVENT_DELETE 1

typedef struct cp_store_event {
  int type;        /* CP_STORE_EVENT_PUT or CP_STORE_EVENT_DELETE */
  cp_store_kv kv;  /* the new value (delete: key and revision only) */
  cp_store_kv prev; /* the value before; prev.mod_revision 0 if none */
} cp_store_event;

#define CP_STORE_WATCH_EVENTS 0    /* events[0..count) in revision order */
#define CP_STORE_WATCH_PROGRESS 1  /* no events up to and incl. revision */
#define CP_STORE_WATCH_COMPACTED 2 /* start below revision: watch ended */
#define CP_STORE_WATCH_ERROR 3     /* status: watch ended */

struct cp_shared_event;

typedef struct cp_store_watch_msg {
  int kind;
  const cp_store_event *events;
  /* NULL, or for each of events[] the immutable shared event it views
   * (store/shared_event.h): a receiver may keep one past the callback by
   * taking a reference, instead of copying it. */
  struct cp_shared_event *const *shared;
  size_t count;
  /* EVENTS: the last event's revision; PROGRESS: every event up to this
   * revision was delivered; COMPACTED: the compaction revision. */
  int64_t revision;
  int status; /* ERROR only */
} cp_store_watch_msg;

/* Called on a store thread, one call at a time per store. It must return
 * quickly (hand work to a queue): a slow callback delays every watcher of
 * the store. It may call cp_store_watch_cancel() on its own watch. */
typedef void (*cp_store_watch_cb)(void *userdata,
                                  const cp_store_watch_msg *msg);

/* Watches every key that starts with prefix, from revision from_rev (0:
 * changes after now). Events come in revision order with no gaps, with the
 * previous value; PROGRESS messages arrive periodically when the watcher is
 * idle (use them for bookmarks). A start below the compaction revision
 * ends the watch with one COMPACTED message. After COMPACTED or ERROR no
 * more callbacks come, but the handle must still be cancelled. *out is
 * owned by the caller until cp_store_watch_cancel(). */
int cp_store_watch(cp_store *s, const void *prefix, size_t prefix_len,
                   int64_t from_rev, cp_store_watch_cb cb, void *userdata,
                   cp_store_watcher **out);

/* Stops the watch and frees it. From any other thread: when it returns no
 * callback for w is running or will run. From w's own callback: no further
 * callback comes, and w is freed after the callback returns. */
void cp_store_watch_cancel(cp_store_watcher *w);

/* ---- Helpers ---------------------------------------------------------- */

void cp_store_kv_free(cp_store_kv *kv); /* frees the buffers, not kv */
void cp_store_list_result_free(cp_store_list_result *res);

/* Deep copy; CPLANE_ENOMEM on failure. dst is overwritten. */
int cp_store_kv_copy(cp_store_kv *dst, const cp_store_kv *src);

/* The continue key after res's last key (that key plus a 0 byte), in a
 * malloc'd buffer owned by the caller; NULL if res is empty or on ENOMEM. */
uint8_t *cp_store_list_next_key(const cp_store_list_result *res,
                                size_t *len);

/* kube-apiserver's key layout below the prefix: "<resource>/<ns>/<name>",
 * or "<resource>/<name>" when ns is NULL or empty. Returns a malloc'd
 * string owned by the caller, or NULL on ENOMEM. */
char *cp_store_object_key(const char *resource, const char *ns,
                          const char *name);

/* A short English text for a status code (static string). */
const char *cp_store_strerror(int status);

#endif /* CPLANE_HOST_STORE_H */
