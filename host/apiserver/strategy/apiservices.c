/*
 * apiservices - apiregistration.k8s.io/v1 APIService, as kube-aggregator's
 * pkg/registry/apiservice and pkg/apis/apiregistration/validation: the
 * name must be spec.version + "." + spec.group, priorities in range, a
 * service reference or none (local); a status subresource. Stored only:
 * proxying to the service comes later.
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

static const char *const categories[] = {"api-extensions", NULL};

static void validate_name(json_object *obj, json_object *spec,
                          struct cp_field_errors *errs) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  const char *name = cp_plat_str0(md, "name");
  char want[600], why[700];

  snprintf(want, sizeof want, "%s.%s", cp_plat_str0(spec, "version"),
           cp_plat_str0(spec, "group"));
  if (cp_plat_path_segment_error(name) != NULL ||
      strcmp(name, want) == 0)
    return; /* path segment errors: cp_strategy.name_error's */
  snprintf(why, sizeof why, "must be `spec.version+\".\"+spec.group`: \"%s\"",
           want);
  cp_field_invalid_str(errs, "metadata.name", name, why);
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *svc = cp_plat_get(spec, "service", json_type_object);
  const char *group = cp_plat_str0(spec, "group");
  const char *version = cp_plat_str0(spec, "version"), *why;
  const char *ca = cp_plat_str0(spec, "caBundle");
  int skip = cp_plat_bool(spec, "insecureSkipTLSVerify", 0);
  long long gpm = 0, vp = 0, port = 443;

  (void)old;
  if (w != NULL && w->subresource != NULL)
    return;
  validate_name(obj, spec, errs);
  if (group[0] == '\0' && strcmp(version, "v1") != 0)
    cp_field_required(errs, "spec.group", "only v1 may have an empty group "
                                          "and it better be legacy kube");
  if (group[0] != '\0' &&
      (why = cp_name_dns1123_subdomain_error(group)) != NULL)
    cp_field_invalid_str(errs, "spec.group", group, why);
  if ((why = cp_plat_dns1035_error(version)) != NULL)
    cp_field_invalid_str(errs, "spec.version", version, why);
  cp_plat_int(spec, "groupPriorityMinimum", &gpm);
  if (gpm <= 0 || gpm > 20000)
    cp_field_invalid_int(errs, "spec.groupPriorityMinimum", gpm,
                         "must be positive and less than 20000");
  cp_plat_int(spec, "versionPriority", &vp);
  if (vp <= 0 || vp > 1000)
    cp_field_invalid_int(errs, "spec.versionPriority", vp,
                         "must be positive and less than 1000");
  if (svc == NULL) {
    if (ca[0] != '\0') {
      size_t n = 0;
      unsigned char *b = cp_plat_b64_decode(ca, &n);
      char v[64];

      snprintf(v, sizeof v, "\"%zu bytes\"", n);
      free(b);
      cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.caBundle", v,
                          "local APIServices may not have a caBundle");
    }
    if (skip)
      cp_field_errors_add(errs, CP_FIELD_INVALID,
                          "spec.insecureSkipTLSVerify", "true",
                          "local APIServices may not have "
                          "insecureSkipTLSVerify");
    return;
  }
  if (cp_plat_str0(svc, "namespace")[0] == '\0')
    cp_field_required(errs, "spec.service.namespace", NULL);
  if (cp_plat_str0(svc, "name")[0] == '\0')
    cp_field_required(errs, "spec.service.name", NULL);
  cp_plat_int(svc, "port", &port);
  if (port < 1 || port > 65535)
    cp_field_invalid_int(errs, "spec.service.port", port,
                         "port is not valid: must be between 1 and 65535, "
                         "inclusive");
  if (skip && ca[0] != '\0')
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.insecureSkipTLSVerify",
                        "true", "may not be true if caBundle is present");
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Service", "string", "", 0, "The reference to the service that hosts "
                                 "the API."},
    {"Available", "string", "", 0, "Whether this service is available."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *svc = cp_plat_get(spec, "service", json_type_object);
  json_object *st = cp_plat_get(obj, "status", json_type_object);
  json_object *conds = cp_plat_get(st, "conditions", json_type_array);
  char buf[600] = "Unknown";
  size_t i;

  cp_plat_cell_name(out, obj);
  if (svc == NULL)
    snprintf(buf, sizeof buf, "Local");
  else
    snprintf(buf, sizeof buf, "%s/%s", cp_plat_str0(svc, "namespace"),
             cp_plat_str0(svc, "name"));
  cp_plat_cell_str(out, buf);
  snprintf(buf, sizeof buf, "Unknown");
  for (i = 0; conds != NULL && i < json_object_array_length(conds); i++) {
    json_object *c = json_object_array_get_idx(conds, i);
    const char *status = cp_plat_str0(c, "status");
    const char *reason = cp_plat_str0(c, "reason");

    if (strcmp(cp_plat_str0(c, "type"), "Available") != 0)
      continue;
    if (strcmp(status, "True") != 0 && reason[0] != '\0')
      snprintf(buf, sizeof buf, "%s (%s)", status, reason);
    else
      snprintf(buf, sizeof buf, "%s", status);
    break;
  }
  cp_plat_cell_str(out, buf);
  cp_plat_cell_age(out, obj, now);
}

/* kube's PrepareForCreate: the status is the aggregator's
 * (apiregistration.APIServiceStatus{}). */
static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  cp_field_set(o, "status", json_object_new_object());
}

const struct cp_strategy cp_strategy_apiservices = {
    .group = "apiregistration.k8s.io",
    .resource = "apiservices",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .categories = categories,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
    .name_error = cp_plat_path_segment_error,
};
