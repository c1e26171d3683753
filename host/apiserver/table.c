/* table - see table.h. Cells follow kubectl's own printers
 * (pkg/printers/internalversion) closely enough to look familiar. */
#include "apiserver/table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apiserver/printer_columns.h"

int cp_table_wanted(const char *accept) {
  return accept != NULL && strstr(accept, "as=Table") != NULL &&
         strstr(accept, "g=meta.k8s.io") != NULL;
}

/* ---- reading ---- */

static json_object *at(json_object *o, const char *path) {
  char seg[128];

  while (o != NULL && *path != '\0') {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);

    if (n >= sizeof seg)
      return NULL;
    memcpy(seg, path, n);
    seg[n] = '\0';
    if (!json_object_object_get_ex(o, seg, &o))
      return NULL;
    path += n + (dot ? 1 : 0);
  }
  return o;
}

static const char *str(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

static long long num(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL ? json_object_get_int64(v) : 0;
}

static int arr_len(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL && json_object_is_type(v, json_type_array)
             ? (int)json_object_array_length(v)
             : 0;
}

/* ---- cells ---- */

/* kubectl's HumanDuration: "45s", "5m10s", "2h", "3d4h"; a zero
 * remainder is left out. */
static void age_since(char *buf, size_t len, const char *ts, long long now) {
  struct tm tm;
  long long s, m, h, d;

  memset(&tm, 0, sizeof tm);
  if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
    snprintf(buf, len, "<unknown>");
    return;
  }
  s = now - (long long)timegm(&tm);
  if (s < 0)
    s = 0;
  m = s / 60, h = s / 3600, d = s / 86400;
  if (s < 120)
    snprintf(buf, len, "%llds", s);
  else if (m < 10 && s % 60 != 0)
    snprintf(buf, len, "%lldm%llds", m, s % 60);
  else if (h < 3)
    snprintf(buf, len, "%lldm", m);
  else if (h < 8 && m % 60 != 0)
    snprintf(buf, len, "%lldh%lldm", h, m % 60);
  else if (h < 48)
    snprintf(buf, len, "%lldh", h);
  else if (h < 192 && h % 24 != 0)
    snprintf(buf, len, "%lldd%lldh", d, h % 24);
  else if (d < 365 * 2)
    snprintf(buf, len, "%lldd", d);
  else if (d % 365 != 0)
    snprintf(buf, len, "%lldy%lldd", d / 365, d % 365);
  else
    snprintf(buf, len, "%lldy", d / 365);
}

void cp_table_age(char *buf, size_t len, const char *ts, long long now) {
  age_since(buf, len, ts, now);
}

static void age(char *buf, size_t len, json_object *obj, long long now) {
  age_since(buf, len, str(obj, "metadata.creationTimestamp"), now);
}

static void add_str(json_object *cells, const char *s) {
  json_object_array_add(cells, json_object_new_string(s ? s : "<none>"));
}

static void add_int(json_object *cells, long long v) {
  json_object_array_add(cells, json_object_new_int64(v));
}

static void pod_cells(json_object *cells, json_object *p, const char *ag) {
  int n = arr_len(p, "spec.containers"), i, ready = 0;
  json_object *cs = at(p, "status.containerStatuses");
  long long restarts = 0;
  char buf[32];
  const char *phase = str(p, "status.phase");

  for (i = 0; cs != NULL && i < arr_len(p, "status.containerStatuses"); i++) {
    json_object *c = json_object_array_get_idx(cs, (size_t)i);

    ready += json_object_get_boolean(at(c, "ready"));
    restarts += num(c, "restartCount");
  }
  snprintf(buf, sizeof buf, "%d/%d", ready, n);
  add_str(cells, buf);
  if (str(p, "metadata.deletionTimestamp") != NULL)
    phase = "Terminating";
  add_str(cells, phase ? phase : "Pending");
  add_int(cells, restarts);
  add_str(cells, ag);
  add_str(cells, str(p, "status.podIP"));
  add_str(cells, str(p, "spec.nodeName"));
}

static void node_cells(json_object *cells, json_object *n, const char *ag) {
  json_object *conds = at(n, "status.conditions");
  const char *status = "Unknown";
  char buf[64];
  int i;

  for (i = 0; conds != NULL && i < arr_len(n, "status.conditions"); i++) {
    json_object *c = json_object_array_get_idx(conds, (size_t)i);
    const char *t = str(c, "type"), *s = str(c, "status");

    if (t != NULL && strcmp(t, "Ready") == 0 && s != NULL)
      status = strcmp(s, "True") == 0 ? "Ready" : "NotReady";
  }
  snprintf(buf, sizeof buf, "%s%s", status,
           json_object_get_boolean(at(n, "spec.unschedulable"))
               ? ",SchedulingDisabled"
               : "");
  add_str(cells, buf);
  add_str(cells, "<none>");
  add_str(cells, ag);
  add_str(cells, str(n, "status.nodeInfo.kubeletVersion"));
}

