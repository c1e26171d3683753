/*
 * match_conditions - matchConditions validated, compiled and evaluated
 * (match_conditions.h).
 */
#include "apiserver/match_conditions.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"
#include "cel/cel.h"
#include "labels/names.h"

const char *const cp_match_conditions_webhook_vars[] = {
    "object", "oldObject", "request", "namespaceObject", "authorizer", NULL};

/* s without leading and trailing white space (kube's strings.TrimSpace);
 * NULL out of memory. */
static char *trim(const char *s) {
  size_t n;

  s += strspn(s, " \t\r\n\v\f");
  n = strlen(s);
  while (n > 0 && strchr(" \t\r\n\v\f", s[n - 1]) != NULL)
    n--;
  return strndup(s, n);
}

/* validateMatchConditionsExpression: compiles, and the result is a bool
 * (kube's compiler: "must evaluate to bool"). */
static void validate_expression(const char *expr, const char *const *vars,
                                const char *at, size_t i,
                                struct cp_field_errors *errs) {
  struct cp_cel_program *prog;
  char *cerr = NULL, *detail = NULL, f[160];
  int rc;

  snprintf(f, sizeof f, "%s[%zu].expression", at, i);
  if ((prog = cp_cel_compile(expr, vars, &cerr)) != NULL &&
      (rc = cp_cel_check(prog, NULL, 0, "bool", &cerr)) >= 0) {
    if (rc > 0)
      cp_field_invalid_str(errs, f, expr, "must evaluate to bool");
    goto out;
  }
  if (asprintf(&detail, "compilation failed: %s",
               cerr ? cerr : "out of memory") < 0)
    detail = NULL;
  cp_field_invalid_str(errs, f, expr, detail ? detail : "out of memory");
out:
  free(detail);
  free(cerr);
  cp_cel_program_free(prog);
}

/* validateMatchCondition: the expression, then the name. */
static void validate_one(json_object *c, const char *at, size_t i,
                         const char *const *vars,
                         struct cp_field_errors *errs) {
  const char *name = cp_plat_str0(c, "name"), *why;
  char *expr = trim(cp_plat_str0(c, "expression")), f[160];

  if (vars != NULL && expr != NULL && expr[0] == '\0')
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                         "%s[%zu].expression", at, i);
  else if (vars != NULL && expr != NULL)
    validate_expression(expr, vars, at, i, errs);
  free(expr);
  snprintf(f, sizeof f, "%s[%zu].name", at, i);
  if (name[0] == '\0')
    cp_field_required(errs, f, NULL);
  else if ((why = cp_name_qualified_error(name)) != NULL)
    cp_field_invalid_str(errs, f, name, why);
}

void cp_match_conditions_validate(json_object *a, const char *at,
                                  const char *const *vars,
                                  struct cp_field_errors *errs) {
  size_t i, j, n = a != NULL ? json_object_array_length(a) : 0;

  if (n > CP_MATCH_CONDITIONS_MAX) {
    char cnt[32], detail[64];

    snprintf(cnt, sizeof cnt, "%zu", n);
    snprintf(detail, sizeof detail, "must have at most %d items",
             CP_MATCH_CONDITIONS_MAX);
    cp_field_errors_add(errs, CP_FIELD_TOO_MANY, at, cnt, detail);
  }
  for (i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(a, i);
    const char *name = cp_plat_str0(c, "name");

    validate_one(c, at, i, vars, errs);
    for (j = 0; j < i && name[0] != '\0'; j++)
      if (strcmp(cp_plat_str0(json_object_array_get_idx(a, j), "name"),
                 name) == 0) {
        char *q = cp_plat_go_value(json_object_object_get(c, "name"));

        cp_field_errors_addf(errs, CP_FIELD_DUPLICATE, q ? q : "", NULL,
                             "%s[%zu].name", at, i);
        free(q);
        break;
      }
  }
}

void cp_named_exprs_free(struct cp_named_expr *v, size_t n) {
  size_t i;

  for (i = 0; v != NULL && i < n; i++) {
    free(v[i].name);
    free(v[i].expression);
    cp_cel_program_free(v[i].prog);
  }
  free(v);
}

int cp_match_conditions_compile(json_object *a, const char *const *vars,
                                struct cp_named_expr **out, size_t *n,
                                char **compile_error) {
  size_t i, len = a != NULL ? json_object_array_length(a) : 0;

  *out = NULL;
  *n = 0;
  if (len == 0)
    return 0;
  if (len > CP_MATCH_CONDITIONS_MAX)
    len = CP_MATCH_CONDITIONS_MAX;
  if ((*out = calloc(len, sizeof **out)) == NULL)
    return -1;
  for (i = 0; i < len; i++) {
    json_object *c = json_object_array_get_idx(a, i);
    struct cp_named_expr *e = &(*out)[(*n)++];
    char *cerr = NULL;

    e->name = strdup(cp_plat_str0(c, "name"));
    e->expression = trim(cp_plat_str0(c, "expression"));
    if (e->name == NULL || e->expression == NULL)
      goto oom;
    e->prog = cp_cel_compile(e->expression, vars, &cerr);
    if (e->prog == NULL && compile_error != NULL && *compile_error == NULL &&
        asprintf(compile_error, "compilation failed: %s",
                 cerr ? cerr : "out of memory") < 0)
      *compile_error = NULL;
    free(cerr);
  }
  return 0;
oom:
  cp_named_exprs_free(*out, *n);
  *out = NULL;
  *n = 0;
  return -1;
}

/* Appends msg to the aggregate (kube's utilerrors.NewAggregate: distinct
 * messages; one prints bare, several as "[a, b]"). */
static int aggregate(char **agg, size_t *count, const char *msg) {
  char *next = NULL;

  if (*agg != NULL && strstr(*agg, msg) != NULL)
    return 0;
  if (*agg == NULL)
    next = strdup(msg);
  else if (asprintf(&next, "%s, %s", *agg, msg) < 0)
    next = NULL;
  free(*agg);
  *agg = next;
  (*count)++;
  return next != NULL ? 0 : -1;
}

int cp_match_conditions_eval(struct cp_cel_session *s,
                             const struct cp_named_expr *c, size_t n,
                             int fail_open, const char *compile_error,
                             char **err) {
  char *agg = NULL;
  size_t i, errors = 0;
  int oom = 0;

  *err = NULL;
  for (i = 0; i < n; i++) {
    char *e = NULL, *m = NULL;
    int r = c[i].prog != NULL ? cp_cel_session_bool(s, c[i].prog, &e) : -1;

    if (r == 0) {
      free(e);
      free(agg);
      return 0;
    }
    if (r < 0 &&
        (asprintf(&m, "expression '%s' resulted in error: %s",
                  c[i].expression,
                  e ? e : compile_error ? compile_error
                                        : "compilation failed") < 0 ||
         aggregate(&agg, &errors, m) < 0))
      oom = 1;
    free(m);
    free(e);
  }
  if (errors == 0 && !oom)
    return 1;
  if (fail_open) {
    free(agg);
    return 0;
  }
  if (oom || errors < 2) {
    *err = oom ? NULL : agg;
    if (oom)
      free(agg);
    return -1;
  }
  if (asprintf(err, "[%s]", agg) < 0)
    *err = NULL;
  free(agg);
  return -1;
}
