/*
 * propagate - Background, Foreground, Orphan. See propagate.h.
 */
#include "propagate.h"

#include "dyn.h"
#include "graph.h"

#include <stdlib.h>
#include "writes.h"

/* While Foreground dependents block, the owner is looked at again this
 * soon, besides on the dependents' delete events. */
#define FOREGROUND_RECHECK_MS 500

/* One dependent d of uid: released, or collected. How many blocking
 * dependents it leaves (0 or 1); *failed is set after a failed write. */
static int handle_one(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      uint32_t res, const cplane_object *d, const char *uid,
                      enum gc_mode mode, int *failed) {
  if (mode == GC_ORPHAN || gc_has_other_owner(api, ctx, d, uid)) {
    *failed |= gc_release(api, ctx, res, d, uid) != 0;
    return 0;
  }
  *failed |=
      gc_collect(api, ctx, res, d,
                 mode == GC_FOREGROUND ? "Foreground" : "Background") != 0;
  return gc_ref_blocks(api, d, uid);
}

/* The dependents of uid among the kinds found through discovery. */
static int found_dependents(const struct cplane_host_api *api,
                            cplane_plugin_ctx *ctx, const char *uid,
                            enum gc_mode mode, int *failed) {
  struct gc_dep *deps = NULL;
  int n = gc_dyn_dependents(api, gc_dyn_of(api, ctx), uid, &deps), i;
  int blocking = 0;

  if (n < 0) {
    *failed = 1;
    return 0;
  }
  for (i = 0; i < n; i++) {
    blocking += handle_one(api, ctx, deps[i].res, deps[i].obj, uid, mode,
                           failed);
    api->object_release(deps[i].obj);
  }
  free(deps);
  return blocking;
}

int gc_handle_dependents(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const char *uid,
                         enum gc_mode mode) {
  int blocking = 0, failed = 0;
  uint32_t r;

  for (r = 0; r < GC_N_RES; r++) {
    cplane_object_list *list = NULL;
    size_t i, n;

    if (api->cache_list_by_index(ctx, r, "owner-uid", uid, NULL, &list) !=
        CPLANE_OK)
      continue;
    n = api->list_len(list);
    for (i = 0; i < n; i++)
      blocking +=
          handle_one(api, ctx, r, api->list_at(list, i), uid, mode, &failed);
    api->list_free(list);
  }
  blocking += found_dependents(api, ctx, uid, mode, &failed);
  return failed ? -1 : blocking;
}

static int foreground(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      uint32_t res, const cplane_object *o,
                      uint32_t *requeue_after_ms) {
  int left = gc_handle_dependents(api, ctx, api->object_uid(o), GC_FOREGROUND);

  if (left < 0)
    return CPLANE_RECONCILE_RETRY;
  if (left > 0) {
    /* Wait for the dependents' delete events, and look again. */
    *requeue_after_ms = FOREGROUND_RECHECK_MS;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  return gc_remove_finalizer(api, ctx, res, o, "foregroundDeletion") < 0
             ? CPLANE_RECONCILE_RETRY
             : CPLANE_RECONCILE_DONE;
}

int gc_reconcile_owner(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, uint32_t res, const char *key,
                       uint32_t *requeue_after_ms) {
  const cplane_object *o = NULL;
  int rc = CPLANE_RECONCILE_DONE;

  if (gc_get(api, ctx, gc_dyn_of(api, ctx), res, key, &o) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(o) == NULL)
    goto out;
  if (cplane_finalizer_has(api, o, "orphan")) {
    if (gc_handle_dependents(api, ctx, api->object_uid(o), GC_ORPHAN) < 0 ||
        gc_remove_finalizer(api, ctx, res, o, "orphan") < 0)
      rc = CPLANE_RECONCILE_RETRY;
  } else if (cplane_finalizer_has(api, o, "foregroundDeletion")) {
    rc = foreground(api, ctx, res, o, requeue_after_ms);
  }
out:
  api->object_release(o);
  return rc;
}
