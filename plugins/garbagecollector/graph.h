/*
 * graph - the ownerReferences graph as the caches hold it: does an owner
 * exist, where does a dependent name it, has the dependent another owner.
 * Dependents are found through the "owner-uid" index, owners through the
 * "uid" index that gc_init adds to each watched resource; owners of kinds
 * found through discovery are read from the API server.
 *
 * Threading: gc_owner_exists and gc_has_other_owner may block on a GET (a
 * worker only); the others read objects only.
 */
#ifndef GC_GRAPH_H
#define GC_GRAPH_H

#include "gc.h"

/* 1 when the owner d's k-th ownerReference names exists: for a watched
 * kind, is in its cache (or the cache cannot tell yet); for a kind found
 * through discovery, the API server holds it under that name and uid (or
 * cannot tell). 0 when it does not; -1 when its kind is neither. Blocks on
 * a GET for a found kind (a worker only). */
int gc_owner_exists(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const cplane_object *d, int k);

/* Index of d's ownerReference naming uid, or CPLANE_ENOENT; *n_refs gets
 * how many references d has. */
int gc_ref_index(const struct cplane_host_api *api, const cplane_object *d,
                 const char *uid, int *n_refs);

/* 1 when some owner of d other than `uid` still exists (or cannot be
 * told not to). */
int gc_has_other_owner(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *d,
                       const char *uid);

/* 1 when d's reference to uid carries blockOwnerDeletion: true. */
int gc_ref_blocks(const struct cplane_host_api *api, const cplane_object *d,
                  const char *uid);

#endif
