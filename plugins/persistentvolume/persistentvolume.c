/*
 * persistentvolume - binds PersistentVolumeClaims to PersistentVolumes as
 * kube-controller-manager's PV controller does, provisions volumes for
 * StorageClasses of the simulated provisioner (cplane.io/simulated), and
 * creates the default class `standard` when a cluster has none. This file
 * is the glue: the descriptor, dispatch callbacks that only queue keys,
 * and the reconcile that hands each key to its module:
 *
 *   match        which volume a claim may bind to
 *   bind         the writes that bind both sides
 *   provision    the simulated provisioner and the default class body
 *   claim        a claim's sync (bind, provision, WaitForFirstConsumer)
 *   volume       a volume's sync (Available, Bound, Released, reclaim)
 *   defaultclass the default StorageClass
 *
 * Threading: callbacks run on the host's dispatch threads and only read
 * the object they are given and enqueue; reconcile runs on the workers,
 * never for one key on two at once. The only global is the host's
 * function table, written once in init().
 */
#include <cplane/cplane.h>

#include "claim.h"
#include "defaultclass.h"
#include "pv.h"
#include "volume.h"

#include <stdio.h>
#include <string.h>

static const struct cplane_host_api *api;

static void enqueue_claim(cplane_plugin_ctx *ctx, const char *ns,
                          const char *name) {
  char key[600];

  if (ns != NULL && name != NULL &&
      snprintf(key, sizeof key, PV_KEY_CLAIM "%s/%s", ns, name) <
          (int)sizeof key)
    api->enqueue(ctx, key);
}

static void enqueue_volume(cplane_plugin_ctx *ctx, const char *name) {
  char key[320];

  if (name != NULL && name[0] != '\0' &&
      snprintf(key, sizeof key, PV_KEY_VOLUME "%s", name) < (int)sizeof key)
    api->enqueue(ctx, key);
}

/* Each claim a pod mounts, as "ns/claim": the index a claim waiting for
 * its first consumer looks its pods up by. */
static void pod_claims(void *userdata, const cplane_object *pod,
                       cplane_index_emit_fn emit, void *emit_ctx) {
  int n = api->object_len(pod, "spec.volumes"), i;
  const char *ns = api->object_namespace(pod);
  char buf[600];

  (void)userdata;
  for (i = 0; i < n && ns != NULL; i++) {
    const char *c = cplane_array_string(api, pod, "spec.volumes", i,
                                        "persistentVolumeClaim.claimName");

    if (c != NULL && snprintf(buf, sizeof buf, "%s/%s", ns, c) < (int)sizeof buf)
      emit(emit_ctx, buf);
  }
}

/* PV_UNBOUND for a claim with no volume yet: the claims a new volume may
 * serve. */
static void unbound_claims(void *userdata, const cplane_object *claim,
                           cplane_index_emit_fn emit, void *emit_ctx) {
  const char *v = api->object_string(claim, "spec.volumeName");

  (void)userdata;
  if (v == NULL || v[0] == '\0')
    emit(emit_ctx, PV_UNBOUND);
}

/* A free volume appeared or changed: every unbound claim gets another
 * look (kube's controller finds it on its periodic claim resync). */
static void volume_free(cplane_plugin_ctx *ctx) {
  cplane_object_list *l = NULL;
  size_t i;

  if (api->cache_list_by_index(ctx, PV_CLAIMS, PV_INDEX_UNBOUND, PV_UNBOUND,
                               NULL, &l) != CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(l); i++)
    enqueue_claim(ctx, api->object_namespace(api->list_at(l, i)),
                  api->object_name(api->list_at(l, i)));
  api->list_free(l);
}

/* A scheduled pod may be the first consumer its claims wait for. */
static void pod_changed(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  const char *node = api->object_string(pod, "spec.nodeName");
  int n = api->object_len(pod, "spec.volumes"), i;

  if (node == NULL || node[0] == '\0')
    return;
  for (i = 0; i < n; i++)
    enqueue_claim(ctx, api->object_namespace(pod),
                  cplane_array_string(api, pod, "spec.volumes", i,
                                      "persistentVolumeClaim.claimName"));
}

static void changed(cplane_plugin_ctx *ctx, uint32_t res,
                    const cplane_object *obj, int deleted) {
  switch (res) {
  case PV_CLAIMS:
    if (deleted)
      enqueue_volume(ctx, api->object_string(obj, "spec.volumeName"));
    else
      enqueue_claim(ctx, api->object_namespace(obj), api->object_name(obj));
    break;
  case PV_VOLUMES:
    if (!deleted)
      enqueue_volume(ctx, api->object_name(obj));
    if (!deleted &&
        api->object_type(obj, "spec.claimRef") != CPLANE_TYPE_OBJECT)
      volume_free(ctx);
    enqueue_claim(ctx, api->object_string(obj, "spec.claimRef.namespace"),
                  api->object_string(obj, "spec.claimRef.name"));
    break;
  case PV_CLASSES:
    if (deleted)
      api->enqueue(ctx, PV_KEY_DEFAULT_CLASS);
    break;
  case PV_PODS:
    if (!deleted)
      pod_changed(ctx, obj);
    break;
  case PV_NAMESPACES:
    /* Every cluster has namespaces: the first one listed starts the
     * default-class check (the queue does not exist during init()). */
    api->enqueue(ctx, PV_KEY_DEFAULT_CLASS);
    break;
  }
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  changed(ctx, res, obj, 0);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  if (res == PV_NAMESPACES || (res == PV_PODS && old_obj == new_obj))
    return; /* resyncs of these change nothing here */
  changed(ctx, res, new_obj, 0);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res != PV_NAMESPACES)
    changed(ctx, res, obj, 1);
}

static int pv_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  if (strcmp(key, PV_KEY_DEFAULT_CLASS) == 0)
    return pv_sync_default_class(api, ctx, requeue_after_ms);
  if (strncmp(key, PV_KEY_CLAIM, strlen(PV_KEY_CLAIM)) == 0)
    return pv_sync_claim(api, ctx, key + strlen(PV_KEY_CLAIM));
  if (strncmp(key, PV_KEY_VOLUME, strlen(PV_KEY_VOLUME)) == 0)
    return pv_sync_volume(api, ctx, key + strlen(PV_KEY_VOLUME));
  return CPLANE_RECONCILE_TERMINAL;
}

static int pv_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  int rc;

  api = host_api;
  rc = api->cache_add_index_fn(ctx, PV_PODS, PV_INDEX_POD_CLAIMS, pod_claims,
                               NULL);
  if (rc == CPLANE_OK)
    rc = api->cache_add_index_fn(ctx, PV_CLAIMS, PV_INDEX_UNBOUND,
                                 unbound_claims, NULL);
  if (rc != CPLANE_OK) {
    *errmsg = api->string_dup("cannot index pods and claims");
    return rc;
  }
  api->log(ctx, CPLANE_LOG_INFO,
           "binding claims to volumes; provisioning for %s", PV_PROVISIONER);
  return CPLANE_OK;
}

/* No [plugin.persistentvolume] key of its own. */
static const char *const pv_config_keys[] = {NULL};

static const struct cplane_plugin persistentvolume_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "persistentvolume",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 5,
    .resources = pv_resources,
    .init = pv_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = pv_reconcile,
    .config_keys = pv_config_keys,
};

CPLANE_PLUGIN_DEFINE(persistentvolume_plugin)
