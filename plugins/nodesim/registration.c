/*
 * registration - a Node registered and its status kept. See
 * registration.h.
 */
#include "registration.h"

#include "lease.h"
#include "node.h"
#include "usage.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int register_node(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const struct nodesim *st,
                         int i, const char *name, uint32_t *requeue_ms) {
  struct cplane_strbuf labels = {0};
  char now[40], cidr[40], *lab = NULL, *status = NULL, *body = NULL;
  char *spec = NULL, *msg = NULL, *annotations = NULL;
  int code, rc = CPLANE_RECONCILE_RETRY;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  snprintf(cidr, sizeof cidr, "10.%d.%d.0/24", 128 + i / 256, i % 256);
  nsim_node_labels(api, &labels, st, name);
  lab = cplane_strbuf_finish(&labels);
  status = nsim_node_status_json(api, st, api->now_ms(ctx), i, name, now,
                                 NULL);
  if (lab == NULL || status == NULL)
    goto nomem;
  /* No taints: no spec.taints at all, as a kubelet registers. */
  spec = st->taints_json != NULL
             ? api->json_format("{'podCIDR':%s,'podCIDRs':[%s],'taints':%j}",
                                cidr, cidr, st->taints_json)
             : api->json_format("{'podCIDR':%s,'podCIDRs':[%s]}", cidr,
                                cidr);
  if (spec == NULL ||
      (annotations = nsim_usage_node_annotations(api, st)) == NULL)
    goto nomem;
  body = api->json_format(
      "{'apiVersion':'v1','kind':'Node','metadata':{'name':%s,'labels':%j,"
      "'annotations':%j},'spec':%j,'status':%j}",
      name, lab, annotations, spec, status);
  if (body == NULL)
    goto nomem;
  code = api->create(ctx, &nsim_resources[NSIM_NODES], NULL, body, NULL,
                     &msg);
  if (code == 201) {
    api->log(ctx, CPLANE_LOG_INFO, "registered node %s", name);
  } else if (code != 409) {
    api->log(ctx, CPLANE_LOG_WARN, "registering node %s failed: %d %s", name,
             code, msg ? msg : "");
    goto out;
  }
  /* 201: the status went in with the object (as a kubelet's does); our
   * node event refreshes it. 409: it exists and our cache is behind. */
  *requeue_ms = code == 201 ? STATUS_REFRESH_MS : CONFLICT_RETRY_MS;
  rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  goto out;
nomem:
  api->log(ctx, CPLANE_LOG_ERROR, "node %s: out of memory building it",
           name);
out:
  free(lab);
  api->free(spec);
  api->free(annotations);
  api->free(status);
  api->free(body);
  api->free(msg);
  return rc;
}

/* Writes a healthy status over the node's if Ready is not True, the
 * capacity is missing or the heartbeat is a minute old. */
static int refresh_node(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const struct nodesim *st,
                        int i, const cplane_object *node,
                        uint32_t *requeue_ms) {
  const char *name = api->object_name(node);
  const char *rstatus = nsim_condition_field(api, node, "Ready", "status");
  const char *since = NULL;
  char *status = NULL, *body = NULL, *msg = NULL;
  double hb = 0, age;
  int code, rc = CPLANE_RECONCILE_RETRY;

  if (rstatus != NULL && strcmp(rstatus, "True") == 0)
    since = nsim_condition_field(api, node, "Ready", "lastTransitionTime");
  hb = cplane_time_parse_s(
      nsim_condition_field(api, node, "Ready", "lastHeartbeatTime"), -1);
  age = hb >= 0 ? (cplane_now_s(api, ctx) - hb) * 1000 : STATUS_REFRESH_MS;
  if (since != NULL && age < STATUS_REFRESH_MS &&
      api->object_string(node, "status.capacity.cpu") != NULL) {
    *requeue_ms = STATUS_REFRESH_MS - (uint32_t)(age > 0 ? age : 0);
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  /* Claim Ready only while our Lease renewals get through: else the node
   * lifecycle controller and we would overwrite each other's Ready on
   * every update. The next renewal queues us. */
  if (since == NULL && !nsim_lease_fresh(api, st, i))
    return CPLANE_RECONCILE_DONE;
  status = nsim_node_status_json(
      api, st, api->now_ms(ctx), i, name,
      api->object_string(node, "metadata.creationTimestamp"), since);
  if (status == NULL)
    goto out;
  body = api->json_format("{'apiVersion':'v1','kind':'Node','metadata':{"
                          "'name':%s,'resourceVersion':%s},'status':%j}",
                          name, api->object_resource_version(node), status);
  if (body == NULL)
    goto out;
  code = api->update_status(ctx, &nsim_resources[NSIM_NODES], NULL, name,
                            body, NULL, &msg);
  if (code == 200) {
    if (since == NULL)
      api->log(ctx, CPLANE_LOG_INFO, "node %s is Ready", name);
    *requeue_ms = STATUS_REFRESH_MS;
  } else if (code == 409 || code == 404) {
    *requeue_ms = CONFLICT_RETRY_MS;
  } else {
    api->log(ctx, CPLANE_LOG_WARN, "status of node %s: %d %s", name, code,
             msg ? msg : "");
    goto out;
  }
  rc = CPLANE_RECONCILE_REQUEUE_AFTER;
out:
  api->free(status);
  api->free(body);
  api->free(msg);
  return rc;
}

int nsim_reconcile_node(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const struct nodesim *st,
                        const char *name, uint32_t *requeue_ms) {
  const cplane_object *node = NULL;
  int i = nsim_node_index(st, name), rc = CPLANE_RECONCILE_DONE;

  if (i < 0)
    return CPLANE_RECONCILE_DONE;
  if (api->cache_get(ctx, NSIM_NODES, name, &node) != CPLANE_OK) {
    if (!api->cache_has_synced(ctx, NSIM_NODES)) {
      *requeue_ms = 500;
      return CPLANE_RECONCILE_REQUEUE_AFTER;
    }
    return register_node(api, ctx, st, i, name, requeue_ms);
  }
  /* A node registered before (or under other settings) is brought to
   * the configured usage model: one write, then never again. */
  nsim_usage_declare(api, ctx, st, node);
  /* A stopped machine reports nothing; the resume event queues us. */
  if (!nsim_node_stopped(api, node))
    rc = refresh_node(api, ctx, st, i, node, requeue_ms);
  api->object_release(node);
  return rc;
}
