/*
 * history - revisions and revision history: the new ReplicaSet's
 * revision (one past the old ones', so a rollback makes an old template
 * the newest revision again), the Deployment's revision annotation, and
 * the pruning of old ReplicaSets beyond revisionHistoryLimit.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef DEPLOY_HISTORY_H
#define DEPLOY_HISTORY_H

#include "deploy.h"

/* The highest revision among the old ReplicaSets, 0 when none. */
int64_t dp_max_old_revision(struct deploy *d);
/* Gives the new ReplicaSet its revision, notes FoundNewReplicaSet, and
 * puts the Deployment's annotation in line. 0, or -1 on a failed write. */
int dp_sync_new_revision(struct deploy *d);
/* Deletes old ReplicaSets beyond revisionHistoryLimit, lowest revision
 * first, only those fully scaled down. 0, or -1 on a failed delete. */
int dp_cleanup(struct deploy *d);

#endif
