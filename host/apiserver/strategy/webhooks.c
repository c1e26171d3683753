/*
 * webhooks - see webhooks.h.
 */
#include "apiserver/strategy/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/match_conditions.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

const char *const cp_webhooks_categories[] = {"api-extensions", NULL};

void cp_webhooks_defaults(json_object *obj) {
  json_object *hooks = cp_plat_get(obj, "webhooks", json_type_array);
  size_t i;

  for (i = 0; hooks != NULL && i < json_object_array_length(hooks); i++) {
    json_object *h = json_object_array_get_idx(hooks, i);

    if (!json_object_is_type(h, json_type_object))
      continue;
    if (cp_plat_get(h, "namespaceSelector", json_type_object) == NULL)
      json_object_object_add(h, "namespaceSelector",
                             json_object_new_object());
    if (cp_plat_get(h, "objectSelector", json_type_object) == NULL)
      json_object_object_add(h, "objectSelector", json_object_new_object());
  }
}

/* Up to max strings of array member key of o into out ("" for one that
 * is not a string); returns how many. */
static size_t strings_of(json_object *o, const char *key, const char **out,
                         size_t max) {
  json_object *a = cp_plat_get(o, key, json_type_array);
  size_t i, n = 0;

  for (i = 0; a != NULL && i < json_object_array_length(a) && n < max; i++) {
    json_object *s = json_object_array_get_idx(a, i);

    out[n++] = json_object_is_type(s, json_type_string)
                   ? json_object_get_string(s)
                   : "";
  }
  return n;
}

/* validateRuleWithOperations. */
static void validate_rule(json_object *r, const char *at,
                          struct cp_field_errors *errs) {
  static const char *const ops[] = {"*",      "CREATE", "UPDATE",
                                    "DELETE", "CONNECT", NULL};
  static const char *const scopes[] = {"*", "Cluster", "Namespaced", NULL};
  static const char *const lists[] = {"apiGroups", "apiVersions",
                                      "resources", NULL};
  const char *v[64], *scope = cp_plat_str(r, "scope");
  size_t n, i, j;
  int star = 0;
  char f[256];

  n = strings_of(r, "operations", v, 64);
  snprintf(f, sizeof f, "%s.operations", at);
  if (n == 0)
    cp_field_required(errs, f, NULL);
  for (i = 0; i < n; i++)
    star |= strcmp(v[i], "*") == 0;
  if (n > 1 && star) {
    char *gv = cp_plat_go_value(cp_plat_get(r, "operations",
                                            json_type_array));

    cp_field_errors_add(errs, CP_FIELD_INVALID, f, gv != NULL ? gv : "",
                        "if '*' is present, must not specify other "
                        "operations");
    free(gv);
  }
  for (i = 0; i < n; i++) {
    for (j = 0; ops[j] != NULL && strcmp(ops[j], v[i]) != 0; j++)
      ;
    snprintf(f, sizeof f, "%s.operations[%zu]", at, i);
    if (ops[j] == NULL)
      cp_field_not_supported(errs, f, v[i], ops);
  }
  for (j = 0; lists[j] != NULL; j++) {
    n = strings_of(r, lists[j], v, 64);
    snprintf(f, sizeof f, "%s.%s", at, lists[j]);
    if (n == 0)
      cp_field_required(errs, f, NULL);
    for (i = 0; j == 1 && i < n; i++)
      if (v[i][0] == '\0')
        cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                             "%s.apiVersions[%zu]", at, i);
  }
  snprintf(f, sizeof f, "%s.scope", at);
  if (scope != NULL && strcmp(scope, "*") != 0 &&
      strcmp(scope, "Cluster") != 0 && strcmp(scope, "Namespaced") != 0)
    cp_field_not_supported(errs, f, scope, scopes);
}

