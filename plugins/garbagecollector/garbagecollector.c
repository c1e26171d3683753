/*
 * garbagecollector - deletes what is owned by something that is gone, as
 * the three propagation policies ask:
 *
 *  - Background: the owner is gone from the store; its dependents (objects
 *    whose ownerReferences name its uid) are deleted.
 *  - Foreground: the owner is being deleted and holds the
 *    foregroundDeletion finalizer; its dependents are deleted, and once
 *    none is left the finalizer is removed, which lets the owner go.
 *  - Orphan: the owner holds the orphan finalizer; the ownerReference is
 *    removed from each dependent, then the finalizer.
 *
 * Owners and dependents here: Deployments own ReplicaSets, ReplicaSets own
 * Pods. Reconcile keys are "<kind>/<namespace>/<name>" for an owner being
 * deleted, and "gone/<namespace>/<uid>" for an owner already gone.
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers.
 */
#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_host_api *api;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("", "v1", "pods"),
};
#define DEPLOY 0
#define RS 1
#define PODS 2
static const char *const kinds[] = {"deploy", "rs", "pod"};

static int has_finalizer(const cplane_object *o, const char *f) {
  int n = api->object_len(o, "metadata.finalizers"), i;
  char path[64];

  for (i = 0; i < n; i++) {
    const char *v;

    snprintf(path, sizeof path, "metadata.finalizers[%d]", i);
    v = api->object_string(o, path);
    if (v != NULL && strcmp(v, f) == 0)
      return 1;
  }
  return 0;
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[300];

  if (res == PODS || api->object_deletion_timestamp(obj) == NULL)
    return;
  snprintf(key, sizeof key, "%s/%s", kinds[res], api->object_key(obj));
  api->enqueue(ctx, key);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  on_add(ctx, res, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[300];

  if (res == PODS || has_finalizer(obj, "orphan"))
    return;
  snprintf(key, sizeof key, "gone/%s/%s", api->object_namespace(obj),
           api->object_uid(obj));
  api->enqueue(ctx, key);
}

/* The dependent resource of an owner resource. */
static uint32_t dependents_of(uint32_t owner) {
  return owner == DEPLOY ? RS : PODS;
}

/* Deletes (or, orphaning, releases) every dependent of uid. Returns how
 * many dependents are left to wait for, or -1 on a failed write. */
static int handle_dependents(cplane_plugin_ctx *ctx, uint32_t dep_res,
                             const char *uid, int orphan) {
  cplane_object_list *list = NULL;
  size_t i, n;
  int left = 0, failed = 0;

  if (api->cache_list_by_index(ctx, dep_res, "owner-uid", uid, NULL,
                               &list) != CPLANE_OK)
    return -1;
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *d = api->list_at(list, i);
    char *msg = NULL;
    int code;

    if (orphan) {
      int refs = api->object_len(d, "metadata.ownerReferences"), k;
      char path[96], patch[256], target[64];

      for (k = 0; k < refs; k++) {
        const char *u;

        snprintf(path, sizeof path, "metadata.ownerReferences[%d].uid", k);
        u = api->object_string(d, path);
        if (u == NULL || strcmp(u, uid) != 0)
          continue;
        /* test first: never remove a reference that moved meanwhile; the
         * last one takes the list with it, as Kubernetes leaves it */
        if (refs == 1)
          snprintf(target, sizeof target, "/metadata/ownerReferences");
        else
          snprintf(target, sizeof target, "/metadata/ownerReferences/%d", k);
        snprintf(patch, sizeof patch,
                 "[{\"op\":\"test\",\"path\":\"/metadata/ownerReferences/%d/"
                 "uid\",\"value\":\"%s\"},{\"op\":\"remove\",\"path\":"
                 "\"%s\"}]",
                 k, uid, target);
        code = api->patch(ctx, &resources[dep_res], api->object_namespace(d),
                          api->object_name(d), CPLANE_PATCH_JSON, patch, NULL,
                          &msg);
        failed += code != 200;
        break;
      }
    } else {
      if (api->object_deletion_timestamp(d) == NULL) {
        code = api->delete_object(
            ctx, &resources[dep_res], api->object_namespace(d),
            api->object_name(d), "{\"propagationPolicy\":\"Background\"}",
            &msg);
        failed += code != 200 && code != 404;
      }
      left++;
    }
    api->free(msg);
  }
  api->list_free(list);
  return failed ? -1 : left;
}

