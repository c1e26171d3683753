/*
 * status - a StatefulSet's status as kube's updateStatefulSet computes it
 * (replicas, readyReplicas, availableReplicas, currentReplicas,
 * updatedReplicas, the two revisions, observedGeneration,
 * collisionCount), completed as kube's completeRollingUpdate (all pods
 * updated and ready: the update revision becomes current), and written
 * through the status subresource only when it differs.
 *
 * Threading: the write blocks; a reconcile's worker only.
 */
#ifndef STS_STATUS_H
#define STS_STATUS_H

#include "sts.h"

/* Counts s's pods into s->st (after sts_sync_revisions). */
void sts_count(struct sts *s);
/* completeRollingUpdate, then the write. 0, or -1 on a failed write. */
int sts_write_status(struct sts *s);
/* Only status.collisionCount, after a revision name collision was
 * counted (nothing else is known yet). 0, or -1 on a failed write. */
int sts_write_collisions(struct sts *s);

#endif
