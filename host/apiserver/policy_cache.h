/*
 * policy_cache - the LimitRanges and ResourceQuotas of every namespace,
 * as the store last listed them, for up to a second. LimitRanger and
 * ResourceQuota admission look at them on every create in a namespace;
 * a store list each time would cost every create a range read (an etcd
 * round trip), while they change rarely. kube-apiserver's plugins read
 * them from informers, eventually consistent in the same way.
 *
 * Writes of either kind through this server drop the snapshot before
 * and after they run (an epoch, as nscache.h), so this server never
 * admits on what it has itself replaced; another server's writes are
 * seen within the second. ResourceQuota admission charges the quotas
 * listed here, or the newer version it wrote itself (quota_versions.h),
 * with a compare-and-swap at their revision, and reads the store only
 * after losing one (admission_quota.h).
 *
 * Threading: every function is safe from any thread (one mutex).
 * Ownership: the cache owns its snapshots (each object parsed once, at
 * its first lookup); lookups return fresh objects (deep copies, which
 * callers may change and keep parts of).
 */
#ifndef CPLANE_HOST_APISERVER_POLICY_CACHE_H
#define CPLANE_HOST_APISERVER_POLICY_CACHE_H

#include "apiserver/request.h"

struct json_object;

/* The kinds cached. */
enum cp_policy_kind { CP_POLICY_LIMITRANGES, CP_POLICY_RESOURCEQUOTAS };

struct cp_policy_cache;

/* NULL when out of memory (callers then read the store every time). */
struct cp_policy_cache *cp_policy_cache_new(void);
void cp_policy_cache_free(struct cp_policy_cache *c);
/* Before and after every write of a LimitRange or ResourceQuota. */
void cp_policy_cache_invalidate(struct cp_policy_cache *c);

/* The objects of kind in namespace ns, as a new json array (owned) in
 * *out, from ctx->policy_cache when fresh, else from the store (and
 * kept). 0, or -1 when the store failed (*out NULL). */
int cp_policy_list(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns, struct json_object **out);
/* Calls fn(arr, arg) with the objects of kind in namespace ns as the
 * cache holds them (arr: a json array, borrowed), under the cache's
 * mutex: no copy per call. fn may read them and take and drop
 * references, but must keep nothing of them past its return and change
 * nothing (LimitRanger copies what it moves into a pod). Without a cache
 * fn gets a fresh list. 0, or -1 when the store failed or memory ran
 * out (fn not called). */
int cp_policy_with(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns,
                   void (*fn)(struct json_object *arr, void *arg), void *arg);
/* How many objects of kind namespace ns has, as cp_policy_list would
 * return them but without parsing one (quota admission only asks
 * whether there are any). -1 when the store failed. */
long cp_policy_count(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                     const char *ns);
/* The objects of kind in namespace ns as the store's entries (key,
 * value, mod_revision copied; *out owned, cp_store_list_result_free):
 * quota admission charges them at their revision. How many, or -1 when
 * the store failed or memory ran out (*out empty). */
long cp_policy_kvs(struct cp_api_ctx *ctx, enum cp_policy_kind kind,
                   const char *ns, cp_store_list_result *out);

#endif /* CPLANE_HOST_APISERVER_POLICY_CACHE_H */
