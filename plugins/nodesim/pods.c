/*
 * pods - a simulated kubelet's pod work. See pods.h.
 */
#include "pods.h"

#include "lifecycle.h"
#include "mounts.h"
#include "node.h"
#include "podstatus.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Usage reporting starts here: pod's containers run from now on. */
static void pod_running(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, struct nodesim *st,
                        const cplane_object *pod) {
  (void)api, (void)ctx, (void)st, (void)pod;
}

/* Usage reporting stops here: pod's containers no longer run. */
static void pod_stopped(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, struct nodesim *st,
                        const cplane_object *pod) {
  (void)api, (void)ctx, (void)st, (void)pod;
}

static uint32_t delay_until(int64_t due_ms, int64_t now_ms) {
  int64_t d = due_ms - now_ms;

  return d <= 0 ? 0 : d > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)d;
}

void nsim_queue_pod(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const struct nodesim *st, const cplane_object *pod) {
  int64_t now = api->now_ms(ctx), due;

  /* A Pending pod starts pod_start_delay after we first see it bound;
   * later events only move that earlier, never later. */
  if (nsim_pod_next(api, st, pod, now, &due) != NSIM_STEP_NONE)
    nsim_enqueue(api, ctx, "pod", api->object_key(pod),
                 delay_until(due, now));
}

