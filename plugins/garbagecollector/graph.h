/*
 * graph - the ownerReferences graph as the caches hold it: does an owner
 * exist, where does a dependent name it, has the dependent another owner.
 * Dependents are found through the "owner-uid" index, owners through the
 * "uid" index that gc_init adds to each watched resource.
 *
 * Threading: reads the caches only; any worker or callback may call.
 */
#ifndef GC_GRAPH_H
#define GC_GRAPH_H

#include "gc.h"

/* 1 when the owner with this kind and uid is in a cache (or the cache
 * cannot tell yet), 0 when it is of a watched kind and in none, -1 when
 * its kind is not watched here. */
int gc_owner_exists(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const char *kind, const char *uid);

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
