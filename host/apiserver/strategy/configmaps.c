/*
 * configmaps - core/v1 ConfigMap (kube's pkg/registry/core/configmap):
 * no spec, so no metadata.generation; printed with its DATA count.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/table.h"
#include "apiserver/verbs.h"

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"Data", "integer", "", 0, NULL},
    {"Age", "string", "", 0, NULL},
};

static void cells(json_object *o, long long now, json_object *out) {
  char ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_int(out, cp_table_map_len(o, "data") +
                            cp_table_map_len(o, "binaryData"));
  cp_table_add_str(out, ag);
}

const struct cp_strategy cp_strategy_configmaps = {
    .group = "",
    .resource = "configmaps",
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
