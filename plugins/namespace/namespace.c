/*
 * namespace - empties a namespace that is being deleted, then finalizes
 * it, as kube-controller-manager's namespace controller does.
 *
 * The API server marks a deleted namespace Terminating (deletionTimestamp
 * set) and keeps it while spec.finalizers holds "kubernetes". For such a
 * namespace this plugin (content.c) finds every namespaced resource through
 * discovery - built-in and custom - deletes its objects in the namespace
 * (deletecollection, background propagation), and lists it again, fresh
 * from the API server: the caches may lag (a watch that was down when the
 * objects were created), and a namespace finalized on a stale cache would
 * leave its objects behind. The outcome goes into the namespace's
 * conditions (conditions.c); while anything remains, or any discovery,
 * delete or list failed, it comes back (every second, or with backoff);
 * once all is gone it removes "kubernetes" through the namespace's
 * finalize subresource, and the API server deletes the namespace.
 *
 * Objects held by their own finalizers are deleted once (their
 * controllers finish them) and waited for. New objects cannot appear
 * meanwhile: the API server refuses creates in a terminating namespace.
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers, never
 * for one namespace on two at once. No state of its own. The caches of
 * the content kinds below only wake a namespace up early when something
 * in it is deleted; they never decide anything.
 */
#include <cplane/cplane.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conditions.h"
#include "content.h"

#define FINALIZER "kubernetes"
/* kube requeues a namespace with content left after estimate/2 + 1 s;
 * with no estimate, 1 s. A deletion seen in a cache comes sooner. */
#define POLL_MS 1000

static const struct cplane_host_api *api;

/* resources[NAMESPACES] is the namespaces; the other entries are common
 * namespaced kinds whose deletions wake a terminating namespace up. */
static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "namespaces"),
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "configmaps"),
    CPLANE_RESOURCE("", "v1", "secrets"),
    CPLANE_RESOURCE("", "v1", "events"),
    CPLANE_RESOURCE("coordination.k8s.io", "v1", "leases"),
};
#define NAMESPACES 0
#define N_RESOURCES (sizeof resources / sizeof resources[0])

/* ---- events ---- */

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == NAMESPACES && api->object_deletion_timestamp(obj) != NULL)
    api->enqueue(ctx, api->object_name(obj));
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  on_add(ctx, res, new_obj);
}

/* A deletion inside a namespace may be the last thing it waits for:
 * reconcile looks (and returns at once unless it is terminating). */
static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  const char *ns = api->object_namespace(obj);

  if (res != NAMESPACES && ns != NULL)
    api->enqueue(ctx, ns);
}

/* ---- reconcile ---- */

/* spec.finalizers, split into ours and a JSON array of the others. */
struct finalizers {
  int has_ours, overflow;
  size_t len;
  char others[4096];
};

static int collect(void *userdata, const char *key, const char *str) {
  struct finalizers *f = userdata;
  char *quoted;
  int n;

  (void)key;
  if (str == NULL)
    return 0;
  if (strcmp(str, FINALIZER) == 0) {
    f->has_ours = 1;
    return 0;
  }
  if ((quoted = api->json_format("%s", str)) == NULL) {
    f->overflow = 1;
    return -1;
  }
  n = snprintf(f->others + f->len, sizeof f->others - f->len, "%s%s",
               f->len > 1 ? "," : "", quoted);
  api->free(quoted);
  if (n < 0 || (size_t)n + 2 > sizeof f->others - f->len) {
    f->overflow = 1;
    return -1;
  }
  f->len += (size_t)n;
  return 0;
}

/* The namespace as the API server has it now (a cache may lag): 200 and
 * *out (owned), 404, or another failure. */
static int get_namespace(cplane_plugin_ctx *ctx, const char *name,
                         const cplane_object **out) {
  char path[300], *body = NULL;
  size_t len = 0;
  int code;

  *out = NULL;
  if (snprintf(path, sizeof path, "/api/v1/namespaces/%s", name) >=
      (int)sizeof path)
    return CPLANE_EINVAL;
  code = api->request(ctx, "GET", path, NULL, &body, &len);
  if (code == 200 &&
      (body == NULL || api->object_parse(body, len, out, NULL) != CPLANE_OK))
    code = CPLANE_ERR;
  api->free(body);
  return code;
}

