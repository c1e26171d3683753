/*
 * index - the informer's secondary indexes: for one index, a map from each
 * value (a namespace, a node name, an owner uid...) to the set of cached
 * objects that have it. Values are computed from the objects themselves:
 * the namespace ("" when cluster-scoped), every
 * metadata.ownerReferences[*].uid, or the string at a path (each string of
 * the array at that path).
 *
 * Because snapshots never change, the values an object had when it was
 * indexed can always be recomputed from it, so no per-object record of
 * them is kept. Sets hold the very snapshot pointer the store holds.
 *
 * The one exception is an index whose values a plugin's function computes
 * (CP_INDEX_FN): nothing makes that function pure, and a value it gave at
 * insert but not at removal would leave a freed snapshot in a bucket. So
 * such an index keeps, per stored snapshot, the values the function gave
 * once (deduplicated, at most CP_INDEX_FN_MAX_VALUES of at most
 * CP_INDEX_FN_MAX_VALUE bytes each; others are dropped), and removal uses
 * that record. The function runs inside cp_index_prepare(), that is with
 * the informer's rwlock held for writing: it must not read the cache.
 *
 * Threading: none; the informer's rwlock guards every index.
 * Ownership: an index owns its name, path, buckets and bucket value
 * copies; it only borrows the objects, which the store owns.
 */
#ifndef CPLANE_HOST_INFORMER_INDEX_H
#define CPLANE_HOST_INFORMER_INDEX_H

#include <stddef.h>

#include "informer/ptab.h"
#include "object/object.h"

enum cp_index_kind {
  CP_INDEX_NAMESPACE, /* built in as "namespace" */
  CP_INDEX_OWNER_UID, /* built in as "owner-uid" */
  CP_INDEX_PATH,      /* the string(s) at a path */
  CP_INDEX_FN         /* values a plugin's cplane_index_fn emits */
};

/* Bounds on what one object may emit into a CP_INDEX_FN index. */
#define CP_INDEX_FN_MAX_VALUES 256
#define CP_INDEX_FN_MAX_VALUE 4096

struct cp_index_bucket {
  struct cp_ptab objs; /* cplane_object *, keyed by cp_object_key */
  char value[];        /* the index value, owned */
};

struct cp_index {
  char *name;                 /* owned */
  char *path;                 /* owned; NULL unless CP_INDEX_PATH */
  enum cp_index_kind kind;
  struct cp_ptab buckets;     /* struct cp_index_bucket *, by value */
  cplane_index_fn fn;         /* CP_INDEX_FN only; borrowed */
  void *fn_userdata;          /* passed to fn; borrowed */
  struct cp_ptab records;     /* CP_INDEX_FN only: values per snapshot */
  /* CP_INDEX_FN only: who registered it (a plugin ctx; NULL: nobody), so
   * it goes when that plugin stops for good; and, after a hot upgrade's
   * take-over (informer.h), the index it replaced, to give back if the
   * new build's init() fails. Borrowed. */
  const void *owner;
  cplane_index_fn prev_fn;
  void *prev_userdata;
  const void *prev_owner;
};

/* Key function for tables of objects. */
const char *cp_index_obj_key(const void *obj);

/* 1 when `path` is a well-formed SDK path ("a.b[3].c", '\' escapes). */
int cp_index_path_valid(const char *path);

/* Returns a new, empty index (path is copied; NULL unless kind is
 * CP_INDEX_PATH), or NULL when out of memory. Free with cp_index_free(). */
struct cp_index *cp_index_new(const char *name, enum cp_index_kind kind,
                              const char *path, size_t *acct);
void cp_index_free(struct cp_index *ix, size_t *acct);
/* As cp_index_new() for a CP_INDEX_FN index calling fn(userdata, ...). */
struct cp_index *cp_index_new_fn(const char *name, cplane_index_fn fn,
                                 void *userdata, size_t *acct);

/* The bucket for `value`, or NULL. Borrowed, valid until the index next
 * changes. */
const struct cp_index_bucket *cp_index_find(const struct cp_index *ix,
                                            const char *value);

/* Makes sure every value of obj has a bucket with room for obj, so the
 * cp_index_insert() that follows cannot fail. Returns 0, or CPLANE_ENOMEM
 * after removing any empty bucket it made. */
int cp_index_prepare(struct cp_index *ix, const cplane_object *obj,
                     size_t *acct);
/* Removes the buckets of obj's values that are empty: the undo of a
 * cp_index_prepare() whose insert will not happen. */
void cp_index_sweep(struct cp_index *ix, const cplane_object *obj,
                    size_t *acct);
/* Adds obj under each of its values, replacing the object of the same key
 * there. Needs a successful cp_index_prepare() of obj just before. */
void cp_index_insert(struct cp_index *ix, const cplane_object *obj);
/* Removes obj from the buckets of its values where that very pointer is
 * stored (so after an insert of its successor under the same key, only the
 * values the successor lost are touched); frees buckets left empty. */
void cp_index_remove(struct cp_index *ix, const cplane_object *obj,
                     size_t *acct);

#endif /* CPLANE_HOST_INFORMER_INDEX_H */
