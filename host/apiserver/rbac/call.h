/*
 * call - one rbac.authorization.k8s.io/v1 request run through the
 * handlers as the server's own (no user: no escalation check), for the
 * bootstrap policy, the INI rules and the aggregation loop.
 *
 * Threading: any thread that may run handlers (not the event loop).
 * Ownership: arguments are borrowed; *out is malloc'd (caller frees).
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_CALL_H
#define CPLANE_HOST_APISERVER_RBAC_CALL_H

#include "apiserver/request.h"

/* method on resource ("clusterroles", ...) in ns (NULL: cluster-scoped
 * or all), object name (NULL: the collection), with query ("a=b&c=d" or
 * NULL) and body (NULL: none). Returns the HTTP code (500 when out of
 * memory) and, when out is not NULL, the response body (may be NULL). */
int cp_rbac_call(struct cp_api_ctx *ctx, enum cp_api_method method,
                 const char *resource, const char *ns, const char *name,
                 const char *query, const char *body, char **out);

#endif /* CPLANE_HOST_APISERVER_RBAC_CALL_H */
