/*
 * printer_columns - see printer_columns.h.
 *
 * A column's jsonPath is compiled once into segments (a member name or
 * an array index; "*" takes the first element, since kube prints the
 * first result only) when the definition is registered, so rendering a
 * row walks the object without parsing anything.
 */
#include "apiserver/printer_columns.h"

#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/table.h"
#include "object/double_int.h"

/* Bounds on what a definition may declare (kube bounds the CRD's size;
 * these keep one row's work small whatever it says). */
#define MAX_COLUMNS 64
#define MAX_SEGMENTS 32
#define MAX_CATEGORIES 32

/* A filter [?(@.a.b=="v")]: the first element whose member at path
 * (dotted) prints as value (or not, for !=). */
struct filter {
  char *path, *value;
  int neq;
};

struct segment {
  char *name;        /* member name, or NULL for an index or filter */
  long index;        /* -1: any ("[*]"), the first */
  struct filter *filter;
};

struct column {
  char *name, *type, *format, *description;
  int priority;
  struct segment seg[MAX_SEGMENTS];
  size_t n_seg;
};

struct entry {
  const struct cp_resource_type *t;
  char *group, *version, *resource; /* to tell a reused pointer */
  struct column *cols;
  size_t n_cols;
  int has_cols; /* the definition lists columns (maybe none) */
  char **categories;
  size_t n_categories;
  struct entry *next;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct entry *entries;

/* ------------------------------------------------------------ paths */

static void segments_free(struct column *c) {
  size_t i;

  for (i = 0; i < c->n_seg; i++) {
    free(c->seg[i].name);
    if (c->seg[i].filter != NULL) {
      free(c->seg[i].filter->path);
      free(c->seg[i].filter->value);
      free(c->seg[i].filter);
    }
  }
  c->n_seg = 0;
}

static int add_segment(struct column *c, const char *name, size_t n,
                       long index) {
  struct segment *s;

  if (c->n_seg == MAX_SEGMENTS)
    return -1;
  s = &c->seg[c->n_seg];
  s->name = NULL;
  s->filter = NULL;
  s->index = index;
  if (name != NULL && (s->name = strndup(name, n)) == NULL)
    return -1;
  c->n_seg++;
  return 0;
}

/* A member name after '.', up to the next unescaped '.' or '['; "\."
 * stands for a dot in the name. Returns the bytes consumed, or -1. */
static long parse_name(const char *p, struct column *c) {
  char buf[256];
  size_t n = 0;
  long i = 0;

  while (p[i] != '\0' && p[i] != '.' && p[i] != '[') {
    if (p[i] == '\\' && p[i + 1] == '.')
      i++;
    if (n + 1 >= sizeof buf)
      return -1;
    buf[n++] = p[i++];
  }
  if (n == 0)
    return -1;
  return add_segment(c, buf, n, 0) < 0 ? -1 : i;
}

/* "[?(@.path==\"v\")]" (or 'v', a bare value, or !=): kube's columns
 * use it for conditions (cert-manager's Ready). Returns the bytes
 * consumed or -1. */
static long parse_filter(const char *p, struct column *c) {
  const char *path = p + 4, *op, *val, *end;
  struct filter *f;
  size_t vlen;

  if (strncmp(p, "[?(@.", 5) != 0 || (end = strstr(p, ")]")) == NULL)
    return -1;
  for (op = path; op < end && *op != '=' && *op != '!'; op++)
    ;
  if (op + 2 > end || op[1] != '=')
    return -1;
  val = op + 2;
  vlen = (size_t)(end - val);
  if (vlen >= 2 && (val[0] == '"' || val[0] == '\'') &&
      val[vlen - 1] == val[0])
    val++, vlen -= 2;
  if (add_segment(c, NULL, 0, -1) < 0 ||
      (f = calloc(1, sizeof *f)) == NULL)
    return -1;
  c->seg[c->n_seg - 1].filter = f;
  f->neq = op[0] == '!';
  f->path = strndup(path + 1, (size_t)(op - path - 1));
  f->value = strndup(val, vlen);
  if (f->path == NULL || f->value == NULL)
    return -1;
  return (long)(end - p) + 2;
}

/* "[N]", "[*]", "['name']" / "[\"name\"]" or a filter. Returns the
 * bytes consumed or -1. */
static long parse_bracket(const char *p, struct column *c) {
  const char *end;
  char *num_end;
  long v;

  if (p[1] == '?')
    return parse_filter(p, c);

  if (p[1] == '\'' || p[1] == '"') {
    end = strchr(p + 2, p[1]);
    if (end == NULL || end[1] != ']' || end == p + 2)
      return -1;
    return add_segment(c, p + 2, (size_t)(end - (p + 2)), 0) < 0
               ? -1
               : (long)(end - p) + 2;
  }
  if (p[1] == '*' && p[2] == ']')
    return add_segment(c, NULL, 0, -1) < 0 ? -1 : 3;
  v = strtol(p + 1, &num_end, 10);
  if (num_end == p + 1 || *num_end != ']' || v < 0)
    return -1;
  return add_segment(c, NULL, 0, v) < 0 ? -1 : (long)(num_end - p) + 1;
}

/* kube's simple JSON paths, optionally in braces: ".a.b[0]['c.d']". */
static int parse_path(const char *path, struct column *c) {
  size_t len = strlen(path);
  char *copy = NULL;
  const char *p = path;
  long n;
  int rc = -1;

  if (len >= 2 && path[0] == '{' && path[len - 1] == '}') {
    if ((copy = strndup(path + 1, len - 2)) == NULL)
      return -1;
    p = copy;
  }
  if (*p != '.')
    goto out;
  while (*p != '\0') {
    if (*p == '.')
      n = (n = parse_name(p + 1, c)) < 0 ? -1 : n + 1;
    else if (*p == '[')
      n = parse_bracket(p, c);
    else
      n = -1;
    if (n <= 0)
      goto out;
    p += n;
  }
  rc = 0;
out:
  free(copy);
  return rc;
}

/* ------------------------------------------------------------ columns */

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  if (!json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static const char *str_member(json_object *o, const char *k) {
  json_object *v = member(o, k);

  return json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                  : NULL;
}

static int valid_type(const char *t) {
  static const char *const types[] = {"integer", "number", "string",
                                      "boolean", "date"};
  size_t i;

  for (i = 0; t != NULL && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i]) == 0)
      return 1;
  return 0;
}

