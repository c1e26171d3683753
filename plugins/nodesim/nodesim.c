/*
 * nodesim - simulated nodes for a cluster without kubelets, after kwok.
 *
 * It registers `count` Nodes named <name_prefix>0..N-1 (Ready, with the
 * configured capacity, labels and taints), renews one Lease per node in
 * kube-node-lease every `heartbeat`, and plays the kubelet for the pods
 * bound to those nodes: a Pending pod turns Running and Ready after
 * `pod_start_delay`, and a pod marked for deletion is removed once its
 * grace period is over. Nothing runs in a container; only the API objects
 * change. A node annotated cplane.io/nodesim-stopped=true acts like a dead
 * machine: no lease renewals, no pod progress, until the annotation goes.
 * Nodes outlive the plugin, like machines outlive their kubelet.
 *
 * Work keys (one queue for all kinds):
 *   start            register every node (queued when the kube-node-lease
 *                    namespace is seen: the first sign of a live server)
 *   node/NAME        register NAME or refresh its status (about once a
 *                    minute: the Lease is the real heartbeat)
 *   lease/NAME       renew NAME's Lease now (the renewals themselves run
 *                    on heartbeat threads of their own, every `heartbeat`,
 *                    so that they never wait behind queued pod work)
 *   pods-of/NAME     queue the pods of NAME that need work (after resume)
 *   pod/NS/NAME      start or finish deleting one pod
 *
 * The modules: sim.h (limits, timings, the plugin's state), config.h
 * (reading [plugin.nodesim]), node.h (what a simulated Node is and
 * reports) and podstatus.h (a started pod's status); the rest is still
 * in this file.
 *
 * Threading: callbacks run on the host's dispatch threads and only look at
 * the object and enqueue. reconcile() runs on the workers; the same key is
 * never reconciled on two at once. The plugin's state is read-only after
 * init() except two per-node words, the pod IP counter and the time of the
 * last Lease renewal, which are only touched with atomic builtins.
 */
#include "config.h"
#include "node.h"
#include "podstatus.h"
#include "sim.h"
#include "usage.h"

#include <cplane/cplane.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct cplane_host_api *api;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "nodes"),
    CPLANE_RESOURCE("", "v1", "pods"),
    /* Only to learn that the server is up and the lease namespace exists:
     * init() cannot enqueue, and an empty cluster sends no other event. */
    {sizeof(struct cplane_resource), 0, "", "v1", "namespaces", NULL,
     "metadata.name=" LEASE_NS},
};
#define NODES 0
#define PODS 1
#define NAMESPACES 2

static const struct cplane_resource lease_res =
    CPLANE_RESOURCE("coordination.k8s.io", "v1", "leases");

/* ---- small helpers ---- */

static struct nodesim *state(cplane_plugin_ctx *ctx) {
  return api->get_userdata(ctx);
}

static int keyf(char *buf, size_t len, const char *fmt, ...)
    CPLANE_PRINTF(3, 4);
static int keyf(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  return n >= 0 && (size_t)n < len ? 0 : -1;
}

static void enqueue_kind(cplane_plugin_ctx *ctx, const char *kind,
                         const char *name, uint32_t delay_ms) {
  char key[600];

  if (keyf(key, sizeof key, "%s/%s", kind, name) == 0)
    api->enqueue_after(ctx, key, delay_ms);
}

/* ---- events ---- */

/* Whether the pod needs us: bound to one of our nodes and either Pending
 * or being deleted. */
static int pod_wants_work(const struct nodesim *st, const cplane_object *pod,
                          int *deleting) {
  const char *phase = api->object_string(pod, "status.phase");

  if (nsim_node_index(st, api->object_string(pod, "spec.nodeName")) < 0)
    return 0;
  *deleting = api->object_deletion_timestamp(pod) != NULL;
  return *deleting || phase == NULL || strcmp(phase, "Pending") == 0;
}

