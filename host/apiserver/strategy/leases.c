/*
 * leases - coordination.k8s.io/v1 Lease: no metadata.generation (kube's
 * lease strategy sets none); printed with its HOLDER.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/table.h"
#include "apiserver/verbs.h"

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"Holder", "string", "", 0, NULL},
    {"Age", "string", "", 0, NULL},
};

static void cells(json_object *o, long long now, json_object *out) {
  char ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_str(out, cp_table_str(o, "spec.holderIdentity"));
  cp_table_add_str(out, ag);
}

const struct cp_strategy cp_strategy_leases = {
    .group = "coordination.k8s.io",
    .resource = "leases",
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
