/*
 * nodelifecycle - marks nodes whose kubelet went silent and evicts their
 * pods, as kube-controller-manager's node lifecycle controller does.
 *
 * A node is unreachable when its Lease in kube-node-lease was last renewed
 * more than `grace_period` ago (or, with no Lease, it was created that long
 * ago). Then its Ready condition becomes Unknown and it gets the NoExecute
 * taint node.kubernetes.io/unreachable (and its NoSchedule twin, so the
 * scheduler sends no new pod there). Pods on it that do not tolerate
 * the taint are deleted once their toleration (tolerationSeconds, else
 * `default_toleration_seconds`) counted from the taint's timeAdded runs
 * out, at most `eviction_rate` per second. A renewed Lease lifts the taint.
 *
 * This file is the plugin's glue over its modules: health (last heard,
 * Ready), taints (the taint and tolerations), evictq (the rate-limited
 * eviction FIFO) and config.
 *
 * Work keys:
 *   node/NAME   check NAME's Lease; mark, unmark, find pods due for
 *               eviction; then again after check_interval (sooner when
 *               the Lease runs out or a pod's toleration ends before that)
 *   evict       delete pods from the eviction FIFO, rate-limited
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue. reconcile() runs on the workers, never for one key on two at
 * once. The eviction FIFO and its token bucket are shared by every node
 * key and guarded by their own mutex (evictq.h).
 */
#include <cplane/cplane.h>

#include "config.h"
#include "evictq.h"
#include "health.h"
#include "taints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A 409 means our cache is behind the server: look again shortly. */
#define CONFLICT_RETRY_MS 100u

static const struct cplane_host_api *api;

struct lifecycle {
  cplane_plugin_ctx *ctx; /* ours, for the clock */
  struct nl_config cfg;
  double started; /* grace starts no earlier than our start */
  struct nl_evictq q;
};

static struct lifecycle *state(cplane_plugin_ctx *ctx) {
  return api->get_userdata(ctx);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[300];

  if (res == NL_PODS)
    return; /* read through the index; node checks find them */
  if (res == NL_LEASES) {
    const char *ns = api->object_namespace(obj);

    if (ns == NULL || strcmp(ns, LEASE_NS) != 0)
      return;
  }
  snprintf(key, sizeof key, "node/%s", api->object_name(obj));
  api->enqueue(ctx, key);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  on_add(ctx, res, new_obj);
}

/* A deleted Lease makes its node look silent: check it. */
static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res == NL_LEASES)
    on_add(ctx, res, obj);
}

/* Queues the pods on a tainted node whose toleration has run out and
 * returns when the next one will (0: none). */
static double queue_due_pods(cplane_plugin_ctx *ctx, struct lifecycle *lc,
                             const cplane_object *node, double tainted_at) {
  cplane_object_list *list = NULL;
  double next = 0, now = cplane_now_s(api, ctx);
  size_t k, n;
  int queued = 0;

  if (api->cache_list_by_index(ctx, NL_PODS, "node", api->object_name(node),
                               NULL, &list) != CPLANE_OK)
    return 0;
  n = api->list_len(list);
  for (k = 0; k < n; k++) {
    const cplane_object *pod = api->list_at(list, k);
    int64_t tol;
    double due;

    if (api->object_deletion_timestamp(pod) != NULL ||
        (tol = nl_toleration_s(api, pod, lc->cfg.default_toleration_s)) < 0)
      continue;
    due = tainted_at + (double)tol;
    if (due <= now)
      queued |= nl_evictq_push(&lc->q, api->object_key(pod));
    else if (next == 0 || due < next)
      next = due;
  }
  api->list_free(list);
  if (queued)
    api->enqueue(ctx, "evict");
  return next;
}

