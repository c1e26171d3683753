/*
 * usage - the resource usage model simulated nodes declare for
 * metrics.k8s.io. A node declares it once, in two annotations on its
 * Node (cplane.io/nodesim-usage-interval: `usage_interval`, and
 * cplane.io/nodesim-usage-fraction: `usage_fraction`); the API server
 * computes every PodMetrics and NodeMetrics from them and the pods on
 * read (host/apiserver/metrics_usage.h), as metrics-server computes them
 * from kubelet scrapes. So usage costs no write per pod: one annotation
 * write per node, at registration, or once when a node registered
 * before holds other values. `usage = false` declares nothing (the
 * annotations are removed), and the node reports no metrics, like a node
 * metrics-server does not scrape.
 *
 * Ownership: struct nsim_usage hangs off struct nodesim (st->usage),
 * made by nsim_usage_configure, freed by nsim_usage_free. Strings
 * returned are the caller's (api->free).
 *
 * Threading: read-only after init(); the functions run on workers.
 */
#ifndef NODESIM_USAGE_H
#define NODESIM_USAGE_H

#include "sim.h"

#include <stdint.h>

/* The node annotations (the API server reads them by the same names). */
#define USAGE_INTERVAL_ANNOTATION "cplane.io/nodesim-usage-interval"
#define USAGE_FRACTION_ANNOTATION "cplane.io/nodesim-usage-fraction"

struct nsim_usage {
  int enabled;
  char fraction[32]; /* usage_fraction as written in the INI: "0.5" */
  char interval[32]; /* usage_interval as Go writes a duration: "15s" */
};

/* Reads usage, usage_fraction, usage_interval into st->usage (made
 * here). NULL, or what is wrong (static text). */
const char *nsim_usage_configure(const struct cplane_host_api *api,
                                 cplane_plugin_ctx *ctx, struct nodesim *st);
void nsim_usage_free(struct nsim_usage *u);

/* The metadata.annotations object a node is registered with: nodesim's
 * mark (cplane.io/nodesim), the TTL a kubelet sets, and the usage model
 * unless usage is off. NULL when out of memory. */
char *nsim_usage_node_annotations(const struct cplane_host_api *api,
                                  const struct nodesim *st);
/* 1 when node's annotations declare exactly the configured model (none
 * at all when usage is off). */
int nsim_usage_declared(const struct cplane_host_api *api,
                        const struct nodesim *st, const cplane_object *node);
/* Makes node declare the configured model with one merge patch (a node
 * registered before, or with other settings). A failure is logged and
 * left to the node's next reconcile. */
void nsim_usage_declare(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const struct nodesim *st,
                        const cplane_object *node);

#endif
