/*
 * metrics_usage - what metrics.k8s.io/v1beta1 reports, computed from the
 * objects alone, as metrics-server computes it from kubelet scrapes: a
 * node declares its usage model in annotations (nodesim writes them
 * once, at registration), and a pod's and a node's figures follow from
 * the pod specs, their annotations and the clock. Nothing is stored:
 * verbs_metrics.c serves these on every read.
 *
 * A node declares a model with cplane.io/nodesim-usage-interval (a
 * duration, 100ms to 1h: the scrape interval, metrics-server's
 * --metric-resolution) and optionally cplane.io/nodesim-usage-fraction
 * (0 to 10, default 0: the share of its requests a container uses when
 * it has no usage annotation). A node without the interval, or stopped
 * (cplane.io/nodesim-stopped=true), reports nothing, like a node
 * metrics-server cannot scrape.
 *
 * A pod is reported when it is Running on such a node and at least one
 * of its containers has run for a whole interval (metrics-server needs
 * two scrapes); only such containers are listed. A container uses the
 * pod's cplane.io/nodesim-cpu and cplane.io/nodesim-memory annotations,
 * else the fraction of its requests, else 0. A node uses the sum of its
 * reported pods plus an idle base. Timestamps are now rounded down to
 * the interval, and the window is the interval.
 *
 * Threading: pure functions of their arguments; any thread.
 * Ownership: borrows its arguments; returned objects are the caller's
 * (json_object_put).
 */
#ifndef CPLANE_HOST_APISERVER_METRICS_USAGE_H
#define CPLANE_HOST_APISERVER_METRICS_USAGE_H

#include <json-c/json.h>
#include <stdint.h>

#define CP_USAGE_INTERVAL_ANNOTATION "cplane.io/nodesim-usage-interval"
#define CP_USAGE_FRACTION_ANNOTATION "cplane.io/nodesim-usage-fraction"
#define CP_USAGE_CPU_ANNOTATION "cplane.io/nodesim-cpu"
#define CP_USAGE_MEMORY_ANNOTATION "cplane.io/nodesim-memory"
#define CP_USAGE_STOPPED_ANNOTATION "cplane.io/nodesim-stopped"
/* What an idle node uses beside its pods (kubelet, runtime, system). */
#define CP_USAGE_NODE_IDLE_CPU_M 50
#define CP_USAGE_NODE_IDLE_MEMORY (256LL << 20)
/* The bounds of the declared model, as nodesim's INI checks them. */
#define CP_USAGE_INTERVAL_MIN_MS 100
#define CP_USAGE_INTERVAL_MAX_MS 3600000
#define CP_USAGE_FRACTION_MAX_PERMILLE 10000u /* 10x the requests */

struct cp_usage_model {
  int64_t interval_ms;
  uint32_t fraction_permille; /* the fraction * 1000 */
};

/* CPU in millicores, memory in bytes; both saturate at INT64_MAX. */
struct cp_usage {
  int64_t cpu_m, memory;
};

/* 1 and *m when node declares a model; 0 when it declares none or a
 * value does not parse (then it reports nothing). */
int cp_usage_model_of(json_object *node, struct cp_usage_model *m);

/* The pod's usage at now_ms under its node's model m, summed over the
 * containers reported (*total; zero when none). 1 when the pod is
 * reported, else 0. Cheaper than cp_usage_pod_metrics: no JSON made. */
int cp_usage_pod_total(json_object *pod, const struct cp_usage_model *m,
                       int64_t now_ms, struct cp_usage *total);

/* The pod's PodMetrics (name, namespace, labels, creationTimestamp now,
 * timestamp, window, containers), or NULL when it is not reported or out
 * of memory (*nomem set then, when not NULL). */
json_object *cp_usage_pod_metrics(json_object *pod,
                                  const struct cp_usage_model *m,
                                  int64_t now_ms, int *nomem);

/* Node's NodeMetrics for the summed usage of its reported pods (the idle
 * base is added here); NULL when out of memory. */
json_object *cp_usage_node_metrics(json_object *node,
                                   const struct cp_usage_model *m,
                                   const struct cp_usage *pods, int64_t now_ms);

/* u's cpu (decimal SI: "150m") and memory (binary SI: "100Mi") as the
 * metrics carry them; each buffer of CP_USAGE_QUANTITY_LEN bytes. */
#define CP_USAGE_QUANTITY_LEN 32
void cp_usage_format(const struct cp_usage *u, char *cpu, char *memory);
/* Adds a usage object {cpu, memory} (as cp_usage_format writes them; a
 * value missing or not a quantity counts 0) to *sum, saturating. */
void cp_usage_add_parsed(json_object *usage, struct cp_usage *sum);

#endif /* CPLANE_HOST_APISERVER_METRICS_USAGE_H */
