/*
 * priorityclass_cache - the PriorityClasses pod admission last read, as
 * one snapshot, for up to a second. Every pod create resolves its class
 * (by name, or the globalDefault among all of them); reading the store
 * each time was a get or a whole list and a JSON parse per create, while
 * classes change rarely.
 *
 * Writes to PriorityClasses through this server invalidate the snapshot
 * before and after they run (an epoch, as nscache.h), so this server
 * never admits on classes older than its own last class write; another
 * server's writes are seen within the second, as kube-apiserver's
 * informer-fed Priority admission sees them eventually.
 *
 * Threading: every function is safe from any thread (one mutex).
 * Ownership: the cache owns its snapshot; lookups copy out.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_PRIORITYCLASS_CACHE_H
#define CPLANE_HOST_APISERVER_STRATEGY_PRIORITYCLASS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "apiserver/strategy/priorityclasses.h"

/* One class of a snapshot. */
struct cp_pc_entry {
  struct cp_priority_class pc;
  int global_default;
};

struct cp_pc_cache;

/* NULL when out of memory (callers then read the store every time). */
struct cp_pc_cache *cp_pc_cache_new(void);
void cp_pc_cache_free(struct cp_pc_cache *c);

/* The epoch to pass to cp_pc_cache_put for a read that starts now. */
uint64_t cp_pc_cache_epoch(struct cp_pc_cache *c);
/* From a fresh snapshot: class name (NULL: the globalDefault one, the
 * lowest value among several, as kube's admission) into *out. 1 found,
 * 0 not there, -1 no fresh snapshot (read the store). */
int cp_pc_cache_find(struct cp_pc_cache *c, const char *name,
                     struct cp_priority_class *out);
/* Installs the n classes a read that began at epoch found; takes v
 * (malloc'd) whether or not it is kept (not when a class write happened
 * since). */
void cp_pc_cache_put(struct cp_pc_cache *c, struct cp_pc_entry *v, size_t n,
                     uint64_t epoch);
/* Before and after every write to a PriorityClass: drops the snapshot. */
void cp_pc_cache_invalidate(struct cp_pc_cache *c);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_PRIORITYCLASS_CACHE_H */