static int column_fail(char **field, char **msg, const char *at, size_t i,
                       const char *member_name, const char *text) {
  if (asprintf(field, "%s[%zu].%s", at, i, member_name) < 0)
    *field = NULL;
  *msg = strdup(text);
  return -1;
}

int cp_printer_columns_check(json_object *columns, const char *at,
                             char **field, char **msg) {
  size_t i, n;

  *field = *msg = NULL;
  if (columns == NULL)
    return 0;
  if (!json_object_is_type(columns, json_type_array)) {
    if (asprintf(field, "%s", at) < 0)
      *field = NULL;
    *msg = strdup("Invalid value: must be a list of columns");
    return -1;
  }
  n = json_object_array_length(columns);
  if (n > MAX_COLUMNS) {
    if (asprintf(field, "%s", at) < 0)
      *field = NULL;
    *msg = strdup("Too many: must have at most 64 items");
    return -1;
  }
  for (i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(columns, i);
    const char *name = str_member(c, "name"), *type = str_member(c, "type");
    const char *path = str_member(c, "jsonPath");

    if (name == NULL || name[0] == '\0')
      return column_fail(field, msg, at, i, "name", "Required value");
    if (type == NULL || type[0] == '\0')
      return column_fail(field, msg, at, i, "type", "Required value");
    if (!valid_type(type))
      return column_fail(field, msg, at, i, "type",
                         "Unsupported value: must be one of \"boolean\", "
                         "\"date\", \"integer\", \"number\", \"string\"");
    if (path == NULL || path[0] == '\0')
      return column_fail(field, msg, at, i, "jsonPath", "Required value");
    /* kube asks no more than this of the path itself
     * (validateSimpleJSONPath); one this file cannot follow prints
     * <none>. */
    if (path[0] != '.') {
      char *text = NULL;

      if (asprintf(&text, "Invalid value: \"%s\": must be a simple json "
                          "path starting with .", path) < 0)
        text = NULL;
      column_fail(field, msg, at, i, "jsonPath",
                  text ? text : "Invalid value");
      free(text);
      return -1;
    }
  }
  return 0;
}

