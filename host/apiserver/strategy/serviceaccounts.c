/*
 * serviceaccounts - core/v1 ServiceAccount: no validation beyond its
 * metadata; `kubectl get sa` prints how many secrets it lists.
 */
#include "apiserver/strategy/core_kinds.h"

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Secrets", "string", "", 0, "Secrets is a list of the secrets in the "
                                 "same namespace that pods running using "
                                 "this ServiceAccount are allowed to use."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
};

static void cells(json_object *o, long long now, json_object *out) {
  json_object *s = cp_field_typed(o, "secrets", json_type_array);

  cp_cell_name(out, o);
  cp_cell_int(out, s != NULL ? (long long)json_object_array_length(s) : 0);
  cp_cell_age(out, o, now);
}

const struct cp_strategy cp_strategy_serviceaccounts = {
    .group = "",
    .resource = "serviceaccounts",
    /* ServiceAccount admission caches them (admission_serviceaccount.h). */
    .flags = CP_STRATEGY_ADMISSION_STATE,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
