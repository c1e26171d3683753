/*
 * storageclasses - storage.k8s.io/v1 StorageClass, as kube's
 * pkg/registry/storage/storageclass and pkg/apis/storage/validation: a
 * provisioner (a qualified name), parameters, reclaimPolicy (Delete by
 * default) and volumeBindingMode (Immediate by default; both defaults
 * from the schema); provisioner, parameters, reclaimPolicy and
 * volumeBindingMode never change. `kubectl get sc` marks the default
 * class.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

#define MAX_PARAMETERS_SIZE (256 * 1024)

static void validate_provisioner(const char *p, struct cp_field_errors *errs) {
  char lower[512];
  const char *why;
  size_t i;

  if (p == NULL || p[0] == '\0') {
    cp_field_required(errs, "provisioner", NULL);
    return;
  }
  /* kube checks the lowercased name as a qualified name. */
  for (i = 0; p[i] != '\0' && i + 1 < sizeof lower; i++)
    lower[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
  lower[i] = '\0';
  if ((why = cp_name_qualified_error(p[i] != '\0' ? p : lower)) != NULL)
    cp_field_invalid_str(errs, "provisioner", p, why);
}

static void validate_parameters(json_object *params,
                                struct cp_field_errors *errs) {
  size_t total = 0;
  char detail[64];
  int empty = 0;

  if (params == NULL)
    return;
  json_object_object_foreach(params, k, v) {
    /* The schema keeps only strings; a null would read as "". */
    total += strlen(k) + (json_object_is_type(v, json_type_string)
                              ? strlen(json_object_get_string(v))
                              : 0);
    empty |= k[0] == '\0';
  }
  if (total > MAX_PARAMETERS_SIZE) {
    snprintf(detail, sizeof detail, "may not be more than %d bytes",
             MAX_PARAMETERS_SIZE);
    cp_field_errors_add(errs, CP_FIELD_TOO_LONG, "parameters", NULL, detail);
  }
  if (empty) {
    char *gv = cp_plat_go_value(params);

    cp_field_errors_add(errs, CP_FIELD_INVALID, "parameters",
                        gv != NULL ? gv : "", "invalid empty parameter name");
    free(gv);
  }
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const policies[] = {"Delete", "Retain", NULL};
  static const char *const modes[] = {"Immediate", "WaitForFirstConsumer",
                                      NULL};
  const char *policy = cp_plat_str(obj, "reclaimPolicy");
  const char *mode = cp_plat_str(obj, "volumeBindingMode");

  (void)w;
  validate_provisioner(cp_plat_str(obj, "provisioner"), errs);
  validate_parameters(cp_plat_get(obj, "parameters", json_type_object), errs);
  if (policy != NULL && policy[0] != '\0' && strcmp(policy, "Delete") != 0 &&
      strcmp(policy, "Retain") != 0)
    cp_field_not_supported(errs, "reclaimPolicy", policy, policies);
  if (mode == NULL)
    cp_field_required(errs, "volumeBindingMode", NULL);
  else if (strcmp(mode, "Immediate") != 0 &&
           strcmp(mode, "WaitForFirstConsumer") != 0)
    cp_field_not_supported(errs, "volumeBindingMode", mode, modes);
  if (old == NULL)
    return;
  /* ValidateStorageClassUpdate; an absent map equals an empty one. */
  {
    json_object *p = cp_plat_get(obj, "parameters", json_type_object);
    json_object *q = cp_plat_get(old, "parameters", json_type_object);
    int pe = p == NULL || json_object_object_length(p) == 0;
    int qe = q == NULL || json_object_object_length(q) == 0;

    if (!(pe && qe) && !cp_plat_equal(p, q))
      cp_field_forbidden(errs, "parameters",
                         "updates to parameters are forbidden.");
  }
  if (strcmp(cp_plat_str0(obj, "provisioner"),
             cp_plat_str0(old, "provisioner")) != 0)
    cp_field_forbidden(errs, "provisioner",
                       "updates to provisioner are forbidden.");
  if (strcmp(cp_plat_str0(obj, "reclaimPolicy"),
             cp_plat_str0(old, "reclaimPolicy")) != 0)
    cp_field_forbidden(errs, "reclaimPolicy",
                       "updates to reclaimPolicy are forbidden.");
  cp_plat_immutable(errs, "volumeBindingMode",
                    cp_plat_get(obj, "volumeBindingMode", json_type_string),
                    cp_plat_get(old, "volumeBindingMode", json_type_string));
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Provisioner", "string", "", 0,
     "provisioner indicates the type of the provisioner."},
    {"ReclaimPolicy", "string", "", 0,
     "reclaimPolicy controls the reclaimPolicy for dynamically provisioned "
     "PersistentVolumes of this storage class."},
    {"VolumeBindingMode", "string", "", 0,
     "volumeBindingMode indicates how PersistentVolumeClaims should be "
     "provisioned and bound."},
    {"AllowVolumeExpansion", "string", "", 0,
     "allowVolumeExpansion shows whether the storage class allow volume "
     "expand."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

/* storageutil.IsDefaultAnnotation: the GA or the beta annotation. */
static int is_default(json_object *obj) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  json_object *ann = cp_plat_get(md, "annotations", json_type_object);
  const char *ga =
      cp_plat_str0(ann, "storageclass.kubernetes.io/is-default-class");
  const char *beta =
      cp_plat_str0(ann, "storageclass.beta.kubernetes.io/is-default-class");

  return strcmp(ga, "true") == 0 || strcmp(beta, "true") == 0;
}

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  const char *policy = cp_plat_str(obj, "reclaimPolicy");
  const char *mode = cp_plat_str(obj, "volumeBindingMode");
  char name[300];

  snprintf(name, sizeof name, "%s%s", cp_plat_str0(md, "name"),
           is_default(obj) ? " (default)" : "");
  cp_plat_cell_str(out, name);
  cp_plat_cell_str(out, cp_plat_str0(obj, "provisioner"));
  cp_plat_cell_str(out, policy != NULL ? policy : "Delete");
  cp_plat_cell_str(out, mode != NULL ? mode : "Immediate");
  cp_plat_cell_bool(out, cp_plat_bool(obj, "allowVolumeExpansion", 0));
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_storageclasses = {
    .group = "storage.k8s.io",
    .resource = "storageclasses",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