static void column_free(struct column *c) {
  free(c->name);
  free(c->type);
  free(c->format);
  free(c->description);
  segments_free(c);
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static int column_compile(json_object *j, struct column *c) {
  json_object *prio = member(j, "priority");

  memset(c, 0, sizeof *c);
  c->name = dup_or_empty(str_member(j, "name"));
  c->type = dup_or_empty(str_member(j, "type"));
  c->format = dup_or_empty(str_member(j, "format"));
  c->description = dup_or_empty(str_member(j, "description"));
  if (json_object_is_type(prio, json_type_int))
    c->priority = json_object_get_int(prio);
  if (c->name == NULL || c->type == NULL || c->format == NULL ||
      c->description == NULL)
    return -1;
  if (str_member(j, "jsonPath") != NULL &&
      parse_path(str_member(j, "jsonPath"), c) < 0)
    segments_free(c); /* refused at validation; prints <none> here */
  return 0;
}

static void entry_free(struct entry *e) {
  size_t i;

  if (e == NULL)
    return;
  for (i = 0; i < e->n_cols; i++)
    column_free(&e->cols[i]);
  free(e->cols);
  for (i = 0; i < e->n_categories; i++)
    free(e->categories[i]);
  free(e->categories);
  free(e->group);
  free(e->version);
  free(e->resource);
  free(e);
}

static struct entry *entry_new(const struct cp_resource_type *t,
                               json_object *columns,
                               json_object *categories) {
  struct entry *e = calloc(1, sizeof *e);
  size_t i, n;

  if (e == NULL)
    return NULL;
  e->t = t;
  e->group = strdup(t->group);
  e->version = strdup(t->version);
  e->resource = strdup(t->resource);
  if (e->group == NULL || e->version == NULL || e->resource == NULL)
    goto fail;
  if (json_object_is_type(columns, json_type_array)) {
    n = json_object_array_length(columns);
    if (n > MAX_COLUMNS)
      n = MAX_COLUMNS;
    e->has_cols = 1;
    if ((e->cols = calloc(n + 1, sizeof *e->cols)) == NULL)
      goto fail;
    for (i = 0; i < n; i++, e->n_cols++)
      if (column_compile(json_object_array_get_idx(columns, i),
                         &e->cols[i]) < 0) {
        e->n_cols++;
        goto fail;
      }
  }
  if (json_object_is_type(categories, json_type_array)) {
    n = json_object_array_length(categories);
    if (n > MAX_CATEGORIES)
      n = MAX_CATEGORIES;
    if ((e->categories = calloc(n + 1, sizeof *e->categories)) == NULL)
      goto fail;
    for (i = 0; i < n; i++) {
      json_object *c = json_object_array_get_idx(categories, i);

      if (!json_object_is_type(c, json_type_string))
        continue;
      if ((e->categories[e->n_categories] =
               strdup(json_object_get_string(c))) == NULL)
        goto fail;
      e->n_categories++;
    }
  }
  return e;
fail:
  entry_free(e);
  return NULL;
}

/* The entry of t, or NULL; under the lock. */
static struct entry *find(const struct cp_resource_type *t) {
  struct entry *e;

  for (e = entries; e != NULL; e = e->next)
    if (e->t == t && strcmp(e->group, t->group) == 0 &&
        strcmp(e->version, t->version) == 0 &&
        strcmp(e->resource, t->resource) == 0)
      return e;
  return NULL;
}

int cp_printer_columns_set(const struct cp_resource_type *t,
                           json_object *columns, json_object *categories) {
  struct entry *e, **pp, *old = NULL;

  if (t == NULL)
    return 0;
  if ((e = entry_new(t, columns, categories)) == NULL)
    return -1;
  pthread_rwlock_wrlock(&lock);
  /* One entry per type pointer: a stale one (the pointer reused by a
   * registry freed since) goes too. */
  for (pp = &entries; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->t == t) {
      old = *pp;
      *pp = old->next;
      break;
    }
  e->next = entries;
  entries = e;
  pthread_rwlock_unlock(&lock);
  entry_free(old);
  return 0;
}

/* ------------------------------------------------------------ rendering */

static void add_definition(json_object *defs, const char *name,
                           const char *type, const char *format,
                           const char *description, int priority) {
  json_object *d = json_object_new_object();

  if (d == NULL)
    return;
  json_object_object_add(d, "name", json_object_new_string(name));
  json_object_object_add(d, "type", json_object_new_string(type));
  json_object_object_add(d, "format", json_object_new_string(format));
  json_object_object_add(d, "description",
                         json_object_new_string(description));
  json_object_object_add(d, "priority", json_object_new_int(priority));
  json_object_array_add(defs, d);
}

json_object *cp_printer_columns_definitions(const struct cp_resource_type *t) {
  json_object *defs = NULL;
  struct entry *e;
  size_t i;

  pthread_rwlock_rdlock(&lock);
  if ((e = find(t)) == NULL || !e->has_cols ||
      (defs = json_object_new_array()) == NULL)
    goto out;
  /* kube's CRD table: Name, then the declared columns as declared. */
  add_definition(defs, "Name", "string", "name",
                 "Name must be unique within a namespace. Is required when "
                 "creating resources, although some resources may allow a "
                 "client to request the generation of an appropriate name "
                 "automatically. Name is primarily intended for creation "
                 "idempotence and configuration definition. Cannot be "
                 "updated. More info: https://kubernetes.io/docs/concepts/"
                 "overview/working-with-objects/names#names",
                 0);
  for (i = 0; i < e->n_cols; i++)
    add_definition(defs, e->cols[i].name, e->cols[i].type, e->cols[i].format,
                   e->cols[i].description, e->cols[i].priority);
out:
  pthread_rwlock_unlock(&lock);
  return defs;
}

/* The value at dotted path p in o, or NULL. */
static json_object *dotted(json_object *o, const char *p) {
  char seg[128];

  while (o != NULL && *p != '\0') {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);

    if (n >= sizeof seg)
      return NULL;
    memcpy(seg, p, n);
    seg[n] = '\0';
    o = member(o, seg);
    p += n + (dot ? 1 : 0);
  }
  return o;
}

