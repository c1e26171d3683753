/*
 * match_conditions - admissionregistration's matchConditions, as kube's
 * admission/plugin/webhook/matchconditions and the validation of
 * pkg/apis/admissionregistration, shared by admission webhooks
 * (webhook/conditions.c) and ValidatingAdmissionPolicy (vap/):
 *
 *   - validation when a configuration or policy is written: at most 64,
 *     each name required, a qualified name and unique, each expression
 *     required, compiled and of type bool, with kube's field paths and
 *     words ("webhooks[0].matchConditions[1].expression: Invalid value:
 *     \"...\": compilation failed: ...");
 *   - evaluation (kube's matcher.Match): every condition is evaluated;
 *     one false means no match whatever the others did; errors (and no
 *     false) follow the failurePolicy: Ignore is no match, Fail is an
 *     error whose message is kube's aggregate of the evaluation errors
 *     ("expression 'x' resulted in error: no such key: y"; several:
 *     "[a, b]").
 *
 * Threading: pure functions; a compiled list is immutable, read it from
 * any thread. A session belongs to its caller's thread (cel.h).
 * Ownership: inputs are borrowed; lists from cp_match_conditions_compile
 * are freed with cp_named_exprs_free; *err strings are malloc'd.
 */
#ifndef CPLANE_HOST_APISERVER_MATCH_CONDITIONS_H
#define CPLANE_HOST_APISERVER_MATCH_CONDITIONS_H

#include <stddef.h>

#include "apiserver/field_errors.h"

struct json_object;
struct cp_cel_program;
struct cp_cel_session;

/* kube's maximum number of matchConditions. */
#define CP_MATCH_CONDITIONS_MAX 64

/* A named CEL expression (a matchCondition; a policy's variable or audit
 * annotation too). */
struct cp_named_expr {
  char *name; /* variable, condition name or audit annotation key */
  char *expression;
  struct cp_cel_program *prog; /* NULL: did not compile */
};

/* The variables a webhook's matchConditions may name (kube's webhook
 * filter compiler: no params; namespaceObject is declared and null). */
extern const char *const cp_match_conditions_webhook_vars[];

/* Validates the matchConditions list a (NULL: none) at field path at
 * ("webhooks[0].matchConditions"): the count, and per condition its
 * expression (when vars is not NULL: compiled with vars and of type
 * bool) then its name, then uniqueness, in kube's order. */
void cp_match_conditions_validate(struct json_object *a, const char *at,
                                  const char *const *vars,
                                  struct cp_field_errors *errs);

/* Compiles the list a (NULL: none) with vars into *out (*n entries; a
 * condition that does not compile has prog NULL). When *compile_error
 * is not NULL it gets the first compile error (malloc'd). 0, or -1 out
 * of memory (*out freed). */
int cp_match_conditions_compile(struct json_object *a,
                                const char *const *vars,
                                struct cp_named_expr **out, size_t *n,
                                char **compile_error);
void cp_named_exprs_free(struct cp_named_expr *v, size_t n);

/* kube's matcher.Match over session s (its bindings: the request's).
 * Returns 1 when every condition holds, 0 when one is false or errors
 * failed open (fail_open), -1 when errors fail closed, with *err the
 * aggregate message (malloc'd; NULL out of memory). A condition without
 * a program errors with compile_error ("compilation failed" when
 * NULL). */
int cp_match_conditions_eval(struct cp_cel_session *s,
                             const struct cp_named_expr *c, size_t n,
                             int fail_open, const char *compile_error,
                             char **err);

#endif /* CPLANE_HOST_APISERVER_MATCH_CONDITIONS_H */
