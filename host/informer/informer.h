/*
 * informer - a thread-safe cache of one resource's objects, keyed
 * "namespace/name" (or "name"), with secondary indexes, that tells
 * registered handlers about every add, update and delete. A reflector (or a
 * test) feeds it; controllers read it and react to its notifications. It
 * is client-go's SharedIndexInformer with two differences: handler buffers
 * are bounded (a stalled handler slows the feeder down instead of growing
 * without limit), and an object older than the cached one is never stored.
 *
 * Threading: every function may be called from any thread, except as
 * noted. Reads (get, list, len) share a rwlock and never wait for each
 * other. Feeding (upsert, delete, replace, resync) is serialised, so every
 * handler sees the changes of one key in the order they were made, always
 * after the store and the indexes show them. Each handler has its own
 * bounded FIFO; its callbacks run one at a time, in order, with no
 * informer lock held (so they may read the cache), on the informer's
 * small pool of dispatch threads, which serve the handlers that have
 * something to deliver in turns of up to 64 notifications. Which thread
 * runs a callback may change from one call to the next; a callback may
 * keep thread-local state for its own duration only. A callback must not
 * feed this informer, add or remove a handler of it, stop or free it: a
 * feeder blocked on that handler's full buffer would wait forever.
 * (Removing a handler from its own callback is allowed.)
 *
 * Dispatch threads: an event wakes at most CP_INFORMER_DISPATCH_THREADS
 * of them, however many handlers it goes to. A stalled handler does not
 * stall the others for long: when every running dispatch thread has been
 * inside one callback for a whole CP_INFORMER_WATCH_NS and other handlers
 * wait, an idle thread is woken or one more is started (at most one per
 * handler), so the others are delayed by at most about two watch periods.
 * The stalled handler's own notifications wait for it, and its full
 * buffer holds up the feeder, as before (backpressure). Threads added so
 * stay until the informer stops. A handler that is slow without hanging
 * (many callbacks of a few ms each) is not seen by the watch: it holds a
 * thread for its turn of up to 64 callbacks, so callbacks must stay short
 * (queue a key and return), as they always had to.
 *
 * Backpressure: a feed call returns once every handler's buffer has taken
 * the notification; when one is full it waits for that handler. Before
 * cp_informer_start() and after cp_informer_stop() nothing drains the
 * buffers, so a feed that fills one waits until the next start.
 *
 * Ownership: objects fed in are owned by the informer (see each call).
 * Everything read out is a retained snapshot: release what get() returns
 * with cp_object_release(), lists with cp_informer_list_free(). Objects
 * passed to callbacks are borrowed for the call; retain to keep them.
 */
#ifndef CPLANE_HOST_INFORMER_H
#define CPLANE_HOST_INFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "labels/selector.h"
#include "object/object.h"

typedef struct cp_informer cp_informer;
typedef struct cp_informer_handler cp_informer_handler;

/* Any callback may be NULL. on_update gets old_obj == new_obj on a resync.
 * on_add's is_initial_list is 1 for the adds of the initial state: those
 * applied before the informer first synced (the first list, whether
 * replaced at once or streamed as upserts then mark_synced, as client-go
 * does) and a late handler's replay of the cache; 0 afterwards. on_delete
 * gets the last state the informer knew (or a delete event's object). */
struct cp_informer_handler_ops {
  void (*on_add)(void *userdata, const cplane_object *obj,
                 int is_initial_list);
  void (*on_update)(void *userdata, const cplane_object *old_obj,
                    const cplane_object *new_obj);
  void (*on_delete)(void *userdata, const cplane_object *obj);
};

/* Buffer capacity used when add_handler is given 0. */
#define CP_INFORMER_DEFAULT_BUFFER 1024
/* Shortest resync period; shorter ones are raised to it. */
#define CP_INFORMER_MIN_RESYNC_NS (10u * 1000 * 1000)
/* Dispatch threads an informer keeps running for its handlers (fewer when
 * it has fewer handlers; more only while callbacks hang). */
#define CP_INFORMER_DISPATCH_THREADS 2
/* How often the watch looks for dispatch threads stuck in a callback. */
#define CP_INFORMER_WATCH_NS (50ull * 1000 * 1000)
/* How long cp_informer_stop() lets handlers drain by default. */
#define CP_INFORMER_DEFAULT_DRAIN_NS (5ull * 1000 * 1000 * 1000)