int nsim_reconcile_pods_of(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const struct nodesim *st,
                           const char *name) {
  cplane_object_list *list = NULL;
  size_t k, n;

  if (api->cache_list_by_index(ctx, NSIM_PODS, "node", name, NULL, &list) !=
      CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  n = api->list_len(list);
  for (k = 0; k < n; k++)
    nsim_queue_pod(api, ctx, st, api->list_at(list, k));
  api->list_free(list);
  return CPLANE_RECONCILE_DONE;
}

/* Picks a pod IP in node i's /24 that no cached pod on the node holds.
 * The atomic counter keeps two pods started at once apart even before
 * the cache shows either. */
static void pick_pod_ip(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const struct nodesim *st,
                        int i, const char *node, char *buf, size_t len) {
  unsigned char used[IPS_PER_NODE + 2];
  cplane_object_list *list = NULL;
  char base[24];
  size_t k, n, blen;
  uint32_t c = 0;
  int tries;

  memset(used, 0, sizeof used);
  blen = (size_t)snprintf(base, sizeof base, "10.%d.%d.", 128 + i / 256,
                          i % 256);
  if (api->cache_list_by_index(ctx, NSIM_PODS, "node", node, NULL, &list) ==
      CPLANE_OK) {
    n = api->list_len(list);
    for (k = 0; k < n; k++) {
      const char *ip =
          api->object_string(api->list_at(list, k), "status.podIP");
      long last;

      if (ip != NULL && strncmp(ip, base, blen) == 0 &&
          (last = strtol(ip + blen, NULL, 10)) >= 1 && last <= IPS_PER_NODE)
        used[last] = 1;
    }
    api->list_free(list);
  }
  for (tries = 0; tries < IPS_PER_NODE; tries++) {
    c = __atomic_fetch_add(&st->ip_next[i], 1, __ATOMIC_RELAXED);
    if (!used[c % IPS_PER_NODE + 1])
      break;
  }
  /* More pods than addresses: reuse one rather than not start. */
  snprintf(buf, len, "10.%d.%d.%u", 128 + i / 256, i % 256,
           c % IPS_PER_NODE + 1);
}

/* Writes the status v describes over pod's. 200, 404, 409, another HTTP
 * code, or -1 when it could not be built. */
static int write_status(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const cplane_object *pod,
                        const struct nsim_pod_view *v) {
  char *status = nsim_pod_status_json(api, ctx, pod, v), *body = NULL;
  char *msg = NULL;
  int code = -1;

  if (status == NULL)
    goto out;
  body = api->json_format("{'apiVersion':'v1','kind':'Pod','metadata':{"
                          "'name':%s,'namespace':%s,'resourceVersion':%s},"
                          "'status':%j}",
                          api->object_name(pod), api->object_namespace(pod),
                          api->object_resource_version(pod), status);
  if (body == NULL)
    goto out;
  code = api->update_status(ctx, &nsim_resources[NSIM_PODS],
                            api->object_namespace(pod), api->object_name(pod),
                            body, NULL, &msg);
  if (code != 200 && code != 404 && code != 409)
    api->log(ctx, CPLANE_LOG_WARN, "status of pod %s (%s): %d %s",
             api->object_key(pod), v->phase, code, msg ? msg : "");
out:
  if (code == -1)
    api->log(ctx, CPLANE_LOG_ERROR, "pod %s: out of memory building its "
                                    "status", api->object_key(pod));
  free(status);
  api->free(body);
  api->free(msg);
  return code;
}

/* The reconcile result of a status write: a 409 means it changed
 * meanwhile (its update event queues us again; this retry covers an event
 * that came before our cache caught up). */
static int write_result(int code) {
  return code == 200 || code == 404 ? CPLANE_RECONCILE_DONE
                                    : CPLANE_RECONCILE_RETRY;
}

static int64_t start_time_ms(const struct cplane_host_api *api,
                             const cplane_object *pod, int64_t now_ms) {
  int64_t ms;

  return cplane_time_parse(api->object_string(pod, "status.startTime"),
                           &ms) == CPLANE_OK
             ? ms
             : now_ms;
}

/* Something the pod needs is missing: say so as the kubelet does (the
 * event each look; the waiting status once) and look again later. */
static int hold_pod(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const struct nsim_block *b, const cplane_object *pod,
                    const char *host_ip, uint32_t *requeue_ms) {
  int64_t now = api->now_ms(ctx), started = start_time_ms(api, pod, now);
  const char *shown = api->object_string(
      pod, "status.containerStatuses[0].state.waiting.reason");
  struct nsim_containers c;
  struct nsim_pod_view v = {"Pending", host_ip, NULL, started, &c};
  int code;

  api->event_record(ctx, &nsim_resources[NSIM_PODS], pod, "Warning",
                    b->event_reason, "%s", b->event_message);
  *requeue_ms = nsim_blocked_retry_ms(now - started);
  if (shown != NULL && strcmp(shown, b->waiting_reason) == 0)
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  memset(&c, 0, sizeof c);
  c.kind = NSIM_C_WAITING;
  c.reason = b->waiting_reason;
  snprintf(c.message, sizeof c.message, "%s", b->waiting_message);
  code = write_status(api, ctx, pod, &v);
  return code == 200 ? CPLANE_RECONCILE_REQUEUE_AFTER : write_result(code);
}

static int start_pod(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     struct nodesim *st, int i, const cplane_object *pod,
                     uint32_t *requeue_ms) {
  const char *node = api->object_string(pod, "spec.nodeName");
  int64_t now = api->now_ms(ctx);
  char host_ip[32], pod_ip[32];
  struct nsim_containers c;
  struct nsim_pod_view v = {"Running", host_ip, pod_ip,
                            start_time_ms(api, pod, now), &c};
  struct nsim_block b;
  int code;

  nsim_node_ip(i, host_ip, sizeof host_ip);
  switch (nsim_pod_blocked(api, ctx, pod, &b)) {
  case 1:
    return hold_pod(api, ctx, &b, pod, host_ip, requeue_ms);
  case -1: /* the server did not say: look again soon */
    *requeue_ms = BLOCKED_RETRY_MAX_MS;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  pick_pod_ip(api, ctx, st, i, node, pod_ip, sizeof pod_ip);
  memset(&c, 0, sizeof c);
  nsim_containers_start(&c, now);
  if ((code = write_status(api, ctx, pod, &v)) == 200)
    pod_running(api, ctx, st, pod);
  return write_result(code);
}

/* A running pod's next step: ready, exit, restart. */
static int advance_pod(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, struct nodesim *st,
                       const cplane_object *pod, uint32_t *requeue_ms) {
  int64_t now = api->now_ms(ctx);
  struct nsim_containers c;
  struct nsim_pod_view v = {"Running",
                            api->object_string(pod, "status.hostIP"),
                            api->object_string(pod, "status.podIP"),
                            start_time_ms(api, pod, now), &c};
  int was_running, code;

  if (nsim_containers_read(api, pod, &c) != 0)
    return CPLANE_RECONCILE_DONE;
  was_running = c.kind == NSIM_C_RUNNING;
  if (!nsim_pod_advance(api, st, pod, &c, now, &v.phase)) {
    int64_t due;

    /* Not yet (the timer fired early, or the pod changed): wait on. */
    if (nsim_pod_next(api, st, pod, now, &due) != NSIM_STEP_ADVANCE)
      return CPLANE_RECONCILE_DONE;
    *requeue_ms = delay_until(due, now);
    if (*requeue_ms == 0) /* a 0 requeue is a mistake to the host */
      *requeue_ms = 1;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  if (v.host_ip == NULL)
    v.host_ip = "";
  if ((code = write_status(api, ctx, pod, &v)) != 200)
    return write_result(code);
  if (was_running && c.kind != NSIM_C_RUNNING)
    pod_stopped(api, ctx, st, pod);
  else if (!was_running && c.kind == NSIM_C_RUNNING)
    pod_running(api, ctx, st, pod);
  if (c.kind != NSIM_C_RUNNING || strcmp(v.phase, "Running") != 0)
    api->log(ctx, CPLANE_LOG_DEBUG, "pod %s: containers %s (%s)",
             api->object_key(pod), c.reason ? c.reason : "running", v.phase);
  return CPLANE_RECONCILE_DONE;
}

/* A pod marked for deletion: its containers get min(grace, max_grace)
 * from the moment deletion was asked for (deletionTimestamp minus the
 * grace period, as the API server sets it), then we remove it for good. */
static int finish_delete(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, struct nodesim *st,
                         const cplane_object *pod, uint32_t *requeue_ms) {
  int64_t grace = 0;
  double asked, wait_s, deadline, now = cplane_now_s(api, ctx);
  char *opts = NULL, *msg = NULL;
  int code, rc = CPLANE_RECONCILE_RETRY;

  api->object_int(pod, "metadata.deletionGracePeriodSeconds", &grace);
  /* Finalizers hold it and our delete has already been seen: another
   * delete would only rewrite the object and wake us again. */
  if (api->object_len(pod, "metadata.finalizers") > 0 && grace == 0)
    return CPLANE_RECONCILE_DONE;
  asked = cplane_time_parse_s(api->object_deletion_timestamp(pod), now);
  asked -= (double)grace;
  wait_s = (double)grace < st->max_grace_ms / 1000.0
               ? (double)grace
               : st->max_grace_ms / 1000.0;
  deadline = asked + (wait_s > 0 ? wait_s : 0);
  if (deadline > now) {
    *requeue_ms = (uint32_t)((deadline - now) * 1000) + 1;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  opts = api->json_format("{'kind':'DeleteOptions','apiVersion':'v1',"
                          "'gracePeriodSeconds':0,'preconditions':{'uid':%s}}",
                          api->object_uid(pod));
  if (opts == NULL)
    goto out;
  code = api->delete_object(ctx, &nsim_resources[NSIM_PODS],
                            api->object_namespace(pod), api->object_name(pod),
                            opts, &msg);
  /* 409: the uid precondition failed, a new pod took the name. */
  if (code == 200 || code == 202 || code == 404 || code == 409) {
    if (code == 200 || code == 202)
      pod_stopped(api, ctx, st, pod);
    rc = CPLANE_RECONCILE_DONE;
    goto out;
  }
  api->log(ctx, CPLANE_LOG_WARN, "deleting pod %s failed: %d %s",
           api->object_key(pod), code, msg ? msg : "");
out:
  api->free(opts);
  api->free(msg);
  return rc;
}

int nsim_reconcile_pod(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, struct nodesim *st,
                       const char *key, uint32_t *requeue_ms) {
  const cplane_object *pod = NULL, *node = NULL;
  const char *node_name;
  int64_t due;
  int rc = CPLANE_RECONCILE_DONE;
  enum nsim_step step;

  if (api->cache_get(ctx, NSIM_PODS, key, &pod) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  step = nsim_pod_next(api, st, pod, api->now_ms(ctx), &due);
  node_name = api->object_string(pod, "spec.nodeName");
  /* No node yet, or a dead one: its add or resume event queues us. */
  if (step == NSIM_STEP_NONE ||
      api->cache_get(ctx, NSIM_NODES, node_name, &node) != CPLANE_OK ||
      nsim_node_stopped(api, node))
    goto out;
  if (step == NSIM_STEP_DELETE)
    rc = finish_delete(api, ctx, st, pod, requeue_ms);
  else if (step == NSIM_STEP_START)
    rc = start_pod(api, ctx, st, nsim_node_index(st, node_name), pod,
                   requeue_ms);
  else
    rc = advance_pod(api, ctx, st, pod, requeue_ms);
out:
  api->object_release(node);
  api->object_release(pod);
  return rc;
}
