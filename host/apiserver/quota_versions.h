/*
 * quota_versions - the newest version of each ResourceQuota this server
 * wrote (or, after a lost compare-and-swap, read from the store), as
 * kube's quota evaluator keeps them (resource_access.go: an LRU of the
 * quotas it updated, used over the lister's copy when its
 * resourceVersion is newer).
 *
 * ResourceQuota admission judges a batch on the quotas the policy cache
 * lists (policy_cache.h: up to a second old) and would lose every
 * compare-and-swap after its own first write of a second if it charged
 * that copy; with this it charges the newer of the two, so a run of
 * creates costs one quota write per batch and no store read. A version
 * another server wrote since is found by the compare-and-swap, which
 * fails; the caller then reads the store and notes what it read.
 *
 * It also keeps, for the version this server wrote, the quota as
 * charged in memory (parsed), so that the next batch of the namespace
 * takes it instead of parsing the text again.
 *
 * Threading: every function is safe from any thread (one mutex).
 * Ownership: the cache keeps copies; cp_quota_versions_newer returns a
 * malloc'd copy; a parsed quota is handed over, to the cache by
 * cp_quota_versions_keep and back by cp_quota_versions_take.
 */
#ifndef CPLANE_HOST_APISERVER_QUOTA_VERSIONS_H
#define CPLANE_HOST_APISERVER_QUOTA_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

/* Quotas remembered (kube's LRU holds 100); the least recently noted or
 * used goes first. */
#define CP_QUOTA_VERSIONS_MAX 100

struct cp_quota_versions;

/* NULL when out of memory (callers then charge what they list). */
struct cp_quota_versions *cp_quota_versions_new(void);
void cp_quota_versions_free(struct cp_quota_versions *c);

/* Notes that quota key (its store key) is at revision rev with stored
 * text (len bytes), unless a newer revision of key is known already.
 * Out of memory forgets key: the next charge uses the cache's copy and
 * at worst loses its compare-and-swap. */
void cp_quota_versions_note(struct cp_quota_versions *c, const char *key,
                            int64_t rev, const char *text, size_t len);

/* Of the version of key at rev (the policy cache's) and the one noted,
 * the newer: 1 with *text (malloc'd, NUL-terminated) and *rev_out the
 * noted one when it is newer than rev; 0 when rev is as new or nothing
 * is noted (or out of memory: the caller keeps its own). */
int cp_quota_versions_newer(struct cp_quota_versions *c, const char *key,
                            int64_t rev, char **text, int64_t *rev_out);

struct json_object;

/* Keeps obj (taken: put when not kept) as the parsed form of key at rev,
 * when rev is the version noted for key. */
void cp_quota_versions_keep(struct cp_quota_versions *c, const char *key,
                            int64_t rev, struct json_object *obj);

/* The parsed form kept for key at rev, handed to the caller (who puts
 * it) and no longer kept; NULL when none is. */
struct json_object *cp_quota_versions_take(struct cp_quota_versions *c,
                                           const char *key, int64_t rev);

#endif /* CPLANE_HOST_APISERVER_QUOTA_VERSIONS_H */
