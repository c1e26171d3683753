/*
 * nodes - core/v1 Node (kube's pkg/registry/core/node/strategy.go):
 * cluster-scoped, a status subresource, no metadata.generation,
 * selectable by spec.unschedulable, printed as kubectl prints nodes.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/table.h"
#include "apiserver/verbs.h"

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL}, {"Status", "string", "", 0, NULL},
    {"Roles", "string", "", 0, NULL},    {"Age", "string", "", 0, NULL},
    {"Version", "string", "", 0, NULL},
};

static void cells(json_object *n, long long now, json_object *out) {
  json_object *conds = get(get(n, "status"), "conditions");
  int n_conds = cp_table_arr_len(n, "status.conditions"), i;
  const char *status = "Unknown";
  char buf[64], ag[32];

  for (i = 0; conds != NULL && i < n_conds; i++) {
    json_object *c = json_object_array_get_idx(conds, (size_t)i);
    const char *t = cp_table_str(c, "type"), *s = cp_table_str(c, "status");

    if (t != NULL && strcmp(t, "Ready") == 0 && s != NULL)
      status = strcmp(s, "True") == 0 ? "Ready" : "NotReady";
  }
  snprintf(buf, sizeof buf, "%s%s", status,
           json_object_get_boolean(get(get(n, "spec"), "unschedulable"))
               ? ",SchedulingDisabled"
               : "");
  cp_table_age(ag, sizeof ag, n, now);
  cp_table_add_str(out, cp_table_str(n, "metadata.name"));
  cp_table_add_str(out, buf);
  cp_table_add_str(out, "<none>");
  cp_table_add_str(out, ag);
  cp_table_add_str(out, cp_table_str(n, "status.nodeInfo.kubeletVersion"));
}

static const char *const field_labels[] = {"spec.unschedulable", NULL};

const struct cp_strategy cp_strategy_nodes = {
    .group = "",
    .resource = "nodes",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .field_labels = field_labels,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