/* PUT /api/v1/namespaces/NAME/finalize with spec.finalizers minus ours,
 * through write_subresource() (ABI 1.1). On an ABI 1.0 host, update()
 * reaches the same path: it builds /api/v1/RESOURCE/NAME, so the resource
 * is "namespaces/NAME" and the name "finalize". Returns the HTTP status. */
static int finalize(cplane_plugin_ctx *ctx, const cplane_object *nsobj,
                    const char *others) {
  const char *name = api->object_name(nsobj);
  char *body, *msg = NULL;
  int code;

  body = api->json_format(
      "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':%s,"
      "'resourceVersion':%s},'spec':{'finalizers':%j}}",
      name, api->object_resource_version(nsobj), others);
  if (body == NULL)
    return CPLANE_ENOMEM;
  code = api->write_subresource(ctx, &resources[NAMESPACES],
                                CPLANE_WRITE_UPDATE, NULL, name, "finalize",
                                body, NULL, &msg);
  if (code != 200 && code != 409)
    api->log(ctx, CPLANE_LOG_WARN, "%s: finalize failed: %d %s", name, code,
             msg ? msg : "");
  api->free(msg);
  api->free(body);
  return code;
}

/* One pass of kube's NamespacedResourcesDeleter: delete the content,
 * record the outcome in the namespace's conditions, and finalize only
 * when fresh lists of every namespaced resource came back empty and
 * nothing failed (a failed discovery or list may hide content). */
static int ns_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *nsobj = NULL;
  struct finalizers f = {0, 0, 1, "["};
  struct ns_content *c = NULL;
  int rc = CPLANE_RECONCILE_DONE, code;

  code = get_namespace(ctx, key, &nsobj);
  if (code == 404)
    return CPLANE_RECONCILE_DONE;
  if (code != 200) {
    api->log(ctx, CPLANE_LOG_WARN, "namespace %s: reading it failed: %d",
             key, code);
    return CPLANE_RECONCILE_RETRY;
  }
  if (api->object_deletion_timestamp(nsobj) == NULL)
    goto out;
  api->object_foreach(nsobj, "spec.finalizers", collect, &f);
  if (f.overflow) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (!f.has_ours)
    goto out; /* finalized already; the API server does the rest */
  if ((c = api->alloc(sizeof *c)) == NULL) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  ns_delete_content(api, ctx, key, c);
  if (ns_update_conditions(api, ctx, &resources[NAMESPACES], nsobj, c) ==
      200) {
    api->object_release(nsobj); /* finalize needs its resourceVersion */
    if (get_namespace(ctx, key, &nsobj) != 200) {
      rc = CPLANE_RECONCILE_RETRY;
      goto out;
    }
  }
  if (c->discovery_failures > 0 || c->delete_failures > 0) {
    api->log(ctx, CPLANE_LOG_WARN, "namespace %s: %s%s%s", key,
             c->discovery_errors, c->discovery_failures ? "; " : "",
             c->delete_errors);
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (c->remaining > 0) {
    *requeue_after_ms = POLL_MS;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  strcpy(f.others + f.len, "]");
  code = finalize(ctx, nsobj, f.others);
  if (code == 200)
    api->log(ctx, CPLANE_LOG_INFO, "namespace %s: emptied and finalized",
             key);
  else if (code != 404)
    rc = CPLANE_RECONCILE_RETRY; /* 409: the next run sees the newer one */
out:
  api->free(c);
  api->object_release(nsobj);
  return rc;
}

static int ns_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "emptying namespaces that are deleted");
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const namespace_config_keys[] = {NULL};

/* Beyond what it watches: a namespace's content, of every kind, is
 * deleted (confine_plugins). */
static const struct cplane_resource ns_writes[] = {
    CPLANE_RESOURCE("*", "v1", "*"),
};

static const struct cplane_plugin namespace_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "namespace",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = N_RESOURCES,
    .resources = resources,
    .init = ns_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = ns_reconcile,
    .config_keys = namespace_config_keys,
    .n_writes = 1,
    .writes = ns_writes,
};

CPLANE_PLUGIN_DEFINE(namespace_plugin)
