/*
 * watchcache - one store watch per resource type, shared by every watch
 * stream of that type, as kube-apiserver's watch cache does. Without it
 * each `kubectl get -w` and each informer costs a store watch: on etcd one
 * gateway stream each, and etcd's JSON gateway encodes every event once
 * per stream (1,000 watchers held etcd to ~20 writes/s). With it the
 * store sees one watch per type however many clients watch.
 *
 * The cache keeps the type's most recent events (a ring, bounded in events
 * per type and in bytes over all types) so that a stream
 * starting from a recent resourceVersion is caught up from memory. A start
 * the cache cannot serve (older than the ring, or newer than the events it
 * has seen so far) is CP_WATCH_CACHE_MISS: the caller then watches the
 * store directly, which replays history or reports the compaction.
 *
 * Threading: every function is safe from any thread. Callbacks run on the
 * store's watch thread (or, for the catch-up, on the subscribing thread)
 * with the cache's lock held, one at a time: they must be quick and must
 * not call back into the cache.
 * Ownership: the cache holds references to immutable shared events (the
 * store's own when it hands them over, see store/shared_event.h); a
 * subscription is owned by the caller until cp_watch_cache_unsubscribe().
 */
#ifndef CPLANE_HOST_APISERVER_WATCHCACHE_H
#define CPLANE_HOST_APISERVER_WATCHCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CP_WATCH_CACHE_MISS -201 /* watch the store directly instead */

struct cp_watch_cache;
typedef struct cp_watch_sub cp_watch_sub;

/* A cache over store keeping up to ring_events events per type (0: a
 * default of 4096) and up to ring_bytes bytes of events (the keys, values
 * and previous values they keep alive, each buffer counted once however
 * many events share it) over all types (0: a default of 64 MiB); past either
 * the oldest go, and a start before them is CP_WATCH_CACHE_MISS. NULL
 * when out of memory. */
struct cp_watch_cache *cp_watch_cache_new(cp_store *store, size_t ring_events,
                                          size_t ring_bytes);
/* Stops every store watch. Every subscription must be gone already. */
void cp_watch_cache_free(struct cp_watch_cache *c);

/* Delivers to cb every event under prefix from revision from_rev on (the
 * same messages as cp_store_watch: EVENTS, PROGRESS, and a final ERROR or
 * COMPACTED if the shared watch breaks). type_prefix is the type's whole
 * key prefix ("pods/"), which the cache watches; prefix lies under it
 * ("pods/default/"). Returns CPLANE_OK with *out, CP_WATCH_CACHE_MISS, or
 * a store error from starting the type's watch. */
int cp_watch_cache_subscribe(struct cp_watch_cache *c, const char *type_prefix,
                             const char *prefix, int64_t from_rev,
                             cp_store_watch_cb cb, void *userdata,
                             cp_watch_sub **out);
/* Ends a subscription: when it returns, no callback for it runs or will
 * run. Not from within the subscription's own callback. */
void cp_watch_cache_unsubscribe(cp_watch_sub *s);

/* Store watches open (one per type being watched); for tests and
 * metrics. */
size_t cp_watch_cache_store_watches(struct cp_watch_cache *c);

#endif /* CPLANE_HOST_APISERVER_WATCHCACHE_H */
