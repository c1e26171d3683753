/*
 * revision - a StatefulSet's ControllerRevisions, as kube's
 * getStatefulSetRevisions and truncateHistory: the update revision holds
 * the set's current template (an existing equal revision is reused, and
 * made the newest again when older ones exist: a rollback), the current
 * revision is the one status.currentRevision names (the update revision
 * when none), and revisions no pod uses beyond revisionHistoryLimit are
 * deleted, oldest first. Names, hashes and data through cplane/history.h.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef STS_REVISION_H
#define STS_REVISION_H

#include "sts.h"

/* The revision data of set: {"spec":{"template":{"$patch":"replace",...}}},
 * the strategic merge patch kubectl rollout undo applies. Owned
 * (api->free); NULL when out of memory. */
char *sts_revision_data(const struct cplane_host_api *api,
                        const cplane_object *set);

/* Sets s->current and s->update, creating or renumbering the update
 * revision. 0; 1 when the caller should come back later (a name
 * collision was counted, or the cache is behind); -1 on a failed write. */
int sts_sync_revisions(struct sts *s);

/* Deletes revisions beyond revisionHistoryLimit that no pod and neither
 * current nor update revision uses. 0, or -1 on a failed delete. */
int sts_truncate_history(struct sts *s);

#endif
