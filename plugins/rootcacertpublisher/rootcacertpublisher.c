/*
 * rootcacertpublisher - the kube-root-ca.crt ConfigMap in every active
 * namespace, as kube-controller-manager's root-ca-cert-publisher keeps
 * it: created when missing, put back when its data or description is
 * changed, created again when deleted (publish.c decides and builds the
 * writes). The CA bundle is read once at start (cafile.c) from `ca_file`,
 * by default the CA the host verifies the API server with.
 *
 * Only ConfigMaps named kube-root-ca.crt are watched (a field selector),
 * so the cache stays one object per namespace.
 *
 * Work keys: a namespace's name.
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers, never
 * for one namespace on two at once. The bundle is set in init and only
 * read after.
 */
#include <cplane/cplane.h>

#include "cafile.h"
#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_host_api *api;
/* The CA bundle; set in init, freed in fini. */
static char *ca;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "namespaces"),
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", NULL,
     "metadata.name=" RC_NAME},
};
#define NAMESPACES 0
#define CONFIGMAPS 1

/* A namespace when added or active; its namespace for our ConfigMap. */
static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  const char *ns = api->object_namespace(obj);

  if (res == NAMESPACES)
    api->enqueue(ctx, api->object_name(obj));
  else if (ns != NULL && strcmp(api->object_name(obj), RC_NAME) == 0)
    api->enqueue(ctx, ns);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  const char *phase = api->object_string(new_obj, "status.phase");

  (void)old_obj;
  /* As kube: a namespace update matters only while it is active. */
  if (res == NAMESPACES && phase != NULL && strcmp(phase, "Active") != 0)
    return;
  on_add(ctx, res, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res == CONFIGMAPS)
    on_add(ctx, res, obj);
}

/* Creates the ConfigMap in ns. A CPLANE_RECONCILE_* code. */
static int create(cplane_plugin_ctx *ctx, const char *ns) {
  char *body = rc_create_body(api, ca), *msg = NULL;
  int code;

  if (body == NULL)
    return CPLANE_RECONCILE_RETRY;
  code = api->create(ctx, &resources[CONFIGMAPS], ns, body, NULL, &msg);
  api->free(body);
  if (code == 201)
    api->log(ctx, CPLANE_LOG_INFO, "namespace %s: published %s", ns, RC_NAME);
  else if (code != 409 && code != 404 && code != 403)
    api->log(ctx, CPLANE_LOG_WARN, "namespace %s: creating %s failed: %d %s",
             ns, RC_NAME, code, msg ? msg : "");
  api->free(msg);
  /* 409: the cache lagged; 404/403: the namespace is gone or
   * terminating, which kube does not retry either. */
  return code == 201 || code == 409 || code == 404 || code == 403
             ? CPLANE_RECONCILE_DONE
             : CPLANE_RECONCILE_RETRY;
}

/* Puts cm right. A CPLANE_RECONCILE_* code. */
static int restore(cplane_plugin_ctx *ctx, const cplane_object *cm) {
  char *patch = rc_update_patch(api, cm, ca), *msg = NULL;
  const char *ns = api->object_namespace(cm);
  int code;

  if (patch == NULL)
    return CPLANE_RECONCILE_RETRY;
  code = api->patch(ctx, &resources[CONFIGMAPS], ns, RC_NAME,
                    CPLANE_PATCH_MERGE, patch, NULL, &msg);
  api->free(patch);
  if (code == 200)
    api->log(ctx, CPLANE_LOG_INFO, "namespace %s: restored %s", ns, RC_NAME);
  else if (code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "namespace %s: restoring %s failed: %d %s",
             ns, RC_NAME, code, msg ? msg : "");
  api->free(msg);
  /* 409/404: changed or gone meanwhile; its event brings us back. */
  return code == 200 || code == 409 || code == 404 ? CPLANE_RECONCILE_DONE
                                                   : CPLANE_RECONCILE_RETRY;
}

static int rc_reconcile(cplane_plugin_ctx *ctx, const char *name,
                        uint32_t *requeue_after_ms) {
  const cplane_object *ns = NULL, *cm = NULL;
  char key[320];
  int rc = CPLANE_RECONCILE_DONE;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, NAMESPACES, name, &ns) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(ns) != NULL)
    goto out; /* terminating: no new objects */
  snprintf(key, sizeof key, "%s/%s", name, RC_NAME);
  if (api->cache_get(ctx, CONFIGMAPS, key, &cm) != CPLANE_OK)
    rc = create(ctx, name);
  else if (rc_needs_update(api, cm, ca))
    rc = restore(ctx, cm);
out:
  api->object_release(cm);
  api->object_release(ns);
  return rc;
}

static int rc_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  const char *path, *why = NULL;
  char text[512];

  api = host_api;
  path = api->config_get(ctx, "ca_file");
  if ((ca = rc_read_ca(path, &why)) == NULL) {
    snprintf(text, sizeof text, "ca_file %s%s%s", path ? path : "",
             path ? ": " : "", why);
    *errmsg = api->string_dup(text);
    return CPLANE_EINVAL;
  }
  api->log(ctx, CPLANE_LOG_INFO,
           "publishing %s (from %s) in every namespace", RC_NAME, path);
  return CPLANE_OK;
}

static void rc_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  free(ca);
  ca = NULL;
}

/* ca_file: the CA bundle to publish (default: the host's CA file). */
static const char *const rc_config_keys[] = {"ca_file", NULL};

static const struct cplane_plugin rc_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "rootcacertpublisher",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = resources,
    .init = rc_init,
    .fini = rc_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = rc_reconcile,
    .config_keys = rc_config_keys,
};

CPLANE_PLUGIN_DEFINE(rc_plugin)