/* The first element of array a that filter f selects, or NULL. */
static json_object *filtered(json_object *a, const struct filter *f) {
  size_t i;

  if (!json_object_is_type(a, json_type_array))
    return NULL;
  for (i = 0; i < json_object_array_length(a); i++) {
    json_object *e = json_object_array_get_idx(a, i);
    json_object *v = dotted(e, f->path);
    int eq = v != NULL && !json_object_is_type(v, json_type_object) &&
             !json_object_is_type(v, json_type_array) &&
             strcmp(json_object_get_string(v), f->value) == 0;

    if (v != NULL && eq != f->neq)
      return e;
  }
  return NULL;
}

/* The first value c's path finds in obj, or NULL. */
static json_object *lookup(const struct column *c, json_object *obj) {
  json_object *v = obj;
  size_t i;

  if (c->n_seg == 0)
    return NULL;
  for (i = 0; v != NULL && i < c->n_seg; i++) {
    const struct segment *s = &c->seg[i];

    if (s->name != NULL) {
      v = member(v, s->name);
    } else if (s->filter != NULL) {
      v = filtered(v, s->filter);
    } else if (json_object_is_type(v, json_type_array)) {
      size_t idx = s->index < 0 ? 0 : (size_t)s->index;

      v = idx < json_object_array_length(v)
              ? json_object_array_get_idx(v, idx)
              : NULL;
    } else {
      v = NULL;
    }
  }
  return v;
}

