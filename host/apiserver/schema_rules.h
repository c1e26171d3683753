/*
 * schema_rules - a CRD schema's x-kubernetes-validations: CEL rules
 * compiled once with their schema node (so no request parses a rule) and
 * evaluated over a custom resource on create and update with `self` the
 * value at that node and `oldSelf` the stored value there (transition
 * rules run only on an update where the old value exists, as kube runs
 * them, unless optionalOldSelf makes oldSelf an optional: then they run
 * on create too, with oldSelf optional.none()). Failures become field errors worded as kube-apiserver's CEL
 * validator words them: `spec: Invalid value: "object": <message>` or
 * `failed rule: <rule>`; a rule that does not compile makes the CRD
 * invalid (`...x-kubernetes-validations[0].rule: Invalid value:
 * apiextensions.ValidationRule{...}: compilation failed: ERROR: ...`).
 *
 * Cost: each rule runs under kube's PerCallLimit and all the rules of
 * one object share kube's RuntimeCELCostBudget; a rule past its limit is
 * an error naming it, and once the budget is spent no further rule runs.
 *
 * On an update, a value left as it was is not checked again (kube's
 * validation ratcheting). Old values are matched by object property (and additionalProperties
 * key); array items have no old value here, so transition rules inside
 * lists are not run (kube correlates listType=map items by key).
 *
 * A rule calling a function of kube's CEL environment that cplane's CEL
 * does not implement (ip(), cidr(), semver(), format(), sets.*...)
 * compiles, as kube accepts it, but is not run: an object is never
 * refused for what cplane lacks.
 *
 * Threading: compiled rules are immutable; any number of threads may
 * check objects against them at once. Ownership: the schema node owns
 * its rules (cp_schema_rules_free); results own their strings.
 */
#ifndef CPLANE_HOST_APISERVER_SCHEMA_RULES_H
#define CPLANE_HOST_APISERVER_SCHEMA_RULES_H

#include <stddef.h>

struct json_object;
struct cp_schema;
struct cp_schema_result;
struct cp_schema_rules;

/* Compiles schema j's "x-kubernetes-validations" (borrowed) into *out
 * (NULL when j has none). at names j's place for errors. 0, or -1 with
 * *err (malloc'd) in kube's CRD validation words. */
int cp_schema_rules_compile(struct json_object *j, const char *at,
                            struct cp_schema_rules **out, char **err);
void cp_schema_rules_free(struct cp_schema_rules *r);

/* Runs every rule of s and below over o (old: the stored object on an
 * update, else NULL) and records each failure in r->errors. Rules do not
 * run when r already holds a value of the wrong type (kube: "some
 * validation rules were not checked because the object was invalid").
 * Returns the number of errors added. */
size_t cp_schema_rules_check(const struct cp_schema *s, struct json_object *o,
                             struct json_object *old,
                             struct cp_schema_result *r);

#endif /* CPLANE_HOST_APISERVER_SCHEMA_RULES_H */
