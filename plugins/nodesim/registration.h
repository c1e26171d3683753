/*
 * registration - a simulated Node registered (created with its status,
 * as a kubelet does) and its status refreshed: written again when Ready
 * is not True, the capacity is missing, or the heartbeat time is a
 * minute old (the Lease, lease.h, is the real heartbeat).
 *
 * Ownership: borrows everything; what it allocates it frees.
 *
 * Threading: a worker (reconcile of "node/NAME"); the same name is never
 * on two workers at once.
 */
#ifndef NODESIM_REGISTRATION_H
#define NODESIM_REGISTRATION_H

#include "sim.h"

/* Registers node `name` or refreshes its status. A CPLANE_RECONCILE_*
 * code; *requeue_ms set with REQUEUE_AFTER. */
int nsim_reconcile_node(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const struct nodesim *st,
                        const char *name, uint32_t *requeue_ms);

#endif
