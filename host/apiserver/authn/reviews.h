/*
 * reviews - the authentication endpoints that answer about a credential
 * rather than store anything, as kube-apiserver serves them:
 *   POST /apis/authentication.k8s.io/v1/tokenreviews      (TokenReview)
 *   POST /apis/authentication.k8s.io/v1/selfsubjectreviews (kubectl auth
 *        whoami)
 *   GET  /.well-known/openid-configuration, /openid/v1/jwks (the
 *        ServiceAccount issuer's discovery, for external verifiers)
 * Each answer is small and made in memory (a TokenReview of a
 * ServiceAccount token reads the lookup cache), so they are served on
 * the API server's event loop.
 *
 * Threading: any thread; the authenticators are read-only.
 * Ownership: *body is malloc'd (caller frees); *content_type static.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_REVIEWS_H
#define CPLANE_HOST_APISERVER_AUTHN_REVIEWS_H

#include "apiserver/request.h"

struct cp_auth;
struct cp_authn;

/* 1 when rq is one of the endpoints above (*code, *body and
 * *content_type then set), else 0. rq->user is the caller (for
 * selfsubjectreviews). a may be NULL (no ServiceAccount tokens: only
 * static tokens are reviewed, and the OIDC paths are not served). */
int cp_authn_serve(struct cp_authn *a, const struct cp_auth *auth,
                   const struct cp_api_request *rq, int *code, char **body,
                   const char **content_type);

#endif /* CPLANE_HOST_APISERVER_AUTHN_REVIEWS_H */
