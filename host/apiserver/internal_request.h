/*
 * internal_request - a request the API server makes of itself (its
 * loops: the CSR signer, the aggregator, RBAC's bootstrap and
 * aggregation), run through the ordinary
 * handlers as a client's would be, so that validation, admission and
 * resourceVersion checks apply.
 *
 * Threading: any thread that may call cp_api_handle.
 * Ownership: the strings are copied; *out (when asked) is the response
 * body, malloc'd (caller frees; may be NULL).
 */
#ifndef CPLANE_HOST_APISERVER_INTERNAL_REQUEST_H
#define CPLANE_HOST_APISERVER_INTERNAL_REQUEST_H

#include "apiserver/request.h"

/* method on group/version/resource (ns, name, subresource, query
 * ("a=b&c=d") and body may be NULL). Returns the HTTP code (500 when the
 * type is not served or out of memory). */
int cp_internal_request(struct cp_api_ctx *ctx, const char *group,
                        const char *version, const char *resource,
                        enum cp_api_method method, const char *ns,
                        const char *name, const char *subresource,
                        const char *query, const char *body, char **out);

#endif /* CPLANE_HOST_APISERVER_INTERNAL_REQUEST_H */
