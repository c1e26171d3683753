/*
 * scale_selector - see scale_selector.h. Mirrors apimachinery's
 * LabelSelectorAsSelector and Requirement.String().
 */
#include "apiserver/scale_selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds: kube validates selectors long before; these only keep a
 * stored oddity from costing more than a small answer. */
#define MAX_REQS 64
#define MAX_VALUES 64

struct req {
  const char *key;
  const char *op; /* "=", " in ", " notin ", "" (exists), "!" */
  const char *values[MAX_VALUES];
  size_t n_values;
};

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static int by_key(const void *a, const void *b) {
  return strcmp(((const struct req *)a)->key, ((const struct req *)b)->key);
}

static int by_string(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* matchLabels (or an RC's whole selector): key=value each. Returns -1
 * when malformed. */
static int add_labels(json_object *m, struct req *r, size_t *n) {
  if (m == NULL)
    return 0;
  if (!json_object_is_type(m, json_type_object))
    return -1;
  json_object_object_foreach(m, k, v) {
    if (*n == MAX_REQS || !json_object_is_type(v, json_type_string))
      return -1;
    r[*n].key = k;
    r[*n].op = "=";
    r[*n].values[0] = json_object_get_string(v);
    r[(*n)++].n_values = 1;
  }
  return 0;
}

static const char *expression_op(const char *op) {
  if (op == NULL)
    return NULL;
  if (strcmp(op, "In") == 0)
    return " in ";
  if (strcmp(op, "NotIn") == 0)
    return " notin ";
  if (strcmp(op, "Exists") == 0)
    return "";
  if (strcmp(op, "DoesNotExist") == 0)
    return "!";
  return NULL;
}

static int add_expression(json_object *e, struct req *r) {
  json_object *key = member(e, "key"), *op = member(e, "operator");
  json_object *vals = member(e, "values");
  size_t i, n;

  if (key == NULL || !json_object_is_type(key, json_type_string) ||
      op == NULL || !json_object_is_type(op, json_type_string) ||
      (r->op = expression_op(json_object_get_string(op))) == NULL)
    return -1;
  r->key = json_object_get_string(key);
  r->n_values = 0;
  if (vals == NULL)
    return 0;
  if (!json_object_is_type(vals, json_type_array) ||
      (n = json_object_array_length(vals)) > MAX_VALUES)
    return -1;
  for (i = 0; i < n; i++) {
    json_object *v = json_object_array_get_idx(vals, i);

    if (!json_object_is_type(v, json_type_string))
      return -1;
    r->values[r->n_values++] = json_object_get_string(v);
  }
  qsort(r->values, r->n_values, sizeof r->values[0], by_string);
  return 0;
}

/* Collects the requirements of sel into r; returns their number, or -1
 * when sel is malformed. */
static int collect(const struct cp_resource_type *t, json_object *sel,
                   struct req *r) {
  json_object *exprs;
  size_t n = 0, i, len;

  if (strcmp(t->group, "") == 0 &&
      strcmp(t->kind, "ReplicationController") == 0)
    return add_labels(sel, r, &n) < 0 ? -1 : (int)n;
  if (add_labels(member(sel, "matchLabels"), r, &n) < 0)
    return -1;
  exprs = member(sel, "matchExpressions");
  if (exprs == NULL)
    return (int)n;
  if (!json_object_is_type(exprs, json_type_array) ||
      (len = json_object_array_length(exprs)) > MAX_REQS - n)
    return -1;
  for (i = 0; i < len; i++)
    if (add_expression(json_object_array_get_idx(exprs, i), &r[n++]) < 0)
      return -1;
  return (int)n;
}

static void write_req(FILE *f, const struct req *r) {
  size_t i;
  int set = r->op[0] == ' ';

  if (strcmp(r->op, "!") == 0) {
    fprintf(f, "!%s", r->key);
    return;
  }
  fprintf(f, "%s%s%s", r->key, r->op, set ? "(" : "");
  for (i = 0; i < r->n_values; i++)
    fprintf(f, "%s%s", i ? "," : "", r->values[i]);
  if (set)
    fputc(')', f);
}

char *cp_scale_selector(const struct cp_resource_type *t, json_object *o) {
  struct req *r = calloc(MAX_REQS, sizeof *r);
  char *text = NULL;
  size_t len = 0;
  FILE *f = NULL;
  int n, i;

  if (r == NULL)
    return NULL;
  n = collect(t, member(member(o, "spec"), "selector"), r);
  if ((f = open_memstream(&text, &len)) == NULL)
    goto out;
  /* kube's internalSelector sorts its requirements by key. */
  if (n > 0)
    qsort(r, (size_t)n, sizeof *r, by_key);
  for (i = 0; i < n; i++) {
    if (i > 0)
      fputc(',', f);
    write_req(f, &r[i]);
  }
  if (fclose(f) != 0) {
    free(text);
    text = NULL;
  }
out:
  free(r);
  return text;
}
