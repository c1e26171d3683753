/*
 * nodeinfo - the scheduler's view of one node: what it offers
 * (allocatable), what is already asked of it (requests of bound and
 * assumed pods), its taints and host ports; and the per-node filters and
 * scores of the default profile.
 *
 * Threading: none inside; the scheduler's mutex guards every node.
 */
#ifndef SCHED_NODEINFO_H
#define SCHED_NODEINFO_H

#include "podinfo.h"

struct sched_taint {
  char *key, *value; /* owned */
  int effect;
};

struct sched_node {
  char *name;               /* owned */
  const cplane_object *obj; /* retained: labels and fields */
  int live;                 /* 0 once the node is deleted */
  int unschedulable;
  int64_t alloc_cpu, alloc_mem, alloc_pods;
  int64_t req_cpu, req_mem, nz_cpu, nz_mem, n_pods;
  struct sched_taint *taints;
  int n_taints;
  struct sched_port *ports; /* host ports in use */
  int n_ports, cap_ports;
  char *labels; /* compact JSON, to tell relevant updates apart */
};

/* Why a node was filtered out; also indexes the reason texts. */
enum sched_reason {
  SCHED_FIT = 0,
  SCHED_R_UNSCHEDULABLE,
  SCHED_R_CPU,
  SCHED_R_MEMORY,
  SCHED_R_PODS,
  SCHED_R_AFFINITY,
  SCHED_R_TAINT,
  SCHED_R_PORTS,
  SCHED_R_SPREAD,
  SCHED_R_SPREAD_LABEL,
  SCHED_R_NOT_READY,
  SCHED_N_REASONS
};

/* kube-scheduler's wording, for the PodScheduled condition and events. */
extern const char *const sched_reason_text[SCHED_N_REASONS];

/* Updates n from a node snapshot (retained). Returns 1 when something the
 * filters look at changed (a pod that did not fit may fit now), 0 when not,
 * or CPLANE_ENOMEM. */
int nodeinfo_set(const struct cplane_host_api *api, struct sched_node *n,
                 const cplane_object *obj);
void nodeinfo_free(const struct cplane_host_api *api, struct sched_node *n);

/* Adds (sign 1) or removes (sign -1) a pod's requests and host ports. */
int nodeinfo_account(struct sched_node *n, int sign, int64_t cpu, int64_t mem,
                     int64_t nz_cpu, int64_t nz_mem,
                     const struct sched_port *ports, int n_ports);

/* The filters that need only the node and the pod: NodeUnschedulable,
 * NodeResourcesFit, NodeAffinity (nodeSelector and required terms),
 * TaintToleration, NodePorts. SCHED_FIT or the first failing reason. */
int nodeinfo_filter(const struct cplane_host_api *api,
                    const struct sched_node *n, const struct sched_pod *p);
/* 1 when the node matches the pod's nodeSelector and required affinity. */
int nodeinfo_affinity_match(const struct cplane_host_api *api,
                            const struct sched_node *n,
                            const struct sched_pod *p);

/* Raw scores, normalized by the caller across the scored nodes:
 * LeastAllocated and BalancedAllocation (0-100 already), the count of
 * untolerated PreferNoSchedule taints, and the summed weight of matching
 * preferred affinity terms. */
int nodeinfo_least_allocated(const struct sched_node *n,
                             const struct sched_pod *p);
int nodeinfo_balanced(const struct sched_node *n, const struct sched_pod *p);
int nodeinfo_prefer_taints(const struct sched_node *n,
                           const struct sched_pod *p);
int nodeinfo_preferred_affinity(const struct cplane_host_api *api,
                                const struct sched_node *n,
                                const struct sched_pod *p);

#endif
