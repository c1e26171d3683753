/*
 * validatingadmissionpolicies - admissionregistration.k8s.io/v1
 * ValidatingAdmissionPolicy, as kube's pkg/registry/admissionregistration/
 * validatingadmissionpolicy and its validation: every expression compiled
 * when the policy is written (one that does not compile is 422 with the
 * compiler's words), the status split (/status), and status
 * observedGeneration and typeChecking written with the spec, as kube's
 * type-checking controller writes them moments later (cplane has no
 * static type checker, so typeChecking has no warnings). Admission by
 * the policies is host/apiserver/vap/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/match_conditions.h"
#include "apiserver/strategy/admission_policies.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "apiserver/vap/policy.h"

static const char *const categories[] = {"api-extensions", NULL};

/* What kube's type-checking controller records for this generation. */
static void observe(json_object *obj) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  json_object *st = json_object_new_object();
  long long gen = 1;

  if (st == NULL)
    return;
  cp_plat_int(md, "generation", &gen);
  json_object_object_add(st, "observedGeneration",
                         json_object_new_int64(gen));
  json_object_object_add(st, "typeChecking", json_object_new_object());
  json_object_object_add(obj, "status", st);
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  (void)w;
  cp_match_resources_defaults(cp_plat_get(
      cp_plat_get(obj, "spec", json_type_object), "matchConstraints",
      json_type_object));
  observe(obj);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)old;
  if (w->subresource != NULL)
    return;
  cp_match_resources_defaults(cp_plat_get(
      cp_plat_get(obj, "spec", json_type_object), "matchConstraints",
      json_type_object));
  observe(obj);
}

/* kube's isCELIdentifier. */
static int cel_identifier(const char *s) {
  static const char *const reserved[] = {
      "true", "false", "null", "in", "as", "break", "const", "continue",
      "else", "for", "function", "if", "import", "let", "loop", "package",
      "namespace", "return", "var", "void", "while", NULL};
  size_t i;

  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
        s[0] == '_'))
    return 0;
  for (i = 1; s[i] != '\0'; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return 0;
  for (i = 0; reserved[i] != NULL; i++)
    if (strcmp(reserved[i], s) == 0)
      return 0;
  return 1;
}

static void validate_param_kind(json_object *pk,
                                struct cp_field_errors *errs) {
  if (pk == NULL)
    return;
  if (cp_plat_str0(pk, "apiVersion")[0] == '\0')
    cp_field_required(errs, "spec.paramKind.apiVersion", NULL);
  if (cp_plat_str0(pk, "kind")[0] == '\0')
    cp_field_required(errs, "spec.paramKind.kind", NULL);
}

/* A Duplicate error at "spec.<list>[i].<key>" when the i-th element's
 * key equals an earlier one's (empty ones are not compared). */
static void unique_key(json_object *a, size_t i, const char *list,
                       const char *key, struct cp_field_errors *errs) {
  const char *v = cp_plat_str0(json_object_array_get_idx(a, i), key);
  size_t j;

  for (j = 0; j < i && v[0] != '\0'; j++)
    if (strcmp(cp_plat_str0(json_object_array_get_idx(a, j), key), v) == 0) {
      char *q = cp_plat_go_value(
          json_object_object_get(json_object_array_get_idx(a, i), key));

      cp_field_errors_addf(errs, CP_FIELD_DUPLICATE, q ? q : "", NULL,
                           "spec.%s[%zu].%s", list, i, key);
      free(q);
      return;
    }
}

/* Names only: the expressions are compiled by vap/policy.c. */
static void validate_conditions(json_object *spec,
                                struct cp_field_errors *errs) {
  cp_match_conditions_validate(
      cp_plat_get(spec, "matchConditions", json_type_array),
      "spec.matchConditions", NULL, errs);
}

static void validate_variables(json_object *spec,
                               struct cp_field_errors *errs) {
  json_object *a = cp_plat_get(spec, "variables", json_type_array);
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    const char *name = cp_plat_str0(json_object_array_get_idx(a, i), "name");
    char f[64];

    snprintf(f, sizeof f, "spec.variables[%zu].name", i);
    if (name[strspn(name, " \t\r\n")] == '\0')
      cp_field_required(errs, f, "name is not specified");
    else if (!cel_identifier(name))
      cp_field_invalid_str(errs, f, name, "name is not a valid CEL "
                                          "identifier");
  }
}

