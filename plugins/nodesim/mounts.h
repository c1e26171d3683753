/*
 * mounts - what a bound pod needs before its containers can be created,
 * checked as the kubelet does: every Secret and ConfigMap volume, every
 * PersistentVolumeClaim volume (which must also be Bound), and every
 * Secret and ConfigMap its containers take env from (envFrom, or
 * env[].valueFrom), unless marked optional. The first missing one is
 * named, with the kubelet's event and waiting reason and wording:
 *
 *   volume Secret/ConfigMap  FailedMount, ContainerCreating,
 *     MountVolume.SetUp failed for volume "v" : secret "s" not found
 *   volume PVC               FailedMount, ContainerCreating,
 *     Unable to attach or mount volumes: unmounted volumes=[v], ...
 *   env Secret/ConfigMap     Failed, CreateContainerConfigError,
 *     Error: secret "s" not found
 *
 * A projected volume's ConfigMap and Secret sources are checked too
 * (every pod's service account token volume projects kube-root-ca.crt).
 *
 * Cost: one uncached GET per referenced object, only for pods that
 * reference any, only when they start or, while blocked, on a bounded
 * back-off (lifecycle.h's nsim_blocked_retry_ms), except kube-root-ca.crt:
 * a cache of only those ConfigMaps (work.h's NSIM_ROOT_CA, shared with the
 * root-ca-cert-publisher) answers for it when it holds it, as it does for
 * almost every pod; a GET per pod cost every pod a TLS request (30k
 * pods: 30k GETs). No informer on Secrets, PVCs or other ConfigMaps, no
 * polling of running pods.
 *
 * Ownership: struct nsim_block is the caller's; reasons are static text.
 *
 * Threading: a worker (blocking API reads).
 */
#ifndef NODESIM_MOUNTS_H
#define NODESIM_MOUNTS_H

#include "sim.h"

struct nsim_block {
  const char *event_reason;   /* FailedMount or Failed */
  const char *waiting_reason; /* ContainerCreating or
                                 CreateContainerConfigError */
  char waiting_message[300];  /* "" with ContainerCreating */
  char event_message[700];
};

/* 0 when everything the pod needs is there; 1 when something is missing
 * (b says what); -1 when the server could not tell (try again later). */
int nsim_pod_blocked(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *pod, struct nsim_block *b);

#endif
