/*
 * printers - see printers.h.
 */
#include "apiserver/strategy/printers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/table.h"
#include "apiserver/strategy/pod_template.h"

void cp_print_duration(char *buf, size_t len, long long s) {
  cp_table_duration(buf, len, s);
}

long long cp_print_time(const char *ts) {
  struct tm tm;

  memset(&tm, 0, sizeof tm);
  if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return -1;
  return (long long)timegm(&tm);
}

void cp_print_age(char *buf, size_t len, const char *ts, long long now) {
  long long t = cp_print_time(ts);

  if (t < 0) {
    snprintf(buf, len, "<unknown>");
    return;
  }
  cp_print_duration(buf, len, now - t);
}

void cp_cell_str(json_object *cells, const char *s) {
  json_object_array_add(cells, json_object_new_string(s ? s : "<none>"));
}

void cp_cell_int(json_object *cells, long long v) {
  json_object_array_add(cells, json_object_new_int64(v));
}

void cp_cell_bool(json_object *cells, int v) {
  json_object_array_add(cells, json_object_new_boolean(v != 0));
}

void cp_cell_name(json_object *cells, json_object *obj) {
  cp_cell_str(cells, cp_field_str(obj, "metadata.name"));
}

void cp_cell_age(json_object *cells, json_object *obj, long long now) {
  char buf[32];

  cp_print_age(buf, sizeof buf, cp_field_str(obj, "metadata.creationTimestamp"),
               now);
  cp_cell_str(cells, buf);
}

/* Appends the field f of every container, comma-separated. */
static void container_list(json_object *cells, json_object *cs,
                           const char *f) {
  char *buf = NULL;
  size_t len = 0, i, n = cs != NULL ? json_object_array_length(cs) : 0;
  FILE *m = open_memstream(&buf, &len);

  if (m == NULL) {
    cp_cell_str(cells, "");
    return;
  }
  for (i = 0; i < n; i++) {
    const char *v = cp_field_str(json_object_array_get_idx(cs, i), f);

    fprintf(m, "%s%s", i > 0 ? "," : "", v != NULL ? v : "");
  }
  if (fclose(m) == 0)
    cp_cell_str(cells, buf);
  else
    cp_cell_str(cells, "");
  free(buf);
}

void cp_cell_containers(json_object *cells, json_object *tmpl) {
  json_object *cs = cp_field_typed(tmpl, "spec.containers", json_type_array);

  container_list(cells, cs, "name");
  container_list(cells, cs, "image");
}

/* One requirement of a selector as text, for sorting by key. */
struct req {
  const char *key;
  char *text;
};

static int cmp_req(const void *a, const void *b) {
  const struct req *x = a, *y = b;
  int c = strcmp(x->key, y->key);

  return c != 0 ? c : strcmp(x->text, y->text);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k in (a,b)" etc.; values sorted as kube's selector does. */
static char *expr_text(json_object *e) {
  const char *key = cp_field_str(e, "key"), *op = cp_field_str(e, "operator");
  json_object *vals = cp_field_typed(e, "values", json_type_array);
  size_t n = vals != NULL ? json_object_array_length(vals) : 0, i;
  const char **vs;
  char *buf = NULL;
  size_t len = 0;
  FILE *m;

  if (key == NULL || op == NULL)
    return NULL;
  if (strcmp(op, "Exists") == 0)
    return strdup(key);
  if (strcmp(op, "DoesNotExist") == 0) {
    if (asprintf(&buf, "!%s", key) < 0)
      return NULL;
    return buf;
  }
  if (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0)
    return NULL;
  if ((vs = calloc(n + 1, sizeof *vs)) == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    json_object *v = json_object_array_get_idx(vals, i);

    vs[i] = json_object_is_type(v, json_type_string)
                ? json_object_get_string(v)
                : "";
  }
  qsort(vs, n, sizeof *vs, cmp_str);
  if ((m = open_memstream(&buf, &len)) != NULL) {
    fprintf(m, "%s %s (", key, strcmp(op, "In") == 0 ? "in" : "notin");
    for (i = 0; i < n; i++)
      fprintf(m, "%s%s", i > 0 ? "," : "", vs[i]);
    fputc(')', m);
    if (fclose(m) != 0) {
      free(buf);
      buf = NULL;
    }
  }
  free(vs);
  return buf;
}

/* The requirements of sel into *out (owned texts); -1 when malformed or
 * out of memory. */
static int selector_reqs(json_object *sel, struct req **out, size_t *n) {
  json_object *ml = cp_field_typed(sel, "matchLabels", json_type_object);
  json_object *me = cp_field_typed(sel, "matchExpressions", json_type_array);
  size_t cap = (ml ? (size_t)json_object_object_length(ml) : 0) +
               (me ? json_object_array_length(me) : 0) + 1, i;
  struct req *r = calloc(cap, sizeof *r);

  *n = 0;
  *out = r;
  if (r == NULL)
    return -1;
  if (ml != NULL) {
    json_object_object_foreach(ml, k, v) {
      r[*n].key = k;
      if (asprintf(&r[*n].text, "%s=%s", k,
                   json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : "") < 0)
        return -1;
      (*n)++;
    }
  }
  for (i = 0; me != NULL && i < json_object_array_length(me); i++) {
    json_object *e = json_object_array_get_idx(me, i);

    r[*n].key = cp_field_str(e, "key");
    if (r[*n].key == NULL || (r[*n].text = expr_text(e)) == NULL)
      return -1;
    (*n)++;
  }
  qsort(r, *n, sizeof *r, cmp_req);
  return 0;
}

void cp_cell_selector(json_object *cells, json_object *sel) {
  struct req *r = NULL;
  size_t n = 0, i, len = 0;
  char *buf = NULL;
  FILE *m;

  if (!json_object_is_type(sel, json_type_object) ||
      cp_label_selector_empty(sel)) {
    cp_cell_str(cells, "<none>");
    return;
  }
  if (selector_reqs(sel, &r, &n) < 0 ||
      (m = open_memstream(&buf, &len)) == NULL) {
    cp_cell_str(cells, "<error>");
    goto out;
  }
  for (i = 0; i < n; i++)
    fprintf(m, "%s%s", i > 0 ? "," : "", r[i].text);
  if (fclose(m) == 0)
    cp_cell_str(cells, buf);
  else
    cp_cell_str(cells, "<error>");
out:
  for (i = 0; r != NULL && i < n + 1; i++)
    free(r[i].text);
  free(r);
  free(buf);
}

void cp_cell_label_map(json_object *cells, json_object *m) {
  json_object *sel;

  if (!json_object_is_type(m, json_type_object) ||
      json_object_object_length(m) == 0) {
    cp_cell_str(cells, "<none>");
    return;
  }
  /* A map of labels prints as the selector that requires them all. */
  sel = json_object_new_object();
  if (sel == NULL ||
      json_object_object_add(sel, "matchLabels", json_object_get(m)) != 0) {
    json_object_put(sel);
    cp_cell_str(cells, "<error>");
    return;
  }
  cp_cell_selector(cells, sel);
  json_object_put(sel);
}

const char *cp_print_int_or_string(json_object *v, char *buf, size_t len) {
  if (json_object_is_type(v, json_type_int)) {
    snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
    return buf;
  }
  if (json_object_is_type(v, json_type_string)) {
    snprintf(buf, len, "%s", json_object_get_string(v));
    return buf;
  }
  return NULL;
}
