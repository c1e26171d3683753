/*
 * cplane/host_api.h - the table of functions the host gives a plugin.
 *
 * The host passes one `const struct cplane_host_api *` to a plugin's init().
 * A plugin never links against host symbols (it builds with -Wl,-z,defs);
 * every service it uses is a pointer in this table.
 *
 * Stability: entries are only ever appended to the end, and every entry
 * of the SDK a plugin was built with is filled in by any host that loads
 * it (the version rule in version.h: a host refuses a plugin built for a
 * newer minor). So a plugin never tests whether an entry exists.
 *
 * Threading: every function here is thread-safe unless its comment says
 * otherwise. None of them may be called before init() or after fini().
 *
 * Ownership words used below:
 *   borrowed - owned by the host; valid for the stated lifetime; never free.
 *   owned    - the caller must release it with the named function.
 *
 * Objects (cplane_object) are immutable, reference-counted snapshots of one
 * Kubernetes object. A pointer handed to a callback is borrowed for the
 * duration of that call; call object_retain() to keep it longer and
 * object_release() when done. A retained object never changes: a newer
 * version of the same object is a different snapshot.
 *
 * Paths name a value inside an object: segments separated by '.', array
 * elements as [N], and '\' escaping a '.', '[' or '\' inside a key:
 *   "metadata.name", "spec.containers[0].image",
 *   "metadata.labels.app\.kubernetes\.io/name".
 * NULL or "" is the object itself.
 */
#ifndef CPLANE_HOST_API_H
#define CPLANE_HOST_API_H

#include <cplane/version.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cplane_object cplane_object;           /* opaque snapshot */
typedef struct cplane_object_list cplane_object_list; /* opaque list */
typedef struct cplane_plugin_ctx cplane_plugin_ctx;   /* opaque, per plugin */
struct cplane_resource;                               /* see plugin.h */

/* Called by object_foreach() for each member of a JSON object or element of
 * an array (key is then the decimal index). `str` is the member's value when
 * it is a string, else NULL. Both are borrowed for the call. Return 0 to go
 * on, anything else to stop. */
typedef int (*cplane_foreach_fn)(void *userdata, const char *key,
                                 const char *str);

/* For cache_add_index_fn(): emit() adds one index value (copied) for the
 * object being indexed; fn calls it zero or more times. */
typedef void (*cplane_index_emit_fn)(void *emit_ctx, const char *value);
typedef void (*cplane_index_fn)(void *userdata, const cplane_object *obj,
                                cplane_index_emit_fn emit, void *emit_ctx);

/* enqueue_owner() flags. */
#define CPLANE_OWNER_CONTROLLER 1u /* only the controller: true reference */
/* The owner kind is cluster-scoped (a Node, a ClusterRole...): its key is
 * "name" whatever the dependent's namespace. A new value of the existing
 * flags parameter (ABI 1.3, no table change); a host that predates it
 * answers CPLANE_EINVAL (unknown flag). */
#define CPLANE_OWNER_CLUSTER 2u

struct cplane_host_api {
  uint32_t struct_size; /* sizeof the table this host filled in */
  uint16_t abi_major;   /* the host's CPLANE_ABI_MAJOR */
  uint16_t abi_minor;   /* the host's CPLANE_ABI_MINOR */

  /* ---- Memory ------------------------------------------------------- */

  /* Allocates `size` bytes; NULL when out of memory. Anything a plugin hands
   * to the host to free (init's errmsg) must come from here. */
  void *(*alloc)(size_t size);
  /* Frees memory from alloc() or any "owned ... free with api->free" result.
   * NULL is ignored. */
  void (*free)(void *ptr);

  /* ---- Logging and context ------------------------------------------ */

