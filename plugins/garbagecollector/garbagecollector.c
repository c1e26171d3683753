/*
 * garbagecollector - deletes what is owned by something that is gone, as
 * the three propagation policies ask, over the ownerReferences graph of
 * every built-in kind it watches (Deployment, ReplicaSet, Pod, ConfigMap,
 * Secret, Lease, Node; a namespaced object may be owned by a cluster-scoped
 * one, such as a node's Lease by its Node):
 *
 *  - Background: the owner left the store; each dependent (an object whose
 *    ownerReferences name its uid) is deleted, or, when it has another
 *    owner that still exists, only loses the reference to the gone one.
 *  - Foreground: the owner is being deleted and holds the
 *    foregroundDeletion finalizer; its dependents are deleted (in the
 *    foreground too, so the cascade runs bottom up), and once no dependent
 *    with blockOwnerDeletion is left the finalizer goes, which lets the
 *    owner go.
 *  - Orphan: the owner holds the orphan finalizer; the reference is removed
 *    from each dependent, then the finalizer.
 *
 * Dangling references (an owner deleted while the collector was not
 * running) are found when a dependent is seen: an owner of a kind watched
 * here that is in no cache is looked for again after 5 s (a new owner may
 * not be in the cache yet), and the dependent is collected if it is still
 * missing. Owners of other kinds (custom resources) are never presumed
 * gone.
 *
 * Reconcile keys: "gone/<uid>" for an owner that left the store,
 * "owner/<res>/<key>" for an owner being deleted, "check/<res>/<key>" and
 * "confirm/<res>/<key>" for a dependent whose owners are verified.
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers, never
 * one key on two at once.
 */
#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DANGLING_RECHECK_MS 5000
#define OWNERS "metadata.ownerReferences"

static const struct cplane_host_api *api;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "configmaps"),
    CPLANE_RESOURCE("", "v1", "secrets"),
    CPLANE_RESOURCE("coordination.k8s.io", "v1", "leases"),
    CPLANE_RESOURCE("", "v1", "nodes"),
};
#define N_RES (sizeof resources / sizeof resources[0])
/* The kind of each resource, as ownerReferences name it. */
static const char *const kinds[N_RES] = {
    "Deployment", "ReplicaSet", "Pod", "ConfigMap", "Secret", "Lease", "Node"};

static int kind_index(const char *kind) {
  size_t i;

  for (i = 0; kind != NULL && i < N_RES; i++)
    if (strcmp(kinds[i], kind) == 0)
      return (int)i;
  return -1;
}

static void enqueue_for(cplane_plugin_ctx *ctx, const char *what,
                        uint32_t res, const cplane_object *obj) {
  char key[320];

  snprintf(key, sizeof key, "%s/%u/%s", what, res, api->object_key(obj));
  api->enqueue(ctx, key);
}

/* ---- events ---- */

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (api->object_deletion_timestamp(obj) != NULL &&
      (cplane_finalizer_has(api, obj, "orphan") ||
       cplane_finalizer_has(api, obj, "foregroundDeletion")))
    enqueue_for(ctx, "owner", res, obj);
  if (api->object_len(obj, "metadata.ownerReferences") > 0)
    enqueue_for(ctx, "check", res, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char *a, *b;

  if (api->object_deletion_timestamp(new_obj) != NULL &&
      (cplane_finalizer_has(api, new_obj, "orphan") ||
       cplane_finalizer_has(api, new_obj, "foregroundDeletion")))
    enqueue_for(ctx, "owner", res, new_obj);
  if (old_obj == new_obj ||
      api->object_len(new_obj, "metadata.ownerReferences") <= 0)
    return;
  /* Only a change of owners needs a look; status updates are most. */
  a = api->object_json(old_obj, "metadata.ownerReferences");
  b = api->object_json(new_obj, "metadata.ownerReferences");
  if (a == NULL || b == NULL || strcmp(a, b) != 0)
    enqueue_for(ctx, "check", res, new_obj);
  api->free(a);
  api->free(b);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[160];

  (void)res;
  if (cplane_finalizer_has(api, obj, "orphan") || api->object_uid(obj) == NULL)
    return;
  snprintf(key, sizeof key, "gone/%s", api->object_uid(obj));
  api->enqueue(ctx, key);
}

/* ---- the graph ---- */

/* 1 when the owner with this kind and uid is in a cache, 0 when it is of a
 * watched kind and in none, -1 when its kind is not watched here. */
static int owner_exists(cplane_plugin_ctx *ctx, const char *kind,
                        const char *uid) {
  cplane_object_list *list = NULL;
  int r = kind_index(kind), found;

  if (r < 0)
    return -1;
  if (!api->cache_has_synced(ctx, (uint32_t)r))
    return 1;
  if (api->cache_list_by_index(ctx, (uint32_t)r, "uid", uid, NULL, &list) !=
      CPLANE_OK)
    return 1;
  found = api->list_len(list) > 0;
  api->list_free(list);
  return found;
}

