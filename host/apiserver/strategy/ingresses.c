/*
 * ingresses - networking.k8s.io/v1 Ingress, as kube's pkg/registry/
 * networking/ingress and pkg/apis/networking/validation: rules with
 * hosts (DNS names, wildcards allowed, not IPs) and paths (pathType
 * required, absolute paths for Exact and Prefix), a service or resource
 * backend per path; a status subresource. The old class annotation earns
 * kube's warning.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

#define CLASS_ANNOTATION "kubernetes.io/ingress.class"

/* validateIngressBackend. */
static void validate_backend(json_object *b, const char *at,
                             struct cp_field_errors *errs) {
  json_object *svc = cp_plat_get(b, "service", json_type_object);
  json_object *res = cp_plat_get(b, "resource", json_type_object);
  json_object *port = cp_plat_get(svc, "port", json_type_object);
  const char *name = cp_plat_str0(svc, "name"), *pname, *why;
  long long num = 0;
  char f[256];

  if (svc != NULL && res != NULL) {
    cp_field_invalid_str(errs, at, "",
                         "cannot set both resource and service backends");
    return;
  }
  if (res != NULL) {
    if (cp_plat_str0(res, "kind")[0] == '\0')
      cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                           "%s.resource.kind", at);
    if (cp_plat_str0(res, "name")[0] == '\0')
      cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                           "%s.resource.name", at);
    return;
  }
  if (svc == NULL) {
    cp_field_invalid_str(errs, at, "",
                         "resource or service backend is required");
    return;
  }
  snprintf(f, sizeof f, "%s.service.name", at);
  if (name[0] == '\0')
    cp_field_required(errs, f, NULL);
  else if ((why = cp_plat_dns1035_error(name)) != NULL)
    cp_field_invalid_str(errs, f, name, why);
  pname = cp_plat_str0(port, "name");
  cp_plat_int(port, "number", &num);
  if (pname[0] != '\0' && num != 0) {
    cp_field_invalid_str(errs, at, "",
                         "cannot set both port name & port number");
  } else if (pname[0] != '\0') {
    snprintf(f, sizeof f, "%s.service.port.name", at);
    if ((why = cp_plat_port_name_error(pname)) != NULL)
      cp_field_invalid_str(errs, f, pname, why);
  } else if (num != 0) {
    snprintf(f, sizeof f, "%s.service.port.number", at);
    if (num < 1 || num > 65535)
      cp_field_invalid_int(errs, f, num,
                           "must be between 1 and 65535, inclusive");
  } else {
    cp_field_required(errs, at, "port name or number is required");
  }
}

/* validateHTTPIngressPath's path rules. */
static void validate_path_text(const char *path, const char *type,
                               const char *at, struct cp_field_errors *errs) {
  static const char *const bad[] = {"//", "/./", "/../", "%2f", "%2F", NULL};
  static const char *const bad_end[] = {"/..", "/.", NULL};
  char why[64];
  size_t i, n = strlen(path);

  if (strcmp(type, "ImplementationSpecific") == 0) {
    if (n > 0 && path[0] != '/')
      cp_field_invalid_str(errs, at, path, "must be an absolute path");
    return;
  }
  if (path[0] != '/') {
    cp_field_invalid_str(errs, at, path, "must be an absolute path");
    return;
  }
  for (i = 0; bad[i] != NULL; i++)
    if (strstr(path, bad[i]) != NULL) {
      snprintf(why, sizeof why, "must not contain '%s'", bad[i]);
      cp_field_invalid_str(errs, at, path, why);
    }
  for (i = 0; bad_end[i] != NULL; i++) {
    size_t m = strlen(bad_end[i]);

    if (n >= m && strcmp(path + n - m, bad_end[i]) == 0) {
      snprintf(why, sizeof why, "cannot end with '%s'", bad_end[i]);
      cp_field_invalid_str(errs, at, path, why);
    }
  }
}

static void validate_paths(json_object *paths, const char *at,
                           struct cp_field_errors *errs) {
  size_t i;
  char f[256], b[256];

  for (i = 0; paths != NULL && i < json_object_array_length(paths); i++) {
    json_object *p = json_object_array_get_idx(paths, i);
    const char *type = cp_plat_str(p, "pathType");

    snprintf(f, sizeof f, "%s[%zu].pathType", at, i);
    if (type == NULL)
      cp_field_required(errs, f, "pathType must be specified");
    snprintf(f, sizeof f, "%s[%zu].path", at, i);
    if (type != NULL)
      validate_path_text(cp_plat_str0(p, "path"), type, f, errs);
    snprintf(b, sizeof b, "%s[%zu].backend", at, i);
    validate_backend(cp_plat_get(p, "backend", json_type_object), b, errs);
  }
}

