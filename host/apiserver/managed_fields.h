/*
 * managed_fields - the API server's side of server-side apply and
 * managedFields (the logic is ssa/): the field manager of a request
 * (fieldManager, else the User-Agent's prefix), the options kube checks
 * (PatchOptions' fieldManager and force), the Update bookkeeping of
 * every write and the apply patch itself.
 *
 * Threading: called on store workers; no state of its own.
 * Ownership: objects are borrowed; the functions that change one say so.
 */
#ifndef CPLANE_HOST_APISERVER_MANAGED_FIELDS_H
#define CPLANE_HOST_APISERVER_MANAGED_FIELDS_H

#include <json-c/json.h>

#include "apiserver/request.h"

struct cp_schema;

/* 1 when the request's Content-Type is application/apply-patch+yaml. */
int cp_managed_fields_is_apply(const struct cp_api_request *rq);

/* The options kube validates on a write: fieldManager at most 128
 * characters (and, on an apply, present), force only on an apply.
 * Responds 422 and returns -1 when they are wrong. */
int cp_managed_fields_check_options(const struct cp_api_request *rq,
                                    int apply, struct cp_api_response *rs);

/* Records the write live -> next (live NULL: a create) in next's
 * metadata.managedFields. -1 (having responded 500) when out of memory. */
int cp_managed_fields_track(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            const struct cp_schema *s, json_object *live,
                            json_object *next, struct cp_api_response *rs);

/* Applies the request's body (an apply patch, JSON) to live (NULL: the
 * object does not exist; a bare one of the request's name is used).
 * Returns the object to write, with its managedFields (caller's), or
 * NULL having responded: 400 for a body that is no object of this
 * type, 409 with kube's conflict message and causes. */
json_object *cp_managed_fields_apply(struct cp_api_ctx *ctx,
                                     struct cp_api_request *rq,
                                     const struct cp_schema *s,
                                     json_object *live,
                                     struct cp_api_response *rs);

/* The same on /scale: the body is an autoscaling/v1 Scale; its
 * spec.replicas is applied to live's replicas path (a custom resource's
 * specReplicasPath), as the manager with subresource "scale", conflicts
 * judged against every manager of that path and named ".spec.replicas"
 * (kube's ScaleHandler). Returns the Scale the write goes on with and
 * sets *managed to the parent's new metadata.managedFields (NULL: none;
 * the caller's), or NULL having responded. */
json_object *cp_managed_fields_apply_scale(struct cp_api_ctx *ctx,
                                           struct cp_api_request *rq,
                                           const struct cp_schema *s,
                                           json_object *live,
                                           json_object **managed,
                                           struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_MANAGED_FIELDS_H */
