/*
 * index - the RBAC objects in memory, so that a decision reads no store:
 * Roles and ClusterRoles with their parsed rules, and every binding
 * reachable from its subjects (user "u:<name>", group "g:<name>"; a
 * ServiceAccount subject is the user system:serviceaccount:<ns>:<name>).
 * A decision is a few hash look-ups (the user and each group) and the
 * rules of the roles those bindings name, whatever the number of
 * bindings: kube's RBAC authorizer over its informers' caches.
 *
 * Threading: a read-write lock; decisions and rule queries take it
 * shared from any thread, put/remove/swap exclusively (the store watch's
 * thread). Ownership: the index keeps a reference of the JSON objects it
 * is given, so the caller must not touch them again from another thread
 * (json-c's reference counts are not atomic); results, the aggregated
 * rules included, are copies the caller owns, sharing no JSON with it.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_INDEX_H
#define CPLANE_HOST_APISERVER_RBAC_INDEX_H

#include <stddef.h>

#include "apiserver/rbac/rules.h"

struct json_object;

enum cp_rbac_kind {
  CP_RBAC_ROLE,
  CP_RBAC_CLUSTER_ROLE,
  CP_RBAC_ROLE_BINDING,
  CP_RBAC_CLUSTER_ROLE_BINDING
};

struct cp_rbac_index;

/* NULL when out of memory. */
struct cp_rbac_index *cp_rbac_index_new(void);
void cp_rbac_index_free(struct cp_rbac_index *x);

/* Adds or replaces one object of kind k (as stored: metadata.namespace
 * and name). Returns 0, or -1 out of memory or without a name. */
int cp_rbac_index_put(struct cp_rbac_index *x, enum cp_rbac_kind k,
                      struct json_object *obj);
/* Forgets one object (ns NULL or "" for cluster kinds). */
void cp_rbac_index_remove(struct cp_rbac_index *x, enum cp_rbac_kind k,
                          const char *ns, const char *name);
/* Gives live fresh's contents and fresh live's old ones (a resync builds
 * fresh unlocked, then swaps in one exclusive step). */
void cp_rbac_index_swap(struct cp_rbac_index *live,
                        struct cp_rbac_index *fresh);

/* 1 when a binding of the user (or a group) grants the request; then,
 * when reason is not NULL, kube's text "ClusterRoleBinding \"x\" of
 * ClusterRole \"y\" to User \"z\"" (without "RBAC: allowed by ") goes
 * into reason[0..len). 0 when nothing grants it. */
int cp_rbac_index_authorize(struct cp_rbac_index *x,
                            const struct cp_rbac_attrs *a, char *reason,
                            size_t len);
/* Appends to out every rule the user holds in namespace ns (cluster
 * bindings, and ns's role bindings when ns is not ""), kube's
 * RulesFor. 0, or -1 out of memory. */
int cp_rbac_index_rules_for(struct cp_rbac_index *x, const char *user,
                            char *const *groups, size_t n_groups,
                            const char *ns, struct cp_rbac_rules *out);
/* The rules of the role a binding would name (kind "Role" or
 * "ClusterRole"; ns of the binding for a Role), appended to out:
 * 1 found, 0 no such role, -1 out of memory. */
int cp_rbac_index_role_rules(struct cp_rbac_index *x, const char *kind,
                             const char *ns, const char *name,
                             struct cp_rbac_rules *out);

/* ClusterRole aggregation: for each ClusterRole with an aggregationRule
 * whose rules differ from the union of the rules of the ClusterRoles its
 * selectors match (kube's clusterroleaggregation controller), calls
 * fn(arg, name, rules) with the rules it should hold (a JSON array
 * sharing no object with the index, borrowed for the call: fn may keep a
 * reference and use it on any thread). fn runs under the shared lock: it must not
 * call the index's writers. Returns how many differed. */
size_t cp_rbac_index_aggregation(struct cp_rbac_index *x,
                                 void (*fn)(void *arg, const char *name,
                                            struct json_object *rules),
                                 void *arg);

/* Counts, for the log and tests. */
size_t cp_rbac_index_count(struct cp_rbac_index *x, enum cp_rbac_kind k);

#endif /* CPLANE_HOST_APISERVER_RBAC_INDEX_H */