  /* Logs one line at `level` (CPLANE_LOG_*), tagged with the plugin name.
   * Lines below the configured level cost one comparison. */
  void (*log)(cplane_plugin_ctx *ctx, int level, const char *fmt, ...)
      CPLANE_PRINTF(3, 4);
  /* Nonzero when a line at `level` would be written. */
  int (*log_enabled)(cplane_plugin_ctx *ctx, int level);
  /* Stores the plugin's own state pointer; the host never looks at it.
   * Call from init(); reading it from any thread afterwards is safe. */
  void (*set_userdata)(cplane_plugin_ctx *ctx, void *userdata);
  void *(*get_userdata)(cplane_plugin_ctx *ctx);
  /* The plugin's configured name (its INI section is [plugin.NAME]).
   * Borrowed; valid until fini() returns. */
  const char *(*plugin_name)(cplane_plugin_ctx *ctx);
  /* The value of `key` in the plugin's INI section, or NULL when absent.
   * Borrowed; valid until fini() returns. The host's own keys (enabled,
   * file, workers, resync, reconcile_deadline) are readable too, and
   * "ca_file", when the section sets none, is the CA file the host
   * verifies the API server with (if it has one as a file). */
  const char *(*config_get)(cplane_plugin_ctx *ctx, const char *key);

  /* ---- The plugin's work queue -------------------------------------- */

  /* Queues `key` for reconcile(). A key already queued is not queued twice;
   * a key being reconciled is queued again once that run ends. Returns
   * CPLANE_OK, or CPLANE_ESHUTDOWN while the plugin is stopping. */
  int (*enqueue)(cplane_plugin_ctx *ctx, const char *key);
  /* Queues `key` after `delay_ms` milliseconds. A key already waiting only
   * moves earlier, never later. */
  int (*enqueue_after)(cplane_plugin_ctx *ctx, const char *key,
                       uint32_t delay_ms);

  /* ---- Shared caches ------------------------------------------------ */
  /* `resource` is an index into the plugin's own resources[] array. Keys
   * are "namespace/name", or "name" for cluster-scoped objects. */

  /* Asks for an index named `index_name` over the string value at `path`
   * (e.g. "spec.nodeName"; an array of strings yields one entry each).
   * Built in: "namespace" and "owner-uid" (every ownerReferences uid).
   * Call from init(). Returns CPLANE_EINVAL for a bad name or path. */
  int (*cache_add_index)(cplane_plugin_ctx *ctx, uint32_t resource,
                         const char *index_name, const char *path);
  /* Looks up one object. On success *out is owned: object_release() it.
   * Returns CPLANE_OK or CPLANE_ENOENT. */
  int (*cache_get)(cplane_plugin_ctx *ctx, uint32_t resource,
                   const char *key, const cplane_object **out);
  /* Lists objects in `ns` (NULL: all namespaces) whose labels match
   * `label_selector` (NULL or "": all; set-based syntax as kubectl's
   * -l). On success *out is owned: list_free() it. Returns CPLANE_OK or
   * CPLANE_EINVAL for a bad selector. */
  int (*cache_list)(cplane_plugin_ctx *ctx, uint32_t resource,
                    const char *ns, const char *label_selector,
                    cplane_object_list **out);
  /* Lists the objects whose index `index_name` has `value`, filtered by
   * `label_selector` as above. CPLANE_ENOENT for an unknown index. */
  int (*cache_list_by_index)(cplane_plugin_ctx *ctx, uint32_t resource,
                             const char *index_name, const char *value,
                             const char *label_selector,
                             cplane_object_list **out);
  /* Nonzero once the cache holds a complete first list of the resource. */
  int (*cache_has_synced)(cplane_plugin_ctx *ctx, uint32_t resource);

  /* Lists: not thread-safe themselves; use one list from one thread. */
  size_t (*list_len)(const cplane_object_list *list);
  /* Borrowed; valid until list_free(). NULL past the end. */
  const cplane_object *(*list_at)(const cplane_object_list *list, size_t i);
  void (*list_free)(cplane_object_list *list);

  /* ---- Objects ------------------------------------------------------ */

