/*
 * auth - who is calling and what they may do. Authentication: bearer
 * tokens from a static token file (kube-apiserver's CSV format:
 * token,user,uid,"group1,group2") or a client certificate (CN is the user,
 * O the groups). Authorization: RBAC (rbac/authorizer.h), once the
 * server has attached it; members of system:masters may do anything. The
 * INI's [authz.NAME] sections are parsed and checked here, and become
 * RBAC objects at start (rbac/ini_rules.h).
 *
 * Threading: immutable after cp_auth_new and cp_auth_set_rbac (called
 * once before the server's threads run); safe from any thread.
 * Ownership: cp_auth_free releases everything; users returned by lookups
 * are borrowed from the auth object.
 */
#ifndef CPLANE_HOST_APISERVER_AUTH_H
#define CPLANE_HOST_APISERVER_AUTH_H

#include <stddef.h>

struct cp_user {
  char *name;
  char **groups;
  size_t n_groups;
};

/* One [authz.NAME] section; each list is comma-separated, "*" = any.
 * non_resource_urls are paths such as /metrics (RBAC's nonResourceURLs:
 * a trailing "*" matches any path with that prefix). */
struct cp_authz_rule_config {
  const char *name, *users, *groups, *verbs, *resources, *namespaces;
  const char *non_resource_urls;
};

/* A parsed [authz.NAME] section (each list split on commas). */
struct cp_auth_list {
  char **items;
  size_t n;
};
struct cp_auth_rule {
  char *name;
  struct cp_auth_list users, groups, verbs, resources, namespaces, paths;
};

struct cp_auth;
struct cp_rbac;
struct cp_rbac_attrs;

/* Loads tokens_file (NULL: no tokens) and the rules. NULL with *errmsg
 * naming the file and line, or the rule, on failure. */
struct cp_auth *cp_auth_new(const char *tokens_file,
                            const struct cp_authz_rule_config *rules,
                            size_t n_rules, char **errmsg);
void cp_auth_free(struct cp_auth *a);

/* The INI rules, in file order (borrowed). */
size_t cp_auth_rules(const struct cp_auth *a, const struct cp_auth_rule **out);

/* Attaches the authorizer every decision goes through (borrowed; it must
 * outlive a's use). Without one only system:masters is allowed. */
void cp_auth_set_rbac(struct cp_auth *a, struct cp_rbac *r);

/* The one authorization entry point: 1 when the request at is allowed;
 * reason as cp_rbac_authorize. a NULL: only system:masters. */
int cp_auth_authorize(const struct cp_auth *a, const struct cp_rbac_attrs *at,
                      char *reason, size_t len);

/* The user a bearer token belongs to, or NULL. */
const struct cp_user *cp_auth_token(const struct cp_auth *a,
                                    const char *token);
/* 1 when user (in groups) may do verb on resource ("pods", or
 * "pods/log" for a subresource) of the core API group in namespace ns
 * ("" for cluster-scoped requests): cp_auth_authorize's short form (the
 * impersonate verb on users, groups and serviceaccounts). */
int cp_auth_allowed(const struct cp_auth *a, const char *user,
                    char *const *groups, size_t n_groups, const char *verb,
                    const char *resource, const char *ns);
/* 1 when user (in groups) may do verb (the lower-case HTTP method, as
 * kube's non-resource requests) on the non-resource path. */
int cp_auth_allowed_path(const struct cp_auth *a, const char *user,
                         char *const *groups, size_t n_groups,
                         const char *verb, const char *path);

/* The first token of a system:masters member (for the admin kubeconfig),
 * or NULL. Borrowed. */
const char *cp_auth_admin_token(const struct cp_auth *a);

/* Writes a new token file with one admin token (system:masters) and
 * returns that token (malloc'd), or NULL with *errmsg. */
char *cp_auth_make_token_file(const char *path, char **errmsg);

#endif /* CPLANE_HOST_APISERVER_AUTH_H */
