/*
 * impersonation - kube-apiserver's impersonation filter: the headers
 * Impersonate-User, Impersonate-Group (repeatable), Impersonate-Uid and
 * Impersonate-Extra-<key> make the request act as another user, once the
 * caller is allowed the verb "impersonate" on each: users (or
 * serviceaccounts in the namespace, for system:serviceaccount:ns:name),
 * groups, uids and userextras/<key> (the last two in API group
 * authentication.k8s.io), checked in kube's order through one
 * authorization function (cp_impersonation_allowed), which RBAC replaces.
 *
 * Threading: any thread.
 * Ownership: strings in *denied point into the headers or static text
 * and live as long as they do.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_IMPERSONATION_H
#define CPLANE_HOST_APISERVER_AUTHN_IMPERSONATION_H

#include "apiserver/request.h"
#include "apiserver/request_info.h"

struct cp_auth;
struct evkeyvalq;

/* Whether user may impersonate: the one authorization question asked
 * here. */
int cp_impersonation_allowed(const struct cp_auth *auth,
                             const struct cp_api_user *user,
                             const char *group, const char *resource,
                             const char *subresource, const char *ns,
                             const char *name);

/* Applies the headers to *u. Returns 0 (no impersonation, or *u is now
 * the impersonated user), 403 with *denied the attributes refused (verb
 * impersonate), or 400/500 with *status a Status body (malloc'd). */
int cp_impersonate(const struct cp_auth *auth,
                   const struct evkeyvalq *headers, struct cp_api_user *u,
                   struct cp_request_info *denied, char **status);

#endif /* CPLANE_HOST_APISERVER_AUTHN_IMPERSONATION_H */
