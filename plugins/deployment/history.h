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

/* The revision-history annotation a ReplicaSet gets when its revision
 * `old_revision` (from the annotation it had) is replaced by a newer one,
 * a rollback or a reuse of its template, as kube writes it: the old
 * revisions, comma-separated, oldest first, `old_revision` appended,
 * the oldest dropped while the text would pass `limit` characters.
 * `history` is the annotation as it is (NULL or "": none). Returns the
 * new text (owned: free()), or NULL when out of memory or when it
 * cannot fit at all (kube then leaves the annotation as it is). Pure. */
char *dp_revision_history(const char *history, int64_t old_revision,
                          size_t limit);

/* The highest revision among the old ReplicaSets, 0 when none. */
int64_t dp_max_old_revision(struct deploy *d);
/* Gives the new ReplicaSet its revision, notes FoundNewReplicaSet, and
 * puts the Deployment's annotation in line. 0, or -1 on a failed write. */
int dp_sync_new_revision(struct deploy *d);
/* Deletes old ReplicaSets beyond revisionHistoryLimit, lowest revision
 * first, only those fully scaled down. 0, or -1 on a failed delete. */
int dp_cleanup(struct deploy *d);

#endif
