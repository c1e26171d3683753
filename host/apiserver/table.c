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
#include "apiserver/strategy/strategy.h"

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

const char *cp_table_str(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

long long cp_table_num(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL ? json_object_get_int64(v) : 0;
}

int cp_table_arr_len(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL && json_object_is_type(v, json_type_array)
             ? (int)json_object_array_length(v)
             : 0;
}

/* ---- cells ---- */

/* kubectl's HumanDuration: "45s", "5m10s", "2h", "3d4h"; a zero
 * remainder is left out. */
void cp_table_duration(char *buf, size_t len, long long s) {
  long long m, h, d;

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

void cp_table_age_since(char *buf, size_t len, const char *ts,
                        long long now) {
  struct tm tm;

  memset(&tm, 0, sizeof tm);
  if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
    snprintf(buf, len, "<unknown>");
    return;
  }
  cp_table_duration(buf, len, now - (long long)timegm(&tm));
}

void cp_table_age(char *buf, size_t len, json_object *obj, long long now) {
  cp_table_age_since(buf, len, cp_table_str(obj, "metadata.creationTimestamp"),
                     now);
}

int cp_table_map_len(json_object *o, const char *path) {
  json_object *v = at(o, path);

  return v != NULL && json_object_is_type(v, json_type_object)
             ? json_object_object_length(v)
             : 0;
}

void cp_table_add_str(json_object *cells, const char *s) {
  json_object_array_add(cells, json_object_new_string(s ? s : "<none>"));
}

void cp_table_add_int(json_object *cells, long long v) {
  json_object_array_add(cells, json_object_new_int64(v));
}

/* ---- the table ---- */

static const struct cp_table_column default_cols[] = {
    {"Name", "string", "name", 0, NULL},
    {"Age", "string", "", 0, NULL},
};

static json_object *columns(const struct cp_strategy *st) {
  const struct cp_table_column *cols = st->columns ? st->columns : default_cols;
  size_t n = st->columns ? st->n_columns : 2, i;
  json_object *defs = json_object_new_array();

  for (i = 0; i < n; i++) {
    json_object *d = json_object_new_object();

    json_object_object_add(d, "name", json_object_new_string(cols[i].name));
    json_object_object_add(d, "type", json_object_new_string(cols[i].type));
    json_object_object_add(d, "format",
                           json_object_new_string(cols[i].format));
    json_object_object_add(
        d, "description",
        json_object_new_string(cols[i].description ? cols[i].description
                                                   : ""));
    json_object_object_add(d, "priority",
                           json_object_new_int(cols[i].priority));
    json_object_array_add(defs, d);
  }
  return defs;
}

/* One row; takes a reference to obj when it goes in whole. */
static json_object *row(const struct cp_resource_type *type,
                        const struct cp_strategy *st, json_object *obj,
                        int include_object, long long now) {
  json_object *r = json_object_new_object(), *cells = NULL;
  json_object *meta, *md;
  char ag[32];

  /* A custom resource's additionalPrinterColumns, when its CRD has any. */
  if (!type->builtin)
    cells = cp_printer_columns_cells(type, obj, now);
  if (cells != NULL) {
    /* made whole by its definition */
  } else if ((cells = json_object_new_array()) == NULL) {
    json_object_put(r);
    return NULL;
  } else if (st->columns != NULL && st->cells != NULL) {
    st->cells(obj, now, cells);
  } else {
    cp_table_age(ag, sizeof ag, obj, now);
    cp_table_add_str(cells, cp_table_str(obj, "metadata.name"));
    cp_table_add_str(cells, ag);
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
  const struct cp_strategy *st = cp_strategy_for(type);
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
  cols = type->builtin ? NULL : cp_printer_columns_definitions(type);
  json_object_object_add(t, "columnDefinitions",
                         cols != NULL ? cols : columns(st));
  rows = json_object_new_array();
  json_object_object_add(t, "rows", rows);
  if (json_object_object_get_ex(in, "items", &items) &&
      json_object_is_type(items, json_type_array)) {
    /* A list: its resourceVersion and continue token carry over, so that
     * kubectl's chunked listing (limit=500) goes on. */
    if (json_object_object_get_ex(in, "metadata", &lmeta)) {
      const char *rv = cp_table_str(lmeta, "resourceVersion"),
                 *cont = cp_table_str(lmeta, "continue");

      if (rv != NULL)
        json_object_object_add(tmeta, "resourceVersion",
                               json_object_new_string(rv));
      if (cont != NULL && cont[0] != '\0')
        json_object_object_add(tmeta, "continue",
                               json_object_new_string(cont));
    }
    for (i = 0; i < json_object_array_length(items); i++)
      json_object_array_add(rows,
                            row(type, st, json_object_array_get_idx(items, i),
                                include_object, now));
  } else {
    const char *rv = cp_table_str(in, "metadata.resourceVersion");

    if (rv != NULL)
      json_object_object_add(tmeta, "resourceVersion",
                             json_object_new_string(rv));
    json_object_array_add(rows, row(type, st, in, include_object, now));
  }
  out = strdup(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
out:
  json_object_put(t);
  json_object_put(in);
  return out;
}
