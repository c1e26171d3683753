/*
 * limitranges - core/v1 LimitRange: each limit's type is one kube knows;
 * `kubectl get limits` prints when it was created, not its age.
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

#define MAX_LIMITS 1024

static const char *const limit_types[] = {"Container", "Pod",
                                          "PersistentVolumeClaim", NULL};

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *l = cp_field_typed(o, "spec.limits", json_type_array);
  size_t i, j, n = l != NULL ? json_object_array_length(l) : 0;

  (void)w;
  (void)old;
  for (i = 0; i < n && i < MAX_LIMITS; i++) {
    const char *t = cp_field_str(json_object_array_get_idx(l, i), "type");
    char path[48];
    int ok = 0;

    if (t == NULL)
      continue;
    for (j = 0; limit_types[j] != NULL; j++)
      ok |= strcmp(limit_types[j], t) == 0;
    snprintf(path, sizeof path, "spec.limits[%zu].type", i);
    if (!ok)
      cp_field_not_supported(errs, path, t, limit_types);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Created At", "date", "", 0, "CreationTimestamp is a timestamp "
                                  "representing the server time when this "
                                  "object was created."},
};

static void cells(json_object *o, long long now, json_object *out) {
  (void)now;
  cp_cell_name(out, o);
  cp_cell_str(out, cp_field_str(o, "metadata.creationTimestamp"));
}

const struct cp_strategy cp_strategy_limitranges = {
    .group = "",
    .resource = "limitranges",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
