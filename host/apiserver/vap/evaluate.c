/*
 * evaluate - the policies over one request (evaluate.h).
 */
#include "apiserver/vap/evaluate.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/match_conditions.h"
#include "apiserver/vap/match.h"
#include "cel/cel.h"
#include "log/log.h"

/* kube's celconfig.MaxEvaluatedMessageExpressionSizeBytes and
 * maxAuditAnnotationValueLength. */
#define MAX_MESSAGE 5120
#define MAX_AUDIT_VALUE 10240

#define FAILURE_KEY "validation.policy.admission.k8s.io/validation_failure"

struct ev {
  const struct cp_vap_input *in;
  struct cp_vap_outcome *out;
  int oom;
  /* The namespace, from the input or loaded once (then owned). */
  json_object *ns_object, *ns_labels;
  int ns_ready, ns_owned;
};

static void namespace_ready(struct ev *e) {
  if (e->ns_ready)
    return;
  e->ns_ready = 1;
  if (e->in->load_namespace == NULL) {
    e->ns_object = e->in->ns_object;
    e->ns_labels = e->in->ns_labels;
    return;
  }
  e->ns_object = e->in->load_namespace(e->in->load_namespace_arg);
  e->ns_owned = 1;
  e->ns_labels = json_object_object_get(
      json_object_object_get(e->ns_object, "metadata"), "labels");
}

/* ------------------------------------------------------------ outcomes */

static void deny(struct ev *e, const struct cp_vap_policy *p,
                 const struct cp_vap_binding *b, const char *msg,
                 const char *reason, int code) {
  if (e->out->denied)
    return;
  e->out->denied = 1;
  e->out->code = code ? code : 422;
  e->out->reason = strdup(reason ? reason : "Invalid");
  if (asprintf(&e->out->message, "ValidatingAdmissionPolicy '%s' with "
               "binding '%s' denied request: %s",
               p->name, b->name, msg) < 0)
    e->out->message = NULL;
  if (e->out->reason == NULL || e->out->message == NULL)
    e->oom = 1;
}

static void warn(struct ev *e, const struct cp_vap_policy *p,
                 const struct cp_vap_binding *b, const char *msg) {
  char *w = NULL;

  if (e->out->warnings == NULL &&
      (e->out->warnings = json_object_new_array()) == NULL) {
    e->oom = 1;
    return;
  }
  if (asprintf(&w, "Validation failed for ValidatingAdmissionPolicy '%s' "
               "with binding '%s': %s",
               p->name, b->name, msg) < 0) {
    e->oom = 1;
    return;
  }
  json_object_array_add(e->out->warnings, json_object_new_string(w));
  free(w);
}

static json_object *audit_obj(struct ev *e) {
  if (e->out->audit == NULL &&
      (e->out->audit = json_object_new_object()) == NULL)
    e->oom = 1;
  return e->out->audit;
}

/* kube's publishValidationFailureAnnotation: one failure, as a list. */
static void audit_failure(struct ev *e, const struct cp_vap_binding *b,
                          size_t index, const char *msg) {
  json_object *a = audit_obj(e), *list, *f, *acts;
  static const struct {
    unsigned bit;
    const char *name;
  } order[] = {{CP_VAP_DENY, "Deny"}, {CP_VAP_WARN, "Warn"},
               {CP_VAP_AUDIT, "Audit"}};
  size_t i;

  if (a == NULL)
    return;
  list = json_object_new_array();
  f = json_object_new_object();
  acts = json_object_new_array();
  if (list == NULL || f == NULL || acts == NULL) {
    json_object_put(list);
    json_object_put(f);
    json_object_put(acts);
    e->oom = 1;
    return;
  }
  for (i = 0; i < sizeof order / sizeof order[0]; i++)
    if (b->actions & order[i].bit)
      json_object_array_add(acts, json_object_new_string(order[i].name));
  json_object_object_add(f, "message", json_object_new_string(msg));
  json_object_object_add(f, "policy", json_object_new_string(b->policy_name));
  json_object_object_add(f, "binding", json_object_new_string(b->name));
  json_object_object_add(f, "expressionIndex",
                         json_object_new_int64((int64_t)index));
  json_object_object_add(f, "validationActions", acts);
  json_object_array_add(list, f);
  json_object_object_add(a, FAILURE_KEY,
                         json_object_new_string(json_object_to_json_string_ext(
                             list, JSON_C_TO_STRING_PLAIN |
                                       JSON_C_TO_STRING_NOSLASHESCAPE)));
  json_object_put(list);
}

