/*
 * events_v1 - events.k8s.io/v1 Event: the same objects as core/v1 Events
 * (stored as core/v1 under the same keys, see event_convert.h), checked
 * as kube's ValidateEventCreate checks a new-style event: eventTime,
 * reportingController (a qualified name), reportingInstance, action and
 * reason required and bounded, note at most 1 kB, and the namespace
 * rule of regarding.
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/event_convert.h"
#include "apiserver/strategy/fields.h"
#include "labels/names.h"

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  static const struct {
    const char *field;
    int required;
    size_t max; /* 0: no bound */
  } fields[] = {{"reportingController", 1, 0}, {"reportingInstance", 1, 128},
                {"action", 1, 128},            {"reason", 1, 128},
                {"note", 0, 1024}};
  const char *ns = cp_field_str(o, "metadata.namespace");
  const char *rns = cp_field_str(o, "regarding.namespace"), *et, *bad;
  char why[64];
  size_t i;

  (void)w;
  (void)old;
  ns = ns ? ns : "";
  rns = rns ? rns : "";
  et = cp_field_str(o, "eventTime");
  if (et == NULL || et[0] == '\0')
    cp_field_required(errs, "eventTime", NULL);
  if (rns[0] == '\0' && strcmp(ns, "default") != 0 &&
      strcmp(ns, "kube-system") != 0)
    cp_field_invalid_str(errs, "regarding.namespace", rns,
                         "does not match event.namespace");
  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *v = cp_field_str(o, fields[i].field);

    if (fields[i].required && (v == NULL || v[0] == '\0')) {
      cp_field_required(errs, fields[i].field, NULL);
      continue;
    }
    if (v != NULL && fields[i].max > 0 && strlen(v) > fields[i].max) {
      snprintf(why, sizeof why, "can have at most %zu characters",
               fields[i].max);
      cp_field_invalid_str(errs, fields[i].field, "", why);
    }
    if (i == 0 && v != NULL && (bad = cp_name_qualified_error(v)) != NULL)
      cp_field_invalid_str(errs, fields[i].field, v, bad);
  }
}

/* Stores the object as core/v1. Here until the verbs convert through
 * to_storage themselves; converting twice is harmless. */
static int admit(const struct cp_strategy_write *w, json_object *o,
                 json_object *old, struct cp_api_response *rs) {
  (void)w;
  (void)old;
  (void)rs;
  cp_event_to_core(o);
  return 0;
}

const struct cp_strategy cp_strategy_events_v1 = {
    .group = "events.k8s.io",
    .resource = "events",
    .validate = validate,
    .admit = admit,
    .to_storage = cp_event_to_core,
    .from_storage = cp_event_from_core,
};
