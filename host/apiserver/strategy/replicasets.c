/*
 * replicasets - apps/v1 ReplicaSet (kube's pkg/registry/apps/replicaset):
 * a spec with metadata.generation, status and scale subresources, in
 * "all", selectable by status.replicas, printed with DESIRED, CURRENT,
 * READY.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/table.h"
#include "apiserver/verbs.h"

/* kube's Validate{Deployment,ReplicaSet}Spec beyond the schema; a
 * status update validates the status only, as kube's status strategy. */
static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  if (w->subresource == NULL)
    cp_pod_template_check_selector(json_object_object_get(o, "spec"),
                                   "replicaset", errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL}, {"Desired", "integer", "", 0, NULL},
    {"Current", "integer", "", 0, NULL}, {"Ready", "integer", "", 0, NULL},
    {"Age", "string", "", 0, NULL},
};

static void cells(json_object *o, long long now, json_object *out) {
  char ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_int(out, cp_table_num(o, "spec.replicas"));
  cp_table_add_int(out, cp_table_num(o, "status.replicas"));
  cp_table_add_int(out, cp_table_num(o, "status.readyReplicas"));
  cp_table_add_str(out, ag);
}

static const char *const categories[] = {"all", NULL};
static const char *const field_labels[] = {"status.replicas", NULL};

/* kube's PrepareForCreate: the status is the controller's
 * (apps.ReplicaSetStatus{}: replicas is not omitempty). */
static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  cp_field_set(o, "status", json_object_new_object());
  cp_field_set(o, "status.replicas", json_object_new_int(0));
}

const struct cp_strategy cp_strategy_replicasets = {
    .group = "apps",
    .resource = "replicasets",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .categories = categories,
    .validate = validate,
    .field_labels = field_labels,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
