/*
 * lease - a simulated node's heartbeat: its Lease in kube-node-lease
 * renewed (merge patch), created owned by the Node when missing, and the
 * time of the last renewal kept in st->renewed_ms.
 *
 * Ownership: borrows everything; what it allocates it frees.
 *
 * Threading: the heartbeat threads (heartbeat.h), one node on one thread;
 * st->renewed_ms only through atomic builtins, so the workers may read it.
 */
#ifndef NODESIM_LEASE_H
#define NODESIM_LEASE_H

#include "sim.h"

/* Renews node `name`'s Lease now; asks for the node's status to be
 * written when it is not Ready. A CPLANE_RECONCILE_* code; *requeue_ms
 * (the next renewal) set with REQUEUE_AFTER. */
int nsim_renew_lease(const struct cplane_host_api *api,
                     cplane_plugin_ctx *ctx, struct nodesim *st,
                     const char *name, uint32_t *requeue_ms);
/* Whether node i's Lease was renewed within two heartbeats. */
int nsim_lease_fresh(const struct cplane_host_api *api,
                     const struct nodesim *st, int i);

#endif
