/*
 * configmap_hash.c - a Deployment annotated example.cplane.io/configmap=NAME
 * gets example.cplane.io/config-hash in its pod template, a stable hash of
 * that ConfigMap's data: an edit rolls it out again (docs/plugin-guide.md).
 */
#include <cplane/cplane.h> /* the whole SDK, with <stdio.h> and <string.h> */

#define REF_ANNOTATION "example.cplane.io/configmap"
#define HASH_PATH                                                              \
  "spec.template.metadata.annotations.example\\.cplane\\.io/config-hash"
#define BY_CM "configmap" /* our index: Deployments by their ConfigMap's key   \
                           */

enum { DEPLOYMENTS, CONFIGMAPS }; /* indexes into resources[] */
static const struct cplane_resource resources[] = {
    [DEPLOYMENTS] = CPLANE_RESOURCE("apps", "v1", "deployments"),
    [CONFIGMAPS] = CPLANE_RESOURCE("", "v1", "configmaps"),
};

static const struct cplane_host_api *api;

/* The key ("ns/name") of the ConfigMap a Deployment names; 0 if none. */
static int configmap_key(const cplane_object *deploy, char *buf, size_t len) {
  const char *cm = api->object_annotation(deploy, REF_ANNOTATION);

  return cm != NULL && snprintf(buf, len, "%s/%s",
                                api->object_namespace(deploy), cm) < (int)len;
}

/* Runs with the cache locked for writing: object readers only. */
static void cmhash_index(void *userdata, const cplane_object *deploy,
                         cplane_index_emit_fn emit, void *emit_ctx) {
  char key[512];

  (void)userdata;
  if (configmap_key(deploy, key, sizeof key))
    emit(emit_ctx, key);
}

static int cmhash_init(cplane_plugin_ctx *ctx,
                       const struct cplane_host_api *host, char **errmsg) {
  (void)errmsg;
  api = host;
  return api->cache_add_index_fn(ctx, DEPLOYMENTS, BY_CM, cmhash_index, NULL);
}

static void cmhash_add(cplane_plugin_ctx *ctx, uint32_t res,
                       const cplane_object *obj) {
  cplane_object_list *deploys = NULL;
  size_t i;

  if (res == DEPLOYMENTS) {
    api->enqueue(ctx, api->object_key(obj));
  } else if (api->cache_list_by_index(ctx, DEPLOYMENTS, BY_CM,
                                      api->object_key(obj), NULL,
                                      &deploys) == CPLANE_OK) {
    for (i = 0; i < api->list_len(deploys); i++)
      api->enqueue(ctx, api->object_key(api->list_at(deploys, i)));
    api->list_free(deploys);
  }
}

static void cmhash_update(cplane_plugin_ctx *ctx, uint32_t res,
                          const cplane_object *old, const cplane_object *obj) {
  if (old != obj) /* a resync hands the same snapshot twice */
    cmhash_add(ctx, res, obj);
}

static int cmhash_reconcile(cplane_plugin_ctx *ctx, const char *key,
                            uint32_t *after) {
  const cplane_object *deploy = NULL, *cm = NULL;
  char cm_key[512], hash[16], *patch = NULL, *msg = NULL;
  uint32_t h = CPLANE_FNV32_OFFSET; /* the hash of no data */
  const char *old;
  int rc = CPLANE_RECONCILE_DONE, code = CPLANE_ENOMEM;

  (void)after;
  if (api->cache_get(ctx, DEPLOYMENTS, key, &deploy) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE; /* deleted: nothing to roll */
  if (!configmap_key(deploy, cm_key, sizeof cm_key) ||
      api->cache_get(ctx, CONFIGMAPS, cm_key, &cm) != CPLANE_OK)
    goto out; /* none yet: its creation queues us again */
  if (api->object_type(cm, "data") != CPLANE_ENOENT &&
      cplane_hash_field32(api, cm, "data", &h) != CPLANE_OK)
    rc = CPLANE_RECONCILE_RETRY; /* no memory to print the data */
  cplane_hash_safe_encode32(h, hash, sizeof hash);
  old = api->object_string(deploy, HASH_PATH);
  if (rc != CPLANE_RECONCILE_DONE || (old != NULL && strcmp(old, hash) == 0))
    goto out; /* failed, or the template has the hash already */
  patch = api->json_format("{'spec':{'template':{'metadata':{'annotations':"
                           "{'example.cplane.io/config-hash':%s}}}}}",
                           hash);
  if (patch != NULL)
    code = api->patch(ctx, &resources[DEPLOYMENTS],
                      api->object_namespace(deploy), api->object_name(deploy),
                      CPLANE_PATCH_MERGE, patch, NULL, &msg);
  if (code == 200)
    api->event_record(ctx, &resources[DEPLOYMENTS], deploy, "Normal",
                      "ConfigHashChanged", "ConfigMap %s has hash %s",
                      api->object_name(cm), hash);
  else /* a 404 retries once, then finds the Deployment gone */
    api->log(ctx, CPLANE_LOG_WARN, "%s: %d %s", key, code, msg ? msg : "");
  rc = code == 200 ? CPLANE_RECONCILE_DONE : CPLANE_RECONCILE_RETRY;
out:
  api->free(msg);
  api->free(patch);
  api->object_release(cm);
  api->object_release(deploy);
  return rc;
}

static const struct cplane_plugin cmhash_plugin = {
    CPLANE_PLUGIN_HEADER,       .name = "configmap-hash",
    .version = "0.1.0",         .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,           .resources = resources,
    .init = cmhash_init,        .on_add = cmhash_add,
    .on_update = cmhash_update, .reconcile = cmhash_reconcile,
}; /* no on_delete: a deletion needs no work */

CPLANE_PLUGIN_DEFINE(cmhash_plugin)