static void replicas_cells(json_object *cells, json_object *o, const char *ag,
                           int deployment) {
  char buf[48];

  if (deployment) {
    snprintf(buf, sizeof buf, "%lld/%lld", num(o, "status.readyReplicas"),
             num(o, "spec.replicas"));
    add_str(cells, buf);
    add_int(cells, num(o, "status.updatedReplicas"));
    add_int(cells, num(o, "status.availableReplicas"));
  } else {
    add_int(cells, num(o, "spec.replicas"));
    add_int(cells, num(o, "status.replicas"));
    add_int(cells, num(o, "status.readyReplicas"));
  }
  add_str(cells, ag);
}

static int map_len(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL && json_object_is_type(v, json_type_object)
             ? json_object_object_length(v)
             : 0;
}

/* kubectl's event printer: Last Seen, Type, Reason, Object, Subobject,
 * Source, Message, First Seen, Count, Name. The newest of the timestamps
 * an event may carry counts as last seen (events.k8s.io writers set only
 * eventTime and series). */
static void event_cells(json_object *cells, json_object *e, long long now) {
  const char *last = str(e, "series.lastObservedTime");
  const char *first = str(e, "firstTimestamp");
  const char *kind = str(e, "involvedObject.kind");
  const char *comp = str(e, "source.component");
  char buf[320], ag[32];
  long long count = num(e, "count");
  size_t i;

  if (last == NULL)
    last = str(e, "lastTimestamp");
  if (last == NULL)
    last = str(e, "eventTime");
  if (last == NULL)
    last = str(e, "metadata.creationTimestamp");
  if (first == NULL)
    first = str(e, "eventTime");
  if (first == NULL)
    first = str(e, "metadata.creationTimestamp");
  age_since(ag, sizeof ag, last, now);
  add_str(cells, ag);
  add_str(cells, str(e, "type"));
  add_str(cells, str(e, "reason"));
  snprintf(buf, sizeof buf, "%s/%s", kind ? kind : "",
           str(e, "involvedObject.name") ? str(e, "involvedObject.name")
                                         : "");
  for (i = 0; buf[i] != '/' && buf[i] != '\0'; i++)
    if (buf[i] >= 'A' && buf[i] <= 'Z')
      buf[i] = (char)(buf[i] - 'A' + 'a');
  add_str(cells, buf);
  add_str(cells, str(e, "involvedObject.fieldPath")
                     ? str(e, "involvedObject.fieldPath")
                     : "");
  if (comp == NULL)
    comp = str(e, "reportingComponent");
  snprintf(buf, sizeof buf, "%s%s%s", comp ? comp : "",
           str(e, "source.host") ? ", " : "",
           str(e, "source.host") ? str(e, "source.host") : "");
  add_str(cells, buf);
  add_str(cells, str(e, "message") ? str(e, "message") : "");
  age_since(ag, sizeof ag, first, now);
  add_str(cells, ag);
  add_int(cells, count > 0 ? count : 1);
  add_str(cells, str(e, "metadata.name"));
}

/* ---- the table ---- */

struct column {
  const char *name, *type, *format;
  int priority;
};

static const struct column name_col = {"Name", "string", "name", 0};
static const struct column age_col = {"Age", "string", "", 0};

