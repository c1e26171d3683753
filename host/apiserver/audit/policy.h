/*
 * audit/policy - kube's audit policy (audit.k8s.io/v1 Policy): which
 * requests are recorded and at which level, read from a YAML or JSON
 * file and evaluated per request as kube-apiserver's policy checker does:
 * the first rule that matches wins, no match is level None.
 *
 * Rules match on users, userGroups, verbs, resources (group, resources
 * with "pods/log" subresources, the wildcard "*", and "pods/" plus a
 * star for a resource with all its subresources or a star plus
 * "/status" for one subresource of every resource, resourceNames),
 * namespaces ("" matches cluster-scoped
 * requests) and nonResourceURLs (a trailing "*" is a prefix). A rule's
 * omitStages adds to the policy's; its omitManagedFields, when set,
 * overrides the policy's.
 *
 * Threading: a loaded policy is read-only; decide from any thread.
 * Ownership: cp_audit_policy_free releases everything; the attributes
 * passed to decide are borrowed for the call.
 */
#ifndef CPLANE_HOST_APISERVER_AUDIT_POLICY_H
#define CPLANE_HOST_APISERVER_AUDIT_POLICY_H

#include <stddef.h>

enum cp_audit_level {
  CP_AUDIT_NONE = 0,
  CP_AUDIT_METADATA,
  CP_AUDIT_REQUEST,
  CP_AUDIT_REQUEST_RESPONSE
};

/* Stages, as bits of omit_stages. */
#define CP_AUDIT_STAGE_REQUEST_RECEIVED 1u
#define CP_AUDIT_STAGE_RESPONSE_STARTED 2u
#define CP_AUDIT_STAGE_RESPONSE_COMPLETE 4u
#define CP_AUDIT_STAGE_PANIC 8u

/* A policy file larger than this is refused (kube reads it whole too). */
#define CP_AUDIT_POLICY_MAX_BYTES (1u << 20)

struct cp_audit_policy;

/* What a rule matches on (kube's authorizer.Attributes). user NULL: a
 * request that failed authentication (no users/userGroups rule matches). */
struct cp_audit_attrs {
  const char *user;
  char *const *groups;
  size_t n_groups;
  const char *verb;
  int resource_request;
  /* resource requests: "" when absent */
  const char *group, *resource, *subresource, *ns, *name;
  const char *path; /* non-resource requests */
};

struct cp_audit_decision {
  enum cp_audit_level level;
  unsigned omit_stages;    /* CP_AUDIT_STAGE_* bits */
  int omit_managed_fields; /* 1: strip metadata.managedFields */
};

/* Parses a policy from text (YAML or JSON, n bytes). Returns 0 with *out,
 * or -1 with *err (malloc'd; NULL when out of memory) saying why, with the
 * line for YAML syntax errors and the field path ("rules[2].level") for
 * invalid values, as kube's validation words them. */
int cp_audit_policy_parse(const char *text, size_t n,
                          struct cp_audit_policy **out, char **err);
/* Reads and parses the file at path; *err names the file. */
int cp_audit_policy_load(const char *path, struct cp_audit_policy **out,
                         char **err);
void cp_audit_policy_free(struct cp_audit_policy *p);

/* The level and options for one request. */
void cp_audit_policy_decide(const struct cp_audit_policy *p,
                            const struct cp_audit_attrs *a,
                            struct cp_audit_decision *d);

/* "None", "Metadata", "Request", "RequestResponse". */
const char *cp_audit_level_name(enum cp_audit_level l);

#endif /* CPLANE_HOST_APISERVER_AUDIT_POLICY_H */
