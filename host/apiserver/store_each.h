/*
 * store_each - every stored object of one built-in resource, parsed, for
 * admission that reads its neighbours (the default PriorityClass, the
 * default StorageClass): one store list, no cache, no paging (these
 * kinds are few).
 *
 * Threading: any request thread; the store is thread-safe.
 * Ownership: each object is the callback's for the call only (put after
 * it returns).
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

#endif /* CPLANE_HOST_APISERVER_STORE_EACH_H */
