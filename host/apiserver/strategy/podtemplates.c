/*
 * podtemplates - core/v1 PodTemplate: `kubectl get podtemplates` prints
 * the template's containers, images and pod labels.
 */
#include "apiserver/strategy/core_kinds.h"

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Containers", "string", "", 0, "Names of each container in the "
                                    "template."},
    {"Images", "string", "", 0, "Images referenced by each container in the "
                                "template."},
    {"Pod Labels", "string", "", 0, "The labels for the pod template."},
};

static void cells(json_object *o, long long now, json_object *out) {
  json_object *t = cp_field_typed(o, "template", json_type_object);

  (void)now;
  cp_cell_name(out, o);
  cp_cell_containers(out, t);
  cp_cell_label_map(out, cp_field_typed(t, "metadata.labels",
                                        json_type_object));
}

const struct cp_strategy cp_strategy_podtemplates = {
    .group = "",
    .resource = "podtemplates",
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
