/*
 * token_request - POST .../serviceaccounts/NAME/token, kube's TokenRequest
 * (authentication.k8s.io/v1): validates the request as kube does
 * (expirationSeconds at least 600, default 3600, at most 2^32; audiences
 * default to the server's; boundObjectRef a Pod, Secret or Node that
 * exists, with its uid if given, a pod running as this ServiceAccount),
 * signs a bound token and answers 201 with status.token and
 * status.expirationTimestamp. A pod-bound request for kube's 3607 s (the
 * kubelet's projected volume) gets a year with warnafter, as
 * --service-account-extend-token-expiration does.
 *
 * Threading: runs on an API worker; ctx->authn is read-only.
 * Ownership: fills rs; rq is the caller's.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_TOKEN_REQUEST_H
#define CPLANE_HOST_APISERVER_AUTHN_TOKEN_REQUEST_H

#include "apiserver/request.h"

#define CP_TOKEN_REQUEST_MIN_SECONDS 600
#define CP_TOKEN_REQUEST_DEFAULT_SECONDS 3600
/* kube's WarnOnlyBoundTokenExpirationSeconds and
 * ExpirationExtensionSeconds. */
#define CP_TOKEN_WARN_ONLY_SECONDS (60 * 60 + 7)
#define CP_TOKEN_EXTENDED_SECONDS (24 * 365 * 60 * 60)

void cp_token_request(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_AUTHN_TOKEN_REQUEST_H */
