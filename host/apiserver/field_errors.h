/*
 * field_errors - a list of validation failures, as kube's field.ErrorList,
 * and the 422 Invalid Status it becomes:
 *
 *   Service "web" is invalid: [spec.ports[0].port: Invalid value: 0:
 *   must be between 1 and 65535, inclusive, spec.selector: Required value]
 *
 * with one details.causes entry per error ({reason: FieldValueInvalid,
 * message: "Invalid value: 0: must be between 1 and 65535, inclusive",
 * field: "spec.ports[0].port"}). One error prints without the brackets,
 * as kube's aggregate does. Validation code adds every error it finds, it
 * does not stop at the first.
 *
 * The message of each type is kube's (apimachinery field/errors.go):
 *   Required      "Required value" [": " detail]
 *   Invalid       "Invalid value: " value [": " detail]
 *   NotSupported  "Unsupported value: " value [": supported values: "
 *                 "\"a\", \"b\""]
 *   Duplicate     "Duplicate value: " value
 *   Forbidden     "Forbidden: " detail
 *   TooLong       "Too long: " detail
 *   TooMany       "Too many: " value ": " detail
 *   NotFound      "Not found: " value
 * A value is given already rendered as kube prints it: a string quoted
 * ("\"abc\""), a number or boolean bare ("0", "true"); the _str and _int
 * helpers render for you.
 *
 * Threading: a list belongs to one thread.
 * Ownership: the list copies every string it is given;
 * cp_field_errors_clear frees them. Adding never fails: when out of
 * memory the list remembers that and the Status becomes a 500.
 */
#ifndef CPLANE_HOST_APISERVER_FIELD_ERRORS_H
#define CPLANE_HOST_APISERVER_FIELD_ERRORS_H

#include <stddef.h>

#include "apiserver/request.h"
#include "apiserver/resources.h"

enum cp_field_error_type {
  CP_FIELD_REQUIRED,      /* FieldValueRequired */
  CP_FIELD_INVALID,       /* FieldValueInvalid */
  CP_FIELD_NOT_SUPPORTED, /* FieldValueNotSupported */
  CP_FIELD_DUPLICATE,     /* FieldValueDuplicate */
  CP_FIELD_FORBIDDEN,     /* FieldValueForbidden */
  CP_FIELD_TOO_LONG,      /* FieldValueTooLong */
  CP_FIELD_TOO_MANY,      /* FieldValueTooMany */
  CP_FIELD_NOT_FOUND      /* FieldValueNotFound */
};

struct cp_field_error {
  enum cp_field_error_type type;
  char *field;   /* "spec.ports[0].port" */
  char *message; /* the cause's message: "Invalid value: 0: must be..." */
};

struct cp_field_errors {
  struct cp_field_error *v;
  size_t n, cap;
  int oom;
};

#define CP_FIELD_ERRORS_INIT {NULL, 0, 0, 0}

/* Adds one error. value: rendered (see above), NULL when the type takes
 * none; detail may be NULL. For NotSupported, detail is the list of
 * supported values already rendered ("\"a\", \"b\""), or NULL. */
void cp_field_errors_add(struct cp_field_errors *e,
                         enum cp_field_error_type type, const char *field,
                         const char *value, const char *detail);
/* The same with a printf-style field path. */
void cp_field_errors_addf(struct cp_field_errors *e,
                          enum cp_field_error_type type, const char *value,
                          const char *detail, const char *field_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Shorthands. */
void cp_field_required(struct cp_field_errors *e, const char *field,
                       const char *detail);
void cp_field_invalid_str(struct cp_field_errors *e, const char *field,
                          const char *value, const char *detail);
void cp_field_invalid_int(struct cp_field_errors *e, const char *field,
                          long long value, const char *detail);
void cp_field_forbidden(struct cp_field_errors *e, const char *field,
                        const char *detail);
/* supported: NULL-terminated list of the allowed values (quoted here). */
void cp_field_not_supported(struct cp_field_errors *e, const char *field,
                            const char *value,
                            const char *const *supported);

/* Nonzero when the list holds an error (or ran out of memory). */
int cp_field_errors_any(const struct cp_field_errors *e);

/* Sets rs to the 422 Invalid Status about object `name` of type t (its
 * Kind and group in details), or 500 when out of memory. */
void cp_field_errors_respond(const struct cp_field_errors *e,
                             const struct cp_resource_type *t,
                             const char *name, struct cp_api_response *rs);

void cp_field_errors_clear(struct cp_field_errors *e);

#endif /* CPLANE_HOST_APISERVER_FIELD_ERRORS_H */
