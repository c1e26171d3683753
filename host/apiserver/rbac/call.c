/*
 * call - see call.h.
 */
#include "apiserver/rbac/call.h"

#include "apiserver/internal_request.h"

int cp_rbac_call(struct cp_api_ctx *ctx, enum cp_api_method method,
                 const char *resource, const char *ns, const char *name,
                 const char *query, const char *body, char **out) {
  return cp_internal_request(ctx, "rbac.authorization.k8s.io", "v1",
                             resource, method, ns, name, NULL, query, body,
                             out);
}
