/*
 * recount - a ResourceQuota's status from what exists, as kube's
 * resourcequota controller computes it (pkg/controller/resourcequota,
 * CalculateUsage): status.hard is spec.hard; status.used holds, for each
 * hard resource some evaluator counts, the sum over the namespace's
 * objects the quota's scopes select, by cplane/quota.h (the evaluators
 * the API server's admission charges with). Kinds the plugin watches are
 * counted from its caches; the object count of any other served kind
 * ("count/widgets.example.com") by listing it from the API server.
 *
 * Threading: called from reconcile (workers); no state of its own.
 * Ownership: lists are the caller's; the JSON returned is owned (free
 * with api->free).
 */
#ifndef CPLANE_PLUGINS_RESOURCEQUOTA_RECOUNT_H
#define CPLANE_PLUGINS_RESOURCEQUOTA_RECOUNT_H

#include <cplane/cplane.h>
#include <cplane/quota.h>

/* One watched kind: its index in the plugin's resources. */
struct rq_kind {
  uint32_t res;
  const char *group;
  const char *resource;
};

/* Counts everything quota (in namespace ns) limits. *hard gets
 * spec.hard, *used the usage of each resource some evaluator tracks.
 * Returns CPLANE_OK, or a negative status when a count could not be
 * made (an uncached list failed: retry later). */
int rq_recount(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               const cplane_object *quota, const struct rq_kind *kinds,
               size_t n_kinds, int64_t now_ms, struct cplane_quota_list *hard,
               struct cplane_quota_list *used);

/* {"hard":{...},"used":{...}} in kube's quantity forms; NULL when out
 * of memory. */
char *rq_status_json(const struct cplane_host_api *api,
                     const struct cplane_quota_list *hard,
                     const struct cplane_quota_list *used);

/* 1 when the quota's stored status already says hard and used (the
 * same resources, equal amounts). */
int rq_status_same(const struct cplane_host_api *api,
                   const cplane_object *quota,
                   const struct cplane_quota_list *hard,
                   const struct cplane_quota_list *used);

/* 1 when the quota's status.hard is not its spec.hard (a new quota, or
 * its limits changed), so that it must be counted now. */
int rq_hard_changed(const struct cplane_host_api *api,
                    const cplane_object *quota);

#endif /* CPLANE_PLUGINS_RESOURCEQUOTA_RECOUNT_H */