/* A validation's failure, through the binding's validationActions. */
static void failed(struct ev *e, const struct cp_vap_policy *p,
                   const struct cp_vap_binding *b, size_t index,
                   const char *msg, const char *reason, int code) {
  if (b->actions & CP_VAP_DENY)
    deny(e, p, b, msg, reason, code);
  if (b->actions & CP_VAP_WARN)
    warn(e, p, b, msg);
  if (b->actions & CP_VAP_AUDIT)
    audit_failure(e, b, index, msg);
}

/* An evaluation error: failurePolicy Fail makes it a failure (reason
 * Invalid), Ignore drops it. */
static void eval_error(struct ev *e, const struct cp_vap_policy *p,
                       const struct cp_vap_binding *b, size_t index,
                       const char *msg) {
  if (p->fail_open) {
    cp_log_info("apiserver", "ValidatingAdmissionPolicy '%s' with binding "
                "'%s' failed open: %s", p->name, b->name, msg);
    return;
  }
  failed(e, p, b, index, msg, NULL, 0);
}

/* kube's addConfigError: Fail denies whatever the actions, Ignore drops
 * it. */
static void config_error(struct ev *e, const struct cp_vap_policy *p,
                         const struct cp_vap_binding *b, const char *err) {
  char *msg = NULL;

  if (p->fail_open) {
    cp_log_info("apiserver", "ValidatingAdmissionPolicy '%s' with binding "
                "'%s' failed open: %s", p->name, b->name, err);
    return;
  }
  if (asprintf(&msg, "failed to configure binding: %s", err) < 0) {
    e->oom = 1;
    return;
  }
  deny(e, p, b, msg, NULL, 0);
  free(msg);
}

/* ------------------------------------------------------------ one run */

static char *trimmed(const char *s) {
  size_t n;

  s += strspn(s, " \t\r\n");
  n = strlen(s);
  while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
    n--;
  return strndup(s, n);
}

/* The message of a validation that failed (kube's validator order:
 * messageExpression's string, the message, the expression). */
static char *message_of(struct cp_cel_session *s,
                        const struct cp_vap_validation *v) {
  char *out = NULL, *err = NULL, *t = NULL, *m = NULL;

  if (v->msg_prog != NULL &&
      cp_cel_session_string(s, v->msg_prog, &out, &err) == 0) {
    t = trimmed(out);
    if (t != NULL && (t[0] == '\0' || strlen(t) > MAX_MESSAGE ||
                      strchr(t, '\n') != NULL)) {
      free(t);
      t = NULL;
    }
  }
  free(out);
  free(err);
  if (t != NULL)
    return t;
  if (v->message != NULL && (t = trimmed(v->message)) != NULL &&
      t[0] != '\0')
    return t;
  free(t);
  if ((t = trimmed(v->expression)) != NULL &&
      asprintf(&m, "failed expression: %s", t) < 0)
    m = NULL;
  free(t);
  return m;
}

static char *expr_error(const char *expr, const char *err) {
  char *m = NULL;

  if (asprintf(&m, "expression '%s' resulted in error: %s", expr,
               err ? err : "out of memory") < 0)
    return NULL;
  return m;
}

/* kube's matcher over the policy's matchConditions: 1 when every one
 * holds, 0 when one is false (or errors fail open), -1 after errors
 * failing closed (handled). */
static int conditions(struct ev *e, struct cp_cel_session *s,
                      const struct cp_vap_policy *p,
                      const struct cp_vap_binding *b) {
  char *err = NULL;
  int r = cp_match_conditions_eval(s, p->conditions, p->n_conditions,
                                   p->fail_open, p->compile_error, &err);

  if (r >= 0)
    return r;
  eval_error(e, p, b, 0, err ? err : "out of memory");
  free(err);
  return -1;
}

static void validations(struct ev *e, struct cp_cel_session *s,
                        const struct cp_vap_policy *p,
                        const struct cp_vap_binding *b) {
  size_t i;

  for (i = 0; i < p->n_validations; i++) {
    const struct cp_vap_validation *v = &p->validations[i];
    char *err = NULL, *m;
    int r = v->prog != NULL ? cp_cel_session_bool(s, v->prog, &err) : -1;

    if (r == 1)
      continue;
    if (r < 0) {
      m = expr_error(v->expression, err ? err : p->compile_error);
      eval_error(e, p, b, i, m ? m : "out of memory");
    } else {
      m = message_of(s, v);
      failed(e, p, b, i, m ? m : "out of memory", v->reason, v->code);
    }
    free(m);
    free(err);
  }
}