static int reconcile_node(cplane_plugin_ctx *ctx, const char *name,
                          uint32_t *requeue_ms) {
  struct lifecycle *lc = state(ctx);
  const cplane_object *node = NULL, *updated = NULL;
  double now = cplane_now_s(api, ctx), heard, next_check, due;
  const char *ready_status;
  int taint, code, rc = CPLANE_RECONCILE_REQUEUE_AFTER;

  if (api->cache_get(ctx, NL_NODES, name, &node) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  heard = nl_last_heard(api, ctx, node, lc->started);
  ready_status = cplane_condition_status(api, node, CONDS, "Ready");
  taint = nl_find_taint(api, node);
  next_check = now + lc->cfg.check_ms / 1000.0;
  *requeue_ms = CONFLICT_RETRY_MS;
  if (now - heard > lc->cfg.grace_ms / 1000.0) {
    if (ready_status == NULL || strcmp(ready_status, "Unknown") != 0) {
      code = nl_write_ready(api, ctx, node, 0, &updated);
      if (code != 200)
        goto written;
      api->log(ctx, CPLANE_LOG_WARN,
               "node %s is unreachable: no heartbeat for %.1f s", name,
               now - heard);
    }
    if (taint < 0) {
      /* Guarded by the version the status write just produced. */
      code = nl_write_taint(api, ctx, updated ? updated : node, 1);
      goto written;
    }
    due = queue_due_pods(ctx, lc, node, nl_taint_time(api, node, taint, now));
    if (due > 0 && due < next_check)
      next_check = due;
  } else {
    if (taint >= 0) {
      code = nl_write_taint(api, ctx, node, 0);
      if (code != 200)
        goto written;
      api->log(ctx, CPLANE_LOG_INFO, "node %s is reachable again", name);
      goto out; /* the update event brings us back for Ready */
    }
    if (ready_status != NULL && strcmp(ready_status, "Unknown") == 0) {
      code = nl_write_ready(api, ctx, node, 1, NULL);
      goto written;
    }
    /* Look again just after the Lease would run out. */
    if (heard + lc->cfg.grace_ms / 1000.0 < next_check)
      next_check = heard + lc->cfg.grace_ms / 1000.0 + 0.01;
  }
  *requeue_ms = nl_ms_until(next_check, now);
  goto out;
written:
  /* 200: our own update event checks again; 409/404: the cache is
   * behind; anything else: back off. */
  if (code == 200 || code == 409 || code == 404)
    *requeue_ms = code == 200 ? lc->cfg.check_ms : CONFLICT_RETRY_MS;
  else
    rc = CPLANE_RECONCILE_RETRY;
out:
  api->object_release(updated);
  api->object_release(node);
  return rc;
}

/* Deletes one pod from the FIFO if it is still due: on a node that still
 * has our taint, not tolerating it any longer, not already going.
 * Returns 1 when a delete was sent. */
static int evict_one(cplane_plugin_ctx *ctx, struct lifecycle *lc,
                     const char *key) {
  const cplane_object *pod = NULL, *node = NULL;
  const char *node_name;
  char *opts = NULL, *msg = NULL;
  int64_t tol = 0;
  int taint = -1, code, sent = 0;

  if (api->cache_get(ctx, NL_PODS, key, &pod) != CPLANE_OK ||
      api->object_deletion_timestamp(pod) != NULL)
    goto out;
  node_name = api->object_string(pod, "spec.nodeName");
  if (node_name == NULL ||
      api->cache_get(ctx, NL_NODES, node_name, &node) != CPLANE_OK ||
      (taint = nl_find_taint(api, node)) < 0 ||
      (tol = nl_toleration_s(api, pod, lc->cfg.default_toleration_s)) < 0 ||
      nl_taint_time(api, node, taint, cplane_now_s(api, ctx)) + (double)tol >
          cplane_now_s(api, ctx))
    goto out;
  /* The uid precondition spares a new pod that took the same name. */
  opts = api->json_format("{'kind':'DeleteOptions','apiVersion':'v1',"
                          "'preconditions':{'uid':%s}}",
                          api->object_uid(pod));
  if (opts == NULL)
    goto out;
  api->log(ctx, CPLANE_LOG_INFO, "evicting pod %s from unreachable node %s",
           key, node_name);
  sent = 1;
  code = api->delete_object(ctx, &nl_resources[NL_PODS],
                            api->object_namespace(pod), api->object_name(pod),
                            opts, &msg);
  if (code != 200 && code != 202 && code != 404 && code != 409)
    api->log(ctx, CPLANE_LOG_WARN, "evicting pod %s failed: %d %s", key, code,
             msg ? msg : "");
out:
  api->free(opts);
  api->free(msg);
  api->object_release(node);
  api->object_release(pod);
  return sent;
}

static int reconcile_evict(cplane_plugin_ctx *ctx, uint32_t *requeue_ms) {
  struct lifecycle *lc = state(ctx);
  struct nl_evictee *e;
  uint32_t wait_ms = 0;
  int i;

  /* Bounded, so one run never holds a worker for long. */
  for (i = 0; i < 1000; i++) {
    if ((e = nl_evictq_pop(&lc->q, cplane_now_s(api, ctx), &wait_ms)) == NULL)
      break;
    if (evict_one(ctx, lc, e->key))
      nl_evictq_spent(&lc->q);
    free(e);
  }
  if (i == 1000 || wait_ms > 0) {
    *requeue_ms = wait_ms > 0 ? wait_ms : 1;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  return CPLANE_RECONCILE_DONE;
}

static int lc_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  if (strncmp(key, "node/", 5) == 0)
    return reconcile_node(ctx, key + 5, requeue_after_ms);
  if (strcmp(key, "evict") == 0)
    return reconcile_evict(ctx, requeue_after_ms);
  return CPLANE_RECONCILE_TERMINAL;
}

static void free_state(struct lifecycle *lc) {
  if (lc == NULL)
    return;
  nl_evictq_free(&lc->q);
  free(lc);
}

static int lc_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  struct lifecycle *lc;
  const char *err;
  char buf[160];
  int rc;

  api = host_api;
  if ((lc = calloc(1, sizeof *lc)) == NULL)
    return CPLANE_ENOMEM;
  lc->ctx = ctx;
  lc->started = cplane_now_s(api, ctx);
  if ((err = nl_configure(api, ctx, &lc->cfg)) != NULL) {
    snprintf(buf, sizeof buf, "[plugin.%s] %s", api->plugin_name(ctx), err);
    *errmsg = api->string_dup(buf);
    free(lc); /* no queue yet */
    return CPLANE_EINVAL;
  }
  /* The bucket starts full, refilled from our start. */
  if ((rc = nl_evictq_init(&lc->q, lc->cfg.eviction_rate, lc->cfg.burst,
                           lc->started)) != CPLANE_OK) {
    free(lc);
    return rc;
  }
  if (api->cache_add_index(ctx, NL_PODS, "node", "spec.nodeName") !=
      CPLANE_OK) {
    *errmsg = api->string_dup("cannot add the spec.nodeName index on pods");
    free_state(lc);
    return CPLANE_ERR;
  }
  api->set_userdata(ctx, lc);
  api->log(ctx, CPLANE_LOG_INFO,
           "grace period %ums, checks every %ums, default toleration %llds, "
           "at most %g eviction(s)/s",
           lc->cfg.grace_ms, lc->cfg.check_ms,
           (long long)lc->cfg.default_toleration_s, lc->cfg.eviction_rate);
  return CPLANE_OK;
}

static void lc_fini(cplane_plugin_ctx *ctx) {
  free_state(state(ctx));
  api->set_userdata(ctx, NULL);
}
/* The [plugin.NAME] keys this plugin reads, beside the host's own:
 * --check-config and start-up report any other as a misspelling. */
static const char *const nodelifecycle_config_keys[] = {
    "grace_period", "default_toleration_seconds", "eviction_rate",
    "check_interval", NULL};

static const struct cplane_plugin nodelifecycle_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "nodelifecycle",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 3,
    .resources = nl_resources,
    .init = lc_init,
    .fini = lc_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = lc_reconcile,
    .config_keys = nodelifecycle_config_keys,
};

CPLANE_PLUGIN_DEFINE(nodelifecycle_plugin)