static void queue_pod(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  const struct nodesim *st = state(ctx);
  int deleting = 0;

  /* A Pending pod starts pod_start_delay after we first see it bound;
   * later events only move that earlier, never later. */
  if (pod_wants_work(st, pod, &deleting))
    enqueue_kind(ctx, "pod", api->object_key(pod),
                 deleting ? 0 : st->pod_start_delay_ms);
}

/* Has the heartbeat threads renew name's Lease on their next tick. */
static void lease_due_now(const struct nodesim *st, const char *name) {
  int i = nsim_node_index(st, name);

  if (i >= 0)
    __atomic_store_n(&st->due_ms[i], 0, __ATOMIC_RELAXED);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  const struct nodesim *st = state(ctx);
  const char *name = api->object_name(obj);

  if (res == NAMESPACES) {
    api->enqueue(ctx, "start");
  } else if (res == NODES && nsim_node_index(st, name) >= 0) {
    enqueue_kind(ctx, "node", name, 0);
    lease_due_now(st, name);
    /* Pods may have been bound before the node existed. */
    enqueue_kind(ctx, "pods-of", name, 0);
  } else if (res == PODS) {
    queue_pod(ctx, obj);
    nsim_usage_pod_event(api, ctx, st, NULL, obj);
  }
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  const struct nodesim *st = state(ctx);
  const char *name = api->object_name(new_obj);

  if (res == NAMESPACES) {
    api->enqueue(ctx, "start");
  } else if (res == NODES && nsim_node_index(st, name) >= 0) {
    enqueue_kind(ctx, "node", name, 0);
    if (nsim_node_stopped(api, new_obj))
      return;
    if (nsim_node_stopped(api, old_obj)) {
      /* Resumed: heartbeat at once and catch up on its pods. */
      lease_due_now(st, name);
      enqueue_kind(ctx, "pods-of", name, 0);
    }
  } else if (res == PODS) {
    queue_pod(ctx, new_obj);
    nsim_usage_pod_event(api, ctx, st, old_obj, new_obj);
  }
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  const struct nodesim *st = state(ctx);

  /* A kubelet whose Node is deleted registers it again. */
  if (res == NODES && nsim_node_index(st, api->object_name(obj)) >= 0)
    enqueue_kind(ctx, "node", api->object_name(obj), 0);
}

/* ---- nodes ---- */

static int register_node(cplane_plugin_ctx *ctx, const struct nodesim *st,
                         int i, const char *name, uint32_t *requeue_ms) {
  struct cplane_strbuf labels = {0};
  char now[40], cidr[40], *lab = NULL, *status = NULL, *body = NULL;
  char *spec = NULL, *msg = NULL;
  int code, rc = CPLANE_RECONCILE_RETRY;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  snprintf(cidr, sizeof cidr, "10.%d.%d.0/24", 128 + i / 256, i % 256);
  nsim_node_labels(api, &labels, st, name);
  lab = cplane_strbuf_finish(&labels);
  status = nsim_node_status_json(api, st, api->now_ms(st->ctx), i, name, now,
                                 NULL);
  if (lab == NULL || status == NULL)
    goto nomem;
  /* No taints: no spec.taints at all, as a kubelet registers. */
  spec = st->taints_json != NULL
             ? api->json_format("{'podCIDR':%s,'podCIDRs':[%s],'taints':%j}",
                                cidr, cidr, st->taints_json)
             : api->json_format("{'podCIDR':%s,'podCIDRs':[%s]}", cidr,
                                cidr);
  if (spec == NULL)
    goto nomem;
  body = api->json_format(
      "{'apiVersion':'v1','kind':'Node','metadata':{'name':%s,'labels':%j,"
      "'annotations':{'cplane.io/nodesim':'true',"
      "'node.alpha.kubernetes.io/ttl':'0'}},'spec':%j,'status':%j}",
      name, lab, spec, status);
  if (body == NULL)
    goto nomem;
  code = api->create(ctx, &resources[NODES], NULL, body, NULL, &msg);
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
  api->free(status);
  api->free(body);
  api->free(msg);
  return rc;
}