  /* Takes a reference; returns `obj`. */
  const cplane_object *(*object_retain)(const cplane_object *obj);
  /* Drops a reference. NULL is ignored. */
  void (*object_release)(const cplane_object *obj);
  /* Parses JSON text into a new object. On success *out is owned. On
   * failure returns CPLANE_EINVAL and, if errmsg is not NULL, sets *errmsg
   * to an owned message (free with api->free). */
  int (*object_parse)(const char *json, size_t len, const cplane_object **out,
                      char **errmsg);
  /* CPLANE_TYPE_* of the value at `path`, or CPLANE_ENOENT. */
  int (*object_type)(const cplane_object *obj, const char *path);
  /* The string at `path`, or NULL when absent or not a string. Borrowed;
   * valid while the caller holds `obj`. */
  const char *(*object_string)(const cplane_object *obj, const char *path);
  /* The integer at `path`. CPLANE_ENOENT, CPLANE_ETYPE, CPLANE_ERANGE. */
  int (*object_int)(const cplane_object *obj, const char *path,
                    int64_t *out);
  /* The number at `path` (an integer converts). */
  int (*object_double)(const cplane_object *obj, const char *path,
                       double *out);
  /* The boolean at `path`, as 0 or 1. */
  int (*object_bool)(const cplane_object *obj, const char *path, int *out);
  /* Element count of the array, or member count of the object, at `path`;
   * CPLANE_ENOENT or CPLANE_ETYPE otherwise. */
  int (*object_len)(const cplane_object *obj, const char *path);
  /* Calls fn for each member or element at `path`, in document order.
   * Returns how many calls were made, or a negative status. */
  int (*object_foreach)(const cplane_object *obj, const char *path,
                        cplane_foreach_fn fn, void *userdata);
  /* Compact JSON text of the value at `path`. Owned: free with api->free.
   * NULL when absent or out of memory. */
  char *(*object_json)(const cplane_object *obj, const char *path);

  /* Metadata helpers; each is object_string() of the obvious path, or NULL.
   * All returned strings are borrowed for the life of `obj`. */
  const char *(*object_name)(const cplane_object *obj);
  const char *(*object_namespace)(const cplane_object *obj);
  const char *(*object_uid)(const cplane_object *obj);
  const char *(*object_resource_version)(const cplane_object *obj);
  /* The cache key: "namespace/name", or "name" when cluster-scoped. */
  const char *(*object_key)(const cplane_object *obj);
  /* metadata.generation, or 0 when absent. */
  int64_t (*object_generation)(const cplane_object *obj);
  const char *(*object_label)(const cplane_object *obj, const char *key);
  const char *(*object_annotation)(const cplane_object *obj,
                                   const char *key);
  const char *(*object_deletion_timestamp)(const cplane_object *obj);
  /* The uid of the ownerReference with controller: true, or NULL. */
  const char *(*object_controller_uid)(const cplane_object *obj);
  /* 1 when obj's labels match `label_selector`, 0 when not, CPLANE_EINVAL
   * for a bad selector. */
  int (*object_labels_match)(const cplane_object *obj,
                             const char *label_selector);

  /* ---- Building JSON ------------------------------------------------ */

  /* Builds JSON text from a template in which ' stands for " (so C string
   * literals stay readable) and these directives insert values, escaped:
   *   %s  a JSON string from a const char * (NULL gives null)
   *   %d  an int, %ld a long, %lld a long long, %u an unsigned int
   *   %b  true or false from an int
   *   %j  raw JSON text from a const char *, checked to be valid JSON
   *   %%  a percent sign
   * The result is checked to be valid JSON. Owned: free with api->free.
   * NULL on a bad template, invalid %j text or out of memory. Example:
   *   api->json_format("{'metadata':{'name':%s},'spec':{'replicas':%d}}",
   *                    name, 3) */
  char *(*json_format)(const char *fmt, ...);

  /* ---- Writes through the API server -------------------------------- */
  /* Each returns the HTTP status code the API server answered with (201,
   * 200, 404, 409 on a conflict...), or a negative status when no request
   * could be made (CPLANE_EUNAVAILABLE: no API server is configured).
   * When `out` is not NULL and the write succeeded, *out is the object as
   * the server stored it (owned). When `message` is not NULL, *message is
   * the server's Status message on failure (owned; free with api->free),
   * else NULL. A 409 Conflict is a normal result: re-read and retry. `ns`
   * is NULL for cluster-scoped resources. These calls block: make them from
   * reconcile(), never from on_add/on_update/on_delete. */
  int (*create)(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                const char *ns, const char *json, const cplane_object **out,
                char **message);
  int (*update)(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                const char *ns, const char *name, const char *json,
                const cplane_object **out, char **message);
  int (*update_status)(cplane_plugin_ctx *ctx,
                       const struct cplane_resource *res, const char *ns,
                       const char *name, const char *json,
                       const cplane_object **out, char **message);
  /* `patch_type` is CPLANE_PATCH_*. */
  int (*patch)(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
               const char *ns, const char *name, int patch_type,
               const char *patch, const cplane_object **out, char **message);
  /* `options_json` is a DeleteOptions body or NULL. */
  int (*delete_object)(cplane_plugin_ctx *ctx,
                       const struct cplane_resource *res, const char *ns,
                       const char *name, const char *options_json,
                       char **message);

