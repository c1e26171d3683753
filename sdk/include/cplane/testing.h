/*
 * cplane/testing.h - a fake host for unit-testing plugins (cplane-testing).
 *
 * What controller-runtime's fake client and envtest are to a Go
 * controller, this is to a cplane plugin: a host that fills every entry of
 * struct cplane_host_api, with an in-memory API server (the "store") and
 * the plugin's caches beside it, a work queue the test drives by hand, a
 * clock the test sets, and a record of every write, event and log line.
 * Nothing runs in the background: the plugin is called only from the
 * cplane_test_* function the test is in.
 *
 * Build a test against it (a static library; the plugin's sources are
 * linked into the test binary, or its .so is loaded):
 *   cc -o my_test my_test.c my_plugin.c \
 *      $(pkg-config --cflags --libs cplane-testing) -lcmocka
 *
 * A test, in short:
 *   cplane_test_host *h = cplane_test_host_new();
 *   cplane_test_config_set(h, "label", "tier");       // [plugin.NAME] keys
 *   cplane_test_add(h, "configmaps", "{...}");     // before or after
 *   cplane_test_start(h, cplane_plugin_entry());   // init(), then on_add
 *   cplane_test_drain(h);                          // reconcile queued keys
 *   cplane_test_writes_count(h, "create", "pods"); // what it wrote
 *   cplane_test_host_free(h);                      // fini()
 *
 * Resources are named as kubectl names them, "resource.group" ("pods",
 * "replicasets.apps", "leases.coordination.k8s.io"); where a subresource
 * matters, "replicasets.apps/status". A name that is neither a plugin's
 * watched resource nor written before is simply a new, empty resource.
 *
 * The store answers as kube-apiserver does: create fills in uid,
 * resourceVersion, creationTimestamp and generation (and a name from
 * generateName), and answers 409 AlreadyExists; update and patch answer
 * 404 NotFound, and 409 Conflict when the body carries a stale
 * resourceVersion; the main resource keeps status and a status write keeps
 * everything else; a delete of an object with finalizers (or with the
 * Foreground or Orphan policy) only sets deletionTimestamp, and the object
 * goes once its last finalizer does. Patches are applied by the host's own
 * merge, JSON and strategic merge patch code. request() serves the same
 * store by path, and discovery (/api, /apis...) of the resources it
 * knows. Not modelled: validation and defaulting, admission, field
 * managers, watch, paging (lists come whole).
 *
 * Events: a write by the plugin changes the store at once; its cache and
 * callbacks see the change only when the test delivers the watch events
 * (cplane_test_deliver(), or cplane_test_drain(), which does so before
 * each reconcile), so a test can look at the lagging cache a real host
 * has. Objects the test adds, updates or deletes reach the cache and the
 * callbacks at once (after start; before it, they are the initial list
 * that start() delivers as on_add).
 *
 * Threading: one test thread drives a host. The plugin may call the host
 * table from threads of its own during a callback (a worker pool in
 * reconcile): every entry is thread-safe. The inspection functions must
 * not race with the plugin's calls.
 *
 * Ownership: strings and records returned here are borrowed from the host
 * until the matching *_clear() or cplane_test_host_free(); objects and
 * lists returned through `out` parameters are owned, released with the
 * host table's object_release() and list_free() (cplane_test_api(h)).
 */
#ifndef CPLANE_TESTING_H
#define CPLANE_TESTING_H

#include <cplane/cplane.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cplane_test_host cplane_test_host; /* opaque */

/* ---- The host and its plugin ----------------------------------------- */

/* A new fake host: empty store, clock at CPLANE_TEST_EPOCH_MS, no plugin.
 * NULL when out of memory. */
cplane_test_host *cplane_test_host_new(void);
/* Runs the plugin's fini() (when init() succeeded), unloads a .so and
 * frees everything. NULL is ignored. */
void cplane_test_host_free(cplane_test_host *h);

/* 2026-01-01T00:00:00Z, where every fake clock starts. */
#define CPLANE_TEST_EPOCH_MS 1767225600000LL

/* Sets `key` of the plugin's [plugin.NAME] section (copied), as read by
 * config_get(); a second call replaces the value. Call before start.
 * CPLANE_OK, CPLANE_EINVAL (NULL key or value) or CPLANE_ENOMEM. */
int cplane_test_config_set(cplane_test_host *h, const char *key,
                           const char *value);

/* Starts a plugin linked into the test: checks the descriptor as the
 * loader does (ABI major equal, minor not newer, sizes, names), calls
 * init(), then on_add for every object already added. Returns CPLANE_OK,
 * init()'s status, or CPLANE_EINVAL for a refused descriptor; the reason
 * is then cplane_test_start_error(). One plugin per host. */
