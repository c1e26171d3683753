/*
 * defaultclass - the default StorageClass. See defaultclass.h.
 */
#include "defaultclass.h"

#include "provision.h"

#define SYNC_WAIT_MS 200

int pv_sync_default_class(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, uint32_t *after_ms) {
  cplane_object_list *classes = NULL;
  char *body, *msg = NULL;
  size_t i, n;
  int code;

  if (!api->cache_has_synced(ctx, PV_CLASSES)) {
    *after_ms = SYNC_WAIT_MS;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  if (api->cache_list(ctx, PV_CLASSES, NULL, NULL, &classes) != CPLANE_OK)
    return CPLANE_RECONCILE_RETRY;
  n = api->list_len(classes);
  for (i = 0; i < n; i++)
    if (pv_class_is_default(api, api->list_at(classes, i)))
      break;
  api->list_free(classes);
  if (i < n)
    return CPLANE_RECONCILE_DONE;
  if ((body = pv_default_class_json(api)) == NULL)
    return CPLANE_RECONCILE_RETRY;
  code = api->create(ctx, &pv_resources[PV_CLASSES], NULL, body, NULL, &msg);
  api->free(body);
  if (code == 201)
    api->log(ctx, CPLANE_LOG_INFO, "created the default StorageClass %s",
             PV_DEFAULT_CLASS_NAME);
  else if (code != 409) /* 409: a class of that name exists, not default */
    api->log(ctx, CPLANE_LOG_WARN, "creating StorageClass %s: %d %s",
             PV_DEFAULT_CLASS_NAME, code, msg != NULL ? msg : "");
  api->free(msg);
  return code == 201 || code == 409 ? CPLANE_RECONCILE_DONE
                                    : CPLANE_RECONCILE_RETRY;
}