  /* ---- Convenience --------------------------------------------------- */

  /* A copy of `s` from alloc(), e.g. for init()'s *errmsg. Owned: free
   * with api->free. NULL when s is NULL or out of memory. */
  char *(*string_dup)(const char *s);

  /* ---- Added in ABI 1.1 ---------------------------------------------- */

  /* Writes `json` to subresource `sub` of object ns/name: with
   * CPLANE_WRITE_CREATE a POST (pods "binding", the scheduler's bind), with
   * CPLANE_WRITE_UPDATE a PUT (namespaces "finalize", "scale"). Returns and
   * owns as create() does. A 409 from "binding" means the pod is already
   * bound. Blocks: call from reconcile() only. */
  int (*write_subresource)(cplane_plugin_ctx *ctx,
                           const struct cplane_resource *res, int method,
                           const char *ns, const char *name, const char *sub,
                           const char *json, const cplane_object **out,
                           char **message);
  /* The metav1.LabelSelector ({matchLabels, matchExpressions}) at `path`
   * of obj (e.g. "spec.selector") as selector text for cache_list() and
   * object_labels_match(): "app=web,tier in (a,b),!canary". An empty
   * selector ({}) gives "", which matches everything. NULL when absent or
   * malformed. Owned: free with api->free. */
  char *(*label_selector_text)(const cplane_object *obj, const char *path);

  /* ---- Added in ABI 1.2 ---------------------------------------------- */

  /* One request straight to the API server, past the caches, for what a
   * cache cannot answer or may not know yet: discovery (GET /api, /apis,
   * /apis/GROUP/VERSION), a fresh list (GET .../pods?limit=500), a
   * deletecollection (DELETE .../pods with DeleteOptions). `method` is
   * "GET", "POST", "PUT" or "DELETE"; `json`, a body or NULL, is sent as
   * application/json. `path` starts with '/' and carries its query,
   * escaped. Returns the HTTP status, or a negative status when no request
   * could be made (CPLANE_EUNAVAILABLE: no API server is configured, or it
   * did not answer; CPLANE_EINVAL: a bad method or path). *response is the
   * body whatever the status (owned: free with api->free; NUL-terminated;
   * NULL when empty) and *response_len its length; either may be NULL.
   * Blocks: call from reconcile() only. */
  int (*request)(cplane_plugin_ctx *ctx, const char *method,
                 const char *path, const char *json, char **response,
                 size_t *response_len);

  /* ---- Added in ABI 1.3 ---------------------------------------------- */

