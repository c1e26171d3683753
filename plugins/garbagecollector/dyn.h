/*
 * dyn - the kinds the collector found through discovery (discovery.h),
 * beside the ones it watches through caches (gc.h), and what it last saw
 * of each.
 *
 * The plugin ABI fixes a plugin's watched resources when it loads, so a
 * custom resource defined later cannot get a cache. Each kind found here
 * is listed instead on every scan (scan.h): the list it last got stands
 * in for a cache, and what left it between two lists for a watch's delete
 * events.
 *
 * Resource indexes: 0..GC_N_RES-1 are gc.h's watched kinds,
 * GC_N_RES + i the i-th kind found here. Entries are only ever added (at
 * most GC_DYN_MAX; a kind that stops being served lists 404 and is passed
 * over), so an index, and the strings of its entry, stay valid.
 *
 * Ownership: the table owns each entry's last list. gc_dyn_get and
 * gc_dyn_dependents hand out retained objects (object_release them).
 * Threading: every function may be called from any thread; one mutex
 * guards the lists, the entry count is atomic.
 */
#ifndef GC_DYN_H
#define GC_DYN_H

#include "discovery.h"
#include "keys.h"

#include <cplane/smap.h>

#include <pthread.h>
#include <stdatomic.h>

#define GC_DYN_MAX (GC_RES_MAX - GC_N_RES)

struct gc_dyn {
  struct gc_found f;
  struct cplane_resource res;  /* its strings point into f */
  cplane_object_list *objects; /* the last list (owned), or NULL; under mu */
  /* Uids of objects of this kind read from the API server (an owner
   * verified by a dependent's check) since the last list began, or NULL;
   * owned, under mu. An object created and deleted between two lists is
   * in neither; this set is what tells the next list it went. */
  struct cplane_sset *seen;
};

struct gc_dyntable {
  pthread_mutex_t mu;
  struct gc_dyn *v;  /* GC_DYN_MAX entries, allocated once */
  _Atomic size_t n;  /* entries in use */
};

/* 0, or -1 when out of memory. */
int gc_dyn_init(struct gc_dyntable *t);
void gc_dyn_free(const struct cplane_host_api *api, struct gc_dyntable *t);

/* The table the plugin keeps in its context (set_userdata), or NULL (as
 * in unit tests of other modules): then only the watched kinds exist. */
struct gc_dyntable *gc_dyn_of(const struct cplane_host_api *api,
                              cplane_plugin_ctx *ctx);

/* The index (GC_N_RES + i) of f's kind, added when new; -1 when the table
 * is full. */
int gc_dyn_add(struct gc_dyntable *t, const struct gc_found *f);

/* How many indexes exist: GC_N_RES plus the kinds found. */
uint32_t gc_res_count(struct gc_dyntable *t);

/* The resource and kind of index res, or NULL when there is none. */
const struct cplane_resource *gc_res(struct gc_dyntable *t, uint32_t res);
const char *gc_kind(struct gc_dyntable *t, uint32_t res);

/* 1 when the kind of index res is namespaced. */
int gc_res_namespaced(struct gc_dyntable *t, uint32_t res);

/* The index of the kind an ownerReference names (apiVersion and kind),
 * watched or found; -1 when neither. */
int gc_res_of_ref(struct gc_dyntable *t, const char *api_version,
                  const char *kind);

/* Object `key` ("ns/name" or "name") of index res: from the cache, or the
 * last list. CPLANE_OK with *out retained, or CPLANE_ENOENT. */
int gc_get(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
           struct gc_dyntable *t, uint32_t res, const char *key,
           const cplane_object **out);

/* Swaps entry i's last list for `list` (taken) and returns the old one
 * (the caller's: list_free), or NULL. */
cplane_object_list *gc_dyn_swap(struct gc_dyntable *t, uint32_t i,
                                cplane_object_list *list);

/* Notes that an object of found kind res, uid, was read from the API
 * server: when the next list (one begun after this call) does not hold
 * it, it went, and the scan says so. At most GC_SEEN_MAX uids wait; past
 * that, a note is dropped (the dependent's owner is then only known gone
 * from the lists, as before). */
#define GC_SEEN_MAX 65536
void gc_dyn_saw(struct gc_dyntable *t, uint32_t res, const char *uid);

/* Takes entry i's noted uids (the caller's: cplane_sset_free and free),
 * or NULL when none; notes made after this call wait for the next take. */
struct cplane_sset *gc_dyn_take_seen(struct gc_dyntable *t, uint32_t i);

/* One object of a found kind that names an owner. */
struct gc_dep {
  uint32_t res;            /* its index */
  const cplane_object *obj; /* retained */
};

/* The objects of the found kinds whose ownerReferences name uid, into a
 * malloc'd *out (release each, free the array). How many, or -1 when out
 * of memory. */
int gc_dyn_dependents(const struct cplane_host_api *api, struct gc_dyntable *t,
                      const char *uid, struct gc_dep **out);

#endif
