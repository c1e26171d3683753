/*
 * keys - the garbagecollector's reconcile keys, and which events make
 * one:
 *
 *   "gone/<uid>"            an owner that left the store (Background)
 *   "owner/<res>/<key>"     an owner being deleted with the orphan or
 *                           foregroundDeletion finalizer
 *   "check/<res>/<key>"     a dependent whose owners are verified
 *   "confirm/<res>/<key>"   the same, after the dangling recheck delay
 *   "discover", "scan"      the kinds found through discovery (scan.h)
 *
 * <res> is a resource index: a watched kind (gc.h) or a found one
 * (dyn.h), below GC_RES_MAX.
 *
 * Threading: pure functions of borrowed objects and strings.
 */
#ifndef GC_KEYS_H
#define GC_KEYS_H

#include "gc.h"

#include <stddef.h>

/* Room for the longest key: "confirm/<res>/" and a namespace (63) and a
 * name (253) joined by '/'. */
#define GC_KEY_MAX 400

/* Resource indexes: the watched kinds, then at most 256 found ones (as
 * dyn.h's GC_DYN_MAX). */
#define GC_RES_MAX (GC_N_RES + 256)

enum gc_key_kind {
  GC_KEY_GONE,
  GC_KEY_OWNER,
  GC_KEY_CHECK,
  GC_KEY_CONFIRM,
  GC_KEY_DISCOVER, /* "discover": read discovery (scan.h) */
  GC_KEY_SCAN      /* "scan": list the kinds found (scan.h) */
};

struct gc_key {
  enum gc_key_kind kind;
  uint32_t res;     /* < GC_RES_MAX; 0 for GONE, DISCOVER, SCAN */
  const char *rest; /* the uid (GONE) or the object's key; points into key */
};

/* Parses key into *out. -1 when it is no key of ours (an unknown prefix
 * with a resource reads as a check, as it always has). */
int gc_key_parse(const char *key, struct gc_key *out);

/* "<what>/<res>/<object key>" into buf; 0, or -1 when it did not fit. */
int gc_key_format(char *buf, size_t size, const char *what, uint32_t res,
                  const char *object_key);

/* 1 when obj is being deleted and holds the orphan or foregroundDeletion
 * finalizer: its dependents are this collector's to handle. */
int gc_owner_pending(const struct cplane_host_api *api,
                     const cplane_object *obj);

/* 1 when new_obj has owners and they differ from old_obj's (or either
 * cannot be read): a status update needs no look. */
int gc_owners_changed(const struct cplane_host_api *api,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj);

#endif
