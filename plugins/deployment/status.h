/*
 * status - a Deployment's status as Kubernetes computes it: the counts
 * from its ReplicaSets, Available (minimum availability), Progressing
 * (syncRolloutStatus, with the progress deadline, and Unknown while
 * paused), and the status write, guarded by the resourceVersion it was
 * computed from.
 *
 * Threading: none inside but dp_write_status, which blocks; a reconcile's
 * worker only.
 */
#ifndef DEPLOY_STATUS_H
#define DEPLOY_STATUS_H

#include "deploy.h"

/* Fills d->next's counts and Available from d's ReplicaSets. */
void dp_calculate_status(struct deploy *d);
/* 1 when st shows the rollout finished. */
int dp_complete(struct deploy *d, const struct status *st);
/* Kubernetes' checkPausedConditions on d->next. */
void dp_paused_conditions(struct deploy *d);
/* Progressing on d->next. Returns the milliseconds until the deadline
 * would pass without progress, or 0. */
uint32_t dp_rollout_conditions(struct deploy *d);
/* Writes d->next when it differs from d->cur. 0, or -1 on failure. */
int dp_write_status(struct deploy *d);

#endif
