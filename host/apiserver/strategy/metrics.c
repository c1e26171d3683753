/*
 * metrics - metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, the
 * resource usage metrics-server serves and `kubectl top` reads. They are
 * computed on every read (verbs_metrics.c), never written, so all that
 * is left for a strategy is printing: metrics-server's Table columns,
 * NAME, CPU and MEMORY (a pod's summed over its containers) and WINDOW.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/metrics_usage.h"
#include "apiserver/table.h"

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name of the resource"},
    {"cpu", "string", "quantity", 0, NULL},
    {"memory", "string", "quantity", 0, NULL},
    {"Window", "string", "duration", 0, NULL},
};

static void add_usage_cells(json_object *out, const struct cp_usage *u) {
  char cpu[CP_USAGE_QUANTITY_LEN], mem[CP_USAGE_QUANTITY_LEN];

  cp_usage_format(u, cpu, mem);
  cp_table_add_str(out, cpu);
  cp_table_add_str(out, mem);
}

static void node_cells(json_object *o, long long now, json_object *out) {
  struct cp_usage u = {0, 0};
  json_object *usage = NULL;

  (void)now;
  json_object_object_get_ex(o, "usage", &usage);
  cp_usage_add_parsed(usage, &u);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  add_usage_cells(out, &u);
  cp_table_add_str(out, cp_table_str(o, "window"));
}

static void pod_cells(json_object *o, long long now, json_object *out) {
  struct cp_usage u = {0, 0};
  json_object *cs = NULL, *usage;
  size_t i, n;

  (void)now;
  if (json_object_object_get_ex(o, "containers", &cs) &&
      json_object_is_type(cs, json_type_array)) {
    n = json_object_array_length(cs);
    for (i = 0; i < n; i++)
      if (json_object_object_get_ex(json_object_array_get_idx(cs, i), "usage",
                                    &usage))
        cp_usage_add_parsed(usage, &u);
  }
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  add_usage_cells(out, &u);
  cp_table_add_str(out, cp_table_str(o, "window"));
}

const struct cp_strategy cp_strategy_nodemetrics = {
    .group = "metrics.k8s.io",
    .resource = "nodes",
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = node_cells,
};

const struct cp_strategy cp_strategy_podmetrics = {
    .group = "metrics.k8s.io",
    .resource = "pods",
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = pod_cells,
};
