/*
 * admission_quota - kube's ResourceQuota admission
 * (k8s.io/apiserver/pkg/admission/plugin/resourcequota): the last
 * validating step. A create (or an update of a Service or a claim that
 * changes what it uses) in a namespace with quotas is charged to every
 * quota whose scopes select it: what it would use, counted by the SDK's
 * evaluators (cplane/quota.h, the same the resourcequota plugin recounts
 * with), is added to the quota's status.used, and if that passes
 * status.hard for any resource the quota limits the write is 403
 * Forbidden with kube's words:
 *
 *   pods "p3" is forbidden: exceeded quota: q, requested: pods=1,
 *   used: pods=2, limited: pods=2
 *   pods "p" is forbidden: failed quota: q: must specify limits.cpu for: c
 *   pods "p" is forbidden: status unknown for quota: q, resources: pods
 *
 * The quotas judged are the newest versions this server knows (the
 * policy cache's, or its own last write when newer: quota_versions.h).
 * When it passes, the new status.used is written to each quota with a
 * compare-and-swap store write before the object is stored (a conflict
 * reads the quotas from the store and judges again; a refusal on a known
 * version is judged again on the store's), as kube's quota evaluator
 * does, so that racing creates through any number of API servers cannot
 * pass a quota together. Usage charged for a write that then fails is
 * not given back here: the quota controller's recount (at the latest
 * its periodic resync) corrects it, as in kube.
 *
 * Threading: request worker threads; state only in the store.
 * Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_ADMISSION_QUOTA_H
#define CPLANE_HOST_APISERVER_ADMISSION_QUOTA_H

#include "apiserver/request.h"

struct json_object;

/* Charges the write of o (old: the stored object on update, else NULL)
 * to the quotas of its namespace. 0, or -1 having responded (403, or 5xx
 * when the quotas cannot be read or written). Dry runs are judged and
 * charge nothing. */
int cp_admission_quota(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       struct json_object *o, struct json_object *old,
                       struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_ADMISSION_QUOTA_H */
