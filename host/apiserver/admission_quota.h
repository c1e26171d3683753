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
 * When it passes, the new status.used of each quota is written with a
 * compare-and-swap on the revision judged, as kube's quota evaluator
 * does, so that racing creates through any number of API servers cannot
 * pass a quota together (a conflict reads the quotas from the store and
 * judges again; a refusal on a known version is judged again on the
 * store's). A create's charge and the create itself are one store
 * transaction (cp_store_txn): one commit, and a create the store refuses
 * (its name is taken) charges nothing. An update's charge is written
 * before its verb writes the object; usage charged for an update that
 * then fails is not given back here: the quota controller's recount (at
 * the latest its periodic resync) corrects it, as in kube.
 *
 * Threading: request worker threads; state only in the store.
 * Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_ADMISSION_QUOTA_H
#define CPLANE_HOST_APISERVER_ADMISSION_QUOTA_H

#include <stdint.h>

#include "apiserver/request.h"

struct json_object;

/* Charges the write of o (old: the stored object on update, else NULL)
 * to the quotas of its namespace. 0, or -1 having responded (403, or 5xx
 * when the quotas cannot be read or written). Dry runs are judged and
 * charge nothing. A create (not a dry run) is let through: it is judged
 * and charged when it is written, by cp_admission_quota_create. */
int cp_admission_quota(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       struct json_object *o, struct json_object *old,
                       struct cp_api_response *rs);

/* cp_admission_quota_create answered the request itself. */
#define CP_ADMISSION_QUOTA_RESPONDED 1

/* Writes the create of o (not a dry run; admitted but for its quotas)
 * at key with the stored text: judged on its namespace's quotas and,
 * when it passes, stored in one transaction with their charge (without
 * a quota, a plain create). CPLANE_OK with *rev the object's revision;
 * CP_STORE_EEXISTS (the name is taken; nothing charged) or another
 * store code, not answered; or CP_ADMISSION_QUOTA_RESPONDED having
 * answered (403, 409 after racing other servers too long, 5xx). */
int cp_admission_quota_create(struct cp_api_ctx *ctx,
                              struct cp_api_request *rq,
                              struct json_object *o, const char *key,
                              const char *text, int64_t *rev,
                              struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_ADMISSION_QUOTA_H */
