/*
 * serviceaccount - a "default" ServiceAccount in every active namespace,
 * created again when deleted, as kube-controller-manager's
 * serviceaccounts-controller keeps it. Tokens are not made here (they
 * come with the identity work).
 *
 * Work keys: a namespace's name. A namespace added or changed, or its
 * default ServiceAccount deleted, queues it; reconcile creates the
 * ServiceAccount when the cache has none (ensure.c decides; a 409 means
 * the cache lagged, and is fine).
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers, never
 * for one namespace on two at once. No state of its own.
 */
#include <cplane/cplane.h>

#include "ensure.h"

#include <stdio.h>
#include <string.h>

static const struct cplane_host_api *api;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "namespaces"),
    CPLANE_RESOURCE("", "v1", "serviceaccounts"),
};
#define NAMESPACES 0
#define SERVICEACCOUNTS 1

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == NAMESPACES)
    api->enqueue(ctx, api->object_name(obj));
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  on_add(ctx, res, new_obj);
}

/* The default ServiceAccount went: its namespace gets it again. */
static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  const char *ns = api->object_namespace(obj);

  if (res == SERVICEACCOUNTS && ns != NULL &&
      strcmp(api->object_name(obj), SA_NAME) == 0)
    api->enqueue(ctx, ns);
}

static int sa_reconcile(cplane_plugin_ctx *ctx, const char *name,
                        uint32_t *requeue_after_ms) {
  const cplane_object *ns = NULL, *sa = NULL;
  char key[320], *body = NULL, *msg = NULL;
  int code, rc = CPLANE_RECONCILE_DONE;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, NAMESPACES, name, &ns) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (!sa_namespace_active(api, ns))
    goto out;
  snprintf(key, sizeof key, "%s/%s", name, SA_NAME);
  if (api->cache_get(ctx, SERVICEACCOUNTS, key, &sa) == CPLANE_OK)
    goto out;
  if ((body = sa_body(api, name)) == NULL) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  code = api->create(ctx, &resources[SERVICEACCOUNTS], name, body, NULL, &msg);
  if (code == 201)
    api->log(ctx, CPLANE_LOG_INFO, "namespace %s: created ServiceAccount %s",
             name, SA_NAME);
  else if (sa_create_outcome(code) != 0)
    api->log(ctx, CPLANE_LOG_WARN,
             "namespace %s: creating ServiceAccount %s failed: %d %s", name,
             SA_NAME, code, msg ? msg : "");
  rc = sa_create_outcome(code) == 0 ? CPLANE_RECONCILE_DONE
                                    : CPLANE_RECONCILE_RETRY;
out:
  api->free(body);
  api->free(msg);
  api->object_release(sa);
  api->object_release(ns);
  return rc;
}

static int sa_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO,
           "keeping a ServiceAccount \"%s\" in every namespace", SA_NAME);
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const sa_config_keys[] = {NULL};

static const struct cplane_plugin sa_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "serviceaccount",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = resources,
    .init = sa_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = sa_reconcile,
    .config_keys = sa_config_keys,
};

CPLANE_PLUGIN_DEFINE(sa_plugin)
