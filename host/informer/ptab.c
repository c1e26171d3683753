/*
 * ptab.c - see ptab.h.
 */
#include "informer/ptab.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/version.h>

/* Largest capacity: slot indexes and lengths stay within uint32_t. */
#define PTAB_MAX_CAP (1u << 30)

size_t cp_ptab_alloc_size(void *p) {
  return p != NULL ? malloc_usable_size(p) : 0;
}

uint32_t cp_ptab_hash(const char *key) {
  /* FNV-1a, then a 64-bit finaliser so that keys differing only in their
   * last characters (pod-00001, pod-00002) still spread over the low bits
   * the table masks with. */
  uint64_t h = 0xcbf29ce484222325u;
  const unsigned char *p = (const unsigned char *)key;

  while (*p != '\0') {
    h ^= *p++;
    h *= 0x100000001b3u;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdu;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53u;
  h ^= h >> 33;
  return (uint32_t)h;
}

static int same_key(cp_ptab_key_fn key_of, const void *item, const char *key) {
  const char *k = key_of(item);

  return k == key || strcmp(k, key) == 0;
}

/* Moves every item into fresh arrays of `cap` slots (0 frees them). */
static int resize(struct cp_ptab *t, uint32_t cap, size_t *acct) {
  void **items = NULL;
  uint32_t *hashes = NULL;
  uint32_t i, mask = cap - 1;

  if (cap > 0) {
    items = calloc(cap, sizeof *items + sizeof *hashes);
    if (items == NULL)
      return CPLANE_ENOMEM;
    hashes = (uint32_t *)(items + cap);
    for (i = 0; i < t->cap; i++) {
      uint32_t j;

      if (t->items[i] == NULL)
        continue;
      j = t->hashes[i] & mask;
      while (items[j] != NULL)
        j = (j + 1) & mask;
      items[j] = t->items[i];
      hashes[j] = t->hashes[i];
    }
  }
  if (acct != NULL)
    *acct = *acct - cp_ptab_alloc_size(t->items) + cp_ptab_alloc_size(items);
  free(t->items);
  t->items = items;
  t->hashes = hashes;
  t->cap = cap;
  return 0;
}

int cp_ptab_reserve(struct cp_ptab *t, uint32_t extra, size_t *acct) {
  uint64_t need = (uint64_t)t->len + extra;
  uint64_t cap = t->cap > 0 ? t->cap : 2;

  /* Load factor at most 3/4 keeps probe runs short. */
  if (need * 4 <= (uint64_t)t->cap * 3)
    return 0;
  while (need * 4 > cap * 3)
    cap *= 2;
  if (cap > PTAB_MAX_CAP)
    return CPLANE_ENOMEM;
  return resize(t, (uint32_t)cap, acct);
}

void *cp_ptab_get(const struct cp_ptab *t, cp_ptab_key_fn key_of,
                  const char *key, uint32_t hash) {
  uint32_t mask = t->cap - 1, i;

  if (t->cap == 0)
    return NULL;
  for (i = hash & mask; t->items[i] != NULL; i = (i + 1) & mask)
    if (t->hashes[i] == hash && same_key(key_of, t->items[i], key))
      return t->items[i];
  return NULL;
}

void *cp_ptab_put(struct cp_ptab *t, cp_ptab_key_fn key_of, void *item,
                  uint32_t hash) {
  uint32_t mask = t->cap - 1, i;
  const char *key = key_of(item);

  for (i = hash & mask; t->items[i] != NULL; i = (i + 1) & mask) {
    if (t->hashes[i] == hash && same_key(key_of, t->items[i], key)) {
      void *old = t->items[i];

      t->items[i] = item;
      return old;
    }
  }
  t->items[i] = item;
  t->hashes[i] = hash;
  t->len++;
  return NULL;
}

/* Closes the gap at slot i by pulling back every later item of the probe
 * run that may legally sit there, so lookups never meet a hole early. */
static void backward_shift(struct cp_ptab *t, uint32_t i) {
  uint32_t mask = t->cap - 1, j = i;

  for (;;) {
    uint32_t home;

    j = (j + 1) & mask;
    if (t->items[j] == NULL)
      break;
    home = t->hashes[j] & mask;
    /* Item j may move to i only if its home is not in (i, j]. */
    if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
      continue;
    t->items[i] = t->items[j];
    t->hashes[i] = t->hashes[j];
    t->items[j] = NULL;
    i = j;
  }
}

void *cp_ptab_del(struct cp_ptab *t, cp_ptab_key_fn key_of, const char *key,
                  uint32_t hash, const void *only, size_t *acct) {
  uint32_t mask = t->cap - 1, i;
  void *item;

  if (t->cap == 0)
    return NULL;
  for (i = hash & mask; t->items[i] != NULL; i = (i + 1) & mask)
    if (t->hashes[i] == hash && same_key(key_of, t->items[i], key))
      break;
  item = t->items[i];
  if (item == NULL || (only != NULL && item != only))
    return NULL;
  t->items[i] = NULL;
  t->len--;
  backward_shift(t, i);
  /* Give memory back after mass deletes; a failed shrink is harmless. */
  if (t->len == 0)
    resize(t, 0, acct);
  else if (t->cap > 4 && (uint64_t)t->len * 8 < t->cap)
    resize(t, t->cap / 2, acct);
  return item;
}

void cp_ptab_free(struct cp_ptab *t, size_t *acct) {
  if (acct != NULL)
    *acct -= cp_ptab_alloc_size(t->items);
  free(t->items);
  memset(t, 0, sizeof *t);
}
