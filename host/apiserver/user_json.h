/*
 * user_json - the authenticated user (struct cp_api_user, request.h) as
 * kube's authentication.k8s.io/v1 UserInfo JSON: what a TokenReview and
 * SelfSubjectReview answer (authn/reviews.c) and what an AdmissionReview
 * tells a webhook (webhook/review.c) both carry.
 *
 * Pure: no state, safe from any thread; the user is only read.
 */
#ifndef CP_APISERVER_USER_JSON_H
#define CP_APISERVER_USER_JSON_H

#include <json-c/json.h>

#include "apiserver/request.h"

/* {"username", "uid", "groups", "extra"}, each left out when empty (kube's
 * omitempty); extra a map of lists, its "key=value" strings grouped by
 * key in the order given (an entry without '=' or with a key longer than
 * CP_USER_JSON_MAX_KEY is skipped). u NULL gives {}. A new object the
 * caller owns, or NULL when out of memory. */
#define CP_USER_JSON_MAX_KEY 511
json_object *cp_api_user_json(const struct cp_api_user *u);

#endif