  /* The host's wall clock in milliseconds since the Unix epoch. Use it for
   * every time a plugin writes (conditions, events, its own delays) so
   * that the test kit can set the time. */
  int64_t (*now_ms)(cplane_plugin_ctx *ctx);
  /* Why the last json_format() on this thread returned NULL ("%j text is
   * not JSON at offset 12", "unknown directive %q", "out of memory"), or
   * NULL when it did not fail. Borrowed; valid until the next
   * json_format() on the same thread. */
  const char *(*json_format_error)(void);
  /* Patches subresource `sub` of ns/name ("status", "scale"; NULL or ""
   * is the object itself) with a CPLANE_PATCH_* body: the way to write
   * status without rebuilding the object, e.g.
   *   api->patch_subresource(ctx, &res, ns, name, "status",
   *       CPLANE_PATCH_MERGE, "{\"status\":{\"ready\":true}}", NULL, NULL);
   * Returns and owns as patch() does. Blocks: call from reconcile() only. */
  int (*patch_subresource)(cplane_plugin_ctx *ctx,
                           const struct cplane_resource *res, const char *ns,
                           const char *name, const char *sub, int patch_type,
                           const char *patch, const cplane_object **out,
                           char **message);
  /* Uncached reads, for what the plugin does not watch: one object (200
   * with *out owned, 404...), or a list filtered by selectors (either may
   * be NULL; 200 with *out owned, list_free() it). Each returns the HTTP
   * status or a negative status; *message as for the writes. Blocks: call
   * from reconcile() only. */
  int (*get)(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
             const char *ns, const char *name, const cplane_object **out,
             char **message);
  int (*list)(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
              const char *ns, const char *label_selector,
              const char *field_selector, cplane_object_list **out,
              char **message);
  /* Asks for an index named `index_name` whose values the plugin
   * computes: fn is called (on a host thread, under no plugin lock) for
   * each object added to or updated in the cache and calls
   * emit(emit_ctx, value) once per value (none: the object is not in the
   * index). fn must not block or call back into the host other than the
   * object_* readers (it runs with the cache locked for writing, so a
   * cache_* call from it would deadlock). Repeated values count once; at
   * most 256 values of at most 4096 bytes are kept per object. Index names
   * share one space per shared cache with cache_add_index(): the same
   * name with the same fn and userdata again is CPLANE_OK, any other reuse
   * CPLANE_EINVAL. Call from init(). */
  int (*cache_add_index_fn)(cplane_plugin_ctx *ctx, uint32_t resource,
                            const char *index_name, cplane_index_fn fn,
                            void *userdata);
  /* Declares that a change to an object of resources[resource] (add,
   * update, delete) enqueues the key of its owner of kind `owner_kind` in
   * group `owner_group` ("" for core), as controller-runtime's
   * EnqueueRequestForOwner: the owner's key is "namespace/name" from the
   * dependent's namespace and the ownerReference's name ("name" with
   * CPLANE_OWNER_CLUSTER, for a cluster-scoped owner kind). With
   * CPLANE_OWNER_CONTROLLER only the controller reference counts. The
   * host does this before calling the plugin's own on_* (which may then be
   * NULL for that resource). Call from init() (later: CPLANE_EINVAL). */
  int (*enqueue_owner)(cplane_plugin_ctx *ctx, uint32_t resource,
                       const char *owner_group, const char *owner_kind,
                       uint32_t flags);
  /* Records a core/v1 Event about `regarding` (an object of `res`;
   * involvedObject is filled from it), type "Normal" or "Warning", a
   * CamelCase reason and a printf message. Never blocks: events are
   * queued, aggregated as kube's recorder does (the same event again
   * bumps count and lastTimestamp of one Event) and spam-limited per
   * object (a burst of 25, then one per 5 minutes); an event dropped by
   * the limit is counted, not an error. Callable from any callback.
   * Returns CPLANE_OK, CPLANE_EINVAL (bad type or reason) or
   * CPLANE_ENOMEM. */
  int (*event_record)(cplane_plugin_ctx *ctx,
                      const struct cplane_resource *res,
                      const cplane_object *regarding, const char *type,
                      const char *reason, const char *fmt, ...)
      CPLANE_PRINTF(6, 7);

  /* ABI 1.4. Server-side apply: applies `json`, a partial object of res
   * (apiVersion, kind, metadata.name and only the fields this controller
   * owns), to ns/name or to its subresource `sub` ("status"; NULL or ""
   * for the object) as the field manager `field_manager` (required, at
   * most 128 bytes: the name the fields are owned under in
   * metadata.managedFields). With `force`, fields other managers own are
   * taken; without, such a change is the server's 409 (the conflict in
   * *message). Fields this manager applied before and leaves out now are
   * removed unless someone else owns them; a missing object is created
   * (201). So a controller owns exactly the fields it sets:
   *   api->apply(ctx, &res, ns, name, NULL, "my-controller", 1,
   *              "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
   *              "\"metadata\":{\"name\":\"x\"},\"data\":{\"k\":\"v\"}}",
   *              NULL, NULL);
   * Returns and owns as patch() does. Blocks: call from reconcile() only. */
  int (*apply)(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
               const char *ns, const char *name, const char *sub,
               const char *field_manager, int force, const char *json,
               const cplane_object **out, char **message);