/* Returns a new, stopped, empty informer with the built-in indexes
 * "namespace" and "owner-uid", or NULL when out of memory. `name` (copied)
 * names it in logs. Free with cp_informer_free(). */
cp_informer *cp_informer_new(const char *name);
/* Stops the informer if running, removes every handler, releases every
 * cached object. No feed call may be running or start afterwards. */
void cp_informer_free(cp_informer *inf);

/* Adds an index named `index_name` over the string at `path` (one entry
 * per string when it is an array of strings; objects without it are not
 * in the index). Built over the objects already cached. Asking again for
 * an existing name with the same path returns CPLANE_OK (two users of a
 * shared cache may both ask). Returns CPLANE_EINVAL for a bad path, an
 * empty name, or a name already used with another path (or by a built-in
 * index); CPLANE_ENOMEM. */
int cp_informer_add_index(cp_informer *inf, const char *index_name,
                          const char *path);
/* Adds an index named `index_name` whose values fn computes: for each
 * object stored (those cached now, then every add and update), fn(userdata,
 * obj, emit, emit_ctx) calls emit zero or more times; repeats are kept
 * once, and past 256 values or a value over 4096 bytes the rest are
 * dropped. What fn emitted for a snapshot is remembered, so an impure fn
 * cannot corrupt the index. Locking: fn runs on the feeding thread (or the
 * caller of this function) with this informer's rwlock held for writing:
 * it must not call any function of this informer, block, or keep obj.
 * Names share one space with cp_informer_add_index(): asking again with
 * the same fn and userdata returns CPLANE_OK; any other reuse of a name is
 * CPLANE_EINVAL, as is a NULL fn, except a take-over: when the name is an
 * fn index owned by `predecessor` (not NULL; the build a hot upgrade
 * replaces), the index is rebuilt at once with fn and userdata and owned
 * by `owner` from then on (readers see the old or the new index, never a
 * missing one). `owner` (may be NULL) is whoever registers it, for
 * cp_informer_drop_indexes(). CPLANE_ENOMEM (nothing changed). */
int cp_informer_add_index_fn(cp_informer *inf, const char *index_name,
                             cplane_index_fn fn, void *userdata,
                             const void *owner, const void *predecessor);
/* Removes every fn index `owner` registered (not NULL), so that its
 * function and userdata are never called again: for a plugin stopping for
 * good, before its fini(). An index it took over from `give_back_to` (not
 * NULL; an init() that failed) goes back to that owner instead, rebuilt
 * with its function (removed if out of memory). */
void cp_informer_drop_indexes(cp_informer *inf, const void *owner,
                              const void *give_back_to);

/* Registers a handler: ops is copied; userdata is passed back to every
 * callback. buffer_capacity bounds its FIFO (0: the default).
 * resync_period_ns (0: never) asks for a periodic on_update(cached,
 * cached) of every key with no notification pending for this handler.
 * Objects already cached are replayed to this handler only, as on_add(obj,
 * 1), before anything newer. Its callbacks start now if the informer
 * runs, else at cp_informer_start(). Returns the handler (owned by the informer
 * until cp_informer_remove_handler()), or NULL when out of memory. */
cp_informer_handler *cp_informer_add_handler(
    cp_informer *inf, const struct cp_informer_handler_ops *ops,
    void *userdata, size_t buffer_capacity, uint64_t resync_period_ns);
/* Unregisters h and frees it, dropping its undelivered notifications. No
 * callback of h runs after this returns (when called from one of h's own
 * callbacks: after that callback returns; h is then freed by the next
 * stop, free, or remove_handler(h) from another thread). A feeder blocked
 * on h's full buffer is released at once. */
void cp_informer_remove_handler(cp_informer *inf, cp_informer_handler *h);

/* Starts the dispatch threads and the resync timer. Returns
 * CPLANE_OK (also when already running) or CPLANE_ERR when a thread cannot
 * be made (the informer is then stopped). */
int cp_informer_start(cp_informer *inf);
/* Lets the handlers deliver what is buffered for up to the drain timeout
 * (no watch runs meanwhile: a callback hung then holds its thread for the
 * rest of the drain), then joins every thread. Notifications left
 * undelivered stay buffered for the next start. Stop the feeder first. A
 * callback that never returns blocks this forever; nothing else does. */
void cp_informer_stop(cp_informer *inf);
/* Sets the drain bound used by cp_informer_stop(). */
void cp_informer_set_drain_timeout(cp_informer *inf, uint64_t timeout_ns);

