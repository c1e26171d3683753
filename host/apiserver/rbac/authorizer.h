/*
 * authorizer - who may do what, decided as kube-apiserver's authorizer
 * chain does with --authorization-mode=RBAC: members of system:masters
 * may do anything (kube's privileged-group authorizer, outside RBAC),
 * then the RBAC objects decide (index.h). The index is loaded from the
 * store at start and kept in step by store watches on roles,
 * clusterroles, rolebindings and clusterrolebindings (re-read when a
 * watch ends, as crd.c does), so a decision reads no store. The same
 * thread keeps aggregated ClusterRoles filled (kube's
 * clusterroleaggregation controller): every change of a ClusterRole
 * recomputes the roles whose aggregationRule selects others, and writes
 * those whose rules differ.
 *
 * Any caller is just a user and groups: a plugin with its own identity
 * is decided the same way.
 *
 * Threading: cp_rbac_authorize and the queries from any thread at once
 * (a shared lock); the sync runs on its own thread ("api-rbac-sync").
 * Ownership: cp_rbac_start returns an owned authorizer borrowing ctx,
 * which must outlive it (cp_rbac_stop before the store closes).
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_AUTHORIZER_H
#define CPLANE_HOST_APISERVER_RBAC_AUTHORIZER_H

#include <stddef.h>

#include "apiserver/rbac/index.h"
#include "apiserver/rbac/rules.h"

struct cp_api_ctx;
struct cp_rbac;

/* Reads the four kinds and starts watching them. NULL out of memory (a
 * store that cannot be read is retried every second by the thread; until
 * then only system:masters is allowed). */
struct cp_rbac *cp_rbac_start(struct cp_api_ctx *ctx);
void cp_rbac_stop(struct cp_rbac *r);

/* An authorizer over a given index, without store or thread (tests,
 * benchmarks); the index is borrowed. */
struct cp_rbac *cp_rbac_over(struct cp_rbac_index *x);

/* 1 when the request is allowed. reason (when not NULL) gets kube's
 * reason: "" for system:masters, "RBAC: allowed by ..." for a grant, ""
 * for a denial. r NULL: only system:masters. */
int cp_rbac_authorize(struct cp_rbac *r, const struct cp_rbac_attrs *a,
                      char *reason, size_t len);

/* The attributes of a request as the URL names them (request_info.h),
 * for user and groups (borrowed, as ri's strings). */
struct cp_request_info;
void cp_rbac_attrs_from_info(struct cp_rbac_attrs *at,
                             const struct cp_request_info *ri,
                             const char *user, char *const *groups,
                             size_t n_groups);

/* 1 when one of groups is system:masters (kube's EscalationAllowed and
 * privileged group). */
int cp_rbac_is_master(char *const *groups, size_t n_groups);

/* The index (NULL for r NULL), for reviews and escalation checks. */
struct cp_rbac_index *cp_rbac_index(struct cp_rbac *r);

#endif /* CPLANE_HOST_APISERVER_RBAC_AUTHORIZER_H */
