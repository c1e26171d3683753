/*
 * csidrivers - storage.k8s.io/v1 CSIDriver, as kube's pkg/registry/
 * storage/csidriver: the name is a CSI driver name (a DNS subdomain of at
 * most 63 characters); spec defaults come from the schema; attachRequired,
 * volumeLifecycleModes and fsGroupPolicy never change.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const modes[] = {"Ephemeral", "Persistent", NULL};
  static const char *const policies[] = {"File", "None",
                                         "ReadWriteOnceWithFSType", NULL};
  static const char *const immutable[] = {"attachRequired",
                                          "volumeLifecycleModes",
                                          "fsGroupPolicy", NULL};
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *lm = cp_plat_get(spec, "volumeLifecycleModes",
                                json_type_array);
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  json_object *toks = cp_plat_get(spec, "tokenRequests", json_type_array);
  const char *fsg = cp_plat_str(spec, "fsGroupPolicy");
  const char *name = cp_plat_str0(md, "name");
  size_t i;
  char f[96];

  (void)w;
  if (strlen(name) > 63)
    cp_field_errors_add(errs, CP_FIELD_TOO_LONG, "metadata.name", NULL,
                        "may not be more than 63 bytes");
  for (i = 0; lm != NULL && i < json_object_array_length(lm); i++) {
    json_object *m = json_object_array_get_idx(lm, i);
    const char *s = json_object_is_type(m, json_type_string)
                        ? json_object_get_string(m)
                        : "";

    snprintf(f, sizeof f, "spec.volumeLifecycleModes[%zu]", i);
    if (strcmp(s, "Persistent") != 0 && strcmp(s, "Ephemeral") != 0)
      cp_field_not_supported(errs, f, s, modes);
  }
  if (fsg != NULL && strcmp(fsg, "File") != 0 && strcmp(fsg, "None") != 0 &&
      strcmp(fsg, "ReadWriteOnceWithFSType") != 0)
    cp_field_not_supported(errs, "spec.fsGroupPolicy", fsg, policies);
  for (i = 0; toks != NULL && i < json_object_array_length(toks); i++) {
    json_object *t = json_object_array_get_idx(toks, i);
    long long exp;

    snprintf(f, sizeof f, "spec.tokenRequests[%zu].expirationSeconds", i);
    if (cp_plat_int(t, "expirationSeconds", &exp) && exp < 600)
      cp_field_invalid_int(errs, f, exp,
                           "may not specify a duration less than 10 "
                           "minutes");
  }
  for (i = 0; old != NULL && immutable[i] != NULL; i++) {
    json_object *ospec = cp_plat_get(old, "spec", json_type_object);
    json_object *a = NULL, *b = NULL;

    json_object_object_get_ex(spec, immutable[i], &a);
    json_object_object_get_ex(ospec, immutable[i], &b);
    snprintf(f, sizeof f, "spec.%s", immutable[i]);
    cp_plat_immutable(errs, f, a, b);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"AttachRequired", "boolean", "", 0,
     "Indicates this CSI volume driver requires an attach operation"},
    {"PodInfoOnMount", "boolean", "", 0,
     "Indicates this CSI volume driver requires additional pod information "
     "during mount operations"},
    {"StorageCapacity", "boolean", "", 0,
     "Indicates this CSI volume driver provides storage capacity "
     "information"},
    {"TokenRequests", "string", "", 0,
     "Indicates this CSI volume driver requires a service account token"},
    {"RequiresRepublish", "boolean", "", 0,
     "Indicates this CSI volume driver requires NodePublishVolume be "
     "called periodically"},
    {"Modes", "string", "", 0,
     "Defines what kind of volumes this CSI volume driver supports"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

/* The strings of array a joined by ",", or NULL when empty. */
static void joined_cell(json_object *out, json_object *a, const char *key,
                        const char *none) {
  char buf[1024] = "";
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    json_object *e = json_object_array_get_idx(a, i);
    const char *s = key != NULL ? cp_plat_str0(e, key)
                    : json_object_is_type(e, json_type_string)
                        ? json_object_get_string(e)
                        : "";

    if (i > 0)
      strncat(buf, ",", sizeof buf - strlen(buf) - 1);
    strncat(buf, s, sizeof buf - strlen(buf) - 1);
  }
  cp_plat_cell_str(out, buf[0] != '\0' ? buf : none);
}

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);

  cp_plat_cell_name(out, obj);
  cp_plat_cell_bool(out, cp_plat_bool(spec, "attachRequired", 1));
  cp_plat_cell_bool(out, cp_plat_bool(spec, "podInfoOnMount", 0));
  cp_plat_cell_bool(out, cp_plat_bool(spec, "storageCapacity", 0));
  joined_cell(out, cp_plat_get(spec, "tokenRequests", json_type_array),
              "audience", "<unset>");
  cp_plat_cell_bool(out, cp_plat_bool(spec, "requiresRepublish", 0));
  joined_cell(out, cp_plat_get(spec, "volumeLifecycleModes", json_type_array),
              NULL, "<none>");
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_csidrivers = {
    .group = "storage.k8s.io",
    .resource = "csidrivers",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
