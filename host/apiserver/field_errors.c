/*
 * field_errors - see field_errors.h.
 */
#include "apiserver/field_errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/status.h"

static const char *const type_text[] = {
    [CP_FIELD_REQUIRED] = "Required value",
    [CP_FIELD_INVALID] = "Invalid value",
    [CP_FIELD_NOT_SUPPORTED] = "Unsupported value",
    [CP_FIELD_DUPLICATE] = "Duplicate value",
    [CP_FIELD_FORBIDDEN] = "Forbidden",
    [CP_FIELD_TOO_LONG] = "Too long",
    [CP_FIELD_TOO_MANY] = "Too many",
    [CP_FIELD_NOT_FOUND] = "Not found",
};

static const char *const type_reason[] = {
    [CP_FIELD_REQUIRED] = "FieldValueRequired",
    [CP_FIELD_INVALID] = "FieldValueInvalid",
    [CP_FIELD_NOT_SUPPORTED] = "FieldValueNotSupported",
    [CP_FIELD_DUPLICATE] = "FieldValueDuplicate",
    [CP_FIELD_FORBIDDEN] = "FieldValueForbidden",
    [CP_FIELD_TOO_LONG] = "FieldValueTooLong",
    [CP_FIELD_TOO_MANY] = "FieldValueTooMany",
    [CP_FIELD_NOT_FOUND] = "FieldValueNotFound",
};

/* kube's ErrorBody: the type, then ": value" for the types that show
 * one, then ": detail". NotSupported's detail is its list. */
static char *message_of(enum cp_field_error_type type, const char *value,
                        const char *detail) {
  char *m = NULL;
  int shows_value = value != NULL && type != CP_FIELD_REQUIRED &&
                    type != CP_FIELD_FORBIDDEN && type != CP_FIELD_TOO_LONG;
  const char *sep = detail != NULL && detail[0] != '\0'
                        ? (type == CP_FIELD_NOT_SUPPORTED
                               ? ": supported values: "
                               : ": ")
                        : "";

  if (asprintf(&m, "%s%s%s%s%s", type_text[type], shows_value ? ": " : "",
               shows_value ? value : "", sep, sep[0] ? detail : "") < 0)
    return NULL;
  return m;
}

void cp_field_errors_add(struct cp_field_errors *e,
                         enum cp_field_error_type type, const char *field,
                         const char *value, const char *detail) {
  struct cp_field_error *fe;

  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 4;
    struct cp_field_error *v = realloc(e->v, cap * sizeof *v);

    if (v == NULL) {
      e->oom = 1;
      return;
    }
    e->v = v;
    e->cap = cap;
  }
  fe = &e->v[e->n];
  fe->type = type;
  fe->field = strdup(field != NULL ? field : "");
  fe->message = message_of(type, value, detail);
  if (fe->field == NULL || fe->message == NULL) {
    free(fe->field);
    free(fe->message);
    e->oom = 1;
    return;
  }
  e->n++;
}

void cp_field_errors_addf(struct cp_field_errors *e,
                          enum cp_field_error_type type, const char *value,
                          const char *detail, const char *field_fmt, ...) {
  char *field = NULL;
  va_list ap;
  int n;

  va_start(ap, field_fmt);
  n = vasprintf(&field, field_fmt, ap);
  va_end(ap);
  if (n < 0) {
    e->oom = 1;
    return;
  }
  cp_field_errors_add(e, type, field, value, detail);
  free(field);
}

void cp_field_required(struct cp_field_errors *e, const char *field,
                       const char *detail) {
  cp_field_errors_add(e, CP_FIELD_REQUIRED, field, NULL, detail);
}

/* A Go %q of a string: quotes, with \ and " escaped. */
static char *quoted(const char *s) {
  size_t n = strlen(s), i, j = 0;
  char *q = malloc(2 * n + 3);

  if (q == NULL)
    return NULL;
  q[j++] = '"';
  for (i = 0; i < n; i++) {
    if (s[i] == '"' || s[i] == '\\')
      q[j++] = '\\';
    q[j++] = s[i];
  }
  q[j++] = '"';
  q[j] = '\0';
  return q;
}

void cp_field_invalid_str(struct cp_field_errors *e, const char *field,
                          const char *value, const char *detail) {
  char *q = quoted(value != NULL ? value : "");

  if (q == NULL) {
    e->oom = 1;
    return;
  }
  cp_field_errors_add(e, CP_FIELD_INVALID, field, q, detail);
  free(q);
}