/* Publishes "<policy>/<key>": distinct values of several bindings or
 * params joined with ", " (kube's auditAnnotationCollector). */
static void publish(struct ev *e, const struct cp_vap_policy *p,
                    const char *key, const char *value) {
  json_object *a = audit_obj(e), *have;
  char *k = NULL, *joined = NULL;

  if (a == NULL || asprintf(&k, "%s/%s", p->name, key) < 0) {
    e->oom = 1;
    return;
  }
  if (json_object_object_get_ex(a, k, &have)) {
    const char *h = json_object_get_string(have);

    if (strcmp(h, value) == 0 ||
        asprintf(&joined, "%s, %s", h, value) < 0) {
      free(k);
      return;
    }
    value = joined;
  }
  json_object_object_add(a, k, json_object_new_string(value));
  free(joined);
  free(k);
}

static void audits(struct ev *e, struct cp_cel_session *s,
                   const struct cp_vap_policy *p,
                   const struct cp_vap_binding *b) {
  size_t i;

  for (i = 0; i < p->n_audits; i++) {
    const struct cp_named_expr *a = &p->audits[i];
    char *out = NULL, *err = NULL, *t;
    int r = a->prog != NULL ? cp_cel_session_string(s, a->prog, &out, &err)
                            : -1;

    if (r < 0) {
      /* kube: an audit annotation's error denies under Fail, whatever
       * the actions. */
      if (p->fail_open)
        cp_log_info("apiserver", "ValidatingAdmissionPolicy '%s' audit "
                    "annotation %s failed open: %s", p->name, a->name,
                    err ? err : "compile error");
      else
        deny(e, p, b, err ? err : p->compile_error, NULL, 0);
    } else if (r == 0 && (t = trimmed(out)) != NULL) {
      if (strlen(t) > MAX_AUDIT_VALUE)
        t[MAX_AUDIT_VALUE] = '\0';
      if (t[0] != '\0')
        publish(e, p, a->name, t);
      free(t);
    }
    free(out);
    free(err);
  }
}

/* The policy over one param (NULL: none). */
static void run_param(struct ev *e, const struct cp_vap_policy *p,
                      const struct cp_vap_binding *b, json_object *param) {
  const struct cp_webhook_attrs *a = e->in->attrs;
  /* authorizer.requestResource is the request's own resource. */
  json_object *authz = cp_cel_authorizer_for_request(
      a->group, a->resource, a->subresource, a->ns, a->name);
  struct cp_cel_binding vars[] = {
      {"object", a->object, 0},
      {"oldObject", a->old_object, 0},
      {"request", e->in->request, 0},
      {"namespaceObject", e->ns_object, 0},
      {"params", param, 0},
      {"authorizer", authz, 0},
  };
  struct cp_cel_lazy lazy[64];
  struct cp_cel_session *s;
  size_t i, n = 0;

  for (i = 0; i < p->n_variables && n < sizeof lazy / sizeof lazy[0]; i++)
    if (p->variables[i].prog != NULL)
      lazy[n++] = (struct cp_cel_lazy){p->variables[i].name,
                                       p->variables[i].prog};
  if (authz == NULL ||
      (s = cp_cel_session_new(vars, sizeof vars / sizeof vars[0], lazy, n,
                              CP_CEL_CRD_BUDGET)) == NULL) {
    json_object_put(authz);
    e->oom = 1;
    return;
  }
  cp_cel_session_authorizer(s, e->in->authorize, e->in->authorize_arg);
  if (conditions(e, s, p, b) == 1) {
    validations(e, s, p, b);
    audits(e, s, p, b);
  }
  cp_cel_session_free(s);
  json_object_put(authz);
}

