/*
 * recorder - a fixture plugin for the ABI 1.3 entries a controller uses
 * most: it reconciles ConfigMaps labelled events=yes, recording a
 * "Synced" Event about each on every reconcile (so the host's recorder
 * aggregates them into one Event with a count), and through
 * enqueue_owner it reconciles a ConfigMap again when a Secret labelled
 * events-child=yes that the ConfigMap controls changes. It never writes
 * from on_add/on_update: the host's dispatch-write warning must stay
 * quiet for it.
 */
#include <cplane/cplane.h>

#include <stdio.h>

static const struct cplane_host_api *api;

enum { MAPS, SECRETS };

static const struct cplane_resource recorder_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", "events=yes",
     NULL},
    {sizeof(struct cplane_resource), 0, "", "v1", "secrets",
     "events-child=yes", NULL},
};

static int recorder_init(cplane_plugin_ctx *ctx,
                         const struct cplane_host_api *host_api,
                         char **errmsg) {
  (void)errmsg;
  api = host_api;
  /* Secrets need no callback of their own: the host maps each change to
   * the key of the ConfigMap controlling it. */
  return api->enqueue_owner(ctx, SECRETS, "", "ConfigMap",
                            CPLANE_OWNER_CONTROLLER);
}

static void recorder_add(cplane_plugin_ctx *ctx, uint32_t res,
                         const cplane_object *obj) {
  if (res == MAPS)
    api->enqueue(ctx, api->object_key(obj));
}

static void recorder_update(cplane_plugin_ctx *ctx, uint32_t res,
                            const cplane_object *old_obj,
                            const cplane_object *new_obj) {
  (void)old_obj;
  recorder_add(ctx, res, new_obj);
}

static int recorder_reconcile(cplane_plugin_ctx *ctx, const char *key,
                              uint32_t *requeue_after_ms) {
  const cplane_object *cm = NULL;
  int r;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, MAPS, key, &cm) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  r = api->event_record(ctx, &recorder_resources[MAPS], cm, "Normal",
                        "Synced", "ConfigMap %s synced",
                        api->object_name(cm));
  api->log(ctx, CPLANE_LOG_INFO, "recorder reconciled %s: %d", key, r);
  api->object_release(cm);
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_plugin recorder_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "recorder",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = recorder_resources,
    .init = recorder_init,
    .on_add = recorder_add,
    .on_update = recorder_update,
    .reconcile = recorder_reconcile,
};

CPLANE_PLUGIN_DEFINE(recorder_plugin)
