/*
 * volume - one volume's sync. See volume.h.
 */
#include "volume.h"

#include "bind.h"
#include "match.h"

#include <stdio.h>
#include <string.h>

static const struct cplane_resource *volumes = &pv_resources[PV_VOLUMES];

/* The claim pv's claimRef names, from the cache or, when the cache does
 * not have it, from the API server (a claim made a moment ago must not
 * count as deleted). 1 with *out owned, 0 when it is gone, -1 when the
 * server could not say. */
static int find_claim(const struct cplane_host_api *api,
                      cplane_plugin_ctx *ctx, const cplane_object *pv,
                      const cplane_object **out) {
  const char *ns = api->object_string(pv, "spec.claimRef.namespace");
  const char *name = api->object_string(pv, "spec.claimRef.name");
  char key[512];
  int code;

  *out = NULL;
  if (ns == NULL || name == NULL)
    return 0;
  snprintf(key, sizeof key, "%s/%s", ns, name);
  if (api->cache_get(ctx, PV_CLAIMS, key, out) == CPLANE_OK)
    return 1;
  code = api->get(ctx, &pv_resources[PV_CLAIMS], ns, name, out, NULL);
  if (code == 200)
    return 1;
  return code == 404 ? 0 : -1;
}

/* The claim is gone: Released, then the reclaim policy. */
static int release(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *pv) {
  const char *policy = api->object_string(pv, "spec.persistentVolumeReclaimPolicy");
  char *msg = NULL;
  int code;

  if (pv_volume_phase(api, ctx, pv, "Released") < 0)
    return CPLANE_RECONCILE_RETRY;
  if (policy == NULL || strcmp(policy, "Delete") != 0)
    return CPLANE_RECONCILE_DONE; /* Retain (or Recycle): kept */
  code = api->delete_object(ctx, volumes, NULL, api->object_name(pv), NULL,
                            &msg);
  if (code != 200 && code != 202 && code != 404) {
    api->event_record(ctx, volumes, pv, "Warning", "VolumeFailedDelete", "%s",
                      msg != NULL ? msg : "delete failed");
    api->free(msg);
    return CPLANE_RECONCILE_RETRY;
  }
  api->free(msg);
  api->log(ctx, CPLANE_LOG_INFO, "deleted released volume %s",
           api->object_name(pv));
  return CPLANE_RECONCILE_DONE;
}

static int sync_claimed(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const cplane_object *pv) {
  const char *uid = api->object_string(pv, "spec.claimRef.uid");
  const cplane_object *claim = NULL;
  const char *bound_to;
  int found, rc = CPLANE_RECONCILE_DONE;

  if (uid == NULL || uid[0] == '\0') /* pre-bound, waiting for its claim */
    return pv_volume_phase(api, ctx, pv, "Available") < 0
               ? CPLANE_RECONCILE_RETRY
               : CPLANE_RECONCILE_DONE;
  found = find_claim(api, ctx, pv, &claim);
  if (found < 0)
    return CPLANE_RECONCILE_RETRY;
  if (!found || api->object_uid(claim) == NULL ||
      strcmp(api->object_uid(claim), uid) != 0) {
    rc = release(api, ctx, pv);
    goto out;
  }
  bound_to = api->object_string(claim, "spec.volumeName");
  if (bound_to != NULL && strcmp(bound_to, api->object_name(pv)) == 0 &&
      pv_volume_phase(api, ctx, pv, "Bound") < 0)
    rc = CPLANE_RECONCILE_RETRY;
  /* Otherwise the claim's own sync finishes the binding. */
out:
  api->object_release(claim);
  return rc;
}

int pv_sync_volume(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const char *name) {
  const cplane_object *pv = NULL;
  int rc;

  if (api->cache_get(ctx, PV_VOLUMES, name, &pv) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(pv) != NULL)
    rc = CPLANE_RECONCILE_DONE;
  else if (api->object_type(pv, "spec.claimRef") != CPLANE_TYPE_OBJECT)
    rc = pv_volume_phase(api, ctx, pv, "Available") < 0
             ? CPLANE_RECONCILE_RETRY
             : CPLANE_RECONCILE_DONE;
  else
    rc = sync_claimed(api, ctx, pv);
  api->object_release(pv);
  return rc;
}
