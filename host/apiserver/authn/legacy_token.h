/*
 * legacy_token - what kube-controller-manager's tokens controller does
 * for a Secret of type kubernetes.io/service-account-token whose
 * annotation kubernetes.io/service-account.name names a ServiceAccount
 * of its namespace: data.token (a non-expiring token with the legacy
 * claims), data.ca.crt and data.namespace are filled in, and the
 * annotation kubernetes.io/service-account.uid set. cplane does it in the
 * API server as the Secret is created, not in a loop afterwards: the
 * creator reads a filled Secret at once (kube's clients poll for it), and
 * no second writer races the creator's next update. A Secret whose
 * ServiceAccount does not exist, or that already carries a token, is
 * stored as sent (kube's controller would delete the former later).
 *
 * Threading: runs on an API worker; ctx->authn is read-only.
 * Ownership: changes o in place.
 */
#ifndef CPLANE_HOST_APISERVER_AUTHN_LEGACY_TOKEN_H
#define CPLANE_HOST_APISERVER_AUTHN_LEGACY_TOKEN_H

#include <json-c/json.h>

#include "apiserver/request.h"

#define CP_SA_TOKEN_SECRET_TYPE "kubernetes.io/service-account-token"
#define CP_SA_NAME_ANNOTATION "kubernetes.io/service-account.name"
#define CP_SA_UID_ANNOTATION "kubernetes.io/service-account.uid"

/* Fills o (a Secret about to be created in namespace ns) when it is a
 * token Secret as above. Returns 0, or -1 out of memory. */
int cp_legacy_token_fill(struct cp_api_ctx *ctx,
                         const struct cp_resource_type *t, const char *ns,
                         json_object *o);

#endif /* CPLANE_HOST_APISERVER_AUTHN_LEGACY_TOKEN_H */
