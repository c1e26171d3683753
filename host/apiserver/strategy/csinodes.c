/*
 * csinodes - storage.k8s.io/v1 CSINode, as kube's pkg/registry/storage/
 * csinode: each driver has a unique name and a nodeID of at most 192
 * characters; allocatable.count is not negative.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"

#define NODE_ID_MAX 192

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *ds = cp_plat_get(spec, "drivers", json_type_array);
  size_t i, j, n = ds != NULL ? json_object_array_length(ds) : 0;
  char f[96], detail[64];

  (void)w;
  (void)old;
  for (i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(ds, i);
    const char *name = cp_plat_str0(d, "name"), *id = cp_plat_str0(d, "nodeID");
    long long count;

    snprintf(f, sizeof f, "spec.drivers[%zu].name", i);
    if (name[0] == '\0')
      cp_field_required(errs, f, NULL);
    for (j = 0; j < i && name[0] != '\0'; j++)
      if (strcmp(cp_plat_str0(json_object_array_get_idx(ds, j), "name"),
                 name) == 0) {
        char *v = cp_plat_go_value(json_object_object_get(d, "name"));

        cp_field_errors_add(errs, CP_FIELD_DUPLICATE, f, v, NULL);
        free(v);
        break;
      }
    snprintf(f, sizeof f, "spec.drivers[%zu].nodeID", i);
    if (id[0] == '\0') {
      cp_field_required(errs, f, NULL);
    } else if (strlen(id) > NODE_ID_MAX) {
      snprintf(detail, sizeof detail, "must be %d characters or less",
               NODE_ID_MAX);
      cp_field_errors_add(errs, CP_FIELD_TOO_LONG, f, NULL, detail);
    }
    snprintf(f, sizeof f, "spec.drivers[%zu].allocatable.count", i);
    if (cp_plat_int(cp_plat_get(d, "allocatable", json_type_object), "count",
                    &count) &&
        count < 0)
      cp_field_invalid_int(errs, f, count,
                           "must be greater than or equal to 0");
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Drivers", "integer", "", 0, "Drivers indicates the number of CSI "
                                  "drivers registered on the node"},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  cp_plat_cell_name(out, obj);
  cp_plat_cell_int(out, (long long)cp_plat_len(
                            cp_plat_get(obj, "spec", json_type_object),
                            "drivers"));
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_csinodes = {
    .group = "storage.k8s.io",
    .resource = "csinodes",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
