/*
 * audit/request_object - the request bodies kube's handlers log in an
 * audit event's requestObject that are not the resource's own object:
 * the DeleteOptions of a delete or deletecollection, and the Eviction,
 * Binding and TokenRequest of the pods/eviction, pods/binding and
 * serviceaccounts/token creates. kube logs what its decoder made of the
 * body, encoded back to JSON (LogRequestObject): known fields only, in
 * Go's field order, defaults set, a typed object's
 * metadata.creationTimestamp null, and DeleteOptions under the
 * meta.k8s.io/__internal version its scheme registers them in first. A
 * body Go would not decode (a field of the wrong type, another kind) is
 * not logged at all: each function then returns NULL.
 *
 * Threading: pure functions of their arguments; any thread.
 * Ownership: the result is a new object (the caller's); the input is
 * only read.
 */
#ifndef CPLANE_HOST_APISERVER_AUDIT_REQUEST_OBJECT_H
#define CPLANE_HOST_APISERVER_AUDIT_REQUEST_OBJECT_H

#include <json-c/json.h>

/* A delete's body as kube logs it: {"kind":"DeleteOptions",
 * "apiVersion":"meta.k8s.io/__internal", ...}. NULL: not DeleteOptions
 * (or out of memory). */
json_object *cp_audit_decoded_delete_options(json_object *body);

/* The body of a create on subresource sub ("eviction", "binding",
 * "token") as kube logs it; NULL for another subresource or a body that
 * does not decode. */
json_object *cp_audit_decoded_subresource(const char *sub, json_object *body);

#endif /* CPLANE_HOST_APISERVER_AUDIT_REQUEST_OBJECT_H */
