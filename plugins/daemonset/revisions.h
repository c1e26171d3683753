/*
 * revisions - a DaemonSet's ControllerRevisions, as kube's
 * constructHistory and cleanupHistory keep them (on the SDK's history.h):
 *
 *   - the data of a revision is the patch that puts the template back,
 *     {"spec":{"template":{"$patch":"replace",...}}}, which is what
 *     `kubectl rollout undo daemonset` applies;
 *   - the current revision is the one whose data equals the template's
 *     (its revision raised above every other when a rollback made an old
 *     template current again), or a new one "<daemonset>-<hash>" labelled
 *     with the template's labels and controller-revision-hash, carrying
 *     the DaemonSet's annotations; a name taken by different data raises
 *     status.collisionCount, which changes the hash next time;
 *   - old revisions beyond spec.revisionHistoryLimit go, lowest first,
 *     except those a live pod still runs.
 *
 * Ownership: ds_revision_data()'s result is the caller's (free()).
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef DS_REVISIONS_H
#define DS_REVISIONS_H

#include "ds.h"

/* The revision data of ds's template. NULL when out of memory or the
 * template is not an object. */
char *ds_revision_data(const struct cplane_host_api *api,
                       const cplane_object *ds);

/* Finds or makes the current revision among revs (those ds controls) and
 * writes its hash into hash. 0; 1 when it must run again (a collision or
 * a name the cache does not show yet); -1 after a failed write (logged). */
int ds_revisions_sync(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      const cplane_object *ds, const cplane_object_list *revs,
                      char *hash, size_t len);

/* Deletes old revisions beyond the history limit; `live` holds the hashes
 * pods still carry. 0, or -1 after a failed delete (logged). */
int ds_revisions_cleanup(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *ds,
                         const cplane_object_list *revs, const char *cur_hash,
                         const struct cplane_sset *live);

#endif
