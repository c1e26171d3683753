/* smap - see smap.h. FNV-1a; chains stay short because the table doubles
 * when it holds as many entries as buckets. */
#include "smap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;

  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

int smap_init(struct smap *m) {
  m->n_buckets = 64;
  m->count = 0;
  m->buckets = calloc(m->n_buckets, sizeof *m->buckets);
  return m->buckets != NULL ? 0 : -1;
}

/* Doubles the bucket array; on allocation failure the map keeps working
 * with longer chains. */
static void grow(struct smap *m) {
  size_t n = m->n_buckets * 2, i;
  struct smap_entry **b = calloc(n, sizeof *b);

  if (b == NULL)
    return;
  for (i = 0; i < m->n_buckets; i++) {
    struct smap_entry *e = m->buckets[i], *next;

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

static struct smap_entry **find(const struct smap *m, const char *key,
                                uint64_t h) {
  struct smap_entry **p = &m->buckets[h & (m->n_buckets - 1)];

  for (; *p != NULL; p = &(*p)->next)
    if ((*p)->hash == h && strcmp((*p)->key, key) == 0)
      break;
  return p;
}

int smap_put(struct smap *m, const char *key, void *val, void **old) {
  uint64_t h = hash_str(key);
  struct smap_entry **p = find(m, key, h), *e;

  if (old != NULL)
    *old = NULL;
  if (*p != NULL) {
    if (old != NULL)
      *old = (*p)->val;
    (*p)->val = val;
    return 0;
  }
  if ((e = malloc(sizeof *e)) == NULL || (e->key = strdup(key)) == NULL) {
    free(e);
    return -1;
  }
  e->hash = h;
  e->val = val;
  e->next = NULL;
  *p = e;
  if (++m->count > m->n_buckets)
    grow(m);
  return 0;
}

void *smap_get(const struct smap *m, const char *key) {
  struct smap_entry **p = find(m, key, hash_str(key));

  return *p != NULL ? (*p)->val : NULL;
}

void *smap_del(struct smap *m, const char *key) {
  struct smap_entry **p = find(m, key, hash_str(key)), *e = *p;
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

void smap_foreach(const struct smap *m,
                  void (*fn)(void *ud, const char *key, void *val), void *ud) {
  size_t i;

  for (i = 0; i < m->n_buckets; i++) {
    const struct smap_entry *e;

    for (e = m->buckets[i]; e != NULL; e = e->next)
      fn(ud, e->key, e->val);
  }
}

void smap_free(struct smap *m) {
  size_t i;

  for (i = 0; m->buckets != NULL && i < m->n_buckets; i++) {
    struct smap_entry *e = m->buckets[i], *next;

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