int cplane_test_start(cplane_test_host *h, const struct cplane_plugin *plugin);
/* The same for a plugin built as a .so: dlopen()s `path` and calls its
 * cplane_plugin_entry(). CPLANE_ENOENT when it cannot be loaded. */
int cplane_test_start_so(cplane_test_host *h, const char *path);
/* Why start failed: init()'s *errmsg, or the kit's reason. NULL when it
 * did not fail. */
const char *cplane_test_start_error(const cplane_test_host *h);

/* The table the plugin got (for object readers in the test) and the
 * plugin's context. Valid for the life of h. */
const struct cplane_host_api *cplane_test_api(cplane_test_host *h);
cplane_plugin_ctx *cplane_test_ctx(cplane_test_host *h);

/* ---- The clock ------------------------------------------------------- */

/* What now_ms() answers; creationTimestamp, deletionTimestamp and the
 * queue's delays all follow it. It never moves by itself. */
int64_t cplane_test_now_ms(const cplane_test_host *h);
void cplane_test_clock_set_ms(cplane_test_host *h, int64_t ms);
/* Moves the clock forward; delayed keys whose time came are then due
 * (cplane_test_drain() runs them). */
void cplane_test_clock_advance_ms(cplane_test_host *h, int64_t ms);
/* `ms` as RFC 3339 UTC with second precision, "2026-01-01T00:00:00Z", as
 * kube writes metav1.Time; into buf (at least 21 bytes). Returns buf. */
char *cplane_test_rfc3339(int64_t ms, char *buf, size_t len);

/* ---- Objects --------------------------------------------------------- */

/* Adds an object (JSON text) to the store and the caches, with a fresh
 * resourceVersion, and uid and creationTimestamp when absent, and calls the
 * plugin's on_add (after the host's enqueue_owner mappings) for each of
 * its resources that watches it. Returns CPLANE_OK, CPLANE_EINVAL (not a
 * JSON object, no metadata.name; the reason is logged), CPLANE_ERANGE
 * (already there) or CPLANE_ENOMEM. */
int cplane_test_add(cplane_test_host *h, const char *resource,
                    const char *json);
/* Replaces an object (matched by namespace and name), bumping its
 * resourceVersion and keeping uid and creationTimestamp, and calls
 * on_update(old, new). CPLANE_ENOENT when it is not there. */
int cplane_test_update(cplane_test_host *h, const char *resource,
                       const char *json);
/* Removes an object ("namespace/name" or "name") from the store and the
 * caches whatever its finalizers, as its final deletion, and calls
 * on_delete. CPLANE_ENOENT when it is not there. */
int cplane_test_delete(cplane_test_host *h, const char *resource,
                       const char *key);
/* Delivers the watch events of the plugin's own writes to its caches and
 * callbacks (the latest state of each changed object, as a re-listing
 * informer sees it). Returns how many were delivered. */
int cplane_test_deliver(cplane_test_host *h);

/* A resync, as the host's informers do every `resync` period: on_update
 * with old_obj == new_obj for every object in the plugin's caches. */
void cplane_test_resync(cplane_test_host *h);

/* The store's current object ("namespace/name" or "name"). On success
 * *out is owned. CPLANE_OK or CPLANE_ENOENT. */
int cplane_test_get(cplane_test_host *h, const char *resource,
                    const char *key, const cplane_object **out);
/* The store's string at `path` of an object, copied into buf ("" when
 * the object or the value is absent or not a string). Returns buf. */
char *cplane_test_get_string(cplane_test_host *h, const char *resource,
                             const char *key, const char *path, char *buf,
                             size_t len);
/* How many objects the store holds in `ns` (NULL: everywhere) whose
 * labels match `label_selector` (NULL: all); objects being deleted
 * count. */
size_t cplane_test_count(cplane_test_host *h, const char *resource,
                         const char *ns, const char *label_selector);

/* ---- The work queue -------------------------------------------------- */

/* 1 when `key` is queued, due or delayed, else 0. */
int cplane_test_queued(const cplane_test_host *h, const char *key);
/* Milliseconds until `key` is due (0: due now), or -1 when not queued. */
int64_t cplane_test_queued_delay_ms(const cplane_test_host *h,
                                    const char *key);
/* Keys queued, due or not. */
size_t cplane_test_queue_len(const cplane_test_host *h);
/* Runs reconcile(key) once, queued or not (it leaves the queue), and acts
 * on the result as the host does: REQUEUE_AFTER queues it after the
 * delay (a 0 delay is logged as a mistake and goes through the
 * backoff), RETRY after the per-key exponential backoff (5 ms doubling,
 * capped at 1000 s), DONE and TERMINAL forget the backoff. Returns the
 * plugin's CPLANE_RECONCILE_*, with *requeue_after_ms set for
 * REQUEUE_AFTER when not NULL; CPLANE_EUNAVAILABLE when no plugin runs. */
