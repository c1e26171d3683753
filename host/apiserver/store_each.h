/*
 * store_each - every stored object of one built-in resource, parsed, for
 * code that reads its neighbours (admission: the default PriorityClass,
 * the default StorageClass; metrics.k8s.io: pods and nodes): store lists
 * with no cache, paged, so that memory holds one page of stored text at
 * a time whatever the number of objects.
 *
 * Threading: any request thread; the store is thread-safe.
 * Ownership: each object is the callback's for the call only (put after
 * it returns; json_object_get it to keep it).
 */
#ifndef CPLANE_HOST_APISERVER_STORE_EACH_H
#define CPLANE_HOST_APISERVER_STORE_EACH_H

#include <json-c/json.h>

#include "apiserver/request.h"

/* Calls fn(obj, arg) for each stored object of group/version/resource
 * (cluster-scoped, or every namespace) until fn returns nonzero. Objects
 * that do not parse are skipped. 0, or -1 on a store failure or an
 * unknown resource. */
int cp_store_each(struct cp_api_ctx *ctx, const char *group,
                  const char *version, const char *resource,
                  int (*fn)(json_object *obj, void *arg), void *arg);

/* The same for type t's objects in namespace ns (NULL: every namespace),
 * in key order, every page read at the revision of the first. 0, or -1
 * on a store failure (fn may have seen some objects). */
int cp_store_each_in(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                     const char *ns, int (*fn)(json_object *obj, void *arg),
                     void *arg);

#endif /* CPLANE_HOST_APISERVER_STORE_EACH_H */
