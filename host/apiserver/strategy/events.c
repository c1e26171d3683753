/*
 * events - core/v1 Event (kube's pkg/registry/core/event and
 * legacyValidateEvent in pkg/apis/core/validation/events.go): no spec,
 * so no metadata.generation; selectable by the fields kube's
 * ToSelectableFields lists; printed as kubectl prints events.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/table.h"
#include "apiserver/verbs.h"
#include "labels/names.h"

/* kube's legacyValidateEvent, every error found: an event about a
 * namespaced object lives in that object's namespace; one about a
 * cluster-scoped object (involvedObject.namespace empty, which an empty
 * or absent involvedObject is) only in "default", or, for a new-style
 * event (eventTime set), also "kube-system". A new-style event also
 * needs its reporting fields, action and reason, each bounded (the
 * *LengthLimit constants of events.go), and names its reporter by a
 * qualified name. */
static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  const char *ns = get_str(get(o, "metadata"), "namespace");
  const char *ions = get_str(get(o, "involvedObject"), "namespace");
  const char *et = get_str(o, "eventTime");
  int legacy = et == NULL || et[0] == '\0';
  static const struct {
    const char *field;
    int required;
    size_t max; /* 0: no bound */
  } fields[] = {{"reportingComponent", 1, 0},
                {"reportingInstance", 1, 128},
                {"action", 1, 128},
                {"reason", 1, 128},
                {"message", 0, 1024}};
  char why[64];
  size_t i;

  if (ns == NULL)
    ns = "";
  if (ions == NULL)
    ions = "";
  if (ions[0] != '\0'
          ? legacy && strcmp(ns, ions) != 0
          : strcmp(ns, "default") != 0 &&
                (legacy ? ns[0] != '\0' : strcmp(ns, "kube-system") != 0))
    cp_field_invalid_str(errs, "involvedObject.namespace", ions,
                         "does not match event.namespace");
  if (legacy)
    return;
  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *v = get_str(o, fields[i].field), *bad;

    if (fields[i].required && (v == NULL || v[0] == '\0')) {
      cp_field_required(errs, fields[i].field, NULL);
      continue;
    }
    if (v != NULL && fields[i].max > 0 && strlen(v) > fields[i].max) {
      snprintf(why, sizeof why, "can have at most %zu characters",
               fields[i].max);
      cp_field_invalid_str(errs, fields[i].field, "", why);
      continue;
    }
    if (i == 0 && (bad = cp_name_qualified_error(v)) != NULL)
      cp_field_invalid_str(errs, fields[i].field, v, bad);
  }
}

/* Events lead with Last Seen, not Name (kubectl's own order). */
static const struct cp_table_column columns[] = {
    {"Last Seen", "string", "", 0, NULL}, {"Type", "string", "", 0, NULL},
    {"Reason", "string", "", 0, NULL},    {"Object", "string", "", 0, NULL},
    {"Subobject", "string", "", 1, NULL}, {"Source", "string", "", 1, NULL},
    {"Message", "string", "", 0, NULL},   {"First Seen", "string", "", 1, NULL},
    {"Count", "integer", "", 1, NULL},    {"Name", "string", "name", 1, NULL},
};

static void cells(json_object *e, long long now, json_object *out) {
  const char *last = cp_table_str(e, "series.lastObservedTime");
  const char *first = cp_table_str(e, "firstTimestamp");
  const char *kind = cp_table_str(e, "involvedObject.kind");
  const char *comp = cp_table_str(e, "source.component");
  char buf[320], ag[32];
  long long count = cp_table_num(e, "count");
  size_t i;

  if (last == NULL)
    last = cp_table_str(e, "lastTimestamp");
  if (last == NULL)
    last = cp_table_str(e, "eventTime");
  if (last == NULL)
    last = cp_table_str(e, "metadata.creationTimestamp");
  if (first == NULL)
    first = cp_table_str(e, "eventTime");
  if (first == NULL)
    first = cp_table_str(e, "metadata.creationTimestamp");
  cp_table_age_since(ag, sizeof ag, last, now);
  cp_table_add_str(out, ag);
  cp_table_add_str(out, cp_table_str(e, "type"));
  cp_table_add_str(out, cp_table_str(e, "reason"));
  snprintf(buf, sizeof buf, "%s/%s", kind ? kind : "",
           cp_table_str(e, "involvedObject.name")
               ? cp_table_str(e, "involvedObject.name")
               : "");
  for (i = 0; buf[i] != '/' && buf[i] != '\0'; i++)
    if (buf[i] >= 'A' && buf[i] <= 'Z')
      buf[i] = (char)(buf[i] - 'A' + 'a');
  cp_table_add_str(out, buf);
  cp_table_add_str(out, cp_table_str(e, "involvedObject.fieldPath")
                            ? cp_table_str(e, "involvedObject.fieldPath")
                            : "");
  if (comp == NULL)
    comp = cp_table_str(e, "reportingComponent");
  snprintf(buf, sizeof buf, "%s%s%s", comp ? comp : "",
           cp_table_str(e, "source.host") ? ", " : "",
           cp_table_str(e, "source.host") ? cp_table_str(e, "source.host")
                                          : "");
  cp_table_add_str(out, buf);
  cp_table_add_str(out, cp_table_str(e, "message") ? cp_table_str(e, "message")
                                                   : "");
  cp_table_age_since(ag, sizeof ag, first, now);
  cp_table_add_str(out, ag);
  cp_table_add_int(out, count > 0 ? count : 1);
  cp_table_add_str(out, cp_table_str(e, "metadata.name"));
}

static const char *const field_labels[] = {"involvedObject.kind",
                                           "involvedObject.namespace",
                                           "involvedObject.name",
                                           "involvedObject.uid",
                                           "involvedObject.apiVersion",
                                           "involvedObject.resourceVersion",
                                           "involvedObject.fieldPath",
                                           "reason",
                                           "reportingComponent",
                                           "source",
                                           "type",
                                           NULL};

const struct cp_strategy cp_strategy_events = {
    .group = "",
    .resource = "events",
    .field_labels = field_labels,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