static void validate_validations(json_object *spec,
                                 struct cp_field_errors *errs) {
  static const char *const reasons[] = {"Forbidden", "Invalid",
                                        "RequestEntityTooLarge",
                                        "Unauthorized", NULL};
  json_object *a = cp_plat_get(spec, "validations", json_type_array);
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    json_object *v = json_object_array_get_idx(a, i);
    const char *msg = cp_plat_str(v, "message");
    const char *reason = cp_plat_str(v, "reason");
    char f[64];

    snprintf(f, sizeof f, "spec.validations[%zu].message", i);
    if (msg != NULL && msg[0] != '\0' &&
        msg[strspn(msg, " \t\r\n")] == '\0')
      cp_field_invalid_str(errs, f, msg, "message must be non-empty if "
                                         "specified");
    else if (msg != NULL && strpbrk(msg, "\r\n") != NULL &&
             msg[strspn(msg, " \t\r\n")] != '\0')
      cp_field_invalid_str(errs, f, msg, "message must not contain line "
                                         "breaks");
    snprintf(f, sizeof f, "spec.validations[%zu].reason", i);
    if (reason != NULL && cp_vap_reason_code(reason) == 0)
      cp_field_not_supported(errs, f, reason, reasons);
  }
}

static void validate_audits(json_object *obj, json_object *spec,
                            struct cp_field_errors *errs) {
  json_object *a = cp_plat_get(spec, "auditAnnotations", json_type_array);
  size_t i, n = a != NULL ? json_object_array_length(a) : 0;

  if (n > 20) {
    char *v = cp_plat_go_value(a);

    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.auditAnnotations",
                        v ? v : "", "must not have more than 20 "
                                    "auditAnnotations");
    free(v);
  }
  (void)obj;
  for (i = 0; i < n; i++)
    unique_key(a, i, "auditAnnotations", "key", errs);
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const policies[] = {"Fail", "Ignore", NULL};
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *mc = cp_plat_get(spec, "matchConstraints", json_type_object);
  const char *fp = cp_plat_str(spec, "failurePolicy");
  struct cp_vap_policy p;

  (void)old;
  if (w->subresource != NULL)
    return;
  if (fp == NULL)
    cp_field_required(errs, "spec.failurePolicy", NULL);
  else if (strcmp(fp, "Fail") != 0 && strcmp(fp, "Ignore") != 0)
    cp_field_not_supported(errs, "spec.failurePolicy", fp, policies);
  validate_param_kind(cp_plat_get(spec, "paramKind", json_type_object), errs);
  if (mc == NULL) {
    cp_field_required(errs, "spec.matchConstraints", NULL);
  } else {
    cp_match_resources_validate(mc, "spec.matchConstraints", errs);
    if (cp_plat_len(mc, "resourceRules") == 0)
      cp_field_required(errs, "spec.matchConstraints.resourceRules", NULL);
  }
  validate_conditions(spec, errs);
  validate_variables(spec, errs);
  if (cp_plat_len(spec, "validations") == 0 &&
      cp_plat_len(spec, "auditAnnotations") == 0) {
    cp_field_required(errs, "spec.validations",
                      "validations or auditAnnotations must contain at "
                      "least one item");
    cp_field_required(errs, "spec.auditAnnotations",
                      "validations or auditAnnotations must contain at "
                      "least one item");
  }
  validate_validations(spec, errs);
  validate_audits(obj, spec, errs);
  /* Every expression compiled, as kube's validation compiles them. */
  if (cp_vap_policy_parse(obj, &p, errs) < 0) {
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec", "", "out of memory");
    return;
  }
  cp_vap_policy_clear(&p);
}

static const struct cp_table_column columns[4] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Validations", "integer", "", 0, "Validations indicates the number of "
                                      "validation expressions"},
    {"ParamKind", "string", "", 0, "ParamKind specifies the kind of "
                                   "resources used to parameterize this "
                                   "policy"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *pk = cp_plat_get(spec, "paramKind", json_type_object);
  char buf[512];

  cp_plat_cell_name(out, obj);
  cp_plat_cell_int(out, (long long)cp_plat_len(spec, "validations"));
  if (pk == NULL)
    snprintf(buf, sizeof buf, "<unset>");
  else
    snprintf(buf, sizeof buf, "%s/%s", cp_plat_str0(pk, "apiVersion"),
             cp_plat_str0(pk, "kind"));
  cp_plat_cell_str(out, buf);
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_validatingadmissionpolicies = {
    .group = "admissionregistration.k8s.io",
    .resource = "validatingadmissionpolicies",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = 4,
    .cells = cells,
};