static const struct column pod_cols[] = {
    {"Ready", "string", "", 0},      {"Status", "string", "", 0},
    {"Restarts", "integer", "", 0},  {"Age", "string", "", 0},
    {"IP", "string", "", 1},         {"Node", "string", "", 1},
};
static const struct column node_cols[] = {
    {"Status", "string", "", 0},
    {"Roles", "string", "", 0},
    {"Age", "string", "", 0},
    {"Version", "string", "", 0},
};
static const struct column deploy_cols[] = {
    {"Ready", "string", "", 0},
    {"Up-to-date", "integer", "", 0},
    {"Available", "integer", "", 0},
    {"Age", "string", "", 0},
};
static const struct column rs_cols[] = {
    {"Desired", "integer", "", 0},
    {"Current", "integer", "", 0},
    {"Ready", "integer", "", 0},
    {"Age", "string", "", 0},
};
static const struct column ns_cols[] = {
    {"Status", "string", "", 0},
    {"Age", "string", "", 0},
};
/* Events lead with Last Seen, not Name (kubectl's own order). */
static const struct column event_cols[] = {
    {"Last Seen", "string", "", 0}, {"Type", "string", "", 0},
    {"Reason", "string", "", 0},    {"Object", "string", "", 0},
    {"Subobject", "string", "", 1}, {"Source", "string", "", 1},
    {"Message", "string", "", 0},   {"First Seen", "string", "", 1},
    {"Count", "integer", "", 1},    {"Name", "string", "name", 1},
};
static const struct column cm_cols[] = {
    {"Data", "integer", "", 0},
    {"Age", "string", "", 0},
};
static const struct column secret_cols[] = {
    {"Type", "string", "", 0},
    {"Data", "integer", "", 0},
    {"Age", "string", "", 0},
};
static const struct column lease_cols[] = {
    {"Holder", "string", "", 0},
    {"Age", "string", "", 0},
};
static const struct column crd_cols[] = {
    {"Created At", "date", "", 0},
};

enum shape { GENERIC, POD, NODE, DEPLOY, RS, NS, EVENT, CM, SECRET, LEASE,
             CRD, GENERIC_DONE };

static enum shape shape_of(const struct cp_resource_type *t) {
  if (t->group[0] == '\0' && strcmp(t->resource, "pods") == 0)
    return POD;
  if (t->group[0] == '\0' && strcmp(t->resource, "nodes") == 0)
    return NODE;
  if (t->group[0] == '\0' && strcmp(t->resource, "namespaces") == 0)
    return NS;
  if (strcmp(t->group, "apps") == 0 && strcmp(t->resource, "deployments") == 0)
    return DEPLOY;
  if (strcmp(t->group, "apps") == 0 && strcmp(t->resource, "replicasets") == 0)
    return RS;
  if (t->group[0] == '\0' && strcmp(t->resource, "events") == 0)
    return EVENT;
  if (t->group[0] == '\0' && strcmp(t->resource, "configmaps") == 0)
    return CM;
  if (t->group[0] == '\0' && strcmp(t->resource, "secrets") == 0)
    return SECRET;
  if (strcmp(t->group, "coordination.k8s.io") == 0 &&
      strcmp(t->resource, "leases") == 0)
    return LEASE;
  if (strcmp(t->group, "apiextensions.k8s.io") == 0 &&
      strcmp(t->resource, "customresourcedefinitions") == 0)
    return CRD;
  return GENERIC;
}

static void add_column(json_object *defs, const struct column *c) {
  json_object *d = json_object_new_object();

  json_object_object_add(d, "name", json_object_new_string(c->name));
  json_object_object_add(d, "type", json_object_new_string(c->type));
  json_object_object_add(d, "format", json_object_new_string(c->format));
  json_object_object_add(d, "description", json_object_new_string(""));
  json_object_object_add(d, "priority", json_object_new_int(c->priority));
  json_object_array_add(defs, d);
}

#define COLS(a) a, sizeof a / sizeof a[0]

/* Each shape's columns after Name (events have no leading Name). */
static const struct {
  const struct column *cols;
  size_t n;
} shape_cols[] = {
    [GENERIC] = {&age_col, 1},        [POD] = {COLS(pod_cols)},
    [NODE] = {COLS(node_cols)},       [DEPLOY] = {COLS(deploy_cols)},
    [RS] = {COLS(rs_cols)},           [NS] = {COLS(ns_cols)},
    [EVENT] = {COLS(event_cols)},     [CM] = {COLS(cm_cols)},
    [SECRET] = {COLS(secret_cols)},   [LEASE] = {COLS(lease_cols)},
    [CRD] = {COLS(crd_cols)},
};

static json_object *columns(enum shape s) {
  json_object *defs = json_object_new_array();
  size_t i;

  if (s != EVENT)
    add_column(defs, &name_col);
  for (i = 0; i < shape_cols[s].n; i++)
    add_column(defs, &shape_cols[s].cols[i]);
  return defs;
}

