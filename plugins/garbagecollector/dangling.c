/*
 * dangling - owners that went while no one looked. See dangling.h.
 */
#include "dangling.h"

#include "dyn.h"
#include "graph.h"
#include "keys.h"
#include "writes.h"

/* How many of d's owners are missing (*missing) and present or
 * unknowable (*present). */
static void count_owners(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *d,
                         int *missing, int *present) {
  int n = api->object_len(d, GC_OWNERS), k;

  for (k = 0; k < n; k++) {
    const char *u = cplane_array_string(api, d, GC_OWNERS, k, "uid");
    int e;

    if (u == NULL)
      continue;
    e = gc_owner_exists(api, ctx, d, k);
    *missing += e == 0;
    *present += e != 0;
  }
}

/* Still missing: act as if each gone owner's delete had been seen. */
static int act(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               uint32_t res, const cplane_object *d, const char *key,
               int present) {
  int k, rc = CPLANE_RECONCILE_DONE;

  for (k = api->object_len(d, GC_OWNERS) - 1; k >= 0; k--) {
    const char *u = cplane_array_string(api, d, GC_OWNERS, k, "uid");
    const char *kind = cplane_array_string(api, d, GC_OWNERS, k, "kind");

    if (u == NULL || gc_owner_exists(api, ctx, d, k) != 0)
      continue;
    api->log(ctx, CPLANE_LOG_INFO, "%s %s: owner %s %s is gone",
             gc_kind(gc_dyn_of(api, ctx), res), key, kind, u);
    if ((present > 0 ? gc_release(api, ctx, res, d, u)
                     : gc_collect(api, ctx, res, d, "Background")) != 0)
      rc = CPLANE_RECONCILE_RETRY;
    if (present == 0)
      break; /* deleted: nothing more to release */
  }
  return rc;
}

int gc_reconcile_dependent(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, uint32_t res,
                           const char *key, int confirm) {
  const cplane_object *d = NULL;
  int rc = CPLANE_RECONCILE_DONE, missing = 0, present = 0;

  if (gc_get(api, ctx, gc_dyn_of(api, ctx), res, key, &d) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(d) != NULL)
    goto out;
  count_owners(api, ctx, d, &missing, &present);
  if (missing == 0)
    goto out;
  if (!confirm) {
    char again[GC_KEY_MAX];

    if (gc_key_format(again, sizeof again, "confirm", res, key) == 0)
      api->enqueue_after(ctx, again, GC_DANGLING_RECHECK_MS);
    goto out;
  }
  rc = act(api, ctx, res, d, key, present);
out:
  api->object_release(d);
  return rc;
}