/* Go's fmt %v of a float64 for a "string" column holding a number. */
static json_object *number_text(double d) {
  char buf[64];

  if (d == floor(d) && fabs(d) < 1e21)
    snprintf(buf, sizeof buf, "%.0f", d);
  else
    snprintf(buf, sizeof buf, "%.17g", d);
  return json_object_new_string(buf);
}

/* kube's cellForJSONValue (and jsonpath's printing for "string"). */
static json_object *cell(const struct column *c, json_object *v,
                         long long now) {
  char age[32];

  if (v == NULL)
    return NULL;
  if (strcmp(c->type, "integer") == 0) {
    int64_t n;

    if (json_object_is_type(v, json_type_int))
      return json_object_new_int64(json_object_get_int64(v));
    if (json_object_is_type(v, json_type_double))
      return cp_double_int64(json_object_get_double(v), &n)
                 ? json_object_new_int64(n)
                 : json_object_new_double(json_object_get_double(v));
  } else if (strcmp(c->type, "number") == 0) {
    if (json_object_is_type(v, json_type_int) ||
        json_object_is_type(v, json_type_double))
      return json_object_new_double(json_object_get_double(v));
  } else if (strcmp(c->type, "boolean") == 0) {
    if (json_object_is_type(v, json_type_boolean))
      return json_object_new_boolean(json_object_get_boolean(v));
  } else if (strcmp(c->type, "date") == 0) {
    if (json_object_is_type(v, json_type_string)) {
      cp_table_age_since(age, sizeof age, json_object_get_string(v), now);
      return json_object_new_string(strcmp(age, "<unknown>") == 0
                                        ? "<invalid>"
                                        : age);
    }
  } else if (json_object_is_type(v, json_type_string)) {
    return json_object_new_string(json_object_get_string(v));
  } else if (json_object_is_type(v, json_type_int)) {
    return json_object_new_string(json_object_get_string(v));
  } else if (json_object_is_type(v, json_type_double)) {
    return number_text(json_object_get_double(v));
  } else if (json_object_is_type(v, json_type_boolean)) {
    return json_object_new_string(json_object_get_boolean(v) ? "true"
                                                             : "false");
  } else {
    return json_object_new_string(json_object_to_json_string_ext(
        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  }
  return NULL;
}

json_object *cp_printer_columns_cells(const struct cp_resource_type *t,
                                      json_object *obj, long long now) {
  json_object *cells = NULL;
  struct entry *e;
  size_t i;

  pthread_rwlock_rdlock(&lock);
  if ((e = find(t)) == NULL || !e->has_cols ||
      (cells = json_object_new_array()) == NULL)
    goto out;
  json_object_array_add(cells, json_object_new_string(
                                   str_member(member(obj, "metadata"), "name")
                                       ? str_member(member(obj, "metadata"),
                                                    "name")
                                       : ""));
  for (i = 0; i < e->n_cols; i++)
    json_object_array_add(cells, cell(&e->cols[i], lookup(&e->cols[i], obj),
                                      now));
out:
  pthread_rwlock_unlock(&lock);
  return cells;
}

void cp_printer_columns_add_categories(const struct cp_resource_type *t,
                                       json_object *e) {
  json_object *list;
  struct entry *en;
  size_t i;

  pthread_rwlock_rdlock(&lock);
  if ((en = find(t)) != NULL && en->n_categories > 0 &&
      (list = json_object_new_array()) != NULL) {
    for (i = 0; i < en->n_categories; i++)
      json_object_array_add(list, json_object_new_string(en->categories[i]));
    json_object_object_add(e, "categories", list);
  }
  pthread_rwlock_unlock(&lock);
}
