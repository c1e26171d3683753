/*
 * usage - the resource usage simulated nodes report for metrics.k8s.io
 * (what a kubelet's summary API gives metrics-server): per container of
 * a Running pod, the pod's annotations cplane.io/nodesim-cpu and
 * cplane.io/nodesim-memory (quantities, each container's usage) or else
 * `usage_fraction` of the container's requests; per node, the sum of its
 * Running pods plus an idle base.
 *
 * Writes: a pod's PodMetrics (owned by the pod, so that the garbage
 * collector removes it with the pod) one usage_interval after it starts
 * running (metrics-server's first scrape) and when its usage annotations
 * change, one write each; deleted when the pod stops running. Each node's NodeMetrics at most every `usage_interval`, and
 * only when its figures changed. `usage = false` writes nothing.
 *
 * Work keys (nodesim's queue): usage/NS/NAME (a pod's metrics),
 * usage-node/NAME (a node's, requeued every usage_interval).
 *
 * Ownership: struct nsim_usage hangs off struct nodesim (st->usage),
 * made by nsim_usage_configure, freed by nsim_usage_free. JSON returned
 * is the caller's (api->free).
 *
 * Threading: the event hook runs on dispatch threads and only enqueues;
 * nsim_usage_reconcile on workers. A node's last reported figures are
 * only touched by its own key's reconcile, which the host never runs on
 * two workers at once, so they need no lock.
 */
#ifndef NODESIM_USAGE_H
#define NODESIM_USAGE_H

#include "sim.h"

#include <stdint.h>

#define USAGE_CPU_ANNOTATION "cplane.io/nodesim-cpu"
#define USAGE_MEMORY_ANNOTATION "cplane.io/nodesim-memory"
/* What an idle node uses beside its pods (kubelet, runtime, system). */
#define USAGE_NODE_IDLE_CPU_M 50
#define USAGE_NODE_IDLE_MEMORY (256LL << 20)

struct nsim_usage_node {
  int64_t cpu_m, memory; /* last written; -1: none yet */
};

struct nsim_usage {
  int enabled;
  uint32_t fraction_permille; /* usage_fraction * 1000 */
  uint32_t interval_ms;
  struct nsim_usage_node *nodes; /* st->count entries */
};

/* Reads usage, usage_fraction, usage_interval into st->usage (made
 * here). NULL, or what is wrong (static text). */
const char *nsim_usage_configure(const struct cplane_host_api *api,
                                 cplane_plugin_ctx *ctx, struct nodesim *st);
void nsim_usage_free(struct nsim_usage *u);

/* Container i's usage in millicores and bytes. */
void nsim_usage_container(const struct cplane_host_api *api,
                          const struct nsim_usage *u, const cplane_object *pod,
                          int i, int64_t *cpu_m, int64_t *memory);
/* The PodMetrics body for a Running pod at now_ms. NULL: out of memory
 * or the pod has no name/uid. */
char *nsim_usage_pod_json(const struct cplane_host_api *api,
                          const struct nsim_usage *u, const cplane_object *pod,
                          int64_t now_ms);
/* The NodeMetrics body of node `name`. NULL: out of memory. */
char *nsim_usage_node_json(const struct cplane_host_api *api,
                           const struct nsim_usage *u, const char *name,
                           int64_t cpu_m, int64_t memory, int64_t now_ms);

/* From on_add (old NULL) and on_update of a pod: queues its usage/ key
 * when it starts or stops running on one of our nodes or its usage
 * annotations change. */
void nsim_usage_pod_event(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, const struct nodesim *st,
                          const cplane_object *old_pod,
                          const cplane_object *pod);
/* From the start key: queues every node's usage-node/ key. */
void nsim_usage_start(const struct cplane_host_api *api,
                      cplane_plugin_ctx *ctx, const struct nodesim *st);
/* 1 when key is one of this module's. */
int nsim_usage_key(const char *key);
/* Runs a usage/ or usage-node/ key; pods is the plugin's pods resource
 * index (with the "node" index on spec.nodeName). */
int nsim_usage_reconcile(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, struct nodesim *st,
                         uint32_t pods, const char *key,
                         uint32_t *requeue_ms);

#endif
