/*
 * kit - the fake host behind cplane/testing.h, shared by its modules:
 *   host.c    lifecycle, the plugin, its config, the host table
 *   objects.c the table's object, list, JSON and selector entries
 *   store.c   the fake API server's objects beside the plugin's caches,
 *             watch events and callbacks (dispatch), the test's objects
 *   cache.c   the table's cache entries, indexes and owner mappings
 *   entries.c the table's write and uncached read entries
 *   writes.c  their verbs against the store, with kube's semantics
 *   versions.c how a new version of a stored object is made
 *   recorded.c the writes made, and the dispatch-thread rule
 *   failures.c kube's failure messages, and injected failures
 *   request.c the table's raw request() entry, routed onto writes.c
 *   queue.c   the fake clock, the work queue, reconcile and drain
 *   record.c  log lines and events
 *
 * Threading: every field below is guarded by `mu`, except what is set
 * before start and only read afterwards (plugin, resources, config).
 * The plugin is never called with `mu` held, since it calls back.
 * Ownership: the host owns everything reachable from it; objects in the
 * store and caches each hold one reference.
 */
#ifndef CPLANE_SDK_TESTING_KIT_H
#define CPLANE_SDK_TESTING_KIT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cplane/testing.h>

#include "plugin/owner_map.h"

struct cp_event_correlator;

struct json_object;

/* One object of one resource: what the fake API server has, and what the
 * plugin's cache has seen so far. */
struct kit_entry {
  char *key;                   /* "ns/name" or "name" */
  const cplane_object *stored; /* NULL: gone from the store */
  const cplane_object *cached; /* NULL: not (yet) in the cache */
  int pending;                 /* a watch event waits for delivery */
};

/* A resource of the store: "replicasets.apps". */
struct kit_resource {
  char *name;     /* "resource.group" or "resource" */
  char *group;    /* "" for core */
  char *resource; /* "replicasets" */
  char *version;  /* the first one seen ("v1"), or NULL */
  char *kind;     /* the first one seen ("ReplicaSet"), or NULL */
  struct kit_entry *entries;
  size_t n, cap;
};

/* A plugin-declared index on one of its resources: a path or a fn. */
struct kit_index {
  uint32_t resource; /* into the plugin's resources[] */
  char *name;
  char *path; /* NULL for a fn index */
  cplane_index_fn fn;
  void *userdata;
};

/* A key the queue knows: queued (due at due_ms) or only remembered for
 * its backoff. */
struct kit_qitem {
  char *key;
  int64_t due_ms;
  uint64_t seq; /* FIFO among keys due at once */
  unsigned failures;
  int queued;
};

struct kit_failure {
  char *verb, *resource, *message; /* verb/resource NULL: any */
  unsigned times;
  int code;
};

/* The plugin's view of one of its resources[]. */
struct kit_watch {
  size_t store_res;     /* into host->res */
  char *label_selector; /* copied; NULL: everything */
};

struct kv {
  char *key, *value;
};

struct cplane_plugin_ctx {
  struct cplane_test_host *host;
};

struct cplane_test_host {
  pthread_mutex_t mu;
  struct cplane_plugin_ctx ctx;
  struct cplane_host_api api;

  /* The plugin: set by start, read-only afterwards. */
  const struct cplane_plugin *plugin;
  void *dl;    /* dlopen handle of a .so plugin, or NULL */
  int started; /* init() returned CPLANE_OK */
  int in_init; /* init() is running: indexes may be declared */
  char *start_error;
  void *userdata;
  struct kit_watch *watches; /* plugin->n_resources of them */
  struct kv *config;
  size_t n_config;

  /* The store and caches. */
  struct kit_resource *res;
  size_t n_res;
  uint64_t next_rv, next_uid, next_suffix;
  struct kit_index *indexes;
  size_t n_indexes;
  /* enqueue_owner() rules: the host's own (plugin/owner_map.h). */
  struct cp_owner_map owners;

  /* The clock and queue. */
  int64_t now_ms;
  struct kit_qitem *queue;
  size_t n_queue;
  uint64_t next_seq;

  /* Records. */
  struct cplane_test_write **writes;
  size_t n_writes;
  size_t dispatch_writes;
  struct kit_failure *failures;
  size_t n_failures;
  struct cplane_test_event **events;
  size_t n_events;
  /* The host's correlation of events (plugin/event_correlator.h); made
   * on the first event_record(). With mu. */
  struct cp_event_correlator *correlator;
  char **logs;
  size_t n_logs;
};