void cp_field_invalid_int(struct cp_field_errors *e, const char *field,
                          long long value, const char *detail) {
  char v[32];

  snprintf(v, sizeof v, "%lld", value);
  cp_field_errors_add(e, CP_FIELD_INVALID, field, v, detail);
}

void cp_field_forbidden(struct cp_field_errors *e, const char *field,
                        const char *detail) {
  cp_field_errors_add(e, CP_FIELD_FORBIDDEN, field, NULL, detail);
}

void cp_field_not_supported(struct cp_field_errors *e, const char *field,
                            const char *value,
                            const char *const *supported) {
  char *q = quoted(value != NULL ? value : ""), *list = NULL;
  size_t len = 1, i;

  for (i = 0; supported != NULL && supported[i] != NULL; i++)
    len += 2 * strlen(supported[i]) + 4;
  list = malloc(len);
  if (q == NULL || list == NULL) {
    free(q);
    free(list);
    e->oom = 1;
    return;
  }
  list[0] = '\0';
  for (i = 0; supported != NULL && supported[i] != NULL; i++) {
    char *s = quoted(supported[i]);

    if (s == NULL) {
      e->oom = 1;
      break;
    }
    if (i > 0)
      strcat(list, ", ");
    strcat(list, s);
    free(s);
  }
  cp_field_errors_add(e, CP_FIELD_NOT_SUPPORTED, field, q,
                      list[0] ? list : NULL);
  free(q);
  free(list);
}

int cp_field_errors_any(const struct cp_field_errors *e) {
  return e->n > 0 || e->oom;
}

/* kube's aggregate: "a: x" alone, "[a: x, b: y]" for several. */
static char *aggregate(const struct cp_field_errors *e) {
  size_t len = 3, i;
  char *s;

  for (i = 0; i < e->n; i++)
    len += strlen(e->v[i].field) + strlen(e->v[i].message) + 4;
  if ((s = malloc(len)) == NULL)
    return NULL;
  s[0] = '\0';
  if (e->n > 1)
    strcat(s, "[");
  for (i = 0; i < e->n; i++) {
    if (i > 0)
      strcat(s, ", ");
    if (e->v[i].field[0] != '\0') {
      strcat(s, e->v[i].field);
      strcat(s, ": ");
    }
    strcat(s, e->v[i].message);
  }
  if (e->n > 1)
    strcat(s, "]");
  return s;
}

void cp_field_errors_respond(const struct cp_field_errors *e,
                             const struct cp_resource_type *t,
                             const char *name, struct cp_api_response *rs) {
  struct cp_status_cause *causes = NULL;
  struct cp_status_details d = {.name = name, .kind = t->kind};
  char *agg = NULL, *msg = NULL;
  size_t i;

  if (e->oom || e->n == 0)
    goto out;
  causes = calloc(e->n, sizeof *causes);
  agg = aggregate(e);
  if (causes == NULL || agg == NULL)
    goto out;
  for (i = 0; i < e->n; i++) {
    causes[i].reason = type_reason[e->v[i].type];
    causes[i].message = e->v[i].message;
    causes[i].field = e->v[i].field;
  }
  d.causes = causes;
  d.n_causes = e->n;
  d.group = t->group[0] != '\0' ? t->group : NULL;
  /* kube names the kind qualified by its group (errors.NewInvalid's
   * qualifiedKind): RoleBinding.rbac.authorization.k8s.io "x". */
  if (asprintf(&msg, "%s%s%s \"%s\" is invalid: %s", t->kind,
               d.group != NULL ? "." : "", d.group != NULL ? d.group : "",
               name != NULL ? name : "", agg) < 0)
    msg = NULL;
out:
  cp_api_respond_status(rs, 422,
                        msg != NULL ? cp_status_failure(422, NULL, msg, &d)
                                    : NULL);
  free(msg);
  free(agg);
  free(causes);
}

void cp_field_errors_clear(struct cp_field_errors *e) {
  size_t i;

  for (i = 0; i < e->n; i++) {
    free(e->v[i].field);
    free(e->v[i].message);
  }
  free(e->v);
  e->v = NULL;
  e->n = e->cap = 0;
  e->oom = 0;
}
