/*
 * strategy - the rollout strategies, as kube-controller-manager's
 * deployment controller has them.
 *
 * RollingUpdate scales the new ReplicaSet up within replicas + maxSurge
 * and the old ones down (oldest first) while availability stays at
 * replicas - maxUnavailable; Recreate scales the old ones to zero, waits
 * for their pods to go, then scales the new one up. A paused Deployment,
 * or one whose replica count changed, only resizes (proportionally over
 * its active ReplicaSets) and rolls no template out.
 *
 * The rollouts return 0, 1 when a create met a ReplicaSet the cache does
 * not show yet (look again shortly), or -1 after a failed write.
 * Threading: none inside; one reconcile's worker.
 */
#ifndef DEPLOY_STRATEGY_H
#define DEPLOY_STRATEGY_H

#include "deploy.h"

/* maxSurge and maxUnavailable of Deployment o resolved against replicas:
 * int or percent (surge rounds up, unavailable down), 25% when absent,
 * never both zero, unavailable at most replicas; both 0 for Recreate. */
void dp_strategy_resolve(const struct cplane_host_api *api,
                         const cplane_object *o, int64_t replicas, int recreate,
                         int64_t *surge, int64_t *unavailable);
/* Replicas the new ReplicaSet, now at `current`, may have: all of them
 * for Recreate; for RollingUpdate, as many as fit under replicas +
 * maxSurge counting every ReplicaSet's spec. */
int64_t dp_new_rs_replicas(struct deploy *d, int64_t current);
/* 1 when an active ReplicaSet was sized for another replica count. */
int dp_scaling_event(struct deploy *d);

int dp_sync_only(struct deploy *d);
int dp_rollout_recreate(struct deploy *d);
int dp_rollout_rolling(struct deploy *d);

#endif
