/*
 * volumes - see volumes.h.
 */
#include "apiserver/strategy/volumes.h"

#include <stdio.h>
#include <string.h>

#include "apiserver/strategy/fields.h"

#define MAX_MODES 64

static const char *const modes_supported[] = {
    "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod",
    NULL};

void cp_access_modes_check(json_object *modes, const char *path,
                           int required, struct cp_field_errors *errs) {
  size_t i, j, n = modes != NULL ? json_object_array_length(modes) : 0;
  int pod_only = 0;

  if (n == 0) {
    if (required)
      cp_field_required(errs, path, "at least 1 access mode is required");
    return;
  }
  for (i = 0; i < n && i < MAX_MODES; i++) {
    json_object *m = json_object_array_get_idx(modes, i);
    const char *s = json_object_get_string(m);

    if (!json_object_is_type(m, json_type_string))
      continue;
    for (j = 0; modes_supported[j] != NULL; j++)
      if (strcmp(modes_supported[j], s) == 0)
        break;
    if (modes_supported[j] == NULL)
      cp_field_not_supported(errs, path, s, modes_supported);
    pod_only |= strcmp(s, "ReadWriteOncePod") == 0;
  }
  if (pod_only && n > 1) {
    cp_field_forbidden(errs, path, "may not use ReadWriteOncePod with other "
                                   "access modes");
  }
}

void cp_access_modes_text(json_object *modes, char *buf, size_t len) {
  static const char *const order[][2] = {{"ReadWriteOnce", "RWO"},
                                         {"ReadOnlyMany", "ROX"},
                                         {"ReadWriteMany", "RWX"},
                                         {"ReadWriteOncePod", "RWOP"}};
  size_t i, j, used = 0, n = modes != NULL ? json_object_array_length(modes)
                                           : 0;

  buf[0] = '\0';
  for (i = 0; i < 4; i++)
    for (j = 0; j < n && j < MAX_MODES; j++) {
      json_object *m = json_object_array_get_idx(modes, j);

      if (json_object_is_type(m, json_type_string) &&
          strcmp(json_object_get_string(m), order[i][0]) == 0) {
        snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                 order[i][1]);
        used = strlen(buf);
        break;
      }
    }
}

/* A quantity as stored: a string, or a number printed bare. */
const char *cp_volume_quantity(json_object *v) {
  if (json_object_is_type(v, json_type_string) ||
      json_object_is_type(v, json_type_int) ||
      json_object_is_type(v, json_type_double))
    return json_object_get_string(v);
  return "";
}

/* kube's GetPersistentVolumeClass / GetPersistentVolumeClaimClass: the
 * beta annotation wins over spec.storageClassName. */
const char *cp_volume_storage_class(json_object *o) {
  json_object *ann = cp_field_typed(o, "metadata.annotations",
                                    json_type_object), *v;

  if (json_object_object_get_ex(ann, "volume.beta.kubernetes.io/storage-class",
                                &v) &&
      json_object_is_type(v, json_type_string))
    return json_object_get_string(v);
  v = cp_field_typed(o, "spec.storageClassName", json_type_string);
  return v != NULL ? json_object_get_string(v) : "";
}