/* Removes finalizer f from the owner, guarded by its resourceVersion. */
static int remove_finalizer(cplane_plugin_ctx *ctx, uint32_t res,
                            const cplane_object *o, const char *f) {
  int n = api->object_len(o, "metadata.finalizers"), i, code;
  char path[64], patch[256], *msg = NULL;

  for (i = 0; i < n; i++) {
    const char *v;

    snprintf(path, sizeof path, "metadata.finalizers[%d]", i);
    v = api->object_string(o, path);
    if (v == NULL || strcmp(v, f) != 0)
      continue;
    snprintf(patch, sizeof patch,
             "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/%d\","
             "\"value\":\"%s\"},{\"op\":\"remove\",\"path\":"
             "\"/metadata/finalizers/%d\"}]",
             i, f, i);
    code = api->patch(ctx, &resources[res], api->object_namespace(o),
                      api->object_name(o), CPLANE_PATCH_JSON, patch, NULL,
                      &msg);
    api->free(msg);
    if (code == 200)
      api->log(ctx, CPLANE_LOG_INFO, "%s/%s: removed finalizer %s",
               api->object_namespace(o), api->object_name(o), f);
    return code == 200 || code == 404 ? 0 : -1;
  }
  return 0;
}

static int gc_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const char *slash = strchr(key, '/');
  const cplane_object *o = NULL;
  uint32_t res;
  int left, rc = CPLANE_RECONCILE_DONE;

  if (slash == NULL)
    return CPLANE_RECONCILE_TERMINAL;
  if (strncmp(key, "gone/", 5) == 0) {
    /* Background: the owner left the store. Its dependents go too. */
    const char *uid = strchr(slash + 1, '/');

    if (uid == NULL)
      return CPLANE_RECONCILE_TERMINAL;
    uid++;
    if (handle_dependents(ctx, RS, uid, 0) < 0 ||
        handle_dependents(ctx, PODS, uid, 0) < 0)
      return CPLANE_RECONCILE_RETRY;
    return CPLANE_RECONCILE_DONE;
  }
  res = strncmp(key, "deploy/", 7) == 0 ? DEPLOY : RS;
  if (api->cache_get(ctx, res, slash + 1, &o) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(o) == NULL)
    goto out;
  if (has_finalizer(o, "orphan")) {
    if (handle_dependents(ctx, dependents_of(res), api->object_uid(o), 1) <
            0 ||
        remove_finalizer(ctx, res, o, "orphan") < 0)
      rc = CPLANE_RECONCILE_RETRY;
  } else if (has_finalizer(o, "foregroundDeletion")) {
    left = handle_dependents(ctx, dependents_of(res), api->object_uid(o), 0);
    if (left < 0) {
      rc = CPLANE_RECONCILE_RETRY;
    } else if (left > 0) {
      /* Wait for the dependents' delete events, and look again. */
      *requeue_after_ms = 500;
      rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    } else if (remove_finalizer(ctx, res, o, "foregroundDeletion") < 0) {
      rc = CPLANE_RECONCILE_RETRY;
    }
  }
out:
  api->object_release(o);
  return rc;
}

static int gc_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  if (host_api->struct_size < sizeof *host_api)
    return CPLANE_EUNAVAILABLE;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "collecting the dependents of deleted "
                                 "Deployments and ReplicaSets");
  return CPLANE_OK;
}

static const struct cplane_plugin gc_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "garbagecollector",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 3,
    .resources = resources,
    .init = gc_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = gc_reconcile,
};

CPLANE_PLUGIN_DEFINE(gc_plugin)
