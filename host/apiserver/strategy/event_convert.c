/*
 * event_convert - see event_convert.h.
 */
#include "apiserver/strategy/event_convert.h"

#include <stddef.h>

/* events.k8s.io/v1 name, core/v1 name. */
static const char *const renames[][2] = {
    {"regarding", "involvedObject"},
    {"note", "message"},
    {"reportingController", "reportingComponent"},
    {"deprecatedSource", "source"},
    {"deprecatedFirstTimestamp", "firstTimestamp"},
    {"deprecatedLastTimestamp", "lastTimestamp"},
    {"deprecatedCount", "count"},
};

/* Moves obj[from] to obj[to] (replacing it), when from is there. */
static void rename(json_object *obj, const char *from, const char *to) {
  json_object *v;

  if (!json_object_object_get_ex(obj, from, &v))
    return;
  json_object_object_add(obj, to, json_object_get(v));
  json_object_object_del(obj, from);
}

static void convert(json_object *obj, int to_core) {
  size_t i;

  if (!json_object_is_type(obj, json_type_object))
    return;
  for (i = 0; i < sizeof renames / sizeof renames[0]; i++)
    rename(obj, renames[i][to_core ? 0 : 1], renames[i][to_core ? 1 : 0]);
  json_object_object_add(
      obj, "apiVersion",
      json_object_new_string(to_core ? "v1" : "events.k8s.io/v1"));
  json_object_object_add(obj, "kind", json_object_new_string("Event"));
}

void cp_event_to_core(json_object *obj) { convert(obj, 1); }

void cp_event_from_core(json_object *obj) { convert(obj, 0); }