/* Whether node i's Lease was renewed within two heartbeats. */
static int lease_fresh(const struct nodesim *st, int i) {
  uint64_t at = __atomic_load_n(&st->renewed_ms[i], __ATOMIC_RELAXED);

  return at != 0 &&
         (double)(api->now_ms(st->ctx) - (int64_t)at) < 2.0 * st->heartbeat_ms;
}

/* Writes a healthy status over the node's if Ready is not True, the
 * capacity is missing or the heartbeat is a minute old. */
static int refresh_node(cplane_plugin_ctx *ctx, const struct nodesim *st,
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
  if (since == NULL && !lease_fresh(st, i))
    return CPLANE_RECONCILE_DONE;
  status = nsim_node_status_json(
      api, st, api->now_ms(st->ctx), i, name,
      api->object_string(node, "metadata.creationTimestamp"), since);
  if (status == NULL)
    goto out;
  body = api->json_format("{'apiVersion':'v1','kind':'Node','metadata':{"
                          "'name':%s,'resourceVersion':%s},'status':%j}",
                          name, api->object_resource_version(node), status);
  if (body == NULL)
    goto out;
  code = api->update_status(ctx, &resources[NODES], NULL, name, body, NULL,
                            &msg);
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

static int reconcile_node(cplane_plugin_ctx *ctx, const char *name,
                          uint32_t *requeue_ms) {
  const struct nodesim *st = state(ctx);
  const cplane_object *node = NULL;
  int i = nsim_node_index(st, name), rc = CPLANE_RECONCILE_DONE;

  if (i < 0)
    return CPLANE_RECONCILE_DONE;
  if (api->cache_get(ctx, NODES, name, &node) != CPLANE_OK) {
    if (!api->cache_has_synced(ctx, NODES)) {
      *requeue_ms = 500;
      return CPLANE_RECONCILE_REQUEUE_AFTER;
    }
    return register_node(ctx, st, i, name, requeue_ms);
  }
  /* A stopped machine reports nothing; the resume event queues us. */
  if (!nsim_node_stopped(api, node))
    rc = refresh_node(ctx, st, i, node, requeue_ms);
  api->object_release(node);
  return rc;
}

/* ---- leases ---- */

static int reconcile_lease(cplane_plugin_ctx *ctx, const char *name,
                           uint32_t *requeue_ms) {
  const struct nodesim *st = state(ctx);
  const cplane_object *node = NULL;
  char now[40], *body = NULL, *msg = NULL;
  const char *ready;
  int code, rc = CPLANE_RECONCILE_RETRY;

  if (nsim_node_index(st, name) < 0 ||
      api->cache_get(ctx, NODES, name, &node) != CPLANE_OK)
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
  code = api->patch(ctx, &lease_res, LEASE_NS, name, CPLANE_PATCH_MERGE,
                    body, NULL, &msg);
  if (code == 404) {
    api->free(body);
    api->free(msg);
    msg = NULL;
    /* Owned by the Node, so the garbage collector removes it with it. */
    body = api->json_format(
        "{'apiVersion':'coordination.k8s.io/v1','kind':'Lease','metadata':{"
        "'name':%s,'namespace':%s,'ownerReferences':[{'apiVersion':'v1',"
        "'kind':'Node','name':%s,'uid':%s}]},'spec':{'holderIdentity':%s,"
        "'leaseDurationSeconds':%d,'acquireTime':%s,'renewTime':%s}}",
        name, LEASE_NS, name, api->object_uid(node), name, LEASE_DURATION_S,
        now, now);
    if (body == NULL)
      goto out;
    code = api->create(ctx, &lease_res, LEASE_NS, body, NULL, &msg);
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
  __atomic_store_n(&st->renewed_ms[nsim_node_index(st, name)],
                   (uint64_t)api->now_ms(ctx), __ATOMIC_RELAXED);
  ready = nsim_condition_field(api, node, "Ready", "status");
  if (ready == NULL || strcmp(ready, "True") != 0)
    enqueue_kind(ctx, "node", name, 0); /* alive again: say so */
  *requeue_ms = st->heartbeat_ms;
  rc = CPLANE_RECONCILE_REQUEUE_AFTER;
out:
  api->free(body);
  api->free(msg);
  api->object_release(node);
  return rc;
}

/* ---- heartbeat threads ---- */

struct hb_arg {
  struct nodesim *st;
  int slot;
};

/* Renews the Leases of nodes slot, slot + n_hb, ... as they fall due. */
static void *heartbeat_main(void *arg) {
  struct hb_arg a = *(struct hb_arg *)arg;
  struct nodesim *st = a.st;
  char name[96];
  int i;

  free(arg);
  while (!__atomic_load_n(&st->hb_stop, __ATOMIC_RELAXED)) {
    for (i = a.slot; i < st->count; i += st->n_hb) {
      uint64_t now = (uint64_t)api->now_ms(st->ctx), next;
      uint32_t req = st->heartbeat_ms;
      int rc;

      if (__atomic_load_n(&st->hb_stop, __ATOMIC_RELAXED))
        break;
      if (__atomic_load_n(&st->due_ms[i], __ATOMIC_RELAXED) > now)
        continue;
      snprintf(name, sizeof name, "%s%d", st->prefix, i);
      rc = reconcile_lease(st->ctx, name, &req);
      next = rc == CPLANE_RECONCILE_REQUEUE_AFTER ? req
             : rc == CPLANE_RECONCILE_RETRY       ? HB_RETRY_MS
                                                  : st->heartbeat_ms;
      __atomic_store_n(&st->due_ms[i], now + next, __ATOMIC_RELAXED);
    }
    usleep(HB_TICK_US);
  }
  return NULL;
}

/* Starts the heartbeat threads once (from the first reconcile: init is too
 * early for API calls). One thread per 100 nodes, at most HB_THREADS_MAX:
 * 5,000 nodes every 10 s are 500 renewals a second, and on a busy server
 * a renewal (the first one is two calls: a 404, then the create) can take
 * 50 ms. */
static void heartbeat_start(struct nodesim *st) {
  int want = st->count / HB_NODES_PER_THREAD + 1, t, expected = 0;

  if (!__atomic_compare_exchange_n(&st->hb_started, &expected, 1, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return;
  if (want > HB_THREADS_MAX)
    want = HB_THREADS_MAX;
  st->n_hb = want;
  for (t = 0; t < want; t++) {
    struct hb_arg *a = malloc(sizeof *a);

    if (a == NULL)
      break;
    *a = (struct hb_arg){st, t};
    if (pthread_create(&st->hb[t], NULL, heartbeat_main, a) != 0) {
      free(a);
      break;
    }
  }
  st->n_started_hb = t;
  if (t < want) /* a thread's share of nodes is left without heartbeats */
    api->log(st->ctx, CPLANE_LOG_ERROR,
             "only %d of %d heartbeat threads started: some nodes will "
             "look dead", t, want);
}

static void heartbeat_stop(struct nodesim *st) {
  int t;

  __atomic_store_n(&st->hb_stop, 1, __ATOMIC_RELAXED);
  for (t = 0; t < st->n_started_hb; t++)
    pthread_join(st->hb[t], NULL);
  st->n_started_hb = 0;
}

/* ---- pods ---- */

/* Picks a pod IP in node i's /24 that no cached pod on the node holds.
 * The atomic counter keeps two pods started at once apart even before
 * the cache shows either. */
static int pick_pod_ip(cplane_plugin_ctx *ctx, const struct nodesim *st,
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
  if (api->cache_list_by_index(ctx, PODS, "node", node, NULL, &list) ==
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
  return 0;
}

static int start_pod(cplane_plugin_ctx *ctx, const struct nodesim *st,
                     int i, const cplane_object *pod) {
  const char *node = api->object_string(pod, "spec.nodeName");
  char now[40], host_ip[32], pod_ip[32], *status = NULL, *body = NULL;
  char *msg = NULL;
  const char *scheduled;
  int code, rc = CPLANE_RECONCILE_RETRY;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  nsim_node_ip(i, host_ip, sizeof host_ip);
  pick_pod_ip(ctx, st, i, node, pod_ip, sizeof pod_ip);
  scheduled =
      nsim_condition_field(api, pod, "PodScheduled", "lastTransitionTime");
  if ((status = nsim_pod_running_status(api, pod, now, host_ip, pod_ip,
                                         scheduled)) == NULL)
    goto nomem;
  body = api->json_format("{'apiVersion':'v1','kind':'Pod','metadata':{"
                          "'name':%s,'namespace':%s,'resourceVersion':%s},"
                          "'status':%j}",
                          api->object_name(pod), api->object_namespace(pod),
                          api->object_resource_version(pod), status);
  if (body == NULL)
    goto nomem;
  code = api->update_status(ctx, &resources[PODS], api->object_namespace(pod),
                            api->object_name(pod), body, NULL, &msg);
  if (code == 200 || code == 404) {
    rc = CPLANE_RECONCILE_DONE;
  } else if (code == 409) {
    /* Changed meanwhile: the update event queues us again; this retry
     * covers an event that came before our cache caught up. */
    rc = CPLANE_RECONCILE_RETRY;
  } else {
    api->log(ctx, CPLANE_LOG_WARN, "starting pod %s on %s failed: %d %s",
             api->object_key(pod), node, code, msg ? msg : "");
  }
  goto out;
nomem:
  api->log(ctx, CPLANE_LOG_ERROR, "pod %s: cannot build its status (%s)",
           api->object_key(pod), status ? "body" : "status");
out:
  free(status);
  api->free(body);
  api->free(msg);
  return rc;
}

/* A pod marked for deletion: its containers get min(grace, max_grace)
 * from the moment deletion was asked for (deletionTimestamp minus the
 * grace period, as the API server sets it), then we remove it for good. */
static int finish_delete(cplane_plugin_ctx *ctx, const struct nodesim *st,
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
  code = api->delete_object(ctx, &resources[PODS], api->object_namespace(pod),
                            api->object_name(pod), opts, &msg);
  /* 409: the uid precondition failed, a new pod took the name. */
  if (code == 200 || code == 202 || code == 404 || code == 409) {
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

static int reconcile_pod(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_ms) {
  const struct nodesim *st = state(ctx);
  const cplane_object *pod = NULL, *node = NULL;
  const char *phase;
  int i, deleting = 0, rc = CPLANE_RECONCILE_DONE;

  if (api->cache_get(ctx, PODS, key, &pod) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (!pod_wants_work(st, pod, &deleting))
    goto out;
  i = nsim_node_index(st, api->object_string(pod, "spec.nodeName"));
  /* No node yet, or a dead one: its add or resume event queues us. */
  if (api->cache_get(ctx, NODES, api->object_string(pod, "spec.nodeName"),
                     &node) != CPLANE_OK ||
      nsim_node_stopped(api, node))
    goto out;
  phase = api->object_string(pod, "status.phase");
  if (deleting)
    rc = finish_delete(ctx, st, pod, requeue_ms);
  else if (phase == NULL || strcmp(phase, "Pending") == 0)
    rc = start_pod(ctx, st, i, pod);
out:
  api->object_release(node);
  api->object_release(pod);
  return rc;
}

static int reconcile_pods_of(cplane_plugin_ctx *ctx, const char *name) {
  const struct nodesim *st = state(ctx);
  cplane_object_list *list = NULL;
  size_t k, n;

  if (api->cache_list_by_index(ctx, PODS, "node", name, NULL, &list) !=
      CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  n = api->list_len(list);
  for (k = 0; k < n; k++) {
    const cplane_object *pod = api->list_at(list, k);
    int deleting = 0;

    if (pod_wants_work(st, pod, &deleting))
      enqueue_kind(ctx, "pod", api->object_key(pod),
                   deleting ? 0 : st->pod_start_delay_ms);
  }
  api->list_free(list);
  return CPLANE_RECONCILE_DONE;
}

static int reconcile_start(cplane_plugin_ctx *ctx) {
  struct nodesim *st = state(ctx);
  char name[96];
  int i;

  heartbeat_start(st);
  for (i = 0; i < st->count; i++) {
    snprintf(name, sizeof name, "%s%d", st->prefix, i);
    enqueue_kind(ctx, "node", name, 0);
  }
  nsim_usage_start(api, ctx, st);
  return CPLANE_RECONCILE_DONE;
}

static int sim_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  if (strcmp(key, "start") == 0)
    return reconcile_start(ctx);
  if (strncmp(key, "node/", 5) == 0)
    return reconcile_node(ctx, key + 5, requeue_after_ms);
  if (strncmp(key, "lease/", 6) == 0) {
    lease_due_now(state(ctx), key + 6); /* the heartbeat threads renew */
    return CPLANE_RECONCILE_DONE;
  }
  if (strncmp(key, "pod/", 4) == 0)
    return reconcile_pod(ctx, key + 4, requeue_after_ms);
  if (strncmp(key, "pods-of/", 8) == 0)
    return reconcile_pods_of(ctx, key + 8);
  if (nsim_usage_key(key))
    return nsim_usage_reconcile(api, ctx, state(ctx), PODS, key,
                                requeue_after_ms);
  return CPLANE_RECONCILE_TERMINAL;
}

/* ---- init ---- */

static int sim_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  struct nodesim *st;
  const char *err;
  char buf[160];

  api = host_api;
  if ((st = calloc(1, sizeof *st)) == NULL)
    return CPLANE_ENOMEM;
  if ((err = nsim_configure(api, ctx, st)) != NULL ||
      (err = nsim_usage_configure(api, ctx, st)) != NULL) {
    snprintf(buf, sizeof buf, "[plugin.%s] %s", api->plugin_name(ctx), err);
    *errmsg = api->string_dup(buf);
    nsim_free_state(st);
    return CPLANE_EINVAL;
  }
  if (api->cache_add_index(ctx, PODS, "node", "spec.nodeName") !=
      CPLANE_OK) {
    *errmsg = api->string_dup("cannot add the spec.nodeName index on pods");
    nsim_free_state(st);
    return CPLANE_ERR;
  }
  st->ctx = ctx;
  api->set_userdata(ctx, st);
  api->log(ctx, CPLANE_LOG_INFO,
           "simulating %d node(s) %s0..%s%d (cpu %s, memory %s, pods %s), "
           "heartbeat %ums, pods start after %ums",
           st->count, st->prefix, st->prefix, st->count - 1, st->cpu,
           st->memory, st->pods, st->heartbeat_ms, st->pod_start_delay_ms);
  return CPLANE_OK;
}

static void sim_fini(cplane_plugin_ctx *ctx) {
  /* Nodes, leases and pods stay: machines outlive their kubelet. */
  heartbeat_stop(state(ctx));
  nsim_free_state(state(ctx));
  api->set_userdata(ctx, NULL);
}

/* The [plugin.NAME] keys this plugin reads, beside the host's own:
 * --check-config and start-up report any other as a misspelling. */
static const char *const nodesim_config_keys[] = {
    "count", "name_prefix", "cpu", "memory", "pods", "heartbeat",
    "pod_start_delay", "max_grace", "labels", "taints",
    "usage", "usage_fraction", "usage_interval", NULL};

static const struct cplane_plugin nodesim_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "nodesim",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 3,
    .resources = resources,
    .init = sim_init,
    .fini = sim_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = sim_reconcile,
    .config_keys = nodesim_config_keys,
};

CPLANE_PLUGIN_DEFINE(nodesim_plugin)
