/*
 * conditions - a webhook's matchConditions over one request, as kube's
 * webhook dispatchers ask them after its rules and selectors matched:
 * CEL (match_conditions.h) with object, oldObject, request (kube's
 * AdmissionRequest, as ValidatingAdmissionPolicy's), namespaceObject
 * (null, as kube binds it for webhooks) and authorizer (the request's
 * user through RBAC, with authorizer.requestResource).
 *
 * Threading: request worker threads, several at once.
 * Ownership: everything is borrowed; *err is malloc'd.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_CONDITIONS_H
#define CPLANE_HOST_APISERVER_WEBHOOK_CONDITIONS_H

#include "apiserver/request.h"
#include "apiserver/webhook/hook.h"
#include "apiserver/webhook/review.h"

/* 1: call h; 0: skip it (a condition is false, or errors failed open);
 * -1: errors fail closed, *err kube's message (NULL out of memory). The
 * caller answers 403 with it, as kube's apierrors.NewForbidden. ctx may
 * be NULL (no authorizer: its checks error). */
int cp_webhook_conditions_match(struct cp_api_ctx *ctx,
                                const struct cp_webhook *h,
                                const struct cp_webhook_review_in *in,
                                char **err);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_CONDITIONS_H */
