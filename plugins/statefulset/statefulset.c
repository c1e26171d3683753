/*
 * statefulset - runs a StatefulSet's pods with stable identities, in
 * order, with their claims, as kube-controller-manager's statefulset
 * controller does. This file is the glue: the descriptor, callbacks that
 * only queue the set's key (its pods and revisions queue it through
 * enqueue_owner), and the reconcile that runs the modules in order:
 *
 *   view      loads the set, its revisions and its pods by ordinal
 *   revision  ControllerRevisions: current, update, history
 *   status    counts and writes the status
 *   control   creates, deletes and rolls pods (with claims)
 *   claims    the PersistentVolumeClaims of volumeClaimTemplates
 *   podjson   the pod bodies; identity: names, ordinals, labels
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue; reconcile runs on the workers, never for one key on two at
 * once, and keeps its state on its own stack and heap. The only global
 * is the host's function table, written once in init().
 */
#include <cplane/cplane.h>

#include "control.h"
#include "revision.h"
#include "status.h"
#include "view.h"

#include <string.h>

/* How long to wait before looking again when the cache is behind. */
#define CACHE_LAG_MS 200

static const struct cplane_host_api *api;

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == STS_SETS)
    api->enqueue(ctx, api->object_key(obj));
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  if (res == STS_SETS)
    api->enqueue(ctx, api->object_key(new_obj));
}

static int sts_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  struct sts s;
  int rc = CPLANE_RECONCILE_DONE, r;

  memset(&s, 0, sizeof s);
  s.api = api;
  s.ctx = ctx;
  if (api->cache_get(ctx, STS_SETS, key, &s.o) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(s.o) != NULL)
    goto out; /* the garbage collector's turn */
  if (api->object_type(s.o, "spec.selector") != CPLANE_TYPE_OBJECT ||
      api->object_len(s.o, "spec.selector") <= 0) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: no spec.selector; not acting", key);
    goto out;
  }
  if (sts_load(&s) < 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if ((r = sts_sync_revisions(&s)) != 0) {
    if (r > 0 && sts_write_collisions(&s) == 0) { /* come back soon */
      *requeue_after_ms = CACHE_LAG_MS;
      rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    } else {
      rc = CPLANE_RECONCILE_RETRY;
    }
    goto out;
  }
  sts_count(&s);
  r = sts_update_pods(&s);
  if (sts_write_status(&s) < 0 || r < 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (sts_truncate_history(&s) < 0)
    rc = CPLANE_RECONCILE_RETRY;
  else if (s.requeue_ms > 0) { /* minReadySeconds still running */
    *requeue_after_ms = s.requeue_ms;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  sts_unload(&s);
  api->object_release(s.o);
  return rc;
}

static int sts_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  api = host_api;
  if (api->enqueue_owner(ctx, STS_PODS, "apps", "StatefulSet",
                         CPLANE_OWNER_CONTROLLER) != CPLANE_OK ||
      api->enqueue_owner(ctx, STS_REVISIONS, "apps", "StatefulSet",
                         CPLANE_OWNER_CONTROLLER) != CPLANE_OK) {
    *errmsg = api->string_dup("cannot watch pods and revisions by owner");
    return CPLANE_EINVAL;
  }
  api->log(ctx, CPLANE_LOG_INFO, "running StatefulSets");
  return CPLANE_OK;
}

/* No [plugin.statefulset] key of its own. */
static const char *const statefulset_config_keys[] = {NULL};

static const struct cplane_plugin statefulset_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "statefulset",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 4,
    .resources = sts_resources,
    .init = sts_init,
    .on_add = on_add,
    .on_update = on_update,
    .reconcile = sts_reconcile,
    .config_keys = statefulset_config_keys,
};

CPLANE_PLUGIN_DEFINE(statefulset_plugin)
