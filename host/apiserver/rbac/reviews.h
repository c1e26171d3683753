/*
 * reviews - authorization.k8s.io/v1 access reviews, answered as
 * kube-apiserver's pkg/registry/authorization does: SubjectAccessReview
 * (any user and groups, cluster-wide), LocalSubjectAccessReview (the
 * same in the URL's namespace), SelfSubjectAccessReview (the caller) and
 * SelfSubjectRulesReview (the caller's rules in a namespace). They are
 * created and answered (201 with status), never stored. `kubectl auth
 * can-i` (with --list, -n, --subresource, non-resource URLs) asks them.
 *
 * Threading: request worker threads. Ownership: borrows rq; fills rs.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_REVIEWS_H
#define CPLANE_HOST_APISERVER_RBAC_REVIEWS_H

#include "apiserver/request.h"

/* 1 when t is one of the four review kinds. */
int cp_rbac_is_review(const struct cp_resource_type *t);

/* Answers a request for a review type: POST of the collection creates
 * (reviews), anything else is 405. */
void cp_rbac_review(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                    struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_RBAC_REVIEWS_H */
