/*
 * rules - RBAC PolicyRules as kube's authorizer reads them
 * (pkg/apis/rbac/v1/evaluation_helpers.go): verbs, apiGroups, resources
 * with subresources ("pods/log", "*\/scale"), resourceNames and
 * nonResourceURLs (a trailing "*" matches a prefix); and the escalation
 * comparison (pkg/registry/rbac/validation/policy_comparator.go): which
 * rules of a role a set of held rules does not cover, in kube's compact
 * wording.
 *
 * Threading: pure functions; parsed rules are immutable and may be read
 * from any thread.
 * Ownership: cp_rbac_rules_parse fills an owned copy (cp_rbac_rules_clear);
 * attributes are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_RBAC_RULES_H
#define CPLANE_HOST_APISERVER_RBAC_RULES_H

#include <stddef.h>

struct json_object;

struct cp_rbac_strs {
  char **v;
  size_t n;
};

struct cp_rbac_rule {
  struct cp_rbac_strs verbs, groups, resources, names, urls;
};

struct cp_rbac_rules {
  struct cp_rbac_rule *v;
  size_t n;
};

/* What one request asks, as kube's authorizer.Attributes. Strings are ""
 * when absent, never NULL (user and groups aside: groups may be NULL with
 * n_groups 0). */
struct cp_rbac_attrs {
  const char *user;
  char *const *groups;
  size_t n_groups;
  const char *verb;
  int resource_request; /* 0: path names a non-resource URL */
  const char *group, *resource, *subresource, *name, *ns;
  const char *path;
};

/* Appends the rules of a JSON array (a role's "rules") to out. Members
 * of the wrong type are skipped (the schema and strategy refused them
 * on write). Returns 0, or -1 out of memory. */
int cp_rbac_rules_parse(struct json_object *rules, struct cp_rbac_rules *out);
/* Appends copies of src's rules to out; 0 or -1 out of memory. */
int cp_rbac_rules_append(struct cp_rbac_rules *out,
                         const struct cp_rbac_rules *src);
void cp_rbac_rules_clear(struct cp_rbac_rules *r);

/* 1 when rule r allows the request (kube's RuleAllows). */
int cp_rbac_rule_allows(const struct cp_rbac_rule *r,
                        const struct cp_rbac_attrs *a);

/* kube's Covers: 1 when the owner rules cover every rule of servant,
 * else 0 with *missing (when not NULL) the uncovered pieces, one
 * CompactString per line, sorted, verbs of the same resource merged
 * (malloc'd; NULL when out of memory). -1 out of memory. */
int cp_rbac_rules_cover(const struct cp_rbac_rules *owner,
                        const struct cp_rbac_rules *servant, char **missing);

/* A rule as a JSON PolicyRule (SelfSubjectRulesReview answers); NULL out
 * of memory. resource 1: the resource form, 0: the non-resource one. */
struct json_object *cp_rbac_rule_json(const struct cp_rbac_rule *r,
                                      int resource);

#endif /* CPLANE_HOST_APISERVER_RBAC_RULES_H */
