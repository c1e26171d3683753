/*
 * writes - the garbagecollector's three writes: release a dependent from
 * one owner, delete (collect) a dependent, remove the owner's finalizer.
 * Each write's text is built by a pure function of its own, so that what
 * goes to the API server is unit-tested.
 *
 * Threading: the gc_release/gc_collect/gc_remove_finalizer writes block
 * (a reconcile's worker only); the builders are pure.
 */
#ifndef GC_WRITES_H
#define GC_WRITES_H

#include "gc.h"

#include <stddef.h>

/* The JSON patch removing d's reference to uid: it tests the uid at the
 * reference's place first, so a reference that moved meanwhile is never
 * the one removed; the last reference takes the list with it, as
 * Kubernetes leaves it. 1 when written to buf, 0 when d does not name
 * uid, -1 when it did not fit. */
int gc_release_patch(const struct cplane_host_api *api, const cplane_object *d,
                     const char *uid, char *buf, size_t size);

/* The DeleteOptions body with this propagationPolicy. 0, or -1 when it did
 * not fit. */
int gc_delete_options(const char *policy, char *buf, size_t size);

/* The JSON patch removing finalizer f from o, guarded by a test of its
 * place. 1 when written, 0 when o lacks f, -1 when it did not fit. */
int gc_finalizer_patch(const struct cplane_host_api *api,
                       const cplane_object *o, const char *f, char *buf,
                       size_t size);

/* Removes d's reference to uid. 0 when done or nothing to do (also on
 * 404 and 422, when d changed under us), -1 to retry. */
int gc_release(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               uint32_t res, const cplane_object *d, const char *uid);

/* Deletes d with this propagationPolicy, unless it is being deleted
 * already. 0 when done (also on 404), -1 to retry. */
int gc_collect(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               uint32_t res, const cplane_object *d, const char *policy);

/* Removes finalizer f from the owner o. 0 when done (also on 404, or
 * when o lacks it), -1 to retry. */
int gc_remove_finalizer(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *o, const char *f);

#endif