/* ---- objects.c ---- */
/* printf into a malloc'd string; NULL when out of memory. */
char *kit_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *kit_vstrf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
struct cplane_object_list {
  const cplane_object **objs;
  size_t n;
};
/* Fills the object, list, JSON and selector entries of api. */
void kit_objects_fill(struct cplane_host_api *api);
/* A list taking ownership of objs[0..n) (references and array). */
cplane_object_list *kit_list_new(const cplane_object **objs, size_t n);
void kit_list_free(cplane_object_list *list);
/* 1 when obj's labels match `selector` (NULL or "": everything), 0 when
 * not, CPLANE_EINVAL for bad selector text. */
int kit_labels_match(const cplane_object *obj, const char *selector);
/* 1 when `selector` is valid label selector text (NULL and "" are). */
int kit_selector_valid(const char *selector);
/* 1 when every "path=value", "path==value" or "path!=value" of a field
 * selector holds for obj (metadata.name, spec.nodeName...). */
int kit_fields_match(const cplane_object *obj, const char *selector);

/* ---- store.c ---- (all with mu held unless said) */
/* The resource named `name` ("pods", "replicasets.apps"), created when
 * absent. NULL when out of memory or the name is empty. */
struct kit_resource *kit_resource_get(struct cplane_test_host *h,
                                      const char *name);
/* "resource.group" for a plugin's struct cplane_resource, into buf. */
const char *kit_resource_name(const struct cplane_resource *r, char *buf,
                              size_t len);
/* Remembers the version and kind of r from an object of it (apiVersion
 * "apps/v1", kind), for discovery; the first seen stands. */
void kit_resource_note(struct kit_resource *r, const char *api_version,
                       const char *kind);
struct kit_entry *kit_entry_find(struct kit_resource *r, const char *key);
/* The entry for key, created empty when absent. */
struct kit_entry *kit_entry_get(struct kit_resource *r, const char *key);
/* Sets the stored object (taking the reference; NULL: gone) and marks a
 * watch event pending. */
void kit_store_set(struct cplane_test_host *h, struct kit_resource *r,
                   struct kit_entry *e, const cplane_object *obj);
/* A fresh resourceVersion, uid, generateName suffix. */
void kit_next_rv(struct cplane_test_host *h, char *buf, size_t len);
void kit_next_uid(struct cplane_test_host *h, char *buf, size_t len);
void kit_next_suffix(struct cplane_test_host *h, char *buf, size_t len);
/* Delivers every pending watch event; called without mu. */
int kit_deliver(struct cplane_test_host *h);
/* on_add for every cached object a watch sees; called without mu. */
void kit_initial_list(struct cplane_test_host *h);
void kit_store_free(struct cplane_test_host *h);

/* ---- cache.c ---- */
/* Fills the cache, index and enqueue_owner entries of api. */
void kit_cache_fill(struct cplane_host_api *api);
void kit_cache_free(struct cplane_test_host *h);
/* Sets the JSON object member `key` of jo to a string (copied). */
int kit_json_set_string(struct json_object *jo, const char *key,
                        const char *value);
/* jo's object member `key`, created empty when absent or not an object;
 * NULL when out of memory. */
struct json_object *kit_json_object_at(struct json_object *jo, const char *key);
/* A snapshot of jo (serialized and parsed); NULL when out of memory. */
const cplane_object *kit_object_from(struct json_object *jo);

/* ---- failures.c ---- */
/* kube's messages: `pods "x" not found`, the Conflict on a stale
 * resourceVersion, an unknown path. malloc'd; NULL when out of memory. */
char *kit_msg_not_found(const char *resource, const char *name);
char *kit_msg_conflict(const char *resource, const char *name);
char *kit_msg_no_such_resource(void);
/* Hands m to the caller through message (when not NULL), or frees it. */
void kit_give(char **message, char *m);
/* Gives the out-of-memory message for a 500 that has none. */
void kit_oom_message(int code, char **message);
/* 1 when a pattern ("pods", "replicasets.apps/status"; NULL: any) names
 * resource/sub: without "/sub" the object and its subresources. */
int kit_pattern_matches(const char *pattern, const char *resource,
                        const char *sub);
/* The injected failure for verb on resource/sub, consumed: the code, or 0
 * when none applies; *message is then an owned Status message. With mu. */
