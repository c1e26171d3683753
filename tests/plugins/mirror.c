/*
 * mirror - a fixture plugin that writes through the live host API: for
 * every ConfigMap labelled mirror=yes it keeps a copy named <name>-mirror
 * with the same data (create, or a merge patch when it exists), and
 * deletes the copy when the source goes. Each write's result is logged
 * with the server's status code, so the tests can see the round trip.
 */
#include <cplane/cplane.h>

#include <stdio.h>
#include <string.h>

static const struct cplane_host_api *api;

/* Only labelled ConfigMaps: the host's reflector passes the selector to
 * the server. */
static const struct cplane_resource mirror_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", "mirror=yes",
     NULL},
};

static int mirror_init(cplane_plugin_ctx *ctx,
                       const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  if (host_api->struct_size < sizeof *host_api)
    return CPLANE_EUNAVAILABLE;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "mirroring configmaps labelled mirror=yes");
  return CPLANE_OK;
}

static void mirror_add(cplane_plugin_ctx *ctx, uint32_t res,
                       const cplane_object *obj) {
  (void)res;
  api->enqueue(ctx, api->object_key(obj));
}

static void mirror_update(cplane_plugin_ctx *ctx, uint32_t res,
                          const cplane_object *old_obj,
                          const cplane_object *new_obj) {
  (void)res;
  (void)old_obj;
  api->enqueue(ctx, api->object_key(new_obj));
}

static void mirror_delete(cplane_plugin_ctx *ctx, uint32_t res,
                          const cplane_object *obj) {
  (void)res;
  api->enqueue(ctx, api->object_key(obj));
}

static int mirror_reconcile(cplane_plugin_ctx *ctx, const char *key,
                            uint32_t *requeue_after_ms) {
  const cplane_object *src = NULL;
  char ns[128], name[256], copy[300], *data, *body, *msg = NULL;
  const char *slash = strchr(key, '/');
  int code;

  (void)requeue_after_ms;
  if (slash == NULL)
    return CPLANE_RECONCILE_TERMINAL;
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  snprintf(name, sizeof name, "%s", slash + 1);
  snprintf(copy, sizeof copy, "%s-mirror", name);
  if (api->cache_get(ctx, 0, key, &src) == CPLANE_ENOENT) {
    code = api->delete_object(ctx, &mirror_resources[0], ns, copy, NULL,
                              &msg);
    api->log(ctx, CPLANE_LOG_INFO, "delete %s/%s: %d", ns, copy, code);
    api->free(msg);
    return code == 200 || code == 404 ? CPLANE_RECONCILE_DONE
                                      : CPLANE_RECONCILE_RETRY;
  }
  data = api->object_json(src, "data");
  api->object_release(src);
  body = api->json_format("{'apiVersion':'v1','kind':'ConfigMap','metadata':"
                          "{'name':%s,'namespace':%s},'data':%j}",
                          copy, ns, data ? data : "{}");
  api->free(data);
  if (body == NULL)
    return CPLANE_RECONCILE_TERMINAL;
  code = api->create(ctx, &mirror_resources[0], ns, body, NULL, &msg);
  if (code == 409) {
    api->free(msg);
    msg = NULL;
    code = api->patch(ctx, &mirror_resources[0], ns, copy, CPLANE_PATCH_MERGE,
                      body, NULL, &msg);
  }
  api->log(ctx, CPLANE_LOG_INFO, "mirror %s -> %s: %d%s%s", key, copy, code,
           msg ? " " : "", msg ? msg : "");
  api->free(msg);
  api->free(body);
  return code == 200 || code == 201 ? CPLANE_RECONCILE_DONE
                                    : CPLANE_RECONCILE_RETRY;
}

static const struct cplane_plugin mirror_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "mirror",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = mirror_resources,
    .init = mirror_init,
    .on_add = mirror_add,
    .on_update = mirror_update,
    .on_delete = mirror_delete,
    .reconcile = mirror_reconcile,
};

CPLANE_PLUGIN_DEFINE(mirror_plugin)
