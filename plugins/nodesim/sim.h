/*
 * sim - what the nodesim plugin's modules share: its limits and timings,
 * and struct nodesim, the plugin's state (see nodesim.c for what the
 * plugin does).
 *
 * Ownership: one struct nodesim per plugin instance, made by sim_init
 * (nodesim.c) and filled by nsim_configure (config.h), freed by
 * nsim_free_state.
 *
 * Threading: read-only after init() except the per-node words marked
 * atomic, touched only with atomic builtins.
 */
#ifndef NODESIM_SIM_H
#define NODESIM_SIM_H

#include <cplane/cplane.h>

#include <pthread.h>
#include <stdint.h>

struct nsim_usage;

#define STOPPED_ANNOTATION "cplane.io/nodesim-stopped"
#define LEASE_NS "kube-node-lease"
/* The CA bundle every ServiceAccount token volume projects, published in
 * each namespace by the root-ca-cert-publisher. */
#define ROOT_CA_NAME "kube-root-ca.crt"
#define LEASE_DURATION_S 40
#define HB_THREADS_MAX 32
#define HB_NODES_PER_THREAD 100
#define HB_TICK_US 50000
#define HB_RETRY_MS 1000
/* The Lease is the heartbeat; the Ready condition's lastHeartbeatTime is
 * only refreshed this often, as the kubelet does when nothing changes. */
#define STATUS_REFRESH_MS 60000u
/* A 409 means our cache is behind the server: look again shortly. */
#define CONFLICT_RETRY_MS 100u
/* Pod IPs come from one /24 per node: 10.(128 + i/256).(i%256).0/24. */
#define MAX_NODES 32768
#define IPS_PER_NODE 254
/* The per-pod annotations (docs/plugins.md, ## nodesim). */
#define RUN_SECONDS_ANNOTATION "cplane.io/nodesim-run-seconds"
#define EXIT_CODE_ANNOTATION "cplane.io/nodesim-exit-code"
/* kubelet's container restart back-off: 10 s doubling, at most 5 min. */
#define RESTART_BACKOFF_MS 10000
#define RESTART_BACKOFF_MAX_MS 300000
/* A pod waiting for a Secret, ConfigMap or PVC is looked at again after
 * half its wait so far, between these bounds (one uncached GET each). */
#define BLOCKED_RETRY_MIN_MS 500
#define BLOCKED_RETRY_MAX_MS 8000

struct label {
  char *key, *value;
};

struct nodesim {
  int count;
  char prefix[64];
  char cpu[32], memory[32], pods[32];
  struct label *labels; /* extra labels from the INI, malloc'd */
  int n_labels;
  char *taints_json; /* JSON array of spec.taints, malloc'd; NULL: none */
  uint32_t heartbeat_ms, pod_start_delay_ms, max_grace_ms;
  uint32_t run_ms; /* how long a Never/OnFailure container runs */
  int exit_code;   /* and what it exits with */
  uint32_t *ip_next;    /* per node: next pod IP to try (atomic) */
  uint64_t *renewed_ms; /* per node: last Lease renewal, epoch ms (atomic) */
  uint64_t *due_ms;     /* per node: next renewal due, epoch ms (atomic) */
  /* Heartbeat threads: Lease renewals must not wait behind thousands of
   * queued pod starts, or every node looks dead to nodelifecycle exactly
   * when the cluster is busiest (a kubelet heartbeats on its own too). */
  cplane_plugin_ctx *ctx;
  pthread_t hb[HB_THREADS_MAX];
  int n_hb, n_started_hb;
  int hb_started, hb_stop; /* atomic */
  struct nsim_usage *usage; /* usage.h; owned, freed by nsim_free_state */
};

#endif