int kit_take_failure(struct cplane_test_host *h, const char *verb,
                     const char *resource, const char *sub, const char *name,
                     char **message);
void kit_failures_free(struct cplane_test_host *h);

/* ---- recorded.c ---- */
/* Flags a blocking call made from a dispatch callback; without mu. */
int kit_check_dispatch(struct cplane_test_host *h, const char *what);
/* Records a write (copies every string). With mu. */
void kit_record_write(struct cplane_test_host *h, const char *verb,
                      const char *resource, const char *sub, const char *ns,
                      const char *name, int patch_type, const char *body,
                      int code);
void kit_writes_free(struct cplane_test_host *h);

/* ---- versions.c ---- (all with mu held) */
/* jo's member k, or NULL; its string value, or NULL when not a string. */
struct json_object *kit_json_get(struct json_object *jo, const char *k);
const char *kit_json_str(struct json_object *jo, const char *k);
/* Copies member k of from into to (replacing), or removes it from to when
 * from has none. CPLANE_OK or CPLANE_ENOMEM. */
int kit_json_carry(struct json_object *to, struct json_object *from,
                   const char *k);
/* A json-c copy of a snapshot; NULL when out of memory. */
struct json_object *kit_to_json(const cplane_object *obj);
/* The entry of ns/name whose object is in the store, or NULL. */
struct kit_entry *kit_stored_entry(struct cplane_test_host *h,
                                   struct kit_resource *r, const char *ns,
                                   const char *name);
/* 1 when finalizers hold doc (for a namespace, spec.finalizers too). */
int kit_has_finalizers(const struct kit_resource *r, struct json_object *doc);
/* Stores doc as the new version of e (see versions.c); *out (when not
 * NULL) the new snapshot. CPLANE_OK or CPLANE_ENOMEM. */
int kit_commit(struct cplane_test_host *h, struct kit_resource *r,
               struct kit_entry *e, struct json_object *doc,
               const cplane_object **out);
/* 409 when doc carries a resourceVersion other than cur's, else 0. */
int kit_stale(struct json_object *doc, const cplane_object *cur);
/* The new version of cur from next for subresource sub ("" or
 * "status"), into *result (owned). next is modified. */
int kit_merge_version(struct json_object *cur, struct json_object *next,
                      const char *sub, struct json_object **result);

/* ---- writes.c ---- (each takes mu) */
/* The core of the write entries, shared with request.c. Each returns the
 * HTTP status; *out (owned) on success when out is not NULL; *message
 * (malloc'd) on failure when message is not NULL. */
int kit_do_create(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *sub, const char *name,
                  const char *json, const cplane_object **out, char **message);
int kit_do_update(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *name, const char *sub,
                  const char *json, const cplane_object **out, char **message);
int kit_do_patch(struct cplane_test_host *h, const char *resource,
                 const char *ns, const char *name, const char *sub,
                 int patch_type, const char *patch, const cplane_object **out,
                 char **message);
int kit_do_delete(struct cplane_test_host *h, const char *resource,
                  const char *ns, const char *name, const char *options,
                  char **message);
int kit_do_get(struct cplane_test_host *h, const char *resource, const char *ns,
               const char *name, const cplane_object **out, char **message);
int kit_do_list(struct cplane_test_host *h, const char *resource,
                const char *ns, const char *label_selector,
                const char *field_selector, cplane_object_list **out,
                char **message);
/* ---- entries.c ---- */
void kit_writes_fill(struct cplane_host_api *api);

/* ---- request.c ---- */
void kit_request_fill(struct cplane_host_api *api);

/* ---- queue.c ---- */
void kit_queue_fill(struct cplane_host_api *api);
/* Queues key after delay_ms (0: now); an earlier due time wins. With mu. */
int kit_queue_add(struct cplane_test_host *h, const char *key,
                  int64_t delay_ms);
void kit_queue_free(struct cplane_test_host *h);

/* ---- record.c ---- */
void kit_record_fill(struct cplane_host_api *api);
/* Appends a log line "LEVEL text"; takes mu itself. */
void kit_log(struct cplane_test_host *h, const char *level, const char *fmt,
             ...) __attribute__((format(printf, 3, 4)));
void kit_record_free(struct cplane_test_host *h);

/* ---- dispatch (store.c) ---- */
/* Set while the kit runs a plugin's on_* on this thread. */
extern _Thread_local const char *kit_dispatching;

#endif /* CPLANE_SDK_TESTING_KIT_H */
