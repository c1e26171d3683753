/*
 * ptab - the informer's open-addressing hash table of pointers, each item
 * found by a string key it carries (an object's "ns/name", an index
 * value). Linear probing with backward-shift deletion, so there are no
 * tombstones and a table that shrinks gives its memory back. Each slot
 * keeps the key's 32-bit hash beside the pointer, so growing, shrinking
 * and deleting never look at the keys again.
 *
 * Threading: none; the informer guards every table with its own locks.
 * Ownership: the table never owns its items, only its slot arrays. Every
 * function that allocates adds the bytes it holds to *acct (when acct is
 * not NULL) and subtracts what it frees, so the informer can report its
 * own overhead.
 */
#ifndef CPLANE_HOST_INFORMER_PTAB_H
#define CPLANE_HOST_INFORMER_PTAB_H

#include <stddef.h>
#include <stdint.h>

/* Returns the key of `item`; it must stay the same while item is stored. */
typedef const char *(*cp_ptab_key_fn)(const void *item);

struct cp_ptab {
  void **items;     /* cap slots; NULL marks an empty one */
  uint32_t *hashes; /* cap hashes, in the same allocation as items */
  uint32_t cap;     /* 0 or a power of two */
  uint32_t len;
};

/* Hash of a NUL-terminated key. */
uint32_t cp_ptab_hash(const char *key);

/* The item stored under `key` (hash = cp_ptab_hash(key)), or NULL. */
void *cp_ptab_get(const struct cp_ptab *t, cp_ptab_key_fn key_of,
                  const char *key, uint32_t hash);

/* Makes room for `extra` more items, so that as many cp_ptab_put() calls
 * cannot fail. Returns 0, or CPLANE_ENOMEM with the table unchanged. */
int cp_ptab_reserve(struct cp_ptab *t, uint32_t extra, size_t *acct);

/* Stores `item` under its key (hash given). Room must have been reserved.
 * An item already stored under an equal key is replaced and returned (the
 * caller keeps whatever it owned of it); otherwise returns NULL. */
void *cp_ptab_put(struct cp_ptab *t, cp_ptab_key_fn key_of, void *item,
                  uint32_t hash);

/* Removes the item stored under `key` and returns it, or NULL when there is
 * none. When `only` is not NULL the item is removed only if it is that very
 * pointer. Never fails; the table may shrink (when memory allows). */
void *cp_ptab_del(struct cp_ptab *t, cp_ptab_key_fn key_of, const char *key,
                  uint32_t hash, const void *only, size_t *acct);

/* Frees the slot arrays (not the items) and leaves an empty table. */
void cp_ptab_free(struct cp_ptab *t, size_t *acct);

/* Bytes held by an allocation of this module or of the informer's, as the
 * allocator reports them (so its own rounding counts too). */
size_t cp_ptab_alloc_size(void *p);

#endif /* CPLANE_HOST_INFORMER_PTAB_H */
