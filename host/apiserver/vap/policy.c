/*
 * policy - a ValidatingAdmissionPolicy compiled (policy.h).
 */
#include "apiserver/vap/policy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"
#include "cel/cel.h"

/* kube's OptionalVariableDeclarations: params only with a paramKind,
 * authorizer everywhere but in messageExpression, variables outside
 * matchConditions. */
static const char *const vars_params[] = {
    "object", "oldObject", "request", "namespaceObject", "authorizer",
    "variables", "params", NULL};
static const char *const vars_plain[] = {
    "object", "oldObject", "request", "namespaceObject", "authorizer",
    "variables", NULL};
static const char *const msg_params[] = {
    "object", "oldObject", "request", "namespaceObject", "variables",
    "params", NULL};
static const char *const msg_plain[] = {
    "object", "oldObject", "request", "namespaceObject", "variables", NULL};
static const char *const cond_params[] = {
    "object", "oldObject", "request", "namespaceObject", "authorizer",
    "params", NULL};
static const char *const cond_plain[] = {
    "object", "oldObject", "request", "namespaceObject", "authorizer", NULL};

int cp_vap_reason_code(const char *r) {
  if (r == NULL)
    return 0;
  if (strcmp(r, "Unauthorized") == 0)
    return 401;
  if (strcmp(r, "Forbidden") == 0)
    return 403;
  if (strcmp(r, "Invalid") == 0)
    return 422;
  if (strcmp(r, "RequestEntityTooLarge") == 0)
    return 413;
  return 0;
}