/* One row; takes a reference to obj when it goes in whole. */
static json_object *row(const struct cp_resource_type *type, enum shape s,
                        json_object *obj, int include_object, long long now) {
  json_object *r = json_object_new_object(), *cells = json_object_new_array();
  json_object *meta, *md, *custom = cp_printer_columns_cells(type, obj, now);
  char ag[32];

  age(ag, sizeof ag, obj, now);
  if (custom != NULL) { /* a CRD's additionalPrinterColumns */
    json_object_put(cells);
    cells = custom;
  } else if (s != EVENT)
    add_str(cells, str(obj, "metadata.name"));
  switch (custom != NULL ? GENERIC_DONE : s) {
  case GENERIC_DONE:
    break;
  case POD:
    pod_cells(cells, obj, ag);
    break;
  case NODE:
    node_cells(cells, obj, ag);
    break;
  case DEPLOY:
    replicas_cells(cells, obj, ag, 1);
    break;
  case RS:
    replicas_cells(cells, obj, ag, 0);
    break;
  case NS:
    add_str(cells, str(obj, "status.phase"));
    add_str(cells, ag);
    break;
  case EVENT:
    event_cells(cells, obj, now);
    break;
  case CM:
    add_int(cells, map_len(obj, "data") + map_len(obj, "binaryData"));
    add_str(cells, ag);
    break;
  case SECRET:
    add_str(cells, str(obj, "type") ? str(obj, "type") : "Opaque");
    add_int(cells, map_len(obj, "data"));
    add_str(cells, ag);
    break;
  case LEASE:
    add_str(cells, str(obj, "spec.holderIdentity"));
    add_str(cells, ag);
    break;
  case CRD:
    add_str(cells, str(obj, "metadata.creationTimestamp"));
    break;
  case GENERIC:
    add_str(cells, ag);
    break;
  }
  json_object_object_add(r, "cells", cells);
  if (include_object) {
    json_object_object_add(r, "object", json_object_get(obj));
  } else {
    meta = json_object_new_object();
    json_object_object_add(meta, "kind",
                           json_object_new_string("PartialObjectMetadata"));
    json_object_object_add(meta, "apiVersion",
                           json_object_new_string("meta.k8s.io/v1"));
    if (json_object_object_get_ex(obj, "metadata", &md))
      json_object_object_add(meta, "metadata", json_object_get(md));
    json_object_object_add(r, "object", meta);
  }
  return r;
}

/* Parses exactly len bytes: a reply body need not end in a NUL. */
static json_object *parse_len(const char *body, size_t len) {
  struct json_tokener *tok = json_tokener_new();
  json_object *o = NULL;

  if (tok == NULL || body == NULL || len > (size_t)INT32_MAX)
    goto out;
  o = json_tokener_parse_ex(tok, body, (int)len);
  if (json_tokener_get_error(tok) != json_tokener_success) {
    json_object_put(o);
    o = NULL;
  }
out:
  if (tok != NULL)
    json_tokener_free(tok);
  return o;
}

char *cp_table_render(const struct cp_resource_type *type, const char *body,
                      size_t len, int include_object, long long now) {
  json_object *in = parse_len(body, len), *t = NULL;
  json_object *rows, *items, *lmeta, *tmeta, *cols;
  enum shape s = shape_of(type);
  char *out = NULL;
  size_t i;

  if (in == NULL || !json_object_is_type(in, json_type_object))
    goto out;
  t = json_object_new_object();
  json_object_object_add(t, "kind", json_object_new_string("Table"));
  json_object_object_add(t, "apiVersion",
                         json_object_new_string("meta.k8s.io/v1"));
  tmeta = json_object_new_object();
  json_object_object_add(t, "metadata", tmeta);
  cols = cp_printer_columns_definitions(type);
  json_object_object_add(t, "columnDefinitions", cols ? cols : columns(s));
  rows = json_object_new_array();
  json_object_object_add(t, "rows", rows);
  if (json_object_object_get_ex(in, "items", &items) &&
      json_object_is_type(items, json_type_array)) {
    /* A list: its resourceVersion and continue token carry over, so that
     * kubectl's chunked listing (limit=500) goes on. */
    if (json_object_object_get_ex(in, "metadata", &lmeta)) {
      const char *rv = str(lmeta, "resourceVersion"),
                 *cont = str(lmeta, "continue");

      if (rv != NULL)
        json_object_object_add(tmeta, "resourceVersion",
                               json_object_new_string(rv));
      if (cont != NULL && cont[0] != '\0')
        json_object_object_add(tmeta, "continue",
                               json_object_new_string(cont));
    }
    for (i = 0; i < json_object_array_length(items); i++)
      json_object_array_add(rows,
                            row(type, s, json_object_array_get_idx(items, i),
                                include_object, now));
  } else {
    const char *rv = str(in, "metadata.resourceVersion");

    if (rv != NULL)
      json_object_object_add(tmeta, "resourceVersion",
                             json_object_new_string(rv));
    json_object_array_add(rows, row(type, s, in, include_object, now));
  }
  out = strdup(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
out:
  json_object_put(t);
  json_object_put(in);
  return out;
}
