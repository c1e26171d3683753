/*
 * cplane/smap.h - a string-keyed hash map, and a string set on top of it.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * The map chains its entries and doubles its buckets when it holds as
 * many entries as buckets, so look-ups stay O(1) from a handful of keys to
 * the scheduler's 150,000 pods. Keys are copied (the map owns its copy);
 * values are the caller's pointers, never freed by the map:
 *
 *   struct cplane_smap m;
 *   if (cplane_smap_init(&m) != 0) ...out of memory
 *   cplane_smap_put(&m, "ns/web", state, &old);
 *   state = cplane_smap_get(&m, "ns/web");
 *   free(cplane_smap_del(&m, "ns/web"));
 *   cplane_smap_free(&m);           after freeing the values it still holds
 *
 * The set (struct cplane_sset) holds keys only: "have I seen this uid".
 *
 * Memory: the C library's malloc()/free().
 * Threading: none inside; guard each map with your own mutex when more
 * than one thread uses it.
 */
#ifndef CPLANE_SMAP_H
#define CPLANE_SMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/hash.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cplane_smap_entry {
  struct cplane_smap_entry *next;
  uint64_t hash;
  char *key; /* owned by the map */
  void *val; /* the caller's */
};

struct cplane_smap {
  struct cplane_smap_entry **buckets; /* n_buckets chains; a power of 2 */
  size_t n_buckets, count;
};

/* 0, or -1 when out of memory. */
static inline int cplane_smap_init(struct cplane_smap *m) {
  m->n_buckets = 64;
  m->count = 0;
  m->buckets =
      (struct cplane_smap_entry **)calloc(m->n_buckets, sizeof *m->buckets);
  return m->buckets != NULL ? 0 : -1;
}

/* Doubles the bucket array; when that allocation fails the map keeps
 * working with longer chains. */
static inline void cplane_smap__grow(struct cplane_smap *m) {
  size_t n = m->n_buckets * 2, i;
  struct cplane_smap_entry **b =
      (struct cplane_smap_entry **)calloc(n, sizeof *b);

  if (b == NULL)
    return;
  for (i = 0; i < m->n_buckets; i++) {
    struct cplane_smap_entry *e = m->buckets[i], *next;

    for (; e != NULL; e = next) {
      next = e->next;
      e->next = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->n_buckets = n;
}

/* The link that points at key's entry, or the NULL link ending its chain. */
static inline struct cplane_smap_entry **
cplane_smap__find(const struct cplane_smap *m, const char *key, uint64_t h) {
  struct cplane_smap_entry **p = &m->buckets[h & (m->n_buckets - 1)];

  for (; *p != NULL; p = &(*p)->next)
    if ((*p)->hash == h && strcmp((*p)->key, key) == 0)
      break;
  return p;
}

/* Sets key to val (a copy of key is kept). *old, when not NULL, gets the
 * value it replaced, or NULL. Returns 0, or -1 when out of memory (the map
 * is then unchanged). */
static inline int cplane_smap_put(struct cplane_smap *m, const char *key,
                                  void *val, void **old) {
  uint64_t h = cplane_fnv1a64_str(key);
  struct cplane_smap_entry **p = cplane_smap__find(m, key, h), *e;

  if (old != NULL)
    *old = NULL;
  if (*p != NULL) {
    if (old != NULL)
      *old = (*p)->val;
    (*p)->val = val;
    return 0;
  }
  size_t klen = strlen(key) + 1;

  if ((e = (struct cplane_smap_entry *)malloc(sizeof *e)) == NULL)
    return -1;
  if ((e->key = (char *)malloc(klen)) == NULL) { /* no strdup in plain C */
    free(e);
    return -1;
  }
  memcpy(e->key, key, klen);
  e->hash = h;
  e->val = val;
  e->next = NULL;
  *p = e;
  if (++m->count > m->n_buckets)
    cplane_smap__grow(m);
  return 0;
}

/* The value for key, or NULL. */
static inline void *cplane_smap_get(const struct cplane_smap *m,
                                    const char *key) {
  struct cplane_smap_entry **p =
      cplane_smap__find(m, key, cplane_fnv1a64_str(key));

  return *p != NULL ? (*p)->val : NULL;
}

/* 1 when key is in the map (whatever its value, NULL too), else 0. */
static inline int cplane_smap_has(const struct cplane_smap *m,
                                  const char *key) {
  return *cplane_smap__find(m, key, cplane_fnv1a64_str(key)) != NULL;
}

/* Removes key; returns its value (now the caller's) or NULL. */
static inline void *cplane_smap_del(struct cplane_smap *m, const char *key) {
  struct cplane_smap_entry **p =
      cplane_smap__find(m, key, cplane_fnv1a64_str(key));
  struct cplane_smap_entry *e = *p;
  void *val;

  if (e == NULL)
    return NULL;
  *p = e->next;
  val = e->val;
  free(e->key);
  free(e);
  m->count--;
  return val;
}

/* Calls fn for each entry, in no particular order; fn must not change the
 * map. */
static inline void cplane_smap_foreach(const struct cplane_smap *m,
                                       void (*fn)(void *ud, const char *key,
                                                  void *val),
                                       void *ud) {
  size_t i;

  for (i = 0; i < m->n_buckets; i++) {
    const struct cplane_smap_entry *e;

    for (e = m->buckets[i]; e != NULL; e = e->next)
      fn(ud, e->key, e->val);
  }
}

/* Frees the map's own memory (keys, entries, buckets); the values are the
 * caller's, to free before. Safe on a map whose init failed. */
static inline void cplane_smap_free(struct cplane_smap *m) {
  size_t i;

  for (i = 0; m->buckets != NULL && i < m->n_buckets; i++) {
    struct cplane_smap_entry *e = m->buckets[i], *next;

    for (; e != NULL; e = next) {
      next = e->next;
      free(e->key);
      free(e);
    }
  }
  free(m->buckets);
  m->buckets = NULL;
  m->n_buckets = m->count = 0;
}

/* ---- The string set ------------------------------------------------- */

struct cplane_sset {
  struct cplane_smap map; /* values unused */
};

/* 0, or -1 when out of memory. */
static inline int cplane_sset_init(struct cplane_sset *s) {
  return cplane_smap_init(&s->map);
}

/* Adds key: 1 when added, 0 when it was there already, -1 when out of
 * memory. */
static inline int cplane_sset_add(struct cplane_sset *s, const char *key) {
  if (cplane_smap_has(&s->map, key))
    return 0;
  return cplane_smap_put(&s->map, key, NULL, NULL) == 0 ? 1 : -1;
}

/* 1 when key is in the set, else 0. */
static inline int cplane_sset_has(const struct cplane_sset *s,
                                  const char *key) {
  return cplane_smap_has(&s->map, key);
}

/* Removes key: 1 when it was there, else 0. */
static inline int cplane_sset_del(struct cplane_sset *s, const char *key) {
  if (!cplane_smap_has(&s->map, key))
    return 0;
  cplane_smap_del(&s->map, key);
  return 1;
}

static inline size_t cplane_sset_count(const struct cplane_sset *s) {
  return s->map.count;
}

/* Empties the set and frees its memory; init again to reuse it. */
static inline void cplane_sset_free(struct cplane_sset *s) {
  cplane_smap_free(&s->map);
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_SMAP_H */
