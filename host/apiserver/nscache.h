/*
 * nscache - what namespace admission last read of each namespace (active
 * or terminating), for up to a second. Every create into a namespace must
 * know whether the namespace is being deleted; reading it from the store
 * each time was a read transaction and a JSON parse per create, while
 * namespaces change rarely.
 *
 * Writes to namespaces through this server invalidate the whole cache
 * before and after they run (an epoch), so this server never admits on a
 * state older than its own last namespace write; another server's writes
 * are seen within the second, as kube-apiserver's informer-fed admission
 * sees them eventually.
 *
 * Threading: every function is safe from any thread (one mutex).
 * Ownership: the cache copies names; cp_ns_cache_free frees it all.
 */
#ifndef CPLANE_HOST_APISERVER_NSCACHE_H
#define CPLANE_HOST_APISERVER_NSCACHE_H

#include <stdint.h>

struct cp_ns_cache;

/* NULL when out of memory (callers then read the store every time). */
struct cp_ns_cache *cp_ns_cache_new(void);
void cp_ns_cache_free(struct cp_ns_cache *c);

/* The epoch to pass to cp_ns_cache_put for a read that starts now. */
uint64_t cp_ns_cache_epoch(struct cp_ns_cache *c);
/* 1 with *terminating when name's state is known and fresh, else 0. */
int cp_ns_cache_get(struct cp_ns_cache *c, const char *name,
                    int *terminating);
/* Remembers what a read that began at epoch found (ignored when a
 * namespace write has happened since). */
void cp_ns_cache_put(struct cp_ns_cache *c, const char *name, int terminating,
                     uint64_t epoch);
/* Before and after every write to a namespace: forgets everything. */
void cp_ns_cache_invalidate(struct cp_ns_cache *c);

#endif /* CPLANE_HOST_APISERVER_NSCACHE_H */