/* Index of the ownerReference of d naming uid, or -1. */
static int ref_index(const cplane_object *d, const char *uid, int *n_refs) {
  int n = api->object_len(d, OWNERS);

  *n_refs = n < 0 ? 0 : n;
  return cplane_array_find(api, d, OWNERS, "uid", uid);
}

/* 1 when some owner of d other than `uid` still exists (or cannot be
 * told not to). */
static int has_other_owner(cplane_plugin_ctx *ctx, const cplane_object *d,
                           const char *uid) {
  int n = api->object_len(d, OWNERS), k;

  for (k = 0; k < n; k++) {
    const char *u = cplane_array_string(api, d, OWNERS, k, "uid");
    const char *kind = cplane_array_string(api, d, OWNERS, k, "kind");

    if (u == NULL || strcmp(u, uid) == 0)
      continue;
    if (owner_exists(ctx, kind, u) != 0)
      return 1;
  }
  return 0;
}

/* Removes d's reference to uid with a JSON patch that tests it first, so
 * a reference that moved meanwhile is never the one removed; the last
 * reference takes the list with it, as Kubernetes leaves it. */
static int release(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *d, const char *uid) {
  char patch[320], target[64], *msg = NULL;
  int n, k = ref_index(d, uid, &n), code;

  if (k < 0)
    return 0;
  if (n == 1)
    snprintf(target, sizeof target, "/metadata/ownerReferences");
  else
    snprintf(target, sizeof target, "/metadata/ownerReferences/%d", k);
  snprintf(patch, sizeof patch,
           "[{\"op\":\"test\",\"path\":\"/metadata/ownerReferences/%d/uid\","
           "\"value\":\"%.64s\"},{\"op\":\"remove\",\"path\":\"%s\"}]",
           k, uid, target);
  code = api->patch(ctx, &resources[res], api->object_namespace(d),
                    api->object_name(d), CPLANE_PATCH_JSON, patch, NULL,
                    &msg);
  if (code != 200 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "%s %s: removing the reference to owner "
                                   "%s failed: %d %s",
             kinds[res], api->object_key(d), uid, code, msg ? msg : "");
  api->free(msg);
  return code == 200 || code == 404 || code == 422 ? 0 : -1;
}

static int collect(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *d, const char *policy) {
  char opts[96], *msg = NULL;
  int code;

  if (api->object_deletion_timestamp(d) != NULL)
    return 0;
  snprintf(opts, sizeof opts,
           "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
           "\"propagationPolicy\":\"%s\"}",
           policy);
  code = api->delete_object(ctx, &resources[res], api->object_namespace(d),
                            api->object_name(d), opts, &msg);
  if (code != 200 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "%s %s: deleting a dependent failed: %d %s",
             kinds[res], api->object_key(d), code, msg ? msg : "");
  api->free(msg);
  return code == 200 || code == 404 ? 0 : -1;
}

enum mode { BACKGROUND, FOREGROUND, ORPHAN };

/* Handles every dependent of uid for one policy. Returns how many
 * dependents still block the owner's deletion (Foreground), or -1 when a
 * write failed. */
static int handle_dependents(cplane_plugin_ctx *ctx, const char *uid,
                             enum mode mode) {
  int blocking = 0, failed = 0;
  uint32_t r;

  for (r = 0; r < N_RES; r++) {
    cplane_object_list *list = NULL;
    size_t i, n;

    if (api->cache_list_by_index(ctx, r, "owner-uid", uid, NULL, &list) !=
        CPLANE_OK)
      continue;
    n = api->list_len(list);
    for (i = 0; i < n; i++) {
      const cplane_object *d = api->list_at(list, i);
      char path[96];
      int k, refs, block = 0;

      if (mode == ORPHAN) {
        failed |= release(ctx, r, d, uid) != 0;
        continue;
      }
      if (has_other_owner(ctx, d, uid)) {
        failed |= release(ctx, r, d, uid) != 0;
        continue;
      }
      failed |= collect(ctx, r, d,
                        mode == FOREGROUND ? "Foreground" : "Background") !=
                0;
      if ((k = ref_index(d, uid, &refs)) >= 0) {
        snprintf(path, sizeof path,
                 "metadata.ownerReferences[%d].blockOwnerDeletion", k);
        api->object_bool(d, path, &block);
      }
      blocking += block;
    }
    api->list_free(list);
  }
  return failed ? -1 : blocking;
}

/* Removes finalizer f from the owner, guarded by a test of its place. */
static int remove_finalizer(cplane_plugin_ctx *ctx, uint32_t res,
                            const cplane_object *o, const char *f) {
  int i = cplane_array_find(api, o, CPLANE_FINALIZERS_PATH, NULL, f), code;
  char patch[256], *msg = NULL;

  if (i < 0)
    return 0;
  snprintf(patch, sizeof patch,
           "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/%d\","
           "\"value\":\"%s\"},{\"op\":\"remove\",\"path\":"
           "\"/metadata/finalizers/%d\"}]",
           i, f, i);
  code = api->patch(ctx, &resources[res], api->object_namespace(o),
                    api->object_name(o), CPLANE_PATCH_JSON, patch, NULL, &msg);
  api->free(msg);
  if (code == 200)
    api->log(ctx, CPLANE_LOG_INFO, "%s %s: removed finalizer %s", kinds[res],
             api->object_key(o), f);
  return code == 200 || code == 404 ? 0 : -1;
}

