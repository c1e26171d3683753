/*
 * dangling - references to owners deleted while the collector was not
 * running, found when a dependent is seen: an owner of a kind watched
 * here that is in no cache is looked for again after 5 s ("check" enqueues
 * "confirm"; a new owner may not be in the cache yet), and the dependent
 * is collected (or, when another owner exists, released) if it is still
 * missing. An owner of a kind found through discovery (dyn.h) is read
 * from the API server instead; owners of kinds discovery does not list
 * are never presumed gone.
 *
 * Threading: blocks on writes (a reconcile's worker only).
 */
#ifndef GC_DANGLING_H
#define GC_DANGLING_H

#include "gc.h"

#define GC_DANGLING_RECHECK_MS 5000

/* Reconciles "check/<res>/<key>" (confirm 0) or "confirm/<res>/<key>"
 * (confirm 1). A CPLANE_RECONCILE_* code. */
int gc_reconcile_dependent(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, uint32_t res,
                           const char *key, int confirm);

#endif