static void run_binding(struct ev *e, const struct cp_vap_binding *b) {
  const struct cp_vap_policy *p = b->policy;
  const struct cp_webhook_attrs *a = e->in->attrs;
  json_object *params = NULL;
  char *err = NULL;
  size_t i;

  /* The namespace is read for a selector that needs its labels, and
   * once a binding applies (namespaceObject). */
  if (cp_vap_needs_ns_labels(p->match, a))
    namespace_ready(e);
  if (!cp_vap_matches(p->match, a, e->ns_labels))
    return;
  if (cp_vap_needs_ns_labels(b->match, a))
    namespace_ready(e);
  if (b->match != NULL && !cp_vap_matches(b->match, a, e->ns_labels))
    return;
  namespace_ready(e);
  if (p->param_kind == NULL) {
    run_param(e, p, b, NULL);
    return;
  }
  if (!b->has_param_ref) {
    config_error(e, p, b, "paramRef is required when paramKind is set");
    return;
  }
  if (e->in->params == NULL) {
    if (asprintf(&err, "failed to find resource referenced by paramKind: "
                 "'%s%s%s, Kind=%s'", p->param_group,
                 p->param_group[0] ? "/" : "", p->param_version,
                 p->param_kind) < 0)
      err = NULL;
  } else if (e->in->params(e->in->params_arg, p, b, a->ns, &params, &err) ==
             0) {
    size_t n = json_object_array_length(params);

    if (n == 0 && !b->param_not_found_allow)
      config_error(e, p, b, "no params found for policy binding with "
                            "`Deny` parameterNotFoundAction");
    for (i = 0; i < n; i++)
      run_param(e, p, b, json_object_array_get_idx(params, i));
    json_object_put(params);
    return;
  }
  config_error(e, p, b, err ? err : "out of memory");
  free(err);
}

int cp_vap_evaluate(const struct cp_vap_snapshot *snap,
                    const struct cp_vap_input *in,
                    struct cp_vap_outcome *out) {
  struct ev e;
  size_t i;

  memset(&e, 0, sizeof e);
  e.in = in;
  e.out = out;
  memset(out, 0, sizeof *out);
  for (i = 0; i < snap->n_bindings && !e.oom; i++)
    if (snap->bindings[i].policy != NULL)
      run_binding(&e, &snap->bindings[i]);
  if (e.ns_owned)
    json_object_put(e.ns_object);
  return e.oom ? -1 : 0;
}

void cp_vap_outcome_clear(struct cp_vap_outcome *out) {
  free(out->reason);
  free(out->message);
  json_object_put(out->warnings);
  json_object_put(out->audit);
  memset(out, 0, sizeof *out);
}

/* ------------------------------------------------------------ request */

static json_object *gvk(const char *g, const char *v, const char *kkey,
                        const char *k) {
  json_object *o = json_object_new_object();

  if (o == NULL)
    return NULL;
  json_object_object_add(o, "group", json_object_new_string(g));
  json_object_object_add(o, "version", json_object_new_string(v));
  json_object_object_add(o, kkey, json_object_new_string(k));
  return o;
}

json_object *cp_vap_request_object(const struct cp_webhook_attrs *a,
                                   const char *user, const char *uid,
                                   char *const *groups, size_t n_groups,
                                   int dry_run, json_object *options) {
  json_object *r = json_object_new_object(), *ui, *gs;
  /* A /scale write's kind is autoscaling/v1 Scale. */
  const char *kg = a->kind_group ? a->kind_group : a->group;
  const char *kv = a->kind_version ? a->kind_version : a->version;
  size_t i;

  if (r == NULL)
    return NULL;
  json_object_object_add(r, "kind", gvk(kg, kv, "kind", a->kind));
  json_object_object_add(r, "resource", gvk(a->group, a->version,
                                            "resource", a->resource));
  if (a->subresource[0] != '\0')
    json_object_object_add(r, "subResource",
                           json_object_new_string(a->subresource));
  json_object_object_add(r, "requestKind", gvk(kg, kv, "kind", a->kind));
  json_object_object_add(r, "requestResource",
                         gvk(a->group, a->version, "resource", a->resource));
  if (a->subresource[0] != '\0')
    json_object_object_add(r, "requestSubResource",
                           json_object_new_string(a->subresource));
  json_object_object_add(r, "name", json_object_new_string(a->name));
  json_object_object_add(r, "namespace", json_object_new_string(a->ns));
  json_object_object_add(r, "operation", json_object_new_string(a->operation));
  ui = json_object_new_object();
  gs = json_object_new_array();
  if (ui == NULL || gs == NULL) {
    json_object_put(ui);
    json_object_put(gs);
    json_object_put(r);
    return NULL;
  }
  json_object_object_add(ui, "username", json_object_new_string(user ? user
                                                                      : ""));
  if (uid != NULL && uid[0] != '\0')
    json_object_object_add(ui, "uid", json_object_new_string(uid));
  for (i = 0; i < n_groups; i++)
    json_object_array_add(gs, json_object_new_string(groups[i]));
  json_object_object_add(ui, "groups", gs);
  json_object_object_add(r, "userInfo", ui);
  json_object_object_add(r, "dryRun", json_object_new_boolean(dry_run));
  if (options != NULL)
    json_object_object_add(r, "options", json_object_get(options));
  return r;
}