/* validateWebhookClientConfig: exactly one of url and service. */
static void validate_client(json_object *cc, const char *at,
                            struct cp_field_errors *errs) {
  json_object *svc = cp_plat_get(cc, "service", json_type_object);
  const char *url = cp_plat_str(cc, "url"), *path;
  long long port;
  char f[256];

  if ((url == NULL) == (svc == NULL)) {
    cp_field_required(errs, at, "exactly one of url or service is required");
    return;
  }
  if (url != NULL) {
    snprintf(f, sizeof f, "%s.url", at);
    if (strncmp(url, "https://", 8) != 0)
      cp_field_invalid_str(errs, f, url, "'https' is the only allowed URL "
                                         "scheme");
    else if (url[8] == '\0' || url[8] == '/')
      cp_field_invalid_str(errs, f, url, "host must be specified");
    else if (strchr(url, '?') != NULL)
      cp_field_invalid_str(errs, f, url, "query parameters are not allowed");
    else if (strchr(url, '#') != NULL)
      cp_field_invalid_str(errs, f, url, "fragments are not allowed");
    return;
  }
  snprintf(f, sizeof f, "%s.service.name", at);
  if (cp_plat_str0(svc, "name")[0] == '\0')
    cp_field_required(errs, f, "service name is required");
  snprintf(f, sizeof f, "%s.service.namespace", at);
  if (cp_plat_str0(svc, "namespace")[0] == '\0')
    cp_field_required(errs, f, "service namespace is required");
  snprintf(f, sizeof f, "%s.service.port", at);
  if (cp_plat_int(svc, "port", &port) && (port < 1 || port > 65535))
    cp_field_invalid_int(errs, f, port,
                         "port is not valid: must be between 1 and 65535, "
                         "inclusive");
  path = cp_plat_str(svc, "path");
  snprintf(f, sizeof f, "%s.service.path", at);
  if (path != NULL && path[0] != '/')
    cp_field_invalid_str(errs, f, path, "must start with a '/'");
}

static void validate_enum(json_object *h, const char *key,
                          const char *const *ok, const char *at,
                          struct cp_field_errors *errs) {
  const char *v = cp_plat_str(h, key);
  size_t i;
  char f[256];

  if (v == NULL)
    return;
  for (i = 0; ok[i] != NULL; i++)
    if (strcmp(ok[i], v) == 0)
      return;
  snprintf(f, sizeof f, "%s.%s", at, key);
  cp_field_not_supported(errs, f, v, ok);
}

/* validateAdmissionReviewVersions (recognized ones required, as on a
 * create). */
static void validate_review_versions(json_object *h, const char *at,
                                     struct cp_field_errors *errs) {
  const char *v[64], *why;
  size_t n = strings_of(h, "admissionReviewVersions", v, 64), i, j;
  int known = 0;
  char f[256];

  snprintf(f, sizeof f, "%s.admissionReviewVersions", at);
  if (n == 0) {
    cp_field_required(errs, f, "must specify one of v1, v1beta1");
    return;
  }
  for (i = 0; i < n; i++) {
    char g[288];

    snprintf(g, sizeof g, "%s[%zu]", f, i);
    if ((why = cp_plat_dns1035_error(v[i])) != NULL)
      cp_field_invalid_str(errs, g, v[i], why);
    for (j = 0; j < i; j++)
      if (strcmp(v[i], v[j]) == 0) {
        json_object *s = json_object_new_string(v[i]);
        char *q = s != NULL ? cp_plat_go_value(s) : NULL;

        cp_field_errors_add(errs, CP_FIELD_DUPLICATE, g, q, NULL);
        free(q);
        json_object_put(s);
        break;
      }
    known |= strcmp(v[i], "v1") == 0 || strcmp(v[i], "v1beta1") == 0;
  }
  if (!known) {
    char *gv = cp_plat_go_value(cp_plat_get(h, "admissionReviewVersions",
                                            json_type_array));

    cp_field_errors_add(errs, CP_FIELD_INVALID, f, gv != NULL ? gv : "",
                        "must include at least one of v1, v1beta1");
    free(gv);
  }
}

