/*
 * deployment - rolls a Deployment's pod template out through ReplicaSets,
 * as kube-controller-manager's deployment controller does. This file is
 * the plugin's glue: its descriptor, its dispatch callbacks and the
 * reconcile that runs the modules in order:
 *
 *   view        loads the Deployment and the ReplicaSets it controls
 *   podtemplate canonical templates and the pod-template-hash
 *   adopt       orphaned ReplicaSets its selector picks
 *   strategy    RollingUpdate, Recreate, proportional scaling
 *   rswrite     the writes to ReplicaSets
 *   history     revisions and revisionHistoryLimit
 *   conditions  the status' condition list
 *   status      the status computed and written
 *
 * Threading: callbacks run on the host's dispatch threads and only read
 * the cache and enqueue (a ReplicaSet's controlling Deployment, or for an
 * orphan every Deployment selecting it); reconcile runs on the workers,
 * never for one key on two at once, and keeps all its state on its own
 * stack and heap. The only global is the host's function table, written
 * once in init().
 */
#include <cplane/cplane.h>

#include "adopt.h"
#include "status.h"
#include "strategy.h"
#include "view.h"

#include <string.h>

/* How long to wait before looking again at a ReplicaSet the API server has
 * but the cache does not yet. */
#define CACHE_LAG_MS 200

static const struct cplane_host_api *api;

/* "ns/name" of the Deployment controlling a ReplicaSet, into buf; 0 if
 * none. */
static int owner_key(const cplane_object *rs, char *buf, size_t len) {
  return cplane_controller_key(api, rs, "Deployment", buf, len);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[512];

  if (res == DP_DEPLOY)
    api->enqueue(ctx, api->object_key(obj));
  else if (owner_key(obj, key, sizeof key))
    api->enqueue(ctx, key);
  else
    dp_enqueue_adopters(api, ctx, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char key[512];

  if (res == DP_DEPLOY) {
    api->enqueue(ctx, api->object_key(new_obj));
    return;
  }
  /* A ReplicaSet handed to another owner: both hear of it. */
  if (old_obj != new_obj && owner_key(old_obj, key, sizeof key))
    api->enqueue(ctx, key);
  if (owner_key(new_obj, key, sizeof key))
    api->enqueue(ctx, key);
  else
    dp_enqueue_adopters(api, ctx, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[512];

  if (res == DP_RS && owner_key(obj, key, sizeof key))
    api->enqueue(ctx, key);
}

static int deploy_reconcile(cplane_plugin_ctx *ctx, const char *key,
                            uint32_t *requeue_after_ms) {
  struct deploy d;
  uint32_t later = 0;
  int rc = CPLANE_RECONCILE_DONE, r, sync;

  memset(&d, 0, sizeof d);
  d.api = api;
  d.ctx = ctx;
  if (api->cache_get(ctx, DP_DEPLOY, key, &d.o) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_deletion_timestamp(d.o) != NULL)
    goto out; /* the garbage collector's turn */
  if (api->object_type(d.o, "spec.selector") != CPLANE_TYPE_OBJECT ||
      api->object_len(d.o, "spec.selector") <= 0) {
    /* Kubernetes refuses an empty selector: it would select every pod. */
    api->log(ctx, CPLANE_LOG_WARN, "%s: no spec.selector; not acting", key);
    goto out;
  }
  if (dp_load(&d) < 0) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: out of memory", key);
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if ((r = dp_adopt_orphans(&d)) != 0) {
    /* Adopted ones count once the cache shows them as ours. */
    *requeue_after_ms = CACHE_LAG_MS;
    rc = r < 0 ? CPLANE_RECONCILE_RETRY : CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  dp_paused_conditions(&d);
  /* Paused or rescaled: sizes change, no template rolls out. */
  sync = d.paused || dp_scaling_event(&d);
  if (sync)
    r = dp_sync_only(&d);
  else if (d.recreate)
    r = dp_rollout_recreate(&d);
  else
    r = dp_rollout_rolling(&d);
  if (r < 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  dp_calculate_status(&d);
  if (!sync)
    later = dp_rollout_conditions(&d);
  if (dp_write_status(&d) < 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (r > 0) {
    /* A create met a ReplicaSet the cache does not show yet. */
    *requeue_after_ms = CACHE_LAG_MS;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  } else if (later > 0) {
    *requeue_after_ms = later;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  dp_unload(&d);
  api->object_release(d.o);
  return rc;
}

static int deploy_init(cplane_plugin_ctx *ctx,
                       const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "rolling Deployments out through ReplicaSets");
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const deployment_config_keys[] = {NULL};

static const struct cplane_plugin deployment_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "deployment",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = dp_resources,
    .init = deploy_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = deploy_reconcile,
    .config_keys = deployment_config_keys,
};

CPLANE_PLUGIN_DEFINE(deployment_plugin)
