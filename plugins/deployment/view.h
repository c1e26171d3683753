/*
 * view - loads what one reconcile knows: the Deployment's settings with
 * Kubernetes' defaults (replicas 1, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600, maxSurge/maxUnavailable 25%), its status,
 * its template and pod-template-hash, and the ReplicaSets it controls
 * (through the owner-uid index), the new one among them: the oldest
 * whose template equals the Deployment's, as in FindNewReplicaSet.
 * Orders ReplicaSets as the strategies and the history want them.
 *
 * Ownership: dp_load fills a zeroed struct deploy whose api, ctx and o
 * the caller set; dp_unload frees what it loaded (not o), also after a
 * failed dp_load. dp_rs_select's array is the caller's (free()).
 * Threading: none inside; one reconcile's worker.
 */
#ifndef DEPLOY_VIEW_H
#define DEPLOY_VIEW_H

#include "deploy.h"

/* -1 when out of memory or the list of ReplicaSets failed. */
int dp_load(struct deploy *d);
void dp_unload(struct deploy *d);

/* qsort comparators over struct rsinfo *: oldest first (creation time,
 * then name); newest first; lowest revision first; larger first, newer
 * or older first among equals. */
int dp_cmp_rs_oldest(const void *a, const void *b);
int dp_cmp_rs_newest(const void *a, const void *b);
int dp_cmp_rs_revision(const void *a, const void *b);
int dp_cmp_rs_size_newer(const void *a, const void *b);
int dp_cmp_rs_size_older(const void *a, const void *b);

/* Pointers to d's ReplicaSets (only the old ones when old_only, only the
 * active ones when active_only) sorted by cmp. *n is set to their number;
 * NULL with *n == 0 is an empty result, not an error: *oom tells. */
struct rsinfo **dp_rs_select(struct deploy *d, int old_only, int active_only,
                             int (*cmp)(const void *, const void *), size_t *n,
                             int *oom);

#endif