  /* New entries go here, at the end, and bump CPLANE_ABI_MINOR. */
};

/* The layout is the ABI: every entry is one pointer after an 8-byte header.
 * These fail the build of the host and of every plugin if anyone reorders
 * the table. */
#if UINTPTR_MAX == 0xffffffffffffffffu
#define CPLANE__SLOT(f, n)                                                 \
  CPLANE_STATIC_ASSERT(offsetof(struct cplane_host_api, f) == 8 + 8 * (n),       \
                 "cplane_host_api." #f " moved: the ABI is append-only")
CPLANE_STATIC_ASSERT(offsetof(struct cplane_host_api, abi_major) == 4, "abi");
CPLANE_STATIC_ASSERT(offsetof(struct cplane_host_api, abi_minor) == 6, "abi");
CPLANE__SLOT(alloc, 0);
CPLANE__SLOT(free, 1);
CPLANE__SLOT(log, 2);
CPLANE__SLOT(log_enabled, 3);
CPLANE__SLOT(set_userdata, 4);
CPLANE__SLOT(get_userdata, 5);
CPLANE__SLOT(plugin_name, 6);
CPLANE__SLOT(config_get, 7);
CPLANE__SLOT(enqueue, 8);
CPLANE__SLOT(enqueue_after, 9);
CPLANE__SLOT(cache_add_index, 10);
CPLANE__SLOT(cache_get, 11);
CPLANE__SLOT(cache_list, 12);
CPLANE__SLOT(cache_list_by_index, 13);
CPLANE__SLOT(cache_has_synced, 14);
CPLANE__SLOT(list_len, 15);
CPLANE__SLOT(list_at, 16);
CPLANE__SLOT(list_free, 17);
CPLANE__SLOT(object_retain, 18);
CPLANE__SLOT(object_release, 19);
CPLANE__SLOT(object_parse, 20);
CPLANE__SLOT(object_type, 21);
CPLANE__SLOT(object_string, 22);
CPLANE__SLOT(object_int, 23);
CPLANE__SLOT(object_double, 24);
CPLANE__SLOT(object_bool, 25);
CPLANE__SLOT(object_len, 26);
CPLANE__SLOT(object_foreach, 27);
CPLANE__SLOT(object_json, 28);
CPLANE__SLOT(object_name, 29);
CPLANE__SLOT(object_namespace, 30);
CPLANE__SLOT(object_uid, 31);
CPLANE__SLOT(object_resource_version, 32);
CPLANE__SLOT(object_key, 33);
CPLANE__SLOT(object_generation, 34);
CPLANE__SLOT(object_label, 35);
CPLANE__SLOT(object_annotation, 36);
CPLANE__SLOT(object_deletion_timestamp, 37);
CPLANE__SLOT(object_controller_uid, 38);
CPLANE__SLOT(object_labels_match, 39);
CPLANE__SLOT(json_format, 40);
CPLANE__SLOT(create, 41);
CPLANE__SLOT(update, 42);
CPLANE__SLOT(update_status, 43);
CPLANE__SLOT(patch, 44);
CPLANE__SLOT(delete_object, 45);
CPLANE__SLOT(string_dup, 46);
CPLANE__SLOT(write_subresource, 47);
CPLANE__SLOT(label_selector_text, 48);
CPLANE__SLOT(request, 49);
CPLANE__SLOT(now_ms, 50);
CPLANE__SLOT(json_format_error, 51);
CPLANE__SLOT(patch_subresource, 52);
CPLANE__SLOT(get, 53);
CPLANE__SLOT(list, 54);
CPLANE__SLOT(cache_add_index_fn, 55);
CPLANE__SLOT(enqueue_owner, 56);
CPLANE__SLOT(event_record, 57);
CPLANE__SLOT(apply, 58);
CPLANE_STATIC_ASSERT(sizeof(struct cplane_host_api) == 8 + 8 * 59,
               "cplane_host_api grew: append, bump CPLANE_ABI_MINOR, and "
               "update these asserts and the abidiff baseline");
#undef CPLANE__SLOT
#endif

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_HOST_API_H */