int cplane_test_reconcile(cplane_test_host *h, const char *key,
                          uint32_t *requeue_after_ms);
/* Until nothing is due: delivers pending watch events, then reconciles
 * the key due first. Returns how many reconciles ran, or CPLANE_ERANGE
 * after 10,000 (a plugin that never settles; logged). Delayed keys stay
 * queued: advance the clock and drain again. */
int cplane_test_drain(cplane_test_host *h);

/* ---- What the plugin wrote ------------------------------------------- */

/* One write request the plugin made, answered or failed. `verb` is kube's:
 * "create", "update", "patch", "delete", "deletecollection"; `resource`
 * is "resource.group", `subresource` "" for the object itself. */
struct cplane_test_write {
  const char *verb;
  const char *resource;
  const char *subresource;
  const char *ns;   /* "" for cluster-scoped */
  const char *name; /* the object's name; for a create, the one stored */
  int patch_type;   /* CPLANE_PATCH_* for a patch, else 0 */
  const char *body; /* the body sent (JSON, DeleteOptions), or "" */
  int code;         /* the HTTP status answered */
  int from_dispatch; /* 1: made from on_add/on_update/on_delete */
};

size_t cplane_test_writes_len(const cplane_test_host *h);
/* The i-th write, oldest first; NULL past the end. */
const struct cplane_test_write *cplane_test_write_at(const cplane_test_host *h,
                                                     size_t i);
/* How many writes match `verb` and `resource` (NULL matches any; a
 * resource with "/sub" matches that subresource only, without it the
 * object and all its subresources). */
size_t cplane_test_writes_count(const cplane_test_host *h, const char *verb,
                                const char *resource);
void cplane_test_writes_clear(cplane_test_host *h);
/* Writes (and uncached reads) made from a dispatch callback: each is a
 * bug the real host warns about. Counted since start; never cleared. */
size_t cplane_test_dispatch_writes(const cplane_test_host *h);

/* ---- Failures -------------------------------------------------------- */

/* The next `times` calls of `verb` ("create", "update", "patch",
 * "delete", "deletecollection", "get", "list"; NULL: any; request()
 * counts as the verb its method and path make) on `resource` (as in
 * cplane_test_writes_count; NULL: any) answer `code` (409, 404, 500...)
 * with a Status whose message is `message`, or kube's usual one for the
 * code when NULL, and change nothing. Rules are tried in the order added.
 * CPLANE_OK, CPLANE_EINVAL or CPLANE_ENOMEM. */
int cplane_test_fail(cplane_test_host *h, const char *verb,
                     const char *resource, unsigned times, int code,
                     const char *message);

/* ---- Events and logs ------------------------------------------------- */

/* One Event as the host would write it: event_record() calls go through
 * the host's own correlation (client-go's EventCorrelator: the same event
 * again raises count; ten different messages of one type and reason
 * about one object within ten minutes of the kit's clock combine into
 * "(combined from similar events): ..."; past 25 events about one object
 * the spam filter drops them, one token back per five minutes). */
struct cplane_test_event {
  const char *type;    /* "Normal" or "Warning" */
  const char *reason;  /* "SuccessfulCreate" */
  const char *message; /* formatted; the latest (or combined) one */
  const char *kind;    /* the regarding object's kind, or "" */
  const char *ns;      /* its namespace, or "" */
  const char *name;    /* its name, or "" */
  long long count;     /* times recorded, as the Event's count */
  const char *event_name; /* the Event's metadata.name */
};

size_t cplane_test_events_len(const cplane_test_host *h);
const struct cplane_test_event *cplane_test_event_at(const cplane_test_host *h,
                                                     size_t i);
/* How many times events with `reason` (NULL: any) were recorded and
 * kept (the sum of their counts). */
size_t cplane_test_events_count(const cplane_test_host *h, const char *reason);
/* Forgets the Events kept; the correlation remembers them, as the host's
 * recorder does: the same event again continues its count. */
void cplane_test_events_clear(cplane_test_host *h);

/* Every line the plugin logged, at any level, as "LEVEL text" ("INFO
 * default/web: created 2 pod(s)"); the kit's own warnings (a write from a
 * dispatch callback, a 0-delay requeue) are there too, tagged "KIT".
 * Set CPLANE_TEST_LOG=1 in the environment to also print them. */
size_t cplane_test_logs_len(const cplane_test_host *h);
const char *cplane_test_log_at(const cplane_test_host *h, size_t i);
/* How many lines contain `text`. */
size_t cplane_test_logs_count(const cplane_test_host *h, const char *text);
void cplane_test_logs_clear(cplane_test_host *h);

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_TESTING_H */