static int reconcile_owner(cplane_plugin_ctx *ctx, uint32_t res,
                           const char *key, uint32_t *requeue_after_ms) {
  const cplane_object *o = NULL;
  int left, rc = CPLANE_RECONCILE_DONE;

  if (api->cache_get(ctx, res, key, &o) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(o) == NULL)
    goto out;
  if (cplane_finalizer_has(api, o, "orphan")) {
    if (handle_dependents(ctx, api->object_uid(o), ORPHAN) < 0 ||
        remove_finalizer(ctx, res, o, "orphan") < 0)
      rc = CPLANE_RECONCILE_RETRY;
  } else if (cplane_finalizer_has(api, o, "foregroundDeletion")) {
    left = handle_dependents(ctx, api->object_uid(o), FOREGROUND);
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

/* A dependent's owners: any of a watched kind missing from the caches is
 * looked for again after a while ("check"), then acted on ("confirm"). */
static int reconcile_dependent(cplane_plugin_ctx *ctx, uint32_t res,
                               const char *key, int confirm,
                               uint32_t *requeue_after_ms) {
  const cplane_object *d = NULL;
  int n, k, rc = CPLANE_RECONCILE_DONE, missing = 0, present = 0;

  if (api->cache_get(ctx, res, key, &d) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(d) != NULL)
    goto out;
  n = api->object_len(d, OWNERS);
  for (k = 0; k < n; k++) {
    const char *u = cplane_array_string(api, d, OWNERS, k, "uid");
    const char *kind = cplane_array_string(api, d, OWNERS, k, "kind");
    int e;

    if (u == NULL)
      continue;
    e = owner_exists(ctx, kind, u);
    missing += e == 0;
    present += e != 0;
  }
  if (missing == 0)
    goto out;
  if (!confirm) {
    char again[340];

    snprintf(again, sizeof again, "confirm/%u/%s", res, key);
    api->enqueue_after(ctx, again, DANGLING_RECHECK_MS);
    goto out;
  }
  /* Still missing: act as if each gone owner's delete had been seen. */
  for (k = n - 1; k >= 0; k--) {
    const char *u = cplane_array_string(api, d, OWNERS, k, "uid");
    const char *kind = cplane_array_string(api, d, OWNERS, k, "kind");

    if (u == NULL || owner_exists(ctx, kind, u) != 0)
      continue;
    api->log(ctx, CPLANE_LOG_INFO, "%s %s: owner %s %s is gone", kinds[res],
             key, kind, u);
    if ((present > 0 ? release(ctx, res, d, u) : collect(ctx, res, d,
                                                         "Background")) != 0)
      rc = CPLANE_RECONCILE_RETRY;
    if (present == 0)
      break; /* deleted: nothing more to release */
  }
out:
  api->object_release(d);
  (void)requeue_after_ms;
  return rc;
}

static int gc_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const char *rest;
  char *end;
  unsigned long res;

  if (strncmp(key, "gone/", 5) == 0)
    return handle_dependents(ctx, key + 5, BACKGROUND) < 0
               ? CPLANE_RECONCILE_RETRY
               : CPLANE_RECONCILE_DONE;
  if ((rest = strchr(key, '/')) == NULL)
    return CPLANE_RECONCILE_TERMINAL;
  res = strtoul(rest + 1, &end, 10);
  if (*end != '/' || res >= N_RES)
    return CPLANE_RECONCILE_TERMINAL;
  if (strncmp(key, "owner/", 6) == 0)
    return reconcile_owner(ctx, (uint32_t)res, end + 1, requeue_after_ms);
  return reconcile_dependent(ctx, (uint32_t)res, end + 1,
                             strncmp(key, "confirm/", 8) == 0,
                             requeue_after_ms);
}

static int gc_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  uint32_t r;

  (void)errmsg;
  if (host_api->struct_size < sizeof *host_api)
    return CPLANE_EUNAVAILABLE;
  api = host_api;
  for (r = 0; r < N_RES; r++)
    if (api->cache_add_index(ctx, r, "uid", "metadata.uid") != CPLANE_OK)
      return CPLANE_EINVAL;
  api->log(ctx, CPLANE_LOG_INFO,
           "collecting the dependents of deleted Deployments, ReplicaSets, "
           "Pods, ConfigMaps, Secrets, Leases and Nodes");
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const gc_config_keys[] = {NULL};

static const struct cplane_plugin gc_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "garbagecollector",
    .version = "0.2.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = N_RES,
    .resources = resources,
    .init = gc_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = gc_reconcile,
    .config_keys = gc_config_keys,
};

CPLANE_PLUGIN_DEFINE(gc_plugin)
