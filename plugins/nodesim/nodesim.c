/*
 * nodesim - simulated nodes for a cluster without kubelets, after kwok.
 *
 * It registers `count` Nodes named <name_prefix>0..N-1 (Ready, with the
 * configured capacity, labels and taints), renews one Lease per node in
 * kube-node-lease every `heartbeat`, and plays the kubelet for the pods
 * bound to those nodes: a Pending pod turns Running and Ready after
 * `pod_start_delay` (or waits in ContainerCreating for a missing Secret,
 * ConfigMap or PVC), becomes Ready after its readiness delay, finishes
 * (restartPolicy Never/OnFailure) after `run_seconds` with `exit_code`,
 * and a pod marked for deletion is removed once its grace period is over.
 * Nothing runs in a container; only the API objects change. A node annotated cplane.io/nodesim-stopped=true acts like a dead
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
 *   pod/NS/NAME      what is due for one pod: start, ready, exit,
 *                    restart, or finish deleting it
 *
 * This file is the glue; the modules: sim.h (limits, timings, the
 * plugin's state), work.h (resources and keys), config.h (reading
 * [plugin.nodesim]), node.h (what a simulated Node is and reports),
 * registration.h (registering and refreshing it), lease.h (renewing its
 * Lease), heartbeat.h (the threads that do), lifecycle.h (a pod's
 * timeline), mounts.h (what a pod waits for), podstatus.h (the status at
 * each stage), pods.h (the pod work) and usage.h (the usage model each
 * node declares once for metrics.k8s.io, which the API server computes
 * on read: no write per pod).
 *
 * Threading: callbacks run on the host's dispatch threads and only look at
 * the object and enqueue. reconcile() runs on the workers; the same key is
 * never reconciled on two at once. The plugin's state is read-only after
 * init() except two per-node words, the pod IP counter and the time of the
 * last Lease renewal, which are only touched with atomic builtins.
 */
#include "config.h"
#include "heartbeat.h"
#include "node.h"
#include "pods.h"
#include "registration.h"
#include "sim.h"
#include "usage.h"
#include "work.h"

#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_host_api *api;

static struct nodesim *state(cplane_plugin_ctx *ctx) {
  return api->get_userdata(ctx);
}

/* ---- events: look at the object and enqueue ---- */

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  const struct nodesim *st = state(ctx);
  const char *name = api->object_name(obj);

  if (res == NSIM_NAMESPACES) {
    api->enqueue(ctx, "start");
  } else if (res == NSIM_NODES && nsim_node_index(st, name) >= 0) {
    nsim_enqueue(api, ctx, "node", name, 0);
    nsim_lease_due_now(st, name);
    /* Pods may have been bound before the node existed. */
    nsim_enqueue(api, ctx, "pods-of", name, 0);
  } else if (res == NSIM_PODS) {
    nsim_queue_pod(api, ctx, st, obj);
  }
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  const struct nodesim *st = state(ctx);
  const char *name = api->object_name(new_obj);

  if (res == NSIM_NAMESPACES) {
    api->enqueue(ctx, "start");
  } else if (res == NSIM_NODES && nsim_node_index(st, name) >= 0) {
    nsim_enqueue(api, ctx, "node", name, 0);
    if (nsim_node_stopped(api, new_obj))
      return;
    if (nsim_node_stopped(api, old_obj)) {
      /* Resumed: heartbeat at once and catch up on its pods. */
      nsim_lease_due_now(st, name);
      nsim_enqueue(api, ctx, "pods-of", name, 0);
    }
  } else if (res == NSIM_PODS) {
    nsim_queue_pod(api, ctx, st, new_obj);
  }
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  const struct nodesim *st = state(ctx);

  /* A kubelet whose Node is deleted registers it again. */
  if (res == NSIM_NODES && nsim_node_index(st, api->object_name(obj)) >= 0)
    nsim_enqueue(api, ctx, "node", api->object_name(obj), 0);
}

/* ---- reconcile: dispatch on the key ---- */

static int reconcile_start(cplane_plugin_ctx *ctx) {
  struct nodesim *st = state(ctx);
  char name[96];
  int i;

  nsim_heartbeat_start(api, st);
  for (i = 0; i < st->count; i++) {
    snprintf(name, sizeof name, "%s%d", st->prefix, i);
    nsim_enqueue(api, ctx, "node", name, 0);
  }
  return CPLANE_RECONCILE_DONE;
}

static int sim_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  struct nodesim *st = state(ctx);

  if (strcmp(key, "start") == 0)
    return reconcile_start(ctx);
  if (strncmp(key, "node/", 5) == 0)
    return nsim_reconcile_node(api, ctx, st, key + 5, requeue_after_ms);
  if (strncmp(key, "lease/", 6) == 0) {
    nsim_lease_due_now(st, key + 6); /* the heartbeat threads renew */
    return CPLANE_RECONCILE_DONE;
  }
  if (strncmp(key, "pod/", 4) == 0)
    return nsim_reconcile_pod(api, ctx, st, key + 4, requeue_after_ms);
  if (strncmp(key, "pods-of/", 8) == 0)
    return nsim_reconcile_pods_of(api, ctx, st, key + 8);
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
  if (api->cache_add_index(ctx, NSIM_PODS, "node", "spec.nodeName") !=
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
  nsim_heartbeat_stop(state(ctx));
  nsim_free_state(state(ctx));
  api->set_userdata(ctx, NULL);
}

/* The [plugin.NAME] keys this plugin reads, beside the host's own:
 * --check-config and start-up report any other as a misspelling. */
static const char *const nodesim_config_keys[] = {
    "count",       "name_prefix", "cpu",       "memory",
    "pods",        "heartbeat",   "pod_start_delay", "max_grace",
    "labels",      "taints",      "run_seconds", "exit_code",
    "usage",       "usage_fraction", "usage_interval", NULL};

static const struct cplane_plugin nodesim_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "nodesim",
    .version = "0.2.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = NSIM_N_RESOURCES,
    .resources = nsim_resources,
    .init = sim_init,
    .fini = sim_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = sim_reconcile,
    .config_keys = nodesim_config_keys,
    /* Beyond what it watches: each simulated node's Lease (its
     * heartbeat), for confine_plugins. */
    .n_writes = 1,
    .writes = &nsim_lease_res,
};

CPLANE_PLUGIN_DEFINE(nodesim_plugin)
