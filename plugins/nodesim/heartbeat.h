/*
 * heartbeat - the threads that renew the Leases (lease.h), apart from the
 * host's workers: renewals must not wait behind thousands of queued pod
 * starts, or every node looks dead to nodelifecycle exactly when the
 * cluster is busiest (a kubelet heartbeats on its own too). One thread
 * per HB_NODES_PER_THREAD nodes, at most HB_THREADS_MAX; each renews the
 * nodes slot, slot + n, ... as they fall due (st->due_ms).
 *
 * Ownership: the threads belong to st; nsim_heartbeat_stop joins them
 * and must run before st is freed.
 *
 * Threading: start from any worker (only the first call starts them);
 * stop from fini(). st->due_ms, hb_started and hb_stop are atomic.
 */
#ifndef NODESIM_HEARTBEAT_H
#define NODESIM_HEARTBEAT_H

#include "sim.h"

/* Starts the threads once (init is too early for API calls). */
void nsim_heartbeat_start(const struct cplane_host_api *api,
                          struct nodesim *st);
/* Stops and joins them; fine when none started. */
void nsim_heartbeat_stop(struct nodesim *st);
/* Has the threads renew node `name`'s Lease on their next tick. */
void nsim_lease_due_now(const struct nodesim *st, const char *name);

#endif
