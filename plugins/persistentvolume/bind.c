/*
 * bind - the writes that bind a claim and a volume. See bind.h.
 */
#include "bind.h"

#include <string.h>

/* Sends a merge patch (owned here) to res/ns/name or its status. */
static int send(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                uint32_t res, const cplane_object *o, const char *sub,
                char *patch, const char *what) {
  char *msg = NULL;
  int code;

  if (patch == NULL) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: out of memory %s",
             api->object_key(o), what);
    return -1;
  }
  code = api->patch_subresource(ctx, &pv_resources[res],
                                api->object_namespace(o), api->object_name(o),
                                sub, CPLANE_PATCH_MERGE, patch, NULL, &msg);
  api->free(patch);
  if (code != 200)
    api->log(ctx, code == 409 ? CPLANE_LOG_DEBUG : CPLANE_LOG_WARN,
             "%s: %s: %d %s", api->object_key(o), what, code,
             msg != NULL ? msg : "");
  api->free(msg);
  return code == 200 ? 0 : -1;
}

int pv_bind_volume(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *pv, const cplane_object *claim) {
  const char *uid = api->object_string(pv, "spec.claimRef.uid");
  const char *claim_uid = api->object_uid(claim);
  int by_us = api->object_type(pv, "spec.claimRef") != CPLANE_TYPE_OBJECT;

  if (claim_uid == NULL)
    return -1; /* not an object the API server stored */
  if (uid != NULL && strcmp(uid, claim_uid) == 0)
    return 0;
  return send(
      api, ctx, PV_VOLUMES, pv, NULL,
      by_us ? api->json_format(
                  "{'metadata':{'resourceVersion':%s,'annotations':{%s:'yes'}},"
                  "'spec':{'claimRef':{'kind':'PersistentVolumeClaim',"
                  "'apiVersion':'v1','namespace':%s,'name':%s,'uid':%s,"
                  "'resourceVersion':%s}}}",
                  api->object_resource_version(pv), PV_ANN_BOUND_BY_CONTROLLER,
                  api->object_namespace(claim), api->object_name(claim),
                  api->object_uid(claim), api->object_resource_version(claim))
            : api->json_format(
                  "{'metadata':{'resourceVersion':%s},'spec':{'claimRef':{"
                  "'kind':'PersistentVolumeClaim','apiVersion':'v1',"
                  "'namespace':%s,'name':%s,'uid':%s,'resourceVersion':%s}}}",
                  api->object_resource_version(pv),
                  api->object_namespace(claim), api->object_name(claim),
                  api->object_uid(claim), api->object_resource_version(claim)),
      "binding the volume");
}

int pv_volume_phase(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const cplane_object *pv, const char *phase) {
  const char *cur = api->object_string(pv, "status.phase");
  char now[CPLANE_TIME_LEN];

  if (cur != NULL && strcmp(cur, phase) == 0)
    return 0;
  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  return send(api, ctx, PV_VOLUMES, pv, "status",
              api->json_format("{'metadata':{'resourceVersion':%s},'status':{"
                               "'phase':%s,'lastPhaseTransitionTime':%s}}",
                               api->object_resource_version(pv), phase, now),
              "setting the volume's phase");
}

int pv_bind_claim(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const cplane_object *claim, const cplane_object *pv) {
  const char *name = api->object_string(claim, "spec.volumeName");
  const char *done = api->object_annotation(claim, PV_ANN_BIND_COMPLETED);
  int by_us = name == NULL || name[0] == '\0';

  if (!by_us && done != NULL && strcmp(done, "yes") == 0)
    return 0;
  return send(
      api, ctx, PV_CLAIMS, claim, NULL,
      by_us ? api->json_format("{'metadata':{'resourceVersion':%s,"
                               "'annotations':{%s:'yes',%s:'yes'}},"
                               "'spec':{'volumeName':%s}}",
                               api->object_resource_version(claim),
                               PV_ANN_BIND_COMPLETED,
                               PV_ANN_BOUND_BY_CONTROLLER, api->object_name(pv))
            : api->json_format("{'metadata':{'resourceVersion':%s,"
                               "'annotations':{%s:'yes'}}}",
                               api->object_resource_version(claim),
                               PV_ANN_BIND_COMPLETED),
      "binding the claim");
}

int pv_claim_phase(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *claim, const cplane_object *pv,
                   const char *phase) {
  const char *cur = api->object_string(claim, "status.phase");
  char *modes, *cap, *patch;

  if (pv == NULL)
    return cur != NULL && strcmp(cur, phase) == 0
               ? 0
               : send(api, ctx, PV_CLAIMS, claim, "status",
                      api->json_format("{'status':{'phase':%s}}", phase),
                      "setting the claim's phase");
  if (cur != NULL && strcmp(cur, phase) == 0 &&
      api->object_type(claim, "status.capacity") == CPLANE_TYPE_OBJECT)
    return 0;
  modes = api->object_json(pv, "spec.accessModes");
  cap = api->object_json(pv, "spec.capacity");
  patch = modes != NULL && cap != NULL
              ? api->json_format("{'status':{'phase':%s,'accessModes':%j,"
                                 "'capacity':%j}}",
                                 phase, modes, cap)
              : NULL;
  api->free(modes);
  api->free(cap);
  return send(api, ctx, PV_CLAIMS, claim, "status", patch,
              "setting the claim's phase");
}
