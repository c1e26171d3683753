/*
 * policy - one ValidatingAdmissionPolicy read from its JSON into what
 * admission runs on every matching write: its CEL expressions compiled
 * (matchConditions, variables, validations with their messages and
 * reasons, auditAnnotations), paramKind, matchConstraints and
 * failurePolicy, as kube's validating policy compiler does.
 *
 * The strategy (strategy/validatingadmissionpolicies.c) compiles the same
 * way to refuse a policy whose expressions do not compile (422, kube's
 * words); a policy stored by another server may still hold one, which
 * then fails at admission as its failurePolicy says (kube's behaviour
 * for a policy its compiler refuses).
 *
 * Threading: a parsed policy is immutable; read it from any thread.
 * Ownership: cp_vap_policy_parse fills *out with owned copies (and a
 * reference to matchConstraints); cp_vap_policy_clear frees them.
 */
#ifndef CPLANE_HOST_APISERVER_VAP_POLICY_H
#define CPLANE_HOST_APISERVER_VAP_POLICY_H

#include <stddef.h>

#include "apiserver/field_errors.h"
#include "apiserver/match_conditions.h"

struct json_object;
struct cp_cel_program;

/* kube's supported reasons and the HTTP codes they answer with. */
struct cp_vap_validation {
  char *expression;
  struct cp_cel_program *prog;
  char *message;                   /* NULL: none */
  struct cp_cel_program *msg_prog; /* messageExpression, or NULL */
  const char *reason;              /* static "Invalid"...; NULL: Invalid */
  int code;                        /* 422 by default */
};

struct cp_vap_policy {
  char *name;
  int fail_open;              /* failurePolicy Ignore (default Fail) */
  char *param_group;          /* paramKind's group ("" core), or NULL */
  char *param_version, *param_kind;
  struct json_object *match;  /* matchConstraints, or NULL */
  struct cp_named_expr *conditions, *variables, *audits;
  size_t n_conditions, n_variables, n_audits;
  struct cp_vap_validation *validations;
  size_t n_validations;
  /* The first expression that did not compile ("spec.validations[0]
   * .expression: ..."), or NULL: admission fails with it. */
  char *compile_error;
};

/* Reads policy obj into *out. Expressions that do not compile are added
 * to errs at their field paths with kube's words when errs is not NULL,
 * and the first is kept in out->compile_error. Returns 0, or -1 out of
 * memory (*out is then empty). */
int cp_vap_policy_parse(struct json_object *obj, struct cp_vap_policy *out,
                        struct cp_field_errors *errs);
void cp_vap_policy_clear(struct cp_vap_policy *p);

/* The HTTP code of validation reason r (kube's: Unauthorized 401,
 * Forbidden 403, Invalid 422, RequestEntityTooLarge 413), 0 when r is
 * not one. */
int cp_vap_reason_code(const char *r);

#endif /* CPLANE_HOST_APISERVER_VAP_POLICY_H */
