/*
 * podinfo - what the scheduler needs from a pod, parsed once per attempt:
 * resource requests, host ports, tolerations, node selector and affinity,
 * topology spread constraints.
 *
 * Strings are borrowed from the pod snapshot given to podinfo_parse(); the
 * caller keeps that snapshot alive until podinfo_free().
 *
 * Threading: a podinfo belongs to one thread.
 */
#ifndef SCHED_PODINFO_H
#define SCHED_PODINFO_H

#include <cplane/cplane.h>

#define SCHED_EFFECT_ALL 0 /* a toleration with no effect */
#define SCHED_EFFECT_NO_SCHEDULE 1
#define SCHED_EFFECT_PREFER_NO_SCHEDULE 2
#define SCHED_EFFECT_NO_EXECUTE 3

#define SCHED_OP_IN 1
#define SCHED_OP_NOT_IN 2
#define SCHED_OP_EXISTS 3
#define SCHED_OP_DOES_NOT_EXIST 4
#define SCHED_OP_GT 5
#define SCHED_OP_LT 6

struct sched_port {
  int port;
  int proto; /* 0 TCP, 1 UDP, 2 SCTP */
};

struct sched_toleration {
  const char *key, *value; /* NULL key with Exists tolerates every taint */
  int exists;
  int effect;
};

/* One node selector requirement; `field` selects metadata.name (the only
 * field Kubernetes allows in matchFields) instead of a label. */
struct sched_expr {
  const char *key;
  int op, field;
  const char **values;
  int n_values;
};

/* Requirements ANDed; a pod's required terms are ORed. */
struct sched_term {
  struct sched_expr *exprs;
  int n_exprs, cap_exprs;
  int weight; /* preferred terms only */
};

struct sched_spread {
  const char *topology_key;
  int64_t max_skew;
  int hard;       /* whenUnsatisfiable: DoNotSchedule */
  char *selector; /* labelSelector as selector text; owned (api->free) */
  int self_match; /* the pod itself matches the selector */
};

struct sched_pod {
  const struct cplane_host_api *api;
  const cplane_object *obj; /* borrowed */
  int64_t cpu, mem;         /* requests: millicores, bytes */
  int64_t nz_cpu, nz_mem;   /* the same with defaults for empty requests,
                               used for scoring as kube-scheduler does */
  struct sched_port *ports;
  int n_ports;
  struct sched_toleration *tols;
  int n_tols;
  struct sched_expr *node_selector; /* spec.nodeSelector, all In; keys
                                       owned */
  int n_node_selector, cap_node_selector;
  struct sched_term *required; /* nodeSelectorTerms; none: any node */
  int n_required, cap_required;
  struct sched_term *preferred;
  int n_preferred, cap_preferred;
  struct sched_spread *spreads;
  int n_spreads, cap_spreads;
};

/* Fills *p from `pod`. Returns CPLANE_OK, CPLANE_ENOMEM, or CPLANE_EINVAL
 * with *why (static text) for a spec the scheduler cannot honour (a bad
 * quantity or operator). Call podinfo_free() in every case. */
int podinfo_parse(const struct cplane_host_api *api, const cplane_object *pod,
                  struct sched_pod *p, const char **why);
void podinfo_free(struct sched_pod *p);

/* 1 when toleration t tolerates a taint (key, value, effect). */
int podinfo_tolerates(const struct sched_toleration *t, const char *key,
                      const char *value, int effect);

/* Default requests used for scoring when a container asks for nothing
 * (kube-scheduler's non-zero defaults). */
#define SCHED_DEFAULT_CPU 100                      /* millicores */
#define SCHED_DEFAULT_MEM (200LL * 1024 * 1024)    /* bytes */

#endif
