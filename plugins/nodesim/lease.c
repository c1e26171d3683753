/*
 * lease - a node's Lease renewed. See lease.h.
 */
#include "lease.h"

#include "node.h"
#include "work.h"

#include <string.h>

int nsim_lease_fresh(const struct cplane_host_api *api,
                     const struct nodesim *st, int i) {
  uint64_t at = __atomic_load_n(&st->renewed_ms[i], __ATOMIC_RELAXED);

  return at != 0 &&
         (double)(api->now_ms(st->ctx) - (int64_t)at) < 2.0 * st->heartbeat_ms;
}

/* The Lease did not exist: create it, owned by the Node so that the
 * garbage collector removes it with it. */
static int create_lease(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const cplane_object *node,
                        const char *now, char **msg) {
  const char *name = api->object_name(node);
  char *body = api->json_format(
      "{'apiVersion':'coordination.k8s.io/v1','kind':'Lease','metadata':{"
      "'name':%s,'namespace':%s,'ownerReferences':[{'apiVersion':'v1',"
      "'kind':'Node','name':%s,'uid':%s}]},'spec':{'holderIdentity':%s,"
      "'leaseDurationSeconds':%d,'acquireTime':%s,'renewTime':%s}}",
      name, LEASE_NS, name, api->object_uid(node), name, LEASE_DURATION_S,
      now, now);
  int code;

  if (body == NULL)
    return -1;
  code = api->create(ctx, &nsim_lease_res, LEASE_NS, body, NULL, msg);
  api->free(body);
  return code;
}

int nsim_renew_lease(const struct cplane_host_api *api,
                     cplane_plugin_ctx *ctx, struct nodesim *st,
                     const char *name, uint32_t *requeue_ms) {
  const cplane_object *node = NULL;
  char now[40], *body = NULL, *msg = NULL;
  const char *ready;
  int code, i = nsim_node_index(st, name), rc = CPLANE_RECONCILE_RETRY;

  if (i < 0 || api->cache_get(ctx, NSIM_NODES, name, &node) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE; /* the node's add event queues us */
  if (nsim_node_stopped(api, node)) {
    rc = CPLANE_RECONCILE_DONE; /* the resume event queues us */
    goto out;
  }
  cplane_time_format_micro(api->now_ms(ctx), now, sizeof now);
  /* A merge patch needs no resourceVersion and we are the only writer. */
  body = api->json_format("{'spec':{'holderIdentity':%s,"
                          "'leaseDurationSeconds':%d,'renewTime':%s}}",
                          name, LEASE_DURATION_S, now);
  if (body == NULL)
    goto out;
  code = api->patch(ctx, &nsim_lease_res, LEASE_NS, name, CPLANE_PATCH_MERGE,
                    body, NULL, &msg);
  if (code == 404) {
    api->free(msg);
    msg = NULL;
    code = create_lease(api, ctx, node, now, &msg);
    if (code == 409) { /* created meanwhile: renew it soon */
      *requeue_ms = CONFLICT_RETRY_MS;
      rc = CPLANE_RECONCILE_REQUEUE_AFTER;
      goto out;
    }
  }
  if (code != 200 && code != 201) {
    api->log(ctx, CPLANE_LOG_WARN, "renewing the lease of %s failed: %d %s",
             name, code, msg ? msg : "");
    goto out;
  }
  __atomic_store_n(&st->renewed_ms[i], (uint64_t)api->now_ms(ctx),
                   __ATOMIC_RELAXED);
  ready = nsim_condition_field(api, node, "Ready", "status");
  if (ready == NULL || strcmp(ready, "True") != 0)
    nsim_enqueue(api, ctx, "node", name, 0); /* alive again: say so */
  *requeue_ms = st->heartbeat_ms;
  rc = CPLANE_RECONCILE_REQUEUE_AFTER;
out:
  api->free(body);
  api->free(msg);
  api->object_release(node);
  return rc;
}
