/*
 * namespace - empties a namespace that is being deleted, then finalizes
 * it, as kube-controller-manager's namespace controller does.
 *
 * The API server marks a deleted namespace Terminating (deletionTimestamp
 * set) and keeps it while spec.finalizers holds "kubernetes". For such a
 * namespace this plugin deletes every object of every namespaced built-in
 * kind in it (from its caches, by name; a 404 is fine), comes back every
 * half second until its caches show none left, then removes "kubernetes"
 * through the namespace's finalize subresource; the API server deletes the
 * namespace once spec.finalizers and metadata.finalizers are both empty,
 * and removes the namespace's custom resources with it.
 *
 * Objects held by their own finalizers are deleted once (their
 * controllers finish them) and waited for. New objects cannot appear
 * meanwhile: the API server refuses creates in a terminating namespace.
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers, never
 * for one namespace on two at once. No state besides the host's caches.
 */
#include <cplane/cplane.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define FINALIZER "kubernetes"
#define POLL_MS 500

static const struct cplane_host_api *api;

/* resources[NAMESPACES] is the namespaces; every other entry is a
 * namespaced built-in kind to empty (host/apiserver/resources.c), owners
 * before what they own, so that a ReplicaSet is gone before its pods are
 * deleted and does not make new ones. */
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

/* Deletes what the caches still show in ns; returns how many objects are
 * left (deleted now or waiting on their finalizers), or -1 when a cache
 * has not synced or a delete failed. */
static int empty_namespace(cplane_plugin_ctx *ctx, const char *ns) {
  uint32_t r;
  int left = 0, failed = 0;

  for (r = NAMESPACES + 1; r < N_RESOURCES; r++) {
    cplane_object_list *list = NULL;
    size_t i, n;

    if (!api->cache_has_synced(ctx, r))
      return -1;
    if (api->cache_list(ctx, r, ns, NULL, &list) != CPLANE_OK)
      return -1;
    n = api->list_len(list);
    for (i = 0; i < n; i++) {
      const cplane_object *o = api->list_at(list, i);
      char *msg = NULL;
      int code;

      left++;
      if (api->object_deletion_timestamp(o) != NULL)
        continue; /* deleted before; its finalizers are someone's job */
      code = api->delete_object(ctx, &resources[r], ns, api->object_name(o),
                                "{\"propagationPolicy\":\"Background\"}",
                                &msg);
      if (code != 200 && code != 202 && code != 404) {
        api->log(ctx, CPLANE_LOG_WARN, "%s: deleting %s %s failed: %d %s",
                 ns, resources[r].resource, api->object_name(o), code,
                 msg ? msg : "");
        failed = 1;
      }
      api->free(msg);
    }
    api->list_free(list);
  }
  return failed ? -1 : left;
}

/* PUT /api/v1/namespaces/NAME/finalize with spec.finalizers minus ours,
 * through write_subresource() (ABI 1.1). On an ABI 1.0 host, update()
 * reaches the same path: it builds /api/v1/RESOURCE/NAME, so the resource
 * is "namespaces/NAME" and the name "finalize". Returns the HTTP status. */
static int finalize(cplane_plugin_ctx *ctx, const cplane_object *nsobj,
                    const char *others) {
  const char *name = api->object_name(nsobj);
  char path[300], *body, *msg = NULL;
  struct cplane_resource fin = CPLANE_RESOURCE("", "v1", NULL);
  int code;

  body = api->json_format(
      "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':%s,"
      "'resourceVersion':%s},'spec':{'finalizers':%j}}",
      name, api->object_resource_version(nsobj), others);
  if (body == NULL)
    return CPLANE_ENOMEM;
  if (CPLANE_API_HAS(api, write_subresource)) {
    code = api->write_subresource(ctx, &resources[NAMESPACES],
                                  CPLANE_WRITE_UPDATE, NULL, name,
                                  "finalize", body, NULL, &msg);
  } else {
    snprintf(path, sizeof path, "namespaces/%s", name);
    fin.resource = path;
    code = api->update(ctx, &fin, NULL, "finalize", body, NULL, &msg);
  }
  if (code != 200 && code != 409)
    api->log(ctx, CPLANE_LOG_WARN, "%s: finalize failed: %d %s", name, code,
             msg ? msg : "");
  api->free(msg);
  api->free(body);
  return code;
}

static int ns_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *nsobj = NULL;
  struct finalizers f = {0, 0, 1, "["};
  int rc = CPLANE_RECONCILE_DONE, left, code;

  if (api->cache_get(ctx, NAMESPACES, key, &nsobj) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(nsobj) == NULL)
    goto out;
  api->object_foreach(nsobj, "spec.finalizers", collect, &f);
  if (f.overflow) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (!f.has_ours)
    goto out; /* finalized already; the API server does the rest */
  left = empty_namespace(ctx, key);
  if (left != 0) {
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
  api->object_release(nsobj);
  return rc;
}

static int ns_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  /* The ABI 1.0 table is enough; newer entries are checked at use. */
  if (host_api->struct_size <
      offsetof(struct cplane_host_api, string_dup) + sizeof(void *))
    return CPLANE_EUNAVAILABLE;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "emptying namespaces that are deleted");
  return CPLANE_OK;
}

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
};

CPLANE_PLUGIN_DEFINE(namespace_plugin)
