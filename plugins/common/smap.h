/*
 * smap - a string-keyed hash map (chained, grows at load factor 1), shared
 * by the in-tree plugins: the scheduler's pod and node tables (150,000 and
 * 5,000 entries), the replicaset controller's expectations.
 *
 * Threading: none inside; callers guard each map with their own mutex.
 */
#ifndef PLUGINS_COMMON_SMAP_H
#define PLUGINS_COMMON_SMAP_H

#include <stddef.h>
#include <stdint.h>

struct smap_entry {
  struct smap_entry *next;
  uint64_t hash;
  char *key; /* owned by the map */
  void *val; /* the caller's */
};

struct smap {
  struct smap_entry **buckets;
  size_t n_buckets, count;
};

/* Both return 0, or -1 when out of memory. */
int smap_init(struct smap *m);
/* Sets key to val (a copy of key is kept). *old, when not NULL, gets the
 * value it replaced or NULL. */
int smap_put(struct smap *m, const char *key, void *val, void **old);
/* The value for key, or NULL. */
void *smap_get(const struct smap *m, const char *key);
/* Removes key; returns its value (now the caller's) or NULL. */
void *smap_del(struct smap *m, const char *key);
/* Calls fn for each entry; fn must not change the map. */
void smap_foreach(const struct smap *m,
                  void (*fn)(void *ud, const char *key, void *val), void *ud);
/* Frees the map's own memory; values are the caller's to free first. */
void smap_free(struct smap *m);

#endif