/* Adds obj, or replaces the cached object of its key. Takes ownership of
 * one reference to obj in every case, error or not. Ignored (CPLANE_OK,
 * counted) when obj's resourceVersion is lower than the cached one (both
 * decimal) or equal to it. Returns CPLANE_EINVAL for NULL or an object
 * without metadata.name, CPLANE_ENOMEM (the cache is then unchanged). */
int cp_informer_upsert(cp_informer *inf, cplane_object *obj);
/* Removes the object under key; handlers get its last cached state.
 * Returns CPLANE_OK, or CPLANE_ENOENT when key is not cached. */
int cp_informer_delete(cp_informer *inf, const char *key);
/* Removes the object of obj's key, as a watch DELETED event: handlers get
 * obj, the final state. Takes ownership of one reference to obj. Ignored
 * (CPLANE_OK, counted stale) when obj is older than the cached object.
 * CPLANE_ENOENT when the key is not cached, CPLANE_EINVAL as upsert. */
int cp_informer_delete_object(cp_informer *inf, cplane_object *obj);
/* Makes the cache equal to a full list: adds new keys, updates changed
 * ones (the same rules as upsert), deletes cached keys missing from the
 * list (handlers get the last cached state), then marks the informer
 * synced. Takes ownership of the n references (not of the array), also on
 * error. Objects without a name are skipped (counted). CPLANE_ENOMEM
 * leaves part of the list applied and the synced flag unchanged: relist. */
int cp_informer_replace(cp_informer *inf, cplane_object **objs, size_t n);
/* Marks the informer synced without a list (e.g. a resource known to be
 * empty). */
void cp_informer_mark_synced(cp_informer *inf);
/* Runs a resync now for every handler that has a resync period, as the
 * timer would. Does nothing while the informer is stopped. */
void cp_informer_resync_now(cp_informer *inf);

/* Nonzero once the first replace (or mark_synced) has been applied. */
int cp_informer_has_synced(cp_informer *inf);
/* Nonzero once the informer has synced and h has been delivered every
 * notification of its initial state: its replay, or the first list. */
int cp_informer_handler_has_synced(cp_informer_handler *h);

/* The cached object under key, retained (release it), or NULL. */
const cplane_object *cp_informer_get(cp_informer *inf, const char *key);
/* Lists the cached objects in namespace ns (NULL or "": all namespaces)
 * matching sel (NULL: all). On success *out is a malloc'd array of *n
 * retained objects (NULL when *n is 0); free it with
 * cp_informer_list_free(). Returns CPLANE_OK or CPLANE_ENOMEM. Order is
 * unspecified. */
int cp_informer_list(cp_informer *inf, const char *ns, const cp_selector *sel,
                     const cplane_object ***out, size_t *n);
/* As cp_informer_list(), over the objects whose index index_name has
 * value. Returns CPLANE_ENOENT for an unknown index. The "namespace" index
 * files cluster-scoped objects under "". */
int cp_informer_list_by_index(cp_informer *inf, const char *index_name,
                              const char *value, const cp_selector *sel,
                              const cplane_object ***out, size_t *n);
/* Releases every object of a list and frees the array. NULL is fine. */
void cp_informer_list_free(const cplane_object **objs, size_t n);
/* Number of cached objects. */
size_t cp_informer_len(cp_informer *inf);

struct cp_informer_handler_stats {
  uint64_t depth;            /* notifications buffered now (a late
                                handler's replay is not counted) */
  uint64_t depth_high_water; /* most ever buffered at once */
  uint64_t delivered;        /* callbacks made, replay included */
  uint64_t resyncs;          /* resync notifications queued */
};
void cp_informer_handler_stats(cp_informer_handler *h,
                               struct cp_informer_handler_stats *out);

struct cp_informer_stats {
  uint64_t adds, updates, deletes; /* applied to the store */
  uint64_t stale;     /* ignored: older resourceVersion than cached */
  uint64_t unchanged; /* ignored: same resourceVersion (or same object) */
  uint64_t invalid;   /* ignored: no metadata.name */
};
void cp_informer_stats(cp_informer *inf, struct cp_informer_stats *out);

/* Heap bytes the store and its indexes hold, snapshots excluded (those are
 * cp_object_heap_bytes each), handler buffers excluded. */
size_t cp_informer_heap_bytes(cp_informer *inf);

#endif /* CPLANE_HOST_INFORMER_H */
