/*
 * cel_authorizer - the answer to CEL's `authorizer` checks in admission
 * (ValidatingAdmissionPolicy, webhook matchConditions): kube's
 * authorizer over the request's user, or over a ServiceAccount named by
 * authorizer.serviceAccount(ns, name), asked of the server's RBAC.
 *
 * Threading: any thread (the RBAC authorizer is read-only here).
 * Ownership: the argument is borrowed for the evaluation; *reason is
 * malloc'd, the CEL library's.
 */
#ifndef CPLANE_HOST_APISERVER_CEL_AUTHORIZER_H
#define CPLANE_HOST_APISERVER_CEL_AUTHORIZER_H

#include "apiserver/request.h"
#include "cel/cel.h"

/* The argument of cp_cel_rbac_authorize. */
struct cp_cel_authz_arg {
  struct cp_api_ctx *ctx;
  const struct cp_api_user *user;
};

/* A cp_cel_authorize_fn (cel.h): 1 allowed, 0 denied, -1 out of memory;
 * arg is a struct cp_cel_authz_arg. */
int cp_cel_rbac_authorize(void *arg, const struct cp_cel_authz_check *chk,
                          char **reason);

#endif /* CPLANE_HOST_APISERVER_CEL_AUTHORIZER_H */
