/*
 * metrics - metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, the
 * resource usage metrics-server serves and `kubectl top` reads. Here the
 * nodes' reporter (nodesim) writes them, so they are ordinary stored
 * objects: no generation, no status; printed with their usage and window.
 * A PodMetrics carries its pod as ownerReference, so the garbage
 * collector removes it with the pod. kube has no validation for them
 * (metrics-server builds them); a usage that is not a quantity is refused
 * here, so that readers (kubectl top, the autoscaler) never meet one.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/quantity.h"
#include "apiserver/table.h"

#define MAX_CONTAINERS 256
#define MAX_USAGE 64

/* Every value of the usage map at `at` (path `where`) is a quantity. */
static void check_usage(json_object *at, const char *where,
                        struct cp_field_errors *errs) {
  json_object *usage = cp_field_typed(at, "usage", json_type_object);
  cp_quantity q;
  char path[400], count[32];

  if (usage == NULL)
    return;
  if (json_object_object_length(usage) > MAX_USAGE) {
    snprintf(path, sizeof path, "%susage", where);
    snprintf(count, sizeof count, "%d", json_object_object_length(usage));
    cp_field_errors_add(errs, CP_FIELD_TOO_MANY, path, count,
                        "must have at most 64 items");
    return;
  }
  json_object_object_foreach(usage, k, v) {
    if (cp_quantity_parse(v, &q) == 0 && q >= 0)
      continue;
    snprintf(path, sizeof path, "%susage[%.250s]", where, k);
    cp_field_invalid_str(errs, path, json_object_get_string(v),
                         "must be a non-negative quantity");
  }
}

static void validate_node(const struct cp_strategy_write *w, json_object *o,
                          json_object *old, struct cp_field_errors *errs) {
  (void)w;
  (void)old;
  check_usage(o, "", errs);
}

static void validate_pod(const struct cp_strategy_write *w, json_object *o,
                         json_object *old, struct cp_field_errors *errs) {
  json_object *cs = cp_field_typed(o, "containers", json_type_array);
  size_t i, n = cs != NULL ? json_object_array_length(cs) : 0;
  char where[48];

  (void)w;
  (void)old;
  if (n > MAX_CONTAINERS) {
    snprintf(where, sizeof where, "%zu", n);
    cp_field_errors_add(errs, CP_FIELD_TOO_MANY, "containers", where,
                        "must have at most 256 items");
    return;
  }
  for (i = 0; i < n; i++) {
    snprintf(where, sizeof where, "containers[%zu].", i);
    check_usage(json_object_array_get_idx(cs, i), where, errs);
  }
}

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
    .validate = validate_node,
    .columns = node_columns,
    .n_columns = sizeof node_columns / sizeof node_columns[0],
    .cells = node_cells,
};

const struct cp_strategy cp_strategy_podmetrics = {
    .group = "metrics.k8s.io",
    .resource = "pods",
    .validate = validate_pod,
    .columns = pod_columns,
    .n_columns = sizeof pod_columns / sizeof pod_columns[0],
    .cells = pod_cells,
};
