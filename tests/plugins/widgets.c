/*
 * widgets - a fixture plugin that watches a custom resource
 * (widgets.example.com/v1), which is not served until a test creates its
 * CRD. It enqueues every widget and logs each reconcile, so a test sees
 * when it started and that events reach it.
 */
#include <cplane/cplane.h>

static const struct cplane_host_api *api;

static int widgets_init(cplane_plugin_ctx *ctx,
                        const struct cplane_host_api *host_api,
                        char **errmsg) {
  api = host_api;
  return CPLANE_OK;
}

static void widgets_add(cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *obj) {
  api->enqueue(ctx, api->object_key(obj));
}

static int widgets_reconcile(cplane_plugin_ctx *ctx, const char *key,
                             uint32_t *requeue_after_ms) {
  api->log(ctx, CPLANE_LOG_INFO, "widget %s reconciled", key);
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_resource widgets_resources[] = {
    CPLANE_RESOURCE("example.com", "v1", "widgets"),
};

static const char *const widgets_config_keys[] = {NULL};

static const struct cplane_plugin widgets_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "widgets",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = widgets_resources,
    .init = widgets_init,
    .on_add = widgets_add,
    .reconcile = widgets_reconcile,
    .config_keys = widgets_config_keys,
};

CPLANE_PLUGIN_DEFINE(widgets_plugin)
