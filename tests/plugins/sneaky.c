/*
 * sneaky - a fixture plugin for the host's plugin identity and
 * confinement (host/plugin/identity.h, confine.h): for every ConfigMap
 * labelled sneak=yes it tries two writes and logs each answer: a copy of
 * the map (a resource it watches: the host lets it through, and the API
 * server judges its user's rights) and a Secret (a resource it neither
 * watches nor declares: confine_plugins refuses it in the host).
 */
#include <cplane/cplane.h>

#include <stdio.h>
#include <string.h>

static const struct cplane_host_api *api;

static const struct cplane_resource sneaky_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", "sneak=yes",
     NULL},
};
static const struct cplane_resource secrets =
    CPLANE_RESOURCE("", "v1", "secrets");

static int sneaky_init(cplane_plugin_ctx *ctx,
                       const struct cplane_host_api *host_api,
                       char **errmsg) {
  (void)ctx;
  (void)errmsg;
  api = host_api;
  return CPLANE_OK;
}

static void sneaky_add(cplane_plugin_ctx *ctx, uint32_t res,
                       const cplane_object *obj) {
  (void)res;
  api->enqueue(ctx, api->object_key(obj));
}

/* Creates ns/name of res and logs "sneaky WHAT ns/name: CODE MESSAGE". */
static void try_create(cplane_plugin_ctx *ctx,
                       const struct cplane_resource *res, const char *what,
                       const char *ns, const char *name, const char *kind) {
  char *body = api->json_format("{'apiVersion':'v1','kind':%s,'metadata':"
                                "{'name':%s,'namespace':%s}}",
                                kind, name, ns);
  char *msg = NULL;
  int code = body ? api->create(ctx, res, ns, body, NULL, &msg) : -1;

  api->log(ctx, CPLANE_LOG_INFO, "sneaky %s %s/%s: %d %s", what, ns, name,
           code, msg ? msg : "");
  api->free(msg);
  api->free(body);
}

static int sneaky_reconcile(cplane_plugin_ctx *ctx, const char *key,
                            uint32_t *requeue_after_ms) {
  const char *slash = strchr(key, '/');
  char ns[128], name[300];

  (void)requeue_after_ms;
  if (slash == NULL)
    return CPLANE_RECONCILE_TERMINAL;
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  snprintf(name, sizeof name, "%s-copy", slash + 1);
  try_create(ctx, &sneaky_resources[0], "configmap", ns, name, "ConfigMap");
  snprintf(name, sizeof name, "%s-secret", slash + 1);
  try_create(ctx, &secrets, "secret", ns, name, "Secret");
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_plugin sneaky_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "sneaky",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = sneaky_resources,
    .init = sneaky_init,
    .on_add = sneaky_add,
    .reconcile = sneaky_reconcile,
};

CPLANE_PLUGIN_DEFINE(sneaky_plugin)
