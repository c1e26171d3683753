/*
 * evaluate - kube's ValidatingAdmissionPolicy dispatcher and validator
 * (admission/plugin/policy/validating/dispatcher.go, validator.go) over
 * one request, without the server: for every binding of the snapshot
 * whose policy and binding match (match.h), its params are collected
 * (paramRef by name, or by selector: the policy runs once per param;
 * none found: parameterNotFoundAction Deny is a configuration error,
 * Allow skips), then per param the policy's matchConditions (all must
 * hold), validations (variables composited lazily, cel.h sessions),
 * and auditAnnotations are evaluated; a false validation is a failure
 * with its message (messageExpression's result, else message, else
 * "failed expression: <expression>") and reason; an evaluation error,
 * a compile error stored with the policy or a configuration error
 * (params) follows the policy's failurePolicy (Fail: a failure with the
 * error as message, reason Invalid; Ignore: nothing). Each failure goes
 * to the binding's validationActions: Deny (the first denial refuses
 * the request), Warn (a warning in kube's words), Audit (kube's
 * validation.policy.admission.k8s.io/validation_failure annotation).
 *
 * Threading: any thread; nothing shared is written.
 * Ownership: inputs borrowed; cp_vap_outcome_clear frees the outcome.
 */
#ifndef CPLANE_HOST_APISERVER_VAP_EVALUATE_H
#define CPLANE_HOST_APISERVER_VAP_EVALUATE_H

#include <stddef.h>

#include "apiserver/vap/set.h"
#include "cel/cel.h"
#include "apiserver/webhook/match.h"

struct json_object;

/* Where params come from (the store, in the server; a table in tests):
 * the objects of the policy's paramKind that binding b's paramRef names
 * for the request's namespace ns. Returns 0 with *out (a new JSON array,
 * the caller's; empty when none was found), or -1 with *err (malloc'd,
 * a configuration error in kube's words). */
typedef int (*cp_vap_params_fn)(void *arg, const struct cp_vap_policy *p,
                                const struct cp_vap_binding *b,
                                const char *ns, struct json_object **out,
                                char **err);

struct cp_vap_input {
  const struct cp_webhook_attrs *attrs;
  struct json_object *request;   /* the `request` variable */
  struct json_object *ns_object; /* namespaceObject, or NULL */
  struct json_object *ns_labels; /* for namespaceSelector, or NULL */
  /* When set, ns_object and ns_labels are read through it instead, once
   * and only when a binding's policy may apply (a new object or NULL;
   * the evaluation frees it). */
  struct json_object *(*load_namespace)(void *arg);
  void *load_namespace_arg;
  cp_vap_params_fn params;       /* NULL: every paramKind is unknown */
  void *params_arg;
  /* The `authorizer` variable's checks, as the request's user (NULL:
   * every check errors). */
  cp_cel_authorize_fn authorize;
  void *authorize_arg;
};

struct cp_vap_outcome {
  /* The first denial: code (422 Invalid by default), reason and the
   * whole message ("ValidatingAdmissionPolicy 'p' with binding 'b'
   * denied request: ..."); denied 0 when none. */
  int denied;
  int code;
  char *reason;
  char *message;
  struct json_object *warnings; /* array of strings, or NULL */
  struct json_object *audit;    /* object of audit annotations, or NULL */
};

/* Evaluates every binding of snap against the request. 0, or -1 out of
 * memory. */
int cp_vap_evaluate(const struct cp_vap_snapshot *snap,
                    const struct cp_vap_input *in,
                    struct cp_vap_outcome *out);
void cp_vap_outcome_clear(struct cp_vap_outcome *out);

/* The `request` variable (kube's CreateAdmissionRequest): kind,
 * resource, subResource, requestKind, requestResource,
 * requestSubResource, name, namespace, operation, userInfo (username,
 * uid, groups), dryRun, options. A new object, NULL out of memory. */
struct json_object *cp_vap_request_object(const struct cp_webhook_attrs *a,
                                          const char *user,
                                          const char *uid,
                                          char *const *groups,
                                          size_t n_groups, int dry_run,
                                          struct json_object *options);

#endif /* CPLANE_HOST_APISERVER_VAP_EVALUATE_H */
