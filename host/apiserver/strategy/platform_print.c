/*
 * platform_print - see platform_print.h.
 */
#include "apiserver/strategy/platform_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/strategy/platform_fields.h"

void cp_plat_duration(char *buf, size_t len, long long s) {
  long long m = s / 60, h = s / 3600, d = h / 24;

  if (s < -1)
    snprintf(buf, len, "<invalid>");
  else if (s < 0)
    snprintf(buf, len, "0s");
  else if (s < 120)
    snprintf(buf, len, "%llds", s);
  else if (m < 10)
    snprintf(buf, len, s % 60 ? "%lldm%llds" : "%lldm", m, s % 60);
  else if (m < 180)
    snprintf(buf, len, "%lldm", m);
  else if (h < 8)
    snprintf(buf, len, m % 60 ? "%lldh%lldm" : "%lldh", h, m % 60);
  else if (h < 48)
    snprintf(buf, len, "%lldh", h);
  else if (h < 24 * 8)
    snprintf(buf, len, h % 24 ? "%lldd%lldh" : "%lldd", d, h % 24);
  else if (h < 24 * 365 * 2)
    snprintf(buf, len, "%lldd", d);
  else if (h < 24 * 365 * 8)
    snprintf(buf, len, d % 365 ? "%lldy%lldd" : "%lldy", d / 365, d % 365);
  else
    snprintf(buf, len, "%lldy", d / 365);
}

long long cp_plat_time(const char *ts) {
  struct tm tm;
  const char *end;

  if (ts == NULL)
    return -1;
  memset(&tm, 0, sizeof tm);
  end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == NULL)
    return -1;
  return (long long)timegm(&tm);
}

void cp_plat_cell_str(json_object *cells, const char *s) {
  json_object_array_add(cells, json_object_new_string(s ? s : "<none>"));
}

void cp_plat_cell_int(json_object *cells, long long v) {
  json_object_array_add(cells, json_object_new_int64(v));
}

void cp_plat_cell_bool(json_object *cells, int v) {
  json_object_array_add(cells, json_object_new_boolean(v));
}

void cp_plat_cell_name(json_object *cells, json_object *obj) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);

  cp_plat_cell_str(cells, cp_plat_str0(md, "name"));
}

void cp_plat_cell_age(json_object *cells, json_object *obj, long long now) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);
  long long t = cp_plat_time(cp_plat_str(md, "creationTimestamp"));
  char buf[32];

  if (t < 0) {
    cp_plat_cell_str(cells, "<unknown>");
    return;
  }
  cp_plat_duration(buf, sizeof buf, now - t);
  cp_plat_cell_str(cells, buf);
}

/* One requirement of a selector, as labels.Requirement.String() writes
 * it, with its key for sorting. */
struct req {
  const char *key;
  char *text;
};

static int cmp_req(const void *a, const void *b) {
  return strcmp(((const struct req *)a)->key, ((const struct req *)b)->key);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k in (a,b)", "k notin (a,b)", "k", "!k"; NULL when malformed or out
 * of memory. */
static char *expr_text(json_object *e) {
  const char *key = cp_plat_str(e, "key"), *op = cp_plat_str(e, "operator");
  json_object *vals = cp_plat_get(e, "values", json_type_array);
  size_t n = vals != NULL ? json_object_array_length(vals) : 0, i, len;
  const char **v = NULL;
  char *out = NULL;
  int in;

  if (key == NULL || op == NULL)
    return NULL;
  if (strcmp(op, "Exists") == 0)
    return strdup(key);
  if (strcmp(op, "DoesNotExist") == 0) {
    if ((out = malloc(strlen(key) + 2)) != NULL)
      sprintf(out, "!%s", key);
    return out;
  }
  in = strcmp(op, "In") == 0;
  if ((!in && strcmp(op, "NotIn") != 0) || n == 0 ||
      (v = calloc(n, sizeof *v)) == NULL)
    return NULL;
  len = strlen(key) + 16;
  for (i = 0; i < n; i++) {
    json_object *s = json_object_array_get_idx(vals, i);

    if (!json_object_is_type(s, json_type_string))
      goto out;
    v[i] = json_object_get_string(s);
    len += strlen(v[i]) + 1;
  }
  qsort(v, n, sizeof *v, cmp_str);
  if ((out = malloc(len)) == NULL)
    goto out;
  sprintf(out, "%s %s (", key, in ? "in" : "notin");
  for (i = 0; i < n; i++) {
    if (i > 0)
      strcat(out, ",");
    strcat(out, v[i]);
  }
  strcat(out, ")");
out:
  free(v);
  return out;
}

/* The requirements of sel into *out (n of them); -1 when malformed. */
static int selector_reqs(json_object *sel, struct req **out, size_t *n) {
  json_object *ml = cp_plat_get(sel, "matchLabels", json_type_object);
  json_object *me = cp_plat_get(sel, "matchExpressions", json_type_array);
  size_t cap = (ml ? (size_t)json_object_object_length(ml) : 0) +
               (me ? json_object_array_length(me) : 0),
         i;
  struct req *r = calloc(cap + 1, sizeof *r);

  *out = r;
  *n = 0;
  if (r == NULL)
    return -1;
  if (ml != NULL) {
    json_object_object_foreach(ml, k, v) {
      const char *val = json_object_is_type(v, json_type_string)
                            ? json_object_get_string(v)
                            : NULL;

      if (val == NULL || (r[*n].text = malloc(strlen(k) + strlen(val) + 2)) ==
                             NULL)
        return -1;
      sprintf(r[*n].text, "%s=%s", k, val);
      r[(*n)++].key = k;
    }
  }
  for (i = 0; me != NULL && i < json_object_array_length(me); i++) {
    json_object *e = json_object_array_get_idx(me, i);

    if ((r[*n].text = expr_text(e)) == NULL)
      return -1;
    r[(*n)++].key = cp_plat_str(e, "key");
  }
  qsort(r, *n, sizeof *r, cmp_req);
  return 0;
}

void cp_plat_cell_selector(json_object *cells, json_object *sel) {
  struct req *r = NULL;
  size_t n = 0, i, len = 1;
  char *text = NULL;

  if (sel == NULL || !json_object_is_type(sel, json_type_object)) {
    cp_plat_cell_str(cells, "<none>");
    return;
  }
  if (selector_reqs(sel, &r, &n) < 0) {
    cp_plat_cell_str(cells, "<error>");
    goto out;
  }
  for (i = 0; i < n; i++)
    len += strlen(r[i].text) + 1;
  if ((text = malloc(len)) == NULL) {
    cp_plat_cell_str(cells, "<error>");
    goto out;
  }
  text[0] = '\0';
  for (i = 0; i < n; i++) {
    if (i > 0)
      strcat(text, ",");
    strcat(text, r[i].text);
  }
  cp_plat_cell_str(cells, text[0] ? text : "<none>");
out:
  for (i = 0; r != NULL && r[i].text != NULL; i++)
    free(r[i].text);
  free(r);
  free(text);
}
