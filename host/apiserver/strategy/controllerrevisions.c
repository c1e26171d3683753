/*
 * controllerrevisions - apps/v1 ControllerRevision, as kube's pkg/
 * registry/apps/controllerrevision strategy: no spec, so no generation;
 * revision >= 0; data may not change once written.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  (void)w;
  cp_check_nonnegative(obj, "", "revision", errs);
  if (old != NULL && !json_object_equal(cp_field_at(obj, "data"),
                                        cp_field_at(old, "data")))
    cp_field_errors_add(errs, CP_FIELD_INVALID, "data",
                        "runtime.RawExtension{...}", "field is immutable");
}

/* "statefulset.apps/web": the controlling owner as kube's printer shows
 * it (kind lowercased, group of its apiVersion). */
static void controller_cell(json_object *obj, json_object *out) {
  json_object *refs =
      cp_field_typed(obj, "metadata.ownerReferences", json_type_array);
  size_t i;

  for (i = 0; refs != NULL && i < json_object_array_length(refs); i++) {
    json_object *r = json_object_array_get_idx(refs, i);
    const char *kind = cp_field_str(r, "kind"), *name = cp_field_str(r, "name");
    const char *av = cp_field_str(r, "apiVersion"), *slash;
    char buf[512];
    size_t j, n;

    if (!cp_field_true(r, "controller") || kind == NULL || name == NULL)
      continue;
    slash = av != NULL ? strchr(av, '/') : NULL;
    n = (size_t)snprintf(buf, sizeof buf, "%s", kind);
    for (j = 0; j < n && j < sizeof buf; j++)
      if (buf[j] >= 'A' && buf[j] <= 'Z')
        buf[j] = (char)(buf[j] - 'A' + 'a');
    if (slash != NULL)
      snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%.*s",
               (int)(slash - av), av);
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "/%s", name);
    cp_cell_str(out, buf);
    return;
  }
  cp_cell_str(out, "<none>");
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Controller", "string", "", 0, ""},
    {"Revision", "integer", "", 0, ""},
    {"Age", "string", "", 0, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  cp_cell_name(out, obj);
  controller_cell(obj, out);
  cp_cell_int(out, cp_field_int_or(obj, "revision", 0));
  cp_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_controllerrevisions = {
    .group = "apps",
    .resource = "controllerrevisions",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
