/*
 * ingressclasses - networking.k8s.io/v1 IngressClass, as kube's
 * pkg/registry/networking/ingressclass: the controller is a
 * domain-prefixed path that never changes; parameters name a kind and a
 * name, scope defaulting to Cluster (a Namespace scope needs the
 * namespace).
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

static void defaults(json_object *obj) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *p = cp_plat_get(spec, "parameters", json_type_object);

  if (p != NULL && cp_plat_str(p, "scope") == NULL)
    json_object_object_add(p, "scope", json_object_new_string("Cluster"));
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

/* validation.IsDomainPrefixedPath. */
static void validate_controller(const char *c, struct cp_field_errors *errs) {
  const char *at = "spec.controller", *slash, *why, *p;
  char host[256];
  size_t n;

  if (c == NULL || c[0] == '\0') {
    cp_field_required(errs, at, NULL);
    return;
  }
  if (strlen(c) > 250)
    cp_field_errors_add(errs, CP_FIELD_TOO_LONG, at, NULL,
                        "may not be more than 250 bytes");
  if ((slash = strchr(c, '/')) == NULL ||
      (n = (size_t)(slash - c)) >= sizeof host) {
    cp_field_invalid_str(errs, at, c,
                         "must be a domain-prefixed path (such as "
                         "\"acme.io/foo\")");
    return;
  }
  memcpy(host, c, n);
  host[n] = '\0';
  if ((why = cp_name_dns1123_subdomain_error(host)) != NULL)
    cp_field_invalid_str(errs, at, host, why);
  for (p = slash + 1; *p != '\0'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || strchr("/-._~%!$&'()*+,;=:", *p)))
      break;
  if (slash[1] == '\0' || *p != '\0')
    cp_field_invalid_str(errs, at, slash + 1, "must be a valid path");
}

static void validate_parameters(json_object *p, struct cp_field_errors *errs) {
  static const char *const scopes[] = {"Cluster", "Namespace", NULL};
  const char *scope = cp_plat_str(p, "scope");
  const char *ns = cp_plat_str(p, "namespace");

  if (p == NULL)
    return;
  if (cp_plat_str0(p, "kind")[0] == '\0')
    cp_field_required(errs, "spec.parameters.kind", NULL);
  if (cp_plat_str0(p, "name")[0] == '\0')
    cp_field_required(errs, "spec.parameters.name", NULL);
  if (scope == NULL)
    return;
  if (strcmp(scope, "Namespace") == 0 && (ns == NULL || ns[0] == '\0'))
    cp_field_required(errs, "spec.parameters.namespace",
                      "`parameters.scope` is set to 'Namespace'");
  else if (strcmp(scope, "Cluster") == 0 && ns != NULL)
    cp_field_forbidden(errs, "spec.parameters.namespace",
                       "`parameters.scope` is set to 'Cluster'");
  else if (strcmp(scope, "Cluster") != 0 && strcmp(scope, "Namespace") != 0)
    cp_field_not_supported(errs, "spec.parameters.scope", scope, scopes);
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);

  (void)w;
  validate_controller(cp_plat_str(spec, "controller"), errs);
  validate_parameters(cp_plat_get(spec, "parameters", json_type_object),
                      errs);
  if (old != NULL)
    cp_plat_immutable(
        errs, "spec.controller", cp_plat_get(spec, "controller",
                                             json_type_string),
        cp_plat_get(cp_plat_get(old, "spec", json_type_object), "controller",
                    json_type_string));
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Controller", "string", "", 0,
     "Controller that is responsible for handling this class"},
    {"Parameters", "string", "", 0,
     "A reference to a resource with additional parameters"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *p = cp_plat_get(spec, "parameters", json_type_object);
  const char *group = cp_plat_str(p, "apiGroup");
  char buf[768];

  cp_plat_cell_name(out, obj);
  cp_plat_cell_str(out, cp_plat_str0(spec, "controller"));
  if (p == NULL) {
    cp_plat_cell_str(out, "<none>");
  } else {
    snprintf(buf, sizeof buf, "%s%s%s/%s", cp_plat_str0(p, "kind"),
             group != NULL ? "." : "", group != NULL ? group : "",
             cp_plat_str0(p, "name"));
    cp_plat_cell_str(out, buf);
  }
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_ingressclasses = {
    .group = "networking.k8s.io",
    .resource = "ingressclasses",
    .flags = CP_STRATEGY_GENERATION,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