static void validate_hook(json_object *h, const char *at, int mutating,
                          struct cp_field_errors *errs) {
  static const char *const failure[] = {"Fail", "Ignore", NULL};
  static const char *const match[] = {"Equivalent", "Exact", NULL};
  static const char *const effects[] = {"None", "NoneOnDryRun", NULL};
  static const char *const reinvoke[] = {"IfNeeded", "Never", NULL};
  json_object *rules = cp_plat_get(h, "rules", json_type_array);
  long long timeout;
  size_t i;
  char f[96];

  snprintf(f, sizeof f, "%s.name", at);
  cp_plat_fully_qualified(errs, f, cp_plat_str(h, "name"));
  for (i = 0; rules != NULL && i < json_object_array_length(rules); i++) {
    snprintf(f, sizeof f, "%s.rules[%zu]", at, i);
    validate_rule(json_object_array_get_idx(rules, i), f, errs);
  }
  validate_enum(h, "failurePolicy", failure, at, errs);
  validate_enum(h, "matchPolicy", match, at, errs);
  snprintf(f, sizeof f, "%s.sideEffects", at);
  if (cp_plat_str(h, "sideEffects") == NULL)
    cp_field_required(errs, f, "must specify one of None, NoneOnDryRun");
  else
    validate_enum(h, "sideEffects", effects, at, errs);
  snprintf(f, sizeof f, "%s.timeoutSeconds", at);
  if (cp_plat_int(h, "timeoutSeconds", &timeout) &&
      (timeout < 1 || timeout > 30))
    cp_field_invalid_int(errs, f, timeout,
                         "the timeout value must be between 1 and 30 "
                         "seconds");
  validate_review_versions(h, at, errs);
  if (mutating)
    validate_enum(h, "reinvocationPolicy", reinvoke, at, errs);
  snprintf(f, sizeof f, "%s.clientConfig", at);
  validate_client(cp_plat_get(h, "clientConfig", json_type_object), f, errs);
  snprintf(f, sizeof f, "%s.matchConditions", at);
  cp_match_conditions_validate(
      cp_plat_get(h, "matchConditions", json_type_array), f,
      cp_match_conditions_webhook_vars, errs);
}

void cp_webhooks_validate(json_object *obj, int mutating,
                          struct cp_field_errors *errs) {
  json_object *hooks = cp_plat_get(obj, "webhooks", json_type_array);
  size_t i, j, n = hooks != NULL ? json_object_array_length(hooks) : 0;
  char at[64];

  for (i = 0; i < n; i++) {
    json_object *h = json_object_array_get_idx(hooks, i);
    const char *name = cp_plat_str0(h, "name");

    snprintf(at, sizeof at, "webhooks[%zu]", i);
    validate_hook(h, at, mutating, errs);
    for (j = 0; j < i && name[0] != '\0'; j++)
      if (strcmp(cp_plat_str0(json_object_array_get_idx(hooks, j), "name"),
                 name) == 0) {
        char *q = cp_plat_go_value(json_object_object_get(h, "name"));

        cp_field_errors_addf(errs, CP_FIELD_DUPLICATE, q, NULL,
                             "webhooks[%zu].name", i);
        free(q);
        break;
      }
  }
}

const struct cp_table_column cp_webhooks_columns[3] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Webhooks", "integer", "", 0, "Webhooks indicates the number of "
                                   "webhooks in the configuration"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

void cp_webhooks_cells(json_object *obj, long long now, json_object *cells) {
  cp_plat_cell_name(cells, obj);
  cp_plat_cell_int(cells, (long long)cp_plat_len(obj, "webhooks"));
  cp_plat_cell_age(cells, obj, now);
}

/* ValidatingAdmissionPolicy's NamedRuleWithOperations share the rule
 * checks (strategy/match_resources.c). */
void cp_webhooks_validate_rule(json_object *r, const char *at,
                               struct cp_field_errors *errs) {
  validate_rule(r, at, errs);
}
