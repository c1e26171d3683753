/*
 * claim - adopting and releasing a DaemonSet's pods. See claim.h.
 */
#include "claim.h"

#include <string.h>

/* One ownerReferences patch of pod; 1 when made, 0 when the pod is gone
 * or changed (its uid: nothing to do), -1 on failure. */
static int patch_owner(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *ds,
                       const cplane_object *pod, const char *refs,
                       const char *what) {
  char *patch = api->json_format("{'metadata':{'ownerReferences':%j,"
                                 "'uid':%s}}",
                                 refs, api->object_uid(pod));
  char *msg = NULL;
  int code, rc;

  if (patch == NULL)
    return -1;
  code = api->patch(ctx, &ds_resources[DS_PODS], api->object_namespace(pod),
                    api->object_name(pod), CPLANE_PATCH_STRATEGIC, patch, NULL,
                    &msg);
  rc = code == 200 ? 1 : code == 404 || code == 409 || code == 422 ? 0 : -1;
  if (rc < 0)
    api->log(ctx, CPLANE_LOG_WARN, "%s: %s pod %s failed: %d %s",
             api->object_key(ds), what, api->object_name(pod), code,
             msg != NULL ? msg : "");
  api->free(msg);
  api->free(patch);
  return rc;
}

static int adopt(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 const cplane_object *ds, const cplane_object *pod) {
  char *ref = cplane_controller_ref_json(api, ds, "apps/v1", "DaemonSet");
  char *refs = ref != NULL ? api->json_format("[%j]", ref) : NULL;
  int rc = refs != NULL ? patch_owner(api, ctx, ds, pod, refs, "adopting") : -1;

  api->free(ref);
  api->free(refs);
  return rc;
}

static int release(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *ds, const cplane_object *pod) {
  char *refs =
      api->json_format("[{'$patch':'delete','uid':%s}]", api->object_uid(ds));
  int rc =
      refs != NULL ? patch_owner(api, ctx, ds, pod, refs, "releasing") : -1;

  api->free(refs);
  return rc;
}

int ds_claim_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const cplane_object *ds, const char *selector) {
  cplane_object_list *matching = NULL, *owned = NULL;
  int changed = 0, failed = 0, r;
  size_t i;

  if (api->cache_list(ctx, DS_PODS, api->object_namespace(ds), selector,
                      &matching) != CPLANE_OK ||
      api->cache_list_by_index(ctx, DS_PODS, "owner-uid", api->object_uid(ds),
                               NULL, &owned) != CPLANE_OK) {
    api->list_free(matching);
    return -1;
  }
  for (i = 0; i < api->list_len(matching); i++) {
    const cplane_object *pod = api->list_at(matching, i);

    if (api->object_controller_uid(pod) != NULL ||
        api->object_deletion_timestamp(pod) != NULL)
      continue;
    if ((r = adopt(api, ctx, ds, pod)) < 0)
      failed = 1;
    else
      changed += r;
  }
  for (i = 0; i < api->list_len(owned); i++) {
    const cplane_object *pod = api->list_at(owned, i);

    if (!cplane_is_controlled_by(api, pod, api->object_uid(ds)) ||
        api->object_deletion_timestamp(pod) != NULL ||
        api->object_labels_match(pod, selector) == 1)
      continue;
    if ((r = release(api, ctx, ds, pod)) < 0)
      failed = 1;
    else
      changed += r;
  }
  api->list_free(matching);
  api->list_free(owned);
  return failed ? -1 : changed;
}