static int blank(const char *s) {
  return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

/* Compiles src for field path at; NULL when it does not compile (the
 * error noted) or is blank. */
static struct cp_cel_program *compile(struct cp_vap_policy *p,
                                      const char *src,
                                      const char *const *vars,
                                      const char *at, const char *required,
                                      struct cp_field_errors *errs) {
  struct cp_cel_program *prog;
  char *cerr = NULL, *detail = NULL, *full = NULL;

  if (blank(src)) {
    if (errs != NULL)
      cp_field_required(errs, at, required);
    if (p->compile_error == NULL &&
        asprintf(&p->compile_error, "%s: Required value", at) < 0)
      p->compile_error = NULL;
    return NULL;
  }
  if ((prog = cp_cel_compile(src, vars, &cerr)) != NULL)
    return prog;
  if (asprintf(&detail, "compilation failed: %s",
               cerr ? cerr : "out of memory") < 0)
    detail = NULL;
  if (errs != NULL)
    cp_field_invalid_str(errs, at, src, detail ? detail : "out of memory");
  if (p->compile_error == NULL &&
      asprintf(&full, "%s: Invalid value: %s", at,
               detail ? detail : "out of memory") >= 0)
    p->compile_error = full;
  free(detail);
  free(cerr);
  return NULL;
}

/* Reads a list of {name|key, expression|valueExpression}. */
static int named_list(struct cp_vap_policy *p, json_object *spec,
                      const char *list, const char *name_key,
                      const char *expr_key, const char *const *vars,
                      struct cp_named_expr **out, size_t *n,
                      struct cp_field_errors *errs) {
  json_object *a = cp_plat_get(spec, list, json_type_array);
  size_t i, len = a != NULL ? json_object_array_length(a) : 0;
  char at[128];

  if (len == 0)
    return 0;
  if ((*out = calloc(len, sizeof **out)) == NULL)
    return -1;
  for (i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    struct cp_named_expr *v = &(*out)[*n];

    v->name = strdup(cp_plat_str0(e, name_key));
    v->expression = strdup(cp_plat_str0(e, expr_key));
    (*n)++;
    if (v->name == NULL || v->expression == NULL)
      return -1;
    snprintf(at, sizeof at, "spec.%s[%zu].%s", list, i, expr_key);
    v->prog = compile(p, v->expression, vars, at,
                      strcmp(list, "variables") == 0
                          ? "expression is not specified"
                          : strcmp(list, "auditAnnotations") == 0
                                ? "valueExpression is not specified"
                                : NULL,
                      errs);
  }
  return 0;
}

static int validations(struct cp_vap_policy *p, json_object *spec,
                       int params, struct cp_field_errors *errs) {
  json_object *a = cp_plat_get(spec, "validations", json_type_array);
  size_t i, len = a != NULL ? json_object_array_length(a) : 0;
  char at[128];

  if (len == 0)
    return 0;
  if ((p->validations = calloc(len, sizeof *p->validations)) == NULL)
    return -1;
  for (i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    struct cp_vap_validation *v = &p->validations[p->n_validations++];
    const char *msg = cp_plat_str(e, "message");
    const char *mexp = cp_plat_str(e, "messageExpression");
    const char *reason = cp_plat_str(e, "reason");

    if ((v->expression = strdup(cp_plat_str0(e, "expression"))) == NULL ||
        (msg != NULL && (v->message = strdup(msg)) == NULL))
      return -1;
    snprintf(at, sizeof at, "spec.validations[%zu].expression", i);
    v->prog = compile(p, v->expression, params ? vars_params : vars_plain,
                      at, "expression is not specified", errs);
    if (mexp != NULL && !blank(mexp)) {
      snprintf(at, sizeof at, "spec.validations[%zu].messageExpression", i);
      v->msg_prog = compile(p, mexp, params ? msg_params : msg_plain, at,
                            NULL, errs);
    }
    /* The reason as a static string: the policy's JSON is not kept. */
    v->code = cp_vap_reason_code(reason);
    v->reason = v->code == 401   ? "Unauthorized"
                : v->code == 403 ? "Forbidden"
                : v->code == 413 ? "RequestEntityTooLarge"
                : v->code == 422 ? "Invalid"
                                 : NULL;
    if (v->code == 0)
      v->code = 422;
  }
  return 0;
}

/* paramKind's apiVersion split into group and version. */
static int param_kind(struct cp_vap_policy *p, json_object *spec) {
  json_object *pk = cp_plat_get(spec, "paramKind", json_type_object);
  const char *av = cp_plat_str0(pk, "apiVersion"), *slash;

  if (pk == NULL)
    return 0;
  slash = strchr(av, '/');
  p->param_group = slash ? strndup(av, (size_t)(slash - av)) : strdup("");
  p->param_version = strdup(slash ? slash + 1 : av);
  p->param_kind = strdup(cp_plat_str0(pk, "kind"));
  return p->param_group && p->param_version && p->param_kind ? 0 : -1;
}

int cp_vap_policy_parse(json_object *obj, struct cp_vap_policy *out,
                        struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  const char *fp = cp_plat_str(spec, "failurePolicy");
  int params;

  memset(out, 0, sizeof *out);
  if ((out->name = strdup(cp_plat_str0(md, "name"))) == NULL)
    goto fail;
  out->fail_open = fp != NULL && strcmp(fp, "Ignore") == 0;
  out->match = json_object_get(
      cp_plat_get(spec, "matchConstraints", json_type_object));
  if (param_kind(out, spec) < 0)
    goto fail;
  params = out->param_kind != NULL;
  if (named_list(out, spec, "matchConditions", "name", "expression",
                 params ? cond_params : cond_plain, &out->conditions,
                 &out->n_conditions, errs) < 0 ||
      named_list(out, spec, "variables", "name", "expression",
                 params ? vars_params : vars_plain, &out->variables,
                 &out->n_variables, errs) < 0 ||
      validations(out, spec, params, errs) < 0 ||
      named_list(out, spec, "auditAnnotations", "key", "valueExpression",
                 params ? vars_params : vars_plain, &out->audits,
                 &out->n_audits, errs) < 0)
    goto fail;
  return 0;
fail:
  cp_vap_policy_clear(out);
  return -1;
}

void cp_vap_policy_clear(struct cp_vap_policy *p) {
  size_t i;

  free(p->name);
  free(p->param_group);
  free(p->param_version);
  free(p->param_kind);
  json_object_put(p->match);
  cp_named_exprs_free(p->conditions, p->n_conditions);
  cp_named_exprs_free(p->variables, p->n_variables);
  cp_named_exprs_free(p->audits, p->n_audits);
  for (i = 0; i < p->n_validations; i++) {
    free(p->validations[i].expression);
    free(p->validations[i].message);
    cp_cel_program_free(p->validations[i].prog);
    cp_cel_program_free(p->validations[i].msg_prog);
  }
  free(p->validations);
  free(p->compile_error);
  memset(p, 0, sizeof *p);
}
