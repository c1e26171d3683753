/*
 * replicationcontrollers - core/v1 ReplicationController: kube's defaults
 * (selector and labels from the template's labels), ValidateReplication
 * Controller (selector given and matching the template, replicas not
 * negative, a template with containers and restartPolicy Always), and
 * the columns `kubectl get rc` prints.
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/strategy/printers.h"

static json_object *template_labels(json_object *o) {
  return cp_field_typed(o, "spec.template.metadata.labels", json_type_object);
}

static int empty_map(json_object *m) {
  return m == NULL || !json_object_is_type(m, json_type_object) ||
         json_object_object_length(m) == 0;
}

/* SetDefaults_ReplicationController. */
static void defaults(json_object *o) {
  json_object *tl = template_labels(o);

  if (empty_map(tl))
    return;
  if (empty_map(cp_field_at(o, "spec.selector")))
    cp_field_set(o, "spec.selector", json_object_get(tl));
  if (empty_map(cp_field_at(o, "metadata.labels")))
    cp_field_set(o, "metadata.labels", json_object_get(tl));
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  defaults(o);
  /* The status is the controller's; kube starts it at zero. */
  cp_field_set(o, "status", json_object_new_object());
  cp_field_set(o, "status.replicas", json_object_new_int(0));
}

static void prepare_update(const struct cp_strategy_write *w, json_object *o,
                           json_object *old) {
  (void)w;
  (void)old;
  defaults(o);
}

/* 1 when every selector pair is among labels. */
static int selects(json_object *sel, json_object *labels) {
  json_object_object_foreach(sel, k, v) {
    json_object *l;

    if (!json_object_object_get_ex(labels, k, &l) ||
        !json_object_is_type(l, json_type_string) ||
        !json_object_is_type(v, json_type_string) ||
        strcmp(json_object_get_string(l), json_object_get_string(v)) != 0)
      return 0;
  }
  return 1;
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const always[] = {"Always", NULL};
  json_object *sel = cp_field_typed(o, "spec.selector", json_type_object);
  json_object *tmpl = cp_field_typed(o, "spec.template", json_type_object);
  int64_t replicas;

  (void)old;
  if (w->subresource != NULL)
    return;
  if (empty_map(sel))
    cp_field_required(errs, "spec.selector", NULL);
  if (cp_field_int(o, "spec.replicas", &replicas) && replicas < 0)
    cp_field_invalid_int(errs, "spec.replicas", replicas,
                         "must be greater than or equal to 0");
  if (tmpl == NULL) {
    cp_field_required(errs, "spec.template", NULL);
    return;
  }
  if (!empty_map(sel) && !selects(sel, template_labels(o))) {
    char *m = cp_go_string_map(template_labels(o));

    cp_field_errors_add(errs, CP_FIELD_INVALID,
                        "spec.template.metadata.labels",
                        m != NULL ? m : "map[string]string(nil)",
                        "`selector` does not match template `labels`");
    free(m);
  }
  cp_pod_template_check_spec(tmpl, "spec.template", always, errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Desired", "integer", "", 0, "Replicas is the number of desired "
                                  "replicas."},
    {"Current", "integer", "", 0, "Replicas is the most recently observed "
                                  "number of replicas."},
    {"Ready", "integer", "", 0, "The number of ready replicas for this "
                                "replication controller."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
    {"Containers", "string", "", 1, "Names of each container in the "
                                    "template."},
    {"Images", "string", "", 1, "Images referenced by each container in the "
                                "template."},
    {"Selector", "string", "", 1, "Selector is a label query over pods that "
                                  "should match the Replicas count."},
};

static void cells(json_object *o, long long now, json_object *out) {
  cp_cell_name(out, o);
  cp_cell_int(out, cp_field_int_or(o, "spec.replicas", 1));
  cp_cell_int(out, cp_field_int_or(o, "status.replicas", 0));
  cp_cell_int(out, cp_field_int_or(o, "status.readyReplicas", 0));
  cp_cell_age(out, o, now);
  cp_cell_containers(out, cp_field_typed(o, "spec.template",
                                         json_type_object));
  cp_cell_label_map(out, cp_field_typed(o, "spec.selector",
                                        json_type_object));
}

static const char *const categories[] = {"all", NULL};
static const char *const field_labels[] = {"status.replicas", NULL};

const struct cp_strategy cp_strategy_replicationcontrollers = {
    .group = "",
    .resource = "replicationcontrollers",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .field_labels = field_labels,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
