/*
 * deployments - apps/v1 Deployment (kube's pkg/registry/apps/deployment):
 * a spec with metadata.generation, status and scale subresources, in
 * "all", printed with READY, UP-TO-DATE, AVAILABLE.
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
                                   "deployment", errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"Ready", "string", "", 0, NULL},
    {"Up-to-date", "integer", "", 0, NULL},
    {"Available", "integer", "", 0, NULL},
    {"Age", "string", "", 0, NULL},
};

static void cells(json_object *o, long long now, json_object *out) {
  char buf[48], ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  snprintf(buf, sizeof buf, "%lld/%lld",
           cp_table_num(o, "status.readyReplicas"),
           cp_table_num(o, "spec.replicas"));
  cp_table_add_str(out, buf);
  cp_table_add_int(out, cp_table_num(o, "status.updatedReplicas"));
  cp_table_add_int(out, cp_table_num(o, "status.availableReplicas"));
  cp_table_add_str(out, ag);
}

static const char *const categories[] = {"all", NULL};

/* kube's PrepareForCreate: the status is the controller's
 * (apps.DeploymentStatus{}, every member omitempty). */
static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  cp_field_set(o, "status", json_object_new_object());
}

const struct cp_strategy cp_strategy_deployments = {
    .group = "apps",
    .resource = "deployments",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .categories = categories,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
