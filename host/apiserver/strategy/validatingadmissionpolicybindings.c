/*
 * validatingadmissionpolicybindings - admissionregistration.k8s.io/v1
 * ValidatingAdmissionPolicyBinding, as kube's pkg/registry/
 * admissionregistration/validatingadmissionpolicybinding and its
 * validation: policyName, paramRef (name or selector, not both;
 * parameterNotFoundAction Deny or Allow), matchResources and
 * validationActions (Deny, Warn, Audit; not both Deny and Warn).
 * Generation goes up when the spec changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/admission_policies.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

static const char *const categories[] = {"api-extensions", NULL};

static void defaults(json_object *obj) {
  cp_match_resources_defaults(cp_plat_get(
      cp_plat_get(obj, "spec", json_type_object), "matchResources",
      json_type_object));
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  (void)w;
  defaults(obj);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  defaults(obj);
}

static void validate_param_ref(json_object *pr,
                               struct cp_field_errors *errs) {
  static const char *const actions[] = {"Deny", "Allow", NULL};
  const char *name, *pnf;
  json_object *sel;

  if (pr == NULL)
    return;
  name = cp_plat_str0(pr, "name");
  sel = cp_plat_get(pr, "selector", json_type_object);
  if (name[0] != '\0') {
    const char *why = cp_plat_path_segment_error(name);

    if (why != NULL)
      cp_field_invalid_str(errs, "spec.paramRef.name", name, why);
    if (sel != NULL)
      cp_field_forbidden(errs, "spec.paramRef.name",
                         "name and selector are mutually exclusive");
  }
  if (sel != NULL && name[0] != '\0')
    cp_field_forbidden(errs, "spec.paramRef.selector",
                       "name and selector are mutually exclusive");
  if (name[0] == '\0' && sel == NULL)
    cp_field_required(errs, "spec.paramRef",
                      "one of name or selector must be specified");
  pnf = cp_plat_str0(pr, "parameterNotFoundAction");
  if (pnf[0] == '\0')
    cp_field_required(errs, "spec.paramRef.parameterNotFoundAction", NULL);
  else if (strcmp(pnf, "Deny") != 0 && strcmp(pnf, "Allow") != 0)
    cp_field_not_supported(errs, "spec.paramRef.parameterNotFoundAction",
                           pnf, actions);
}

static void validate_actions(json_object *spec,
                             struct cp_field_errors *errs) {
  static const char *const ok[] = {"Audit", "Deny", "Warn", NULL};
  json_object *a = cp_plat_get(spec, "validationActions", json_type_array);
  size_t i, j, n = a != NULL ? json_object_array_length(a) : 0;
  int deny = 0, warn = 0;

  for (i = 0; i < n; i++) {
    const char *v = json_object_get_string(json_object_array_get_idx(a, i));
    char f[64];

    v = v != NULL ? v : "";
    snprintf(f, sizeof f, "spec.validationActions[%zu]", i);
    for (j = 0; ok[j] != NULL && strcmp(ok[j], v) != 0; j++)
      ;
    if (ok[j] == NULL)
      cp_field_not_supported(errs, f, v, ok);
    for (j = 0; j < i; j++) {
      const char *u = json_object_get_string(json_object_array_get_idx(a, j));

      if (u != NULL && strcmp(u, v) == 0) {
        char *q = cp_plat_go_value(json_object_array_get_idx(a, i));

        cp_field_errors_add(errs, CP_FIELD_DUPLICATE, f, q ? q : "", NULL);
        free(q);
        break;
      }
    }
    deny |= strcmp(v, "Deny") == 0;
    warn |= strcmp(v, "Warn") == 0;
  }
  if (deny && warn) {
    /* Go prints the []ValidationAction as []admissionregistration.
     * ValidationAction{"Deny", "Warn"}. */
    char *gv = cp_plat_go_value(a), *v = NULL;

    if (gv != NULL && strncmp(gv, "[]string", 8) == 0 &&
        asprintf(&v, "[]admissionregistration.ValidationAction%s", gv + 8) <
            0)
      v = NULL;
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.validationActions",
                        v ? v : (gv ? gv : ""),
                        "must not contain both Deny and Warn (repeating the "
                        "same validation failure information in the API "
                        "response and headers serves no purpose)");
    free(v);
    free(gv);
  }
  if (n == 0)
    cp_field_required(errs, "spec.validationActions",
                      "at least one validation action is required");
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  const char *policy = cp_plat_str0(spec, "policyName");

  (void)w;
  (void)old;
  if (policy[0] == '\0') {
    cp_field_required(errs, "spec.policyName", NULL);
  } else {
    const char *why = cp_name_dns1123_subdomain_error(policy);

    if (why != NULL)
      cp_field_invalid_str(errs, "spec.policyName", policy, why);
  }
  validate_param_ref(cp_plat_get(spec, "paramRef", json_type_object), errs);
  cp_match_resources_validate(
      cp_plat_get(spec, "matchResources", json_type_object),
      "spec.matchResources", errs);
  validate_actions(spec, errs);
}

static const struct cp_table_column columns[4] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"PolicyName", "string", "", 0, "PolicyName indicates the name of the "
                                    "policy"},
    {"ParamRef", "string", "", 0, "ParamRef indicates the name of the "
                                  "parameter resource"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *pr = cp_plat_get(spec, "paramRef", json_type_object);
  const char *name = cp_plat_str0(pr, "name"), *ns = cp_plat_str0(pr, "namespace");
  char buf[512];

  cp_plat_cell_name(out, obj);
  cp_plat_cell_str(out, cp_plat_str0(spec, "policyName"));
  if (pr == NULL)
    snprintf(buf, sizeof buf, "<unset>");
  else if (name[0] != '\0')
    snprintf(buf, sizeof buf, "%s/%s", ns[0] ? ns : "*", name);
  else
    snprintf(buf, sizeof buf, "*/*");
  cp_plat_cell_str(out, buf);
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_validatingadmissionpolicybindings = {
    .group = "admissionregistration.k8s.io",
    .resource = "validatingadmissionpolicybindings",
    .flags = CP_STRATEGY_GENERATION,
    .categories = categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = 4,
    .cells = cells,
};