/* A host: a DNS-1123 subdomain, "*." wildcards allowed, not an IP. */
static void validate_host(const char *host, const char *at,
                          struct cp_field_errors *errs) {
  const char *why;

  if (cp_plat_is_ip(host)) {
    cp_field_invalid_str(errs, at, host, "must be a DNS name, not an IP "
                                         "address");
    return;
  }
  if (strncmp(host, "*.", 2) == 0) {
    if (cp_name_dns1123_subdomain_error(host + 2) != NULL)
      cp_field_invalid_str(
          errs, at, host,
          "a wildcard DNS-1123 subdomain must start with '*.', followed by a "
          "valid DNS subdomain, which must consist of lower case "
          "alphanumeric characters, '-' or '.' and end with an alphanumeric "
          "character (e.g. '*.example.com', regex used for validation is "
          "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-"
          "9])?)*')");
    return;
  }
  if ((why = cp_name_dns1123_subdomain_error(host)) != NULL)
    cp_field_invalid_str(errs, at, host, why);
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *rules = cp_plat_get(spec, "rules", json_type_array);
  json_object *def = cp_plat_get(spec, "defaultBackend", json_type_object);
  const char *cls = cp_plat_str(spec, "ingressClassName"), *why;
  size_t i;
  char f[128];

  (void)old;
  if (w != NULL && w->subresource != NULL)
    return; /* a status write: the spec is the stored one */
  if (cls != NULL && (why = cp_name_dns1123_subdomain_error(cls)) != NULL)
    cp_field_invalid_str(errs, "spec.ingressClassName", cls, why);
  if ((rules == NULL || json_object_array_length(rules) == 0) && def == NULL)
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec",
                        rules != NULL ? "[]networking.IngressRule{}"
                                      : "[]networking.IngressRule(nil)",
                        "either `defaultBackend` or `rules` must be "
                        "specified");
  if (def != NULL)
    validate_backend(def, "spec.defaultBackend", errs);
  for (i = 0; rules != NULL && i < json_object_array_length(rules); i++) {
    json_object *r = json_object_array_get_idx(rules, i);
    json_object *http = cp_plat_get(r, "http", json_type_object);
    const char *host = cp_plat_str0(r, "host");

    snprintf(f, sizeof f, "spec.rules[%zu].host", i);
    if (host[0] != '\0')
      validate_host(host, f, errs);
    snprintf(f, sizeof f, "spec.rules[%zu].http.paths", i);
    if (http != NULL && cp_plat_len(http, "paths") == 0)
      cp_field_required(errs, f, NULL);
    validate_paths(cp_plat_get(http, "paths", json_type_array), f, errs);
  }
}

static void warnings(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_api_response *rs) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  json_object *ann = cp_plat_get(md, "annotations", json_type_object);

  (void)old;
  if (w != NULL && w->subresource != NULL)
    return;
  if (cp_plat_str(ann, CLASS_ANNOTATION) != NULL)
    cp_api_add_warning(rs, "annotation \"" CLASS_ANNOTATION "\" is "
                           "deprecated, please use 'spec.ingressClassName' "
                           "instead");
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Class", "string", "", 0,
     "The name of the IngressClass resource that should be used for "
     "ingress class."},
    {"Hosts", "string", "", 0, "Hosts that incoming requests are matched "
                               "against before the ingress rule"},
    {"Address", "string", "", 0, "Address is a list containing ingress "
                                 "points for the load-balancer"},
    {"Ports", "string", "", 0, "Ports of TLS configurations that open"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

/* formatHosts: up to three hosts, "*" when none. */
static void hosts_cell(json_object *rules, json_object *cells) {
  char buf[1024] = "";
  size_t i, n = rules != NULL ? json_object_array_length(rules) : 0, shown = 0;
  int more = 0;

  for (i = 0; i < n; i++) {
    const char *h = cp_plat_str0(json_object_array_get_idx(rules, i), "host");

    if (shown == 3)
      more = 1;
    if (more || h[0] == '\0')
      continue;
    if (shown++ > 0)
      strncat(buf, ",", sizeof buf - strlen(buf) - 1);
    strncat(buf, h, sizeof buf - strlen(buf) - 1);
  }
  if (shown == 0) {
    cp_plat_cell_str(cells, "*");
    return;
  }
  if (more)
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " + %zu more...",
             n - 3);
  cp_plat_cell_str(cells, buf);
}

/* ingressLoadBalancerStatusStringer (not wide: cut at 16 characters). */
static void address_cell(json_object *st, json_object *cells) {
  json_object *lb = cp_plat_get(st, "loadBalancer", json_type_object);
  json_object *ing = cp_plat_get(lb, "ingress", json_type_array);
  char buf[512] = "";
  size_t i;

  for (i = 0; ing != NULL && i < json_object_array_length(ing); i++) {
    json_object *e = json_object_array_get_idx(ing, i);
    const char *a = cp_plat_str0(e, "ip");

    if (a[0] == '\0')
      a = cp_plat_str0(e, "hostname");
    if (a[0] == '\0')
      continue;
    if (buf[0] != '\0')
      strncat(buf, ",", sizeof buf - strlen(buf) - 1);
    strncat(buf, a, sizeof buf - strlen(buf) - 1);
  }
  if (strlen(buf) > 16)
    strcpy(buf + 16, "...");
  cp_plat_cell_str(cells, buf);
}

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  const char *cls = cp_plat_str(spec, "ingressClassName");

  cp_plat_cell_name(out, obj);
  cp_plat_cell_str(out, cls);
  hosts_cell(cp_plat_get(spec, "rules", json_type_array), out);
  address_cell(cp_plat_get(obj, "status", json_type_object), out);
  cp_plat_cell_str(out, cp_plat_len(spec, "tls") > 0 ? "80, 443" : "80");
  cp_plat_cell_age(out, obj, now);
}

/* kube's PrepareForCreate: the status is the controller's
 * (networking.IngressStatus{}: an empty loadBalancer). */
static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  cp_field_set(o, "status", json_object_new_object());
  cp_field_set(o, "status.loadBalancer", json_object_new_object());
}

const struct cp_strategy cp_strategy_ingresses = {
    .group = "networking.k8s.io",
    .resource = "ingresses",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .validate = validate,
    .warnings = warnings,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
