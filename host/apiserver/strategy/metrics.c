/*
 * metrics - metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, the
 * resource usage metrics-server serves and `kubectl top` reads. Here the
 * nodes' reporter (nodesim) writes them, so they are ordinary stored
 * objects: no generation, no status; printed with their usage and window.
 * A PodMetrics carries its pod as ownerReference, so the garbage
 * collector removes it with the pod.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/table.h"

static const struct cp_table_column node_columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"CPU", "string", "", 0, "CPU usage, in cores"},
    {"Memory", "string", "", 0, "Memory usage, in bytes"},
    {"Window", "string", "", 0, "How long the usage was measured over"},
    {"Age", "string", "", 0, NULL},
};

static void node_cells(json_object *o, long long now, json_object *out) {
  char ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_str(out, cp_table_str(o, "usage.cpu"));
  cp_table_add_str(out, cp_table_str(o, "usage.memory"));
  cp_table_add_str(out, cp_table_str(o, "window"));
  cp_table_add_str(out, ag);
}

static const struct cp_table_column pod_columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"Containers", "integer", "", 0, "How many containers report usage"},
    {"Window", "string", "", 0, "How long the usage was measured over"},
    {"Age", "string", "", 0, NULL},
};

static void pod_cells(json_object *o, long long now, json_object *out) {
  char ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_int(out, cp_table_arr_len(o, "containers"));
  cp_table_add_str(out, cp_table_str(o, "window"));
  cp_table_add_str(out, ag);
}

const struct cp_strategy cp_strategy_nodemetrics = {
    .group = "metrics.k8s.io",
    .resource = "nodes",
    .columns = node_columns,
    .n_columns = sizeof node_columns / sizeof node_columns[0],
    .cells = node_cells,
};

const struct cp_strategy cp_strategy_podmetrics = {
    .group = "metrics.k8s.io",
    .resource = "pods",
    .columns = pod_columns,
    .n_columns = sizeof pod_columns / sizeof pod_columns[0],
    .cells = pod_cells,
};
