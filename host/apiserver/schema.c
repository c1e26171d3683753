/*
 * schema - see schema.h.
 *
 * A document is an arena: every node is on one list and freed with it, so
 * "$ref" may make the tree a graph (shared definitions, even cycles)
 * without anyone counting references. A "$ref" node stays in the tree as
 * a forwarding node; resolve() points it at its definition and every walk
 * follows it with deref().
 */
#include "apiserver/schema.h"
#include "apiserver/strategy/pod_defaults.h"
#include "apiserver/strategy/workloads.h"

#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/schema_format.h"
#include "apiserver/schema_pattern.h"
#include "apiserver/schema_rules.h"
#include "encoding/base64.h"
#include "log/log.h"

#define REF_PREFIX "#/components/schemas/"
#define OBJECT_META "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#define MAX_DEREF 32
/* Validation visits at most this many nodes per object: allOf/anyOf/
 * oneOf validate a value once per branch, and nested they multiply, so
 * a schema could otherwise make one request run for ever. */
#define MAX_STEPS 2000000u

enum stype { T_NONE, T_OBJECT, T_ARRAY, T_STRING, T_INTEGER, T_NUMBER,
             T_BOOLEAN };

struct prop {
  char *name;
  struct cp_schema *s;
};

struct cp_schema {
  enum stype type;
  struct prop *props;
  size_t n_props;
  struct cp_schema *items;
  struct cp_schema *additional; /* additionalProperties as a schema */
  int additional_any;           /* additionalProperties: true */
  char **required;
  size_t n_required;
  json_object *enum_vals;   /* owned array, or NULL */
  json_object *default_val; /* owned, or NULL */
  char *format;
  int has_max_len, has_min, has_max;
  long long max_len;
  double min, max;
  /* The value keywords beyond the above: -1 where absent. */
  long long min_len, min_items, max_items, min_props, max_props;
  int excl_min, excl_max, unique_items, has_multiple_of;
  double multiple_of;
  char *pattern;          /* as written, for messages */
  struct cp_pattern *re;  /* compiled once, with the schema */
  /* allOf/anyOf/oneOf/not: they validate, never prune or default. */
  struct cp_schema **all_of, **any_of, **one_of, *not_of;
  size_t n_all_of, n_any_of, n_one_of;
  int nullable, preserve, int_or_string, embedded;
  char *merge_key, *strategy, *list_type;
  char *map_type;                /* x-kubernetes-map-type */
  char **map_keys;               /* x-kubernetes-list-map-keys */
  size_t n_map_keys;
  char *ref;                /* "$ref" text until resolved */
  struct cp_schema *target; /* what ref names */
  struct cp_schema *next_node; /* the document's arena list */
  struct cp_schema_rules *rules; /* x-kubernetes-validations, or NULL */
};

struct def {
  char *name;
  struct cp_schema *s;
};

struct cp_schema_doc {
  struct cp_schema *nodes; /* arena */
  struct cp_schema *root;
  struct def *defs;
  size_t n_defs;
  int allow_refs;
};

/* ------------------------------------------------------------ compile */

static int errf(char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets *err to the first problem only; returns -1. */
static int errf(char **err, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || *err != NULL)
    return -1;
  va_start(ap, fmt);
  if (vasprintf(err, fmt, ap) < 0)
    *err = NULL;
  va_end(ap);
  return -1;
}

static struct cp_schema *node_new(struct cp_schema_doc *d) {
  struct cp_schema *s = calloc(1, sizeof *s);

  if (s == NULL)
    return NULL;
  s->next_node = d->nodes;
  d->nodes = s;
  return s;
}

static void node_free(struct cp_schema *s) {
  size_t i;

  for (i = 0; i < s->n_props; i++)
    free(s->props[i].name);
  free(s->props);
  for (i = 0; i < s->n_required; i++)
    free(s->required[i]);
  free(s->required);
  json_object_put(s->enum_vals);
  json_object_put(s->default_val);
  free(s->format);
  free(s->merge_key);
  free(s->strategy);
  free(s->list_type);
  free(s->map_type);
  for (i = 0; i < s->n_map_keys; i++)
    free(s->map_keys[i]);
  free(s->map_keys);
  free(s->ref);
  free(s->pattern);
  cp_pattern_free(s->re);
  cp_schema_rules_free(s->rules);
  free(s->all_of);
  free(s->any_of);
  free(s->one_of);
  free(s);
}

void cp_schema_doc_free(struct cp_schema_doc *d) {
  struct cp_schema *s, *next;
  size_t i;

  if (d == NULL)
    return;
  for (s = d->nodes; s != NULL; s = next) {
    next = s->next_node;
    node_free(s);
  }
  for (i = 0; i < d->n_defs; i++)
    free(d->defs[i].name);
  free(d->defs);
  free(d);
}

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  if (!json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static int parse_type(const char *t, enum stype *out) {
  static const struct {
    const char *name;
    enum stype type;
  } types[] = {{"object", T_OBJECT},   {"array", T_ARRAY},
               {"string", T_STRING},   {"integer", T_INTEGER},
               {"number", T_NUMBER},   {"boolean", T_BOOLEAN}};
  size_t i;

  for (i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(types[i].name, t) == 0) {
      *out = types[i].type;
      return 0;
    }
  return -1;
}

/* A string member copied into *out (absent: NULL). -1 if not a string. */
static int str_member(json_object *o, const char *k, char **out,
                      const char *at, char **err) {
  json_object *v = member(o, k);

  *out = NULL;
  if (v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_string))
    return errf(err, "%s.%s: must be a string", at, k);
  if ((*out = strdup(json_object_get_string(v))) == NULL)
    return errf(err, "out of memory");
  return 0;
}

static int bool_member(json_object *o, const char *k, int *out,
                       const char *at, char **err) {
  json_object *v = member(o, k);

  *out = 0;
  if (v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_boolean))
    return errf(err, "%s.%s: must be a boolean", at, k);
  *out = json_object_get_boolean(v);
  return 0;
}

static int num_member(json_object *o, const char *k, int *has, double *out,
                      const char *at, char **err) {
  json_object *v = member(o, k);

  *has = 0;
  if (v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_int) &&
      !json_object_is_type(v, json_type_double))
    return errf(err, "%s.%s: must be a number", at, k);
  *has = 1;
  *out = json_object_get_double(v);
  return 0;
}

static int copy_member(json_object *o, const char *k, json_object **out,
                       char **err) {
  json_object *v = member(o, k);

  *out = NULL;
  if (v == NULL)
    return 0;
  if (json_object_deep_copy(v, out, NULL) != 0)
    return errf(err, "out of memory");
  return 0;
}

static struct cp_schema *compile(struct cp_schema_doc *d, json_object *j,
                                 const char *at, char **err);

/* A count (minLength, maxItems...): a non-negative integer; -1 absent. */
static int count_member(json_object *o, const char *k, long long *out,
                        const char *at, char **err) {
  json_object *v = member(o, k);
  double d;

  *out = -1;
  if (v == NULL)
    return 0;
  if (!json_object_is_type(v, json_type_int) &&
      !json_object_is_type(v, json_type_double))
    return errf(err, "%s.%s: must be a non-negative integer", at, k);
  d = json_object_get_double(v);
  if (d < 0 || d != floor(d) || d > 9e18)
    return errf(err, "%s.%s: must be a non-negative integer", at, k);
  *out = json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
                                               : (long long)d;
  return 0;
}

/* pattern, compiled now so that a bad one refuses the schema (and so
 * the CRD) with kube's message, not each object later. */
static int compile_pattern(struct cp_schema *s, json_object *j,
                           const char *at, char **err) {
  char *why = NULL;

  if (str_member(j, "pattern", &s->pattern, at, err) < 0)
    return -1;
  if (s->pattern == NULL)
    return 0;
  if ((s->re = cp_pattern_compile(s->pattern, &why)) != NULL)
    return 0;
  errf(err, "%s.pattern: Invalid value: \"%s\": must be a valid regular "
            "expression, but isn't: %s",
       at, s->pattern, why ? why : "out of memory");
  free(why);
  return -1;
}

/* The value keywords kube-openapi's validators check beyond type. */
static int compile_values(struct cp_schema *s, json_object *j,
                          const char *at, char **err) {
  if (count_member(j, "minLength", &s->min_len, at, err) < 0 ||
      count_member(j, "minItems", &s->min_items, at, err) < 0 ||
      count_member(j, "maxItems", &s->max_items, at, err) < 0 ||
      count_member(j, "minProperties", &s->min_props, at, err) < 0 ||
      count_member(j, "maxProperties", &s->max_props, at, err) < 0 ||
      bool_member(j, "exclusiveMinimum", &s->excl_min, at, err) < 0 ||
      bool_member(j, "exclusiveMaximum", &s->excl_max, at, err) < 0 ||
      bool_member(j, "uniqueItems", &s->unique_items, at, err) < 0 ||
      num_member(j, "multipleOf", &s->has_multiple_of, &s->multiple_of, at,
                 err) < 0)
    return -1;
  if (s->has_multiple_of && !(s->multiple_of > 0))
    return errf(err, "%s.multipleOf: Invalid value: %g: must be greater "
                     "than zero", at, s->multiple_of);
  return compile_pattern(s, j, at, err);
}

/* allOf/anyOf/oneOf (lists of schemas) into *out. */
static int compile_list(struct cp_schema_doc *d, json_object *j,
                        const char *k, struct cp_schema ***out, size_t *n,
                        const char *at, char **err) {
  json_object *l = member(j, k);
  size_t i, len;
  char *where = NULL;

  if (l == NULL)
    return 0;
  if (!json_object_is_type(l, json_type_array))
    return errf(err, "%s.%s: must be a list of schemas", at, k);
  len = json_object_array_length(l);
  if ((*out = calloc(len + 1, sizeof **out)) == NULL)
    return errf(err, "out of memory");
  for (i = 0; i < len; i++) {
    if (asprintf(&where, "%s.%s[%zu]", at, k, i) < 0)
      return errf(err, "out of memory");
    (*out)[i] = compile(d, json_object_array_get_idx(l, i), where, err);
    free(where);
    if ((*out)[i] == NULL)
      return -1;
    *n = i + 1;
  }
  return 0;
}

static int compile_composition(struct cp_schema_doc *d, struct cp_schema *s,
                               json_object *j, const char *at, char **err) {
  json_object *n = member(j, "not");
  char *where = NULL;

  if (compile_list(d, j, "allOf", &s->all_of, &s->n_all_of, at, err) < 0 ||
      compile_list(d, j, "anyOf", &s->any_of, &s->n_any_of, at, err) < 0 ||
      compile_list(d, j, "oneOf", &s->one_of, &s->n_one_of, at, err) < 0)
    return -1;
  if (n == NULL)
    return 0;
  if (asprintf(&where, "%s.not", at) < 0)
    return errf(err, "out of memory");
  s->not_of = compile(d, n, where, err);
  free(where);
  return s->not_of != NULL ? 0 : -1;
}

static int prop_cmp(const void *a, const void *b) {
  return strcmp(((const struct prop *)a)->name, ((const struct prop *)b)->name);
}

static int compile_props(struct cp_schema_doc *d, struct cp_schema *s,
                         json_object *props, const char *at, char **err) {
  size_t n = 0;
  char *where = NULL;

  if (!json_object_is_type(props, json_type_object))
    return errf(err, "%s.properties: must be an object", at);
  s->props = calloc((size_t)json_object_object_length(props) + 1,
                    sizeof *s->props);
  if (s->props == NULL)
    return errf(err, "out of memory");
  json_object_object_foreach(props, k, v) {
    if (asprintf(&where, "%s.properties[%s]", at, k) < 0)
      return errf(err, "out of memory");
    s->props[n].name = strdup(k);
    s->props[n].s = compile(d, v, where, err);
    free(where);
    if (s->props[n].name == NULL || s->props[n].s == NULL) {
      free(s->props[n].name);
      s->n_props = n;
      return errf(err, "out of memory");
    }
    s->n_props = ++n;
  }
  /* Looked up once per member of every object walked: binary search. */
  qsort(s->props, s->n_props, sizeof *s->props, prop_cmp);
  return 0;
}

static int compile_required(struct cp_schema *s, json_object *req,
                            const char *at, char **err) {
  size_t i, n;

  if (!json_object_is_type(req, json_type_array))
    return errf(err, "%s.required: must be a list of strings", at);
  n = json_object_array_length(req);
  if ((s->required = calloc(n + 1, sizeof *s->required)) == NULL)
    return errf(err, "out of memory");
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(req, i);

    if (!json_object_is_type(e, json_type_string))
      return errf(err, "%s.required[%zu]: must be a string", at, i);
    if ((s->required[i] = strdup(json_object_get_string(e))) == NULL)
      return errf(err, "out of memory");
    s->n_required = i + 1;
  }
  return 0;
}

/* "$ref" directly, or kube's OpenAPI v3 form allOf:[{"$ref": ...}]. */
static const char *ref_of(json_object *j) {
  json_object *r = member(j, "$ref"), *all = member(j, "allOf");

  if (r == NULL && json_object_is_type(all, json_type_array) &&
      json_object_array_length(all) == 1)
    r = member(json_object_array_get_idx(all, 0), "$ref");
  return json_object_is_type(r, json_type_string) ? json_object_get_string(r)
                                                  : NULL;
}

/* x-kubernetes-list-map-keys: a list of field names (server-side apply
 * keys a list's items by them). */
static int compile_map_keys(struct cp_schema *s, json_object *j,
                            const char *at, char **err) {
  json_object *l = member(j, "x-kubernetes-list-map-keys");
  size_t i, n;

  if (l == NULL)
    return 0;
  if (!json_object_is_type(l, json_type_array))
    return errf(err, "%s.x-kubernetes-list-map-keys: must be a list", at);
  n = json_object_array_length(l);
  if (n == 0)
    return 0;
  if ((s->map_keys = calloc(n, sizeof *s->map_keys)) == NULL)
    return errf(err, "out of memory");
  for (i = 0; i < n; i++) {
    json_object *k = json_object_array_get_idx(l, i);

    if (!json_object_is_type(k, json_type_string))
      return errf(err, "%s.x-kubernetes-list-map-keys[%zu]: must be a "
                       "string", at, i);
    if ((s->map_keys[i] = strdup(json_object_get_string(k))) == NULL)
      return errf(err, "out of memory");
    s->n_map_keys = i + 1;
  }
  return 0;
}

static int compile_ext(struct cp_schema *s, json_object *j, const char *at,
                       char **err) {
  json_object *ap = member(j, "additionalProperties");

  if (str_member(j, "format", &s->format, at, err) < 0 ||
      bool_member(j, "nullable", &s->nullable, at, err) < 0 ||
      bool_member(j, "x-kubernetes-preserve-unknown-fields", &s->preserve, at,
                  err) < 0 ||
      bool_member(j, "x-kubernetes-int-or-string", &s->int_or_string, at,
                  err) < 0 ||
      bool_member(j, "x-kubernetes-embedded-resource", &s->embedded, at,
                  err) < 0 ||
      str_member(j, "x-kubernetes-patch-merge-key", &s->merge_key, at, err) <
          0 ||
      str_member(j, "x-kubernetes-patch-strategy", &s->strategy, at, err) <
          0 ||
      str_member(j, "x-kubernetes-list-type", &s->list_type, at, err) < 0 ||
      str_member(j, "x-kubernetes-map-type", &s->map_type, at, err) < 0 ||
      compile_map_keys(s, j, at, err) < 0 || /* server-side apply */
      num_member(j, "minimum", &s->has_min, &s->min, at, err) < 0 ||
      num_member(j, "maximum", &s->has_max, &s->max, at, err) < 0 ||
      copy_member(j, "default", &s->default_val, err) < 0 ||
      copy_member(j, "enum", &s->enum_vals, err) < 0 ||
      cp_schema_rules_compile(j, at, &s->rules, err) < 0) /* CEL rules */
    return -1;
  if (s->enum_vals != NULL && !json_object_is_type(s->enum_vals,
                                                   json_type_array))
    return errf(err, "%s.enum: must be a list", at);
  /* A count like minLength: 1e3082 or -1 refuses the schema (it was
   * cast to long long: undefined beyond its range). */
  if (count_member(j, "maxLength", &s->max_len, at, err) < 0)
    return -1;
  s->has_max_len = s->max_len >= 0;
  if (ap != NULL && json_object_is_type(ap, json_type_boolean))
    s->additional_any = json_object_get_boolean(ap);
  else if (ap != NULL && !json_object_is_type(ap, json_type_object))
    return errf(err, "%s.additionalProperties: must be a schema or a "
                     "boolean", at);
  return 0;
}

/* Compiles schema j (borrowed) into a new node of d; at names where j is,
 * for error messages. NULL with *err set on failure. */
static struct cp_schema *compile(struct cp_schema_doc *d, json_object *j,
                                 const char *at, char **err) {
  struct cp_schema *s;
  json_object *t, *items, *ap, *props, *req;
  const char *ref;
  char *where = NULL;

  if (!json_object_is_type(j, json_type_object)) {
    errf(err, "%s: a schema must be an object", at);
    return NULL;
  }
  if ((s = node_new(d)) == NULL) {
    errf(err, "out of memory");
    return NULL;
  }
  if ((ref = ref_of(j)) != NULL) {
    if (!d->allow_refs) {
      errf(err, "%s: $ref is not allowed here", at);
      return NULL;
    }
    if ((s->ref = strdup(ref)) == NULL)
      errf(err, "out of memory");
    return s->ref != NULL ? s : NULL;
  }
  t = member(j, "type");
  if (t != NULL && (!json_object_is_type(t, json_type_string) ||
                    parse_type(json_object_get_string(t), &s->type) < 0)) {
    errf(err, "%s.type: Unsupported value: %s: supported values: "
              "\"array\", \"boolean\", \"integer\", \"number\", "
              "\"object\", \"string\"",
         at, json_object_to_json_string(t));
    return NULL;
  }
  if (compile_ext(s, j, at, err) < 0 || compile_values(s, j, at, err) < 0 ||
      compile_composition(d, s, j, at, err) < 0)
    return NULL;
  if ((props = member(j, "properties")) != NULL &&
      compile_props(d, s, props, at, err) < 0)
    return NULL;
  if ((req = member(j, "required")) != NULL &&
      compile_required(s, req, at, err) < 0)
    return NULL;
  if ((items = member(j, "items")) != NULL) {
    if (asprintf(&where, "%s.items", at) < 0) {
      errf(err, "out of memory");
      return NULL;
    }
    s->items = compile(d, items, where, err);
    free(where);
    if (s->items == NULL)
      return NULL;
  }
  ap = member(j, "additionalProperties");
  if (ap != NULL && json_object_is_type(ap, json_type_object)) {
    if (asprintf(&where, "%s.additionalProperties", at) < 0) {
      errf(err, "out of memory");
      return NULL;
    }
    s->additional = compile(d, ap, where, err);
    free(where);
    if (s->additional == NULL)
      return NULL;
  }
  if (s->type == T_ARRAY && s->items == NULL && !s->preserve) {
    errf(err, "%s: an array needs items", at);
    return NULL;
  }
  return s;
}

static struct cp_schema *find_def(const struct cp_schema_doc *d,
                                  const char *name) {
  size_t i;

  for (i = 0; i < d->n_defs; i++)
    if (strcmp(d->defs[i].name, name) == 0)
      return d->defs[i].s;
  return NULL;
}

static int add_defs(struct cp_schema_doc *d, json_object *defs, char **err) {
  size_t n = (size_t)json_object_object_length(defs);
  struct def *nd;
  char *where = NULL;

  nd = realloc(d->defs, (d->n_defs + n + 1) * sizeof *nd);
  if (nd == NULL)
    return errf(err, "out of memory");
  d->defs = nd;
  json_object_object_foreach(defs, k, v) {
    struct cp_schema *s;

    if (find_def(d, k) != NULL)
      return errf(err, "components.schemas.%s: defined twice", k);
    if (asprintf(&where, "components.schemas.%s", k) < 0)
      return errf(err, "out of memory");
    s = compile(d, v, where, err);
    free(where);
    if (s == NULL)
      return -1;
    if ((d->defs[d->n_defs].name = strdup(k)) == NULL)
      return errf(err, "out of memory");
    d->defs[d->n_defs++].s = s;
  }
  return 0;
}

/* Points every "$ref" node at its definition. */
static int resolve(struct cp_schema_doc *d, char **err) {
  struct cp_schema *s;

  for (s = d->nodes; s != NULL; s = s->next_node) {
    const char *name;

    if (s->ref == NULL)
      continue;
    if (strncmp(s->ref, REF_PREFIX, strlen(REF_PREFIX)) != 0)
      return errf(err, "$ref %s: only " REF_PREFIX "NAME is supported",
                  s->ref);
    name = s->ref + strlen(REF_PREFIX);
    if ((s->target = find_def(d, name)) == NULL)
      return errf(err, "$ref %s: no such definition", s->ref);
  }
  return 0;
}

static struct cp_schema_doc *doc_new(int allow_refs) {
  struct cp_schema_doc *d = calloc(1, sizeof *d);

  if (d != NULL)
    d->allow_refs = allow_refs;
  return d;
}

/* Adds one parsed document (components or a single root) to d. */
static int doc_add(struct cp_schema_doc *d, json_object *j, char **err) {
  json_object *defs = member(member(j, "components"), "schemas");

  if (defs != NULL) {
    if (!json_object_is_type(defs, json_type_object))
      return errf(err, "components.schemas: must be an object");
    return add_defs(d, defs, err);
  }
  if (d->root != NULL)
    return errf(err, "a document has one root schema");
  d->root = compile(d, j, "<root>", err);
  return d->root != NULL ? 0 : -1;
}

static json_object *parse_text(const char *text, char **err) {
  enum json_tokener_error e = json_tokener_success;
  json_object *j = json_tokener_parse_verbose(text, &e);

  if (j == NULL)
    errf(err, "not JSON: %s", json_tokener_error_desc(e));
  return j;
}

struct cp_schema_doc *cp_schema_doc_parse(const char *text, char **err) {
  struct cp_schema_doc *d = doc_new(1);
  json_object *j;

  *err = NULL;
  if (d == NULL || (j = parse_text(text, err)) == NULL) {
    if (d == NULL)
      errf(err, "out of memory");
    cp_schema_doc_free(d);
    return NULL;
  }
  if (doc_add(d, j, err) < 0 || resolve(d, err) < 0) {
    cp_schema_doc_free(d);
    d = NULL;
  }
  json_object_put(j);
  return d;
}

struct cp_schema_doc *cp_schema_doc_compile(json_object *schema, char **err) {
  return cp_schema_doc_compile_at(schema, "<root>", err);
}

struct cp_schema_doc *cp_schema_doc_compile_at(json_object *schema,
                                               const char *root,
                                               char **err) {
  struct cp_schema_doc *d = doc_new(0);

  *err = NULL;
  if (d == NULL) {
    errf(err, "out of memory");
    return NULL;
  }
  if ((d->root = compile(d, schema, root, err)) == NULL) {
    cp_schema_doc_free(d);
    return NULL;
  }
  return d;
}

const struct cp_schema *cp_schema_doc_root(const struct cp_schema_doc *d) {
  return d != NULL ? d->root : NULL;
}

const struct cp_schema *cp_schema_doc_get(const struct cp_schema_doc *d,
                                          const char *name) {
  return d != NULL ? find_def(d, name) : NULL;
}

/* ------------------------------------------------------------ built-ins */

/* The JSON files of host/apiserver/schemas/, linked in by builtin.S. */
extern const char cp_schema_blob_meta[], cp_schema_blob_core[],
    cp_schema_blob_apps[], cp_schema_blob_other[],
    cp_schema_blob_kinds_core[], cp_schema_blob_kinds_workloads[],
    cp_schema_blob_kinds_platform[];

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static struct cp_schema_doc *builtin_doc;
static char *builtin_defs_text;
static const struct cp_schema *builtin_object_meta;

struct gvk_entry {
  char *group, *version, *kind;
  const struct cp_schema *s;
};
static struct gvk_entry *builtin_kinds;
static size_t n_builtin_kinds;

/* Indexes the definitions that carry x-kubernetes-group-version-kind. */
static int index_kinds(json_object *defs) {
  size_t n = (size_t)json_object_object_length(defs);

  if ((builtin_kinds = calloc(n + 1, sizeof *builtin_kinds)) == NULL)
    return -1;
  json_object_object_foreach(defs, k, v) {
    json_object *gvks = member(v, "x-kubernetes-group-version-kind"), *g;
    struct gvk_entry *e = &builtin_kinds[n_builtin_kinds];

    if (!json_object_is_type(gvks, json_type_array) ||
        json_object_array_length(gvks) == 0)
      continue;
    g = json_object_array_get_idx(gvks, 0);
    e->group = strdup(json_object_get_string(member(g, "group")));
    e->version = strdup(json_object_get_string(member(g, "version")));
    e->kind = strdup(json_object_get_string(member(g, "kind")));
    e->s = find_def(builtin_doc, k);
    if (e->group == NULL || e->version == NULL || e->kind == NULL)
      return -1;
    n_builtin_kinds++;
  }
  return 0;
}

static void builtin_load(void) {
  const char *blobs[] = {cp_schema_blob_meta, cp_schema_blob_core,
                         cp_schema_blob_apps, cp_schema_blob_other,
                         cp_schema_blob_kinds_core,
                         cp_schema_blob_kinds_workloads,
                         cp_schema_blob_kinds_platform};
  json_object *all = json_object_new_object();
  struct cp_schema_doc *d = doc_new(1);
  char *err = NULL;
  size_t i;

  if (d == NULL || all == NULL) {
    errf(&err, "out of memory");
    goto out;
  }
  for (i = 0; i < sizeof blobs / sizeof blobs[0]; i++) {
    json_object *j = parse_text(blobs[i], &err), *defs;

    if (j == NULL)
      goto out;
    if (doc_add(d, j, &err) < 0) {
      json_object_put(j);
      goto out;
    }
    defs = member(member(j, "components"), "schemas");
    json_object_object_foreach(defs, k, v)
        json_object_object_add(all, k, json_object_get(v));
    json_object_put(j);
  }
  if (resolve(d, &err) < 0)
    goto out;
  builtin_doc = d;
  builtin_object_meta = find_def(d, OBJECT_META);
  d = NULL;
  if (index_kinds(all) < 0 ||
      (builtin_defs_text = strdup(json_object_to_json_string_ext(
           all, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))) ==
          NULL)
    errf(&err, "out of memory");
out:
  if (err != NULL)
    cp_log_error("apiserver", "built-in schemas: %s", err);
  free(err);
  cp_schema_doc_free(d);
  json_object_put(all);
}

const struct cp_schema_doc *cp_schema_builtins(void) {
  pthread_once(&builtin_once, builtin_load);
  return builtin_doc;
}

static const struct gvk_entry *builtin_entry(const char *group,
                                             const char *version,
                                             const char *kind) {
  size_t i;

  if (cp_schema_builtins() == NULL)
    return NULL;
  for (i = 0; i < n_builtin_kinds; i++) {
    const struct gvk_entry *e = &builtin_kinds[i];

    if (strcmp(e->kind, kind) == 0 && strcmp(e->group, group) == 0 &&
        strcmp(e->version, version) == 0)
      return e;
  }
  return NULL;
}

const struct cp_schema *cp_schema_builtin_kind(const char *group,
                                               const char *version,
                                               const char *kind) {
  const struct gvk_entry *e = builtin_entry(group, version, kind);

  return e != NULL ? e->s : NULL;
}

const char *cp_schema_builtin_kind_name(const char *group,
                                        const char *version,
                                        const char *kind) {
  const struct gvk_entry *e = builtin_entry(group, version, kind);
  size_t i;

  if (e == NULL)
    return NULL;
  for (i = 0; i < builtin_doc->n_defs; i++)
    if (builtin_doc->defs[i].s == e->s)
      return builtin_doc->defs[i].name;
  return NULL;
}

const char *cp_schema_builtin_definitions(void) {
  cp_schema_builtins();
  return builtin_defs_text;
}

static const struct cp_schema *object_meta(void) {
  cp_schema_builtins();
  return builtin_object_meta;
}

/* ------------------------------------------------------------ walking */

static const struct cp_schema *deref(const struct cp_schema *s) {
  int i;

  for (i = 0; s != NULL && s->ref != NULL && i < MAX_DEREF; i++)
    s = s->target;
  return s != NULL && s->ref != NULL ? NULL : s;
}

/* Properties are sorted by name at compile time (sort_props). */
static const struct cp_schema *prop_of(const struct cp_schema *s,
                                       const char *name) {
  size_t lo = 0, hi = s->n_props;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name, s->props[mid].name);

    if (c == 0)
      return s->props[mid].s;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* The path being walked, grown and cut back as the walk goes. */
struct path {
  char *buf;
  size_t len, cap;
  int nomem;
};

/* Room for n more bytes and a NUL; 0 when out of memory. */
static int path_room(struct path *p, size_t n) {
  size_t cap;
  char *b;

  if (p->len + n + 1 <= p->cap)
    return 1;
  cap = (p->len + n + 1) * 2;
  if ((b = realloc(p->buf, cap)) == NULL) {
    p->nomem = 1;
    return 0;
  }
  p->buf = b;
  p->cap = cap;
  return 1;
}

/* Appends ".k" ("k" at the start). Every member of every object walked
 * goes through here, so it copies rather than formats. */
static size_t path_key(struct path *p, const char *k) {
  size_t mark = p->len, n = strlen(k);

  if (!path_room(p, n + 1))
    return mark;
  if (p->len > 0)
    p->buf[p->len++] = '.';
  memcpy(p->buf + p->len, k, n + 1);
  p->len += n;
  return mark;
}

static size_t path_index(struct path *p, size_t i) {
  char digits[24];
  size_t n = sizeof digits, mark = p->len;

  do
    digits[--n] = (char)('0' + i % 10);
  while ((i /= 10) > 0 && n > 1);
  if (!path_room(p, sizeof digits - n + 2))
    return mark;
  p->buf[p->len++] = '[';
  memcpy(p->buf + p->len, digits + n, sizeof digits - n);
  p->len += sizeof digits - n;
  p->buf[p->len++] = ']';
  p->buf[p->len] = '\0';
  return mark;
}

static void path_cut(struct path *p, size_t mark) {
  p->len = mark;
  if (p->buf != NULL)
    p->buf[mark] = '\0';
}

static const char *path_str(const struct path *p) {
  return p->buf != NULL && p->len > 0 ? p->buf : "<root>";
}

static void add_unknown(struct cp_schema_result *r, const struct path *p) {
  char **u = realloc(r->unknown, (r->n_unknown + 1) * sizeof *u);

  if (u == NULL) {
    r->nomem = 1;
    return;
  }
  r->unknown = u;
  if ((u[r->n_unknown] = strdup(path_str(p))) == NULL)
    r->nomem = 1;
  else
    r->n_unknown++;
}

static void add_error(struct cp_schema_result *r, const struct path *p,
                      const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_verror(struct cp_schema_result *r, const char *field,
                       const char *reason, const char *fmt, va_list ap) {
  struct cp_schema_error *e = realloc(r->errors, (r->n_errors + 1) *
                                                     sizeof *e);
  int n;

  if (e == NULL) {
    r->nomem = 1;
    return;
  }
  r->errors = e;
  e = &r->errors[r->n_errors];
  e->reason = reason;
  e->got = e->want = e->go_struct = NULL;
  e->field = strdup(field);
  n = vasprintf(&e->message, fmt, ap);
  if (n < 0 || e->field == NULL) {
    free(e->field);
    if (n >= 0)
      free(e->message);
    r->nomem = 1;
    return;
  }
  r->n_errors++;
}

static void add_error(struct cp_schema_result *r, const struct path *p,
                      const char *reason, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  add_verror(r, path_str(p), reason, fmt, ap);
  va_end(ap);
}

/* An error kube reports at the object's root path, which it prints as
 * "<nil>": allOf/anyOf/oneOf/not failures (kube-openapi's composite
 * errors). */
static void add_root_error(struct cp_schema_result *r, const char *reason,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_root_error(struct cp_schema_result *r, const char *reason,
                           const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  add_verror(r, "<nil>", reason, fmt, ap);
  va_end(ap);
}

void cp_schema_result_clear(struct cp_schema_result *r) {
  size_t i;

  for (i = 0; i < r->n_unknown; i++)
    free(r->unknown[i]);
  free(r->unknown);
  for (i = 0; i < r->n_errors; i++) {
    free(r->errors[i].field);
    free(r->errors[i].message);
  }
  free(r->errors);
  memset(r, 0, sizeof *r);
}

/* apiVersion, kind and metadata at the top of an object or an embedded
 * resource: known whatever the schema says; metadata is an ObjectMeta. */
static int is_resource_key(const char *k) {
  return strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 ||
         strcmp(k, "metadata") == 0;
}

/* The schema that governs member k of an object with schema s (which may
 * be a resource top), or NULL when k is unknown. *any is set when k is
 * known but unconstrained. */
static const struct cp_schema *member_schema(const struct cp_schema *s,
                                             const char *k, int resource,
                                             int *any) {
  const struct cp_schema *c;

  *any = 0;
  if (resource && is_resource_key(k)) {
    if (strcmp(k, "metadata") == 0)
      return object_meta();
    *any = 1;
    return NULL;
  }
  if ((c = prop_of(s, k)) != NULL)
    return c;
  if (s->additional != NULL)
    return s->additional;
  if (s->additional_any || s->preserve || s->int_or_string)
    *any = 1;
  return NULL;
}

/* One walk over an object (pruning or validation): where it is, what it
 * found, and whether unknown fields are removed. */
struct walk {
  struct path path;
  struct cp_schema_result *r;
  int prune;
  size_t steps; /* nodes visited by validation, for MAX_STEPS */
  int too_complex;
  /* Validation: the Go struct whose fields are being walked, as Go's
   * decoder names it in a type error (the last segment of the
   * definition a "$ref" led into); NULL at the root and below schemas
   * that name none. Points into the schema. */
  const char *go_struct;
};

static void prune_node(struct walk *w, const struct cp_schema *s,
                       json_object *o, int resource);

static void prune_object(struct walk *w, const struct cp_schema *s,
                         json_object *o, int resource) {
  struct lh_entry *e, *next;

  for (e = json_object_get_object(o)->head; e != NULL; e = next) {
    const char *k = (const char *)lh_entry_k(e);
    json_object *v = (json_object *)lh_entry_v(e);
    const struct cp_schema *c;
    size_t mark;
    int any;

    next = e->next;
    c = deref(member_schema(s, k, resource, &any));
    if (v == NULL && c != NULL && !c->nullable) {
      json_object_object_del(o, k); /* null is absent */
      continue;
    }
    mark = path_key(&w->path, k);
    if (c != NULL)
      prune_node(w, c, v, 0);
    else if (!any) {
      add_unknown(w->r, &w->path);
      if (w->prune)
        json_object_object_del(o, k);
    }
    path_cut(&w->path, mark);
  }
}

static void prune_node(struct walk *w, const struct cp_schema *s,
                       json_object *o, int resource) {
  size_t i, mark;

  s = deref(s);
  if (s == NULL || o == NULL)
    return;
  resource = resource || s->embedded;
  if (json_object_is_type(o, json_type_object)) {
    if (s->type != T_NONE && s->type != T_OBJECT)
      return; /* a type error, for validation */
    if (s->type == T_NONE && s->n_props == 0 && s->additional == NULL &&
        !resource)
      return; /* int-or-string, preserve or untyped: nothing to prune */
    prune_object(w, s, o, resource);
    return;
  }
  if (json_object_is_type(o, json_type_array) && s->items != NULL) {
    for (i = 0; i < json_object_array_length(o); i++) {
      mark = path_index(&w->path, i);
      prune_node(w, s->items, json_object_array_get_idx(o, i), 0);
      path_cut(&w->path, mark);
    }
  }
}

void cp_schema_prune(const struct cp_schema *s, json_object *o, int prune,
                     struct cp_schema_result *r) {
  struct walk w = {{NULL, 0, 0, 0}, r, prune, 0, 0, NULL};

  s = deref(s);
  if (s != NULL && json_object_is_type(o, json_type_object))
    prune_object(&w, s, o, 1);
  if (w.path.nomem)
    r->nomem = 1;
  free(w.path.buf);
}

static void default_node(const struct cp_schema *s, json_object *o,
                         int resource, int depth);

static void default_object(const struct cp_schema *s, json_object *o,
                           int resource, int depth) {
  size_t i;

  for (i = 0; i < s->n_props; i++) {
    const struct cp_schema *c = deref(s->props[i].s);
    json_object *copy = NULL;

    if (c == NULL || c->default_val == NULL ||
        json_object_object_get_ex(o, s->props[i].name, NULL))
      continue;
    if (json_object_deep_copy(c->default_val, &copy, NULL) == 0)
      json_object_object_add(o, s->props[i].name, copy);
  }
  json_object_object_foreach(o, k, v) {
    int any;
    const struct cp_schema *c = member_schema(s, k, resource, &any);

    if (c != NULL)
      default_node(c, v, 0, depth + 1);
  }
}

static void default_node(const struct cp_schema *s, json_object *o,
                         int resource, int depth) {
  size_t i;

  s = deref(s);
  if (s == NULL || o == NULL || depth > 64)
    return;
  resource = resource || s->embedded;
  if (json_object_is_type(o, json_type_object) &&
      (s->type == T_OBJECT || s->type == T_NONE))
    default_object(s, o, resource, depth);
  else if (json_object_is_type(o, json_type_array) && s->items != NULL)
    for (i = 0; i < json_object_array_length(o); i++)
      default_node(s->items, json_object_array_get_idx(o, i), 0, depth + 1);
}

void cp_schema_default(const struct cp_schema *s, json_object *o) {
  default_node(s, o, 1, 0);
}

static const char *json_type_name(json_object *o) {
  switch (json_object_get_type(o)) {
  case json_type_null:
    return "null";
  case json_type_boolean:
    return "boolean";
  case json_type_double:
    return "number";
  case json_type_int:
    return "integer";
  case json_type_string:
    return "string";
  case json_type_array:
    return "array";
  case json_type_object:
    return "object";
  }
  return "unknown";
}

static const char *type_name(enum stype t) {
  static const char *names[] = {"", "object", "array", "string", "integer",
                                "number", "boolean"};

  return names[t];
}

const char *cp_schema_go_json_name(json_object *o) {
  switch (json_object_get_type(o)) {
  case json_type_boolean:
    return "bool";
  case json_type_double:
  case json_type_int:
    return "number";
  case json_type_array:
    return "array";
  case json_type_object:
    return "object";
  default:
    return "string";
  }
}

/* The Go type of a scalar schema, as reflect names it; NULL for others. */
static const char *go_scalar_name(const struct cp_schema *s) {
  if (s->int_or_string)
    return "intstr.IntOrString";
  switch (s->type) {
  case T_INTEGER:
    return s->format != NULL && strcmp(s->format, "int32") == 0 ? "int32"
                                                                 : "int64";
  case T_NUMBER:
    return "float64";
  case T_BOOLEAN:
    return "bool";
  case T_STRING:
    return "string";
  default:
    return NULL;
  }
}

/* "map[string]E" / "[]E" for the scalars a built-in map or list holds
 * (labels, finalizers, a ConfigMap's data, args...). */
static const char *go_composite_name(const char *elem, int map) {
  static const char *const elems[] = {"string", "int32",  "int64",
                                      "float64", "bool"};
  static const char *const maps[] = {"map[string]string",
                                     "map[string]int32", "map[string]int64",
                                     "map[string]float64", "map[string]bool"};
  static const char *const lists[] = {"[]string", "[]int32", "[]int64",
                                      "[]float64", "[]bool"};
  size_t i;

  for (i = 0; elem != NULL && i < sizeof elems / sizeof elems[0]; i++)
    if (strcmp(elem, elems[i]) == 0)
      return map ? maps[i] : lists[i];
  return NULL;
}

/* The Go type behind s, as kube-apiserver's decoding errors name it:
 * scalars, and maps and lists of scalars, as reflect writes them; the
 * schema type for structs and lists of structs, whose Go names the
 * schema does not keep. */
static const char *go_type_name(const struct cp_schema *s) {
  const struct cp_schema *e = NULL;
  const char *name = go_scalar_name(s);

  if (name != NULL)
    return name;
  if (s->type == T_OBJECT && s->n_props == 0 && s->additional != NULL)
    e = deref(s->additional);
  else if (s->type == T_ARRAY && s->items != NULL)
    e = deref(s->items);
  if (e != NULL &&
      (name = go_composite_name(go_scalar_name(e), s->type == T_OBJECT)))
    return name;
  return type_name(s->type);
}

static int type_ok(const struct cp_schema *s, json_object *o) {
  if (s->int_or_string)
    return json_object_is_type(o, json_type_int) ||
           json_object_is_type(o, json_type_string);
  switch (s->type) {
  case T_NONE:
    return 1;
  case T_OBJECT:
    return json_object_is_type(o, json_type_object);
  case T_ARRAY:
    return json_object_is_type(o, json_type_array);
  case T_STRING:
    return json_object_is_type(o, json_type_string);
  case T_INTEGER:
    return json_object_is_type(o, json_type_int);
  case T_NUMBER:
    return json_object_is_type(o, json_type_int) ||
           json_object_is_type(o, json_type_double);
  case T_BOOLEAN:
    return json_object_is_type(o, json_type_boolean);
  }
  return 0;
}

static const char *text_of(json_object *o) {
  return json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* UTF-8 characters in s, as kube counts maxLength. */
static size_t utf8_len(const char *s) {
  size_t n = 0;

  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      n++;
  return n;
}

/* The text of a schema's own value. json-c caches a serialization inside
 * the object it serializes, and schemas are shared between threads, so
 * this serializes a private copy. Returns malloc'd text or NULL. */
static char *shared_text(json_object *v) {
  json_object *copy = NULL;
  char *t = NULL;

  if (json_object_deep_copy(v, &copy, NULL) == 0 && text_of(copy) != NULL)
    t = strdup(text_of(copy));
  json_object_put(copy);
  return t;
}

static void check_enum(struct walk *w, const struct cp_schema *s,
                       json_object *o) {
  size_t i, n = json_object_array_length(s->enum_vals);
  char *list = NULL, *next, *one;

  for (i = 0; i < n; i++)
    if (json_object_equal(o, json_object_array_get_idx(s->enum_vals, i)))
      return;
  for (i = 0; i < n; i++) {
    one = shared_text(json_object_array_get_idx(s->enum_vals, i));
    if (one == NULL || asprintf(&next, "%s%s%s", list ? list : "",
                                list ? ", " : "", one) < 0) {
      free(one);
      w->r->nomem = 1;
      free(list);
      return;
    }
    free(one);
    free(list);
    list = next;
  }
  add_error(w->r, &w->path, "FieldValueNotSupported",
            "Unsupported value: %s: supported values: %s", text_of(o),
            list ? list : "");
  free(list);
}

/* A number as Go's %v prints a float64 (kube-openapi's limits are
 * float64s): the shortest digits that read back the same, in %e form
 * when the exponent is < -4 or >= 6 ("1e+06"). */
static void go_float(double v, char *buf, size_t len) {
  int prec, exp;
  char tmp[40];

  if (v == 0 || !isfinite(v)) {
    snprintf(buf, len, "%g", v == 0 ? 0.0 : v);
    return;
  }
  for (prec = 1; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    if (strtod(tmp, NULL) == v)
      break;
  }
  snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
  exp = atoi(strchr(tmp, 'e') + 1);
  if (exp < -4 || exp >= 6)
    snprintf(buf, len, "%s", tmp);
  else
    snprintf(buf, len, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, v);
}

/* A value as kube's field errors print it: strings quoted, numbers and
 * booleans bare. */
static const char *value_text(json_object *o, char *buf, size_t len) {
  if (json_object_is_type(o, json_type_double)) {
    go_float(json_object_get_double(o), buf, len);
    return buf;
  }
  return text_of(o);
}

static void check_string(struct walk *w, const struct cp_schema *s,
                         json_object *o) {
  const char *v = json_object_get_string(o);
  size_t len = (size_t)json_object_get_string_len(o), chars;
  int m;

  if (!s->has_max_len && s->min_len < 0 && s->re == NULL &&
      !cp_format_known(s->format))
    return;
  chars = utf8_len(v);
  if (s->has_max_len && chars > (size_t)s->max_len)
    add_error(w->r, &w->path, "FieldValueTooLong",
              "Too long: may not be longer than %lld", s->max_len);
  if (s->min_len >= 0 && chars < (size_t)s->min_len)
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %s: %s in body should be at least %lld chars "
              "long",
              text_of(o), path_str(&w->path), s->min_len);
  if (s->re != NULL && (m = cp_pattern_match(s->re, v, len)) != 1)
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %s: %s in body should match '%s'", text_of(o),
              path_str(&w->path), s->pattern);
  if (!cp_format_valid(s->format, v, len))
    add_error(w->r, &w->path, "FieldValueTypeInvalid",
              "Invalid value: %s: %s in body must be of type %s: %s",
              text_of(o), path_str(&w->path), s->format, text_of(o));
}

static void check_number(struct walk *w, const struct cp_schema *s,
                         json_object *o) {
  double d = json_object_get_double(o), q;
  char buf[48], lim[48];
  const char *val = value_text(o, buf, sizeof buf);
  if (s->has_multiple_of) {
    q = d / s->multiple_of;
    if (q != floor(q)) {
      go_float(s->multiple_of, lim, sizeof lim);
      add_error(w->r, &w->path, "FieldValueInvalid",
                "Invalid value: %s: %s in body should be a multiple of %s",
                val, path_str(&w->path), lim);
    }
  }
  if (s->has_max && (s->excl_max ? d >= s->max : d > s->max)) {
    go_float(s->max, lim, sizeof lim);
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %s: %s in body should be less than %s%s", val,
              path_str(&w->path), s->excl_max ? "" : "or equal to ", lim);
  }
  if (s->has_min && (s->excl_min ? d <= s->min : d < s->min)) {
    go_float(s->min, lim, sizeof lim);
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %s: %s in body should be greater than %s%s",
              val, path_str(&w->path), s->excl_min ? "" : "or equal to ",
              lim);
  }
  if (s->format != NULL && strcmp(s->format, "int32") == 0 &&
      json_object_is_type(o, json_type_int) &&
      (d > 2147483647.0 || d < -2147483648.0))
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %s: %s in body must be a 32-bit integer", val,
              path_str(&w->path));
}

/* kube's order: string, format, number, then enum (kube-openapi runs
 * its string, format, number and common validators in that order). */
static void check_scalar(struct walk *w, const struct cp_schema *s,
                         json_object *o) {
  if (json_object_is_type(o, json_type_string))
    check_string(w, s, o);
  if (json_object_is_type(o, json_type_int) ||
      json_object_is_type(o, json_type_double))
    check_number(w, s, o);
  if (s->enum_vals != NULL)
    check_enum(w, s, o);
}

/* A hash of a JSON value equal for equal values: numbers by value (1
 * and 1.0 are one number to Go), objects whatever their member order. */
static uint64_t value_hash(json_object *o, int depth) {
  uint64_t h = 1469598103934665603ull, m;
  const char *p;
  double d;
  size_t i;

  if (depth > 64)
    return h;
  switch (json_object_get_type(o)) {
  case json_type_int:
  case json_type_double:
    d = json_object_get_double(o);
    if (d == 0)
      d = 0; /* -0 == 0 */
    memcpy(&m, &d, sizeof m);
    return m * 0x9e3779b97f4a7c15ull;
  case json_type_boolean:
    return json_object_get_boolean(o) ? 3 : 5;
  case json_type_string:
    for (p = json_object_get_string(o), i = 0;
         i < (size_t)json_object_get_string_len(o); i++)
      h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
  case json_type_array:
    for (i = 0; i < json_object_array_length(o); i++)
      h = (h ^ value_hash(json_object_array_get_idx(o, i), depth + 1)) *
          1099511628211ull;
    return h;
  case json_type_object: {
    uint64_t sum = 7;

    json_object_object_foreach(o, k, v) {
      uint64_t kh = 1469598103934665603ull;

      for (p = k; *p != '\0'; p++)
        kh = (kh ^ (unsigned char)*p) * 1099511628211ull;
      sum += (kh ^ value_hash(v, depth + 1)) * 0x9e3779b97f4a7c15ull;
    }
    return sum;
  }
  default:
    return 11;
  }
}

static int is_number(json_object *o) {
  return json_object_is_type(o, json_type_int) ||
         json_object_is_type(o, json_type_double);
}

/* Equality as Go's reflect.DeepEqual sees decoded JSON: numbers by
 * value at any depth, objects whatever their member order. */
static int values_equal(json_object *a, json_object *b, int depth) {
  json_object *bv;
  size_t i, n;

  if (is_number(a) && is_number(b))
    return json_object_get_double(a) == json_object_get_double(b);
  if (json_object_get_type(a) != json_object_get_type(b) || depth > 64)
    return 0;
  if (json_object_is_type(a, json_type_array)) {
    n = json_object_array_length(a);
    if (n != json_object_array_length(b))
      return 0;
    for (i = 0; i < n; i++)
      if (!values_equal(json_object_array_get_idx(a, i),
                        json_object_array_get_idx(b, i), depth + 1))
        return 0;
    return 1;
  }
  if (json_object_is_type(a, json_type_object)) {
    if (json_object_object_length(a) != json_object_object_length(b))
      return 0;
    json_object_object_foreach(a, k, av) {
      if (!json_object_object_get_ex(b, k, &bv) ||
          !values_equal(av, bv, depth + 1))
        return 0;
    }
    return 1;
  }
  return json_object_equal(a, b);
}

struct hashed {
  uint64_t h;
  json_object *v;
};

static int hashed_cmp(const void *a, const void *b) {
  uint64_t x = ((const struct hashed *)a)->h, y = ((const struct hashed *)b)->h;

  return x < y ? -1 : x > y;
}

/* 1 when array o holds two equal items; -1 out of memory. Sorted by
 * hash, so a long list costs n log n, not n squared. */
static int has_duplicates(json_object *o) {
  size_t i, j, n = json_object_array_length(o);
  struct hashed *h;
  int dup = 0;

  if (n < 2)
    return 0;
  if ((h = calloc(n, sizeof *h)) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    h[i].v = json_object_array_get_idx(o, i);
    h[i].h = value_hash(h[i].v, 0);
  }
  qsort(h, n, sizeof *h, hashed_cmp);
  for (i = 0; i < n && !dup; i++)
    for (j = i + 1; j < n && h[j].h == h[i].h && !dup; j++)
      dup = values_equal(h[i].v, h[j].v, 0);
  free(h);
  return dup;
}

static void validate_node(struct walk *w, const struct cp_schema *s,
                          json_object *o, int resource, int depth);

static void validate_array(struct walk *w, const struct cp_schema *s,
                           json_object *o, int depth) {
  size_t i, mark, n = json_object_array_length(o);

  if (s->min_items >= 0 && n < (size_t)s->min_items)
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %zu: %s in body should have at least %lld "
              "items",
              n, path_str(&w->path), s->min_items);
  if (s->max_items >= 0 && n > (size_t)s->max_items)
    add_error(w->r, &w->path, "FieldValueTooMany",
              "Too many: %zu: must have at most %lld items", n,
              s->max_items);
  if (s->unique_items) {
    int dup = has_duplicates(o);

    if (dup < 0)
      w->r->nomem = 1;
    else if (dup)
      add_error(w->r, &w->path, "FieldValueInvalid",
                "Invalid value: \"\": %s in body shouldn't contain "
                "duplicates",
                path_str(&w->path));
  }
  for (i = 0; s->items != NULL && i < n; i++) {
    mark = path_index(&w->path, i);
    validate_node(w, s->items, json_object_array_get_idx(o, i), 0,
                  depth + 1);
    path_cut(&w->path, mark);
  }
}

static void validate_object(struct walk *w, const struct cp_schema *s,
                            json_object *o, int resource, int depth) {
  size_t i, mark, n = (size_t)json_object_object_length(o);

  if (s->min_props >= 0 && n < (size_t)s->min_props)
    add_error(w->r, &w->path, "FieldValueInvalid",
              "Invalid value: %zu: %s in body should have at least %lld "
              "properties",
              n, path_str(&w->path), s->min_props);
  if (s->max_props >= 0 && n > (size_t)s->max_props)
    add_error(w->r, &w->path, "FieldValueTooMany",
              "Too many: %zu: must have at most %lld items", n,
              s->max_props);
  for (i = 0; i < s->n_required; i++) {
    json_object *v = NULL;

    if (json_object_object_get_ex(o, s->required[i], &v) && v != NULL)
      continue;
    mark = path_key(&w->path, s->required[i]);
    add_error(w->r, &w->path, "FieldValueRequired", "Required value");
    path_cut(&w->path, mark);
  }
  json_object_object_foreach(o, k, v) {
    int any;
    const struct cp_schema *c = member_schema(s, k, resource, &any);

    if (c == NULL)
      continue;
    mark = path_key(&w->path, k);
    validate_node(w, c, v, 0, depth + 1);
    path_cut(&w->path, mark);
  }
}

/* Validates o against branch s into a result of its own, so that the
 * caller decides which of a junctor's errors kube would report. */
static size_t try_branch(struct walk *w, const struct cp_schema *s,
                         json_object *o, int depth,
                         struct cp_schema_result *into) {
  struct cp_schema_result *saved = w->r;

  w->r = into;
  validate_node(w, s, o, 0, depth + 1);
  w->r = saved;
  if (into->nomem)
    saved->nomem = 1;
  return into->n_errors;
}

/* Moves every error of from to the end of to. */
static void take_errors(struct cp_schema_result *to,
                        struct cp_schema_result *from) {
  struct cp_schema_error *e;

  if (from->n_errors == 0)
    return;
  e = realloc(to->errors, (to->n_errors + from->n_errors) * sizeof *e);
  if (e == NULL) {
    to->nomem = 1;
    return;
  }
  to->errors = e;
  memcpy(e + to->n_errors, from->errors, from->n_errors * sizeof *e);
  to->n_errors += from->n_errors;
  from->n_errors = 0;
}

/* anyOf or oneOf: how many branches o satisfies; the errors of the
 * branch that failed least go to *best (kube keeps its best failure). */
static size_t count_valid(struct walk *w, struct cp_schema *const *br,
                          size_t n, json_object *o, int depth,
                          struct cp_schema_result *best) {
  size_t i, valid = 0;
  int have = 0;

  for (i = 0; i < n; i++) {
    struct cp_schema_result r = {0};

    if (try_branch(w, br[i], o, depth, &r) == 0) {
      valid++;
    } else if (!have || r.n_errors < best->n_errors) {
      cp_schema_result_clear(best);
      *best = r;
      have = 1;
      continue;
    }
    cp_schema_result_clear(&r);
  }
  return valid;
}

static void check_any_one(struct walk *w, const struct cp_schema *s,
                          json_object *o, int depth) {
  struct cp_schema_result best = {0};
  const char *at = w->path.len > 0 ? w->path.buf : "";
  size_t valid;

  if (s->n_any_of > 0) {
    valid = count_valid(w, s->any_of, s->n_any_of, o, depth, &best);
    if (valid == 0) {
      add_root_error(w->r, "FieldValueInvalid",
                     "Invalid value: \"\": \"%s\" must validate at least one "
                     "schema (anyOf)",
                     at);
      take_errors(w->r, &best);
    }
    cp_schema_result_clear(&best);
  }
  if (s->n_one_of > 0) {
    valid = count_valid(w, s->one_of, s->n_one_of, o, depth, &best);
    if (valid == 0) {
      add_root_error(w->r, "FieldValueInvalid",
                     "Invalid value: \"\": \"%s\" must validate one and only "
                     "one schema (oneOf). Found none valid",
                     at);
      take_errors(w->r, &best);
    } else if (valid > 1) {
      add_root_error(w->r, "FieldValueInvalid",
                     "Invalid value: \"\": \"%s\" must validate one and only "
                     "one schema (oneOf). Found %zu valid alternatives",
                     at, valid);
    }
    cp_schema_result_clear(&best);
  }
}

/* allOf, anyOf, oneOf and not, in kube-openapi's order. */
static void check_junctors(struct walk *w, const struct cp_schema *s,
                           json_object *o, int depth) {
  const char *at = w->path.len > 0 ? w->path.buf : "";
  size_t i, valid = 0;

  check_any_one(w, s, o, depth);
  for (i = 0; i < s->n_all_of; i++) {
    struct cp_schema_result r = {0};

    if (try_branch(w, s->all_of[i], o, depth, &r) == 0)
      valid++;
    take_errors(w->r, &r);
    cp_schema_result_clear(&r);
  }
  if (valid < s->n_all_of)
    add_root_error(w->r, "FieldValueInvalid",
                   "Invalid value: \"\": \"%s\" must validate all the schemas "
                   "(allOf)%s",
                   at, valid == 0 ? ". None validated" : "");
  if (s->not_of != NULL) {
    struct cp_schema_result r = {0};

    if (try_branch(w, s->not_of, o, depth, &r) == 0)
      add_root_error(w->r, "FieldValueInvalid",
                     "Invalid value: \"\": \"%s\" must not validate the "
                     "schema (not)",
                     at);
    cp_schema_result_clear(&r);
  }
}

static int has_junctors(const struct cp_schema *s) {
  return s->n_all_of > 0 || s->n_any_of > 0 || s->n_one_of > 0 ||
         s->not_of != NULL;
}

/* The Go struct a "$ref" to an object with properties names: its
 * definition's last segment ("DeploymentSpec"); NULL for any other
 * node (maps and inline objects are not named). */
static const char *go_struct_named(const struct cp_schema *ref,
                                   const struct cp_schema *s) {
  const char *dot;

  if (ref->ref == NULL || s->n_props == 0)
    return NULL;
  dot = strrchr(ref->ref, '.');
  return dot != NULL ? dot + 1 : NULL;
}

static void validate_node(struct walk *w, const struct cp_schema *s,
                          json_object *o, int resource, int depth) {
  const struct cp_schema *ref = s;
  const char *outer = w->go_struct, *named;

  s = deref(s);
  if (s == NULL || depth > 64)
    return;
  if (++w->steps > MAX_STEPS) {
    w->too_complex = 1;
    return;
  }
  resource = resource || s->embedded;
  if (o == NULL) {
    if (!s->nullable)
      add_error(w->r, &w->path, "FieldValueInvalid",
                "Invalid value: \"null\": %s in body must be of type %s: "
                "\"null\"",
                path_str(&w->path), type_name(s->type));
    return;
  }
  if (!type_ok(s, o)) {
    size_t n = w->r->n_errors;

    add_error(w->r, &w->path, "FieldValueTypeInvalid",
              "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"",
              json_type_name(o), path_str(&w->path),
              s->int_or_string ? "integer-or-string" : type_name(s->type),
              json_type_name(o));
    if (w->r->n_errors > n) {
      w->r->errors[n].got = cp_schema_go_json_name(o);
      w->r->errors[n].want = go_type_name(s);
      w->r->errors[n].go_struct = w->go_struct;
    }
    return;
  }
  if (has_junctors(s))
    check_junctors(w, s, o, depth);
  if (json_object_is_type(o, json_type_object)) {
    /* Its fields belong to the struct the ref names (a map's to the
     * struct holding the map, as in Go). */
    if ((named = go_struct_named(ref, s)) != NULL)
      w->go_struct = named;
    validate_object(w, s, o, resource, depth);
    w->go_struct = outer;
  } else if (json_object_is_type(o, json_type_array))
    validate_array(w, s, o, depth);
  else
    check_scalar(w, s, o);
}

size_t cp_schema_validate(const struct cp_schema *s, json_object *o,
                          struct cp_schema_result *r) {
  struct walk w = {{NULL, 0, 0, 0}, r, 0, 0, 0, NULL};
  size_t before = r->n_errors;

  validate_node(&w, s, o, 1, 0);
  if (w.too_complex)
    add_root_error(r, "InternalError",
                   "Internal error: the schema is too complex to check "
                   "this object");
  if (w.path.nomem)
    r->nomem = 1;
  free(w.path.buf);
  return r->n_errors - before;
}

/* ------------------------------------------------------------ hooks */

static json_object *obj_at(json_object *o, const char *k) {
  json_object *v = member(o, k);

  return json_object_is_type(v, json_type_object) ? v : NULL;
}

static void set_default_str(json_object *o, const char *k, const char *v) {
  json_object *s;

  if (member(o, k) == NULL && (s = json_object_new_string(v)) != NULL)
    json_object_object_add(o, k, s);
}

/* Member k of o as an object, made when absent; NULL when out of memory
 * or when k holds something else (validation reports that). */
static json_object *obj_make(json_object *o, const char *k) {
  json_object *v = member(o, k);

  if (v != NULL)
    return json_object_is_type(v, json_type_object) ? v : NULL;
  if ((v = json_object_new_object()) != NULL)
    json_object_object_add(o, k, v);
  return v;
}

/* kube's imagePullPolicy default: Always for ":latest" or no tag (a
 * digest counts as a tag), IfNotPresent otherwise. */
static void pull_policy(json_object *containers) {
  size_t i;

  if (!json_object_is_type(containers, json_type_array))
    return;
  for (i = 0; i < json_object_array_length(containers); i++) {
    json_object *c = json_object_array_get_idx(containers, i);
    json_object *img = member(c, "image");
    const char *image, *slash, *colon;

    if (!json_object_is_type(c, json_type_object) || member(c,
                                                            "imagePullPolicy"))
      continue;
    image = json_object_is_type(img, json_type_string)
                ? json_object_get_string(img)
                : "";
    slash = strrchr(image, '/');
    colon = strrchr(slash ? slash : image, ':');
    if (strchr(image, '@') == NULL &&
        (colon == NULL || strcmp(colon, ":latest") == 0))
      set_default_str(c, "imagePullPolicy", "Always");
    else
      set_default_str(c, "imagePullPolicy", "IfNotPresent");
  }
}

static void pod_spec_hooks(json_object *spec) {
  if (spec == NULL)
    return;
  pull_policy(member(spec, "containers"));
  pull_policy(member(spec, "initContainers"));
  cp_pod_spec_defaults(spec);
}

/* RollingUpdate with 25%/25% unless another strategy is named. */
static void deployment_strategy(json_object *spec) {
  json_object *st, *ru;
  const char *type;

  if (spec == NULL || (st = obj_make(spec, "strategy")) == NULL)
    return;
  set_default_str(st, "type", "RollingUpdate");
  type = json_object_get_string(member(st, "type"));
  if (type == NULL || strcmp(type, "RollingUpdate") != 0 ||
      (ru = obj_make(st, "rollingUpdate")) == NULL)
    return;
  set_default_str(ru, "maxUnavailable", "25%");
  set_default_str(ru, "maxSurge", "25%");
}

/* A Secret's stringData is write-only: kube-apiserver merges it into data
 * (base64, stringData winning) and never stores it. */
static void secret_string_data(json_object *o) {
  json_object *sd = obj_at(o, "stringData"), *data;

  if (sd == NULL || (data = obj_make(o, "data")) == NULL)
    return;
  json_object_object_foreach(sd, k, v) {
    char *b;
    json_object *js;

    if (!json_object_is_type(v, json_type_string))
      return; /* validation reports it; nothing is half-moved */
    if ((b = cp_base64_encode(CP_BASE64_STD, json_object_get_string(v),
                              (size_t)json_object_get_string_len(v))) ==
        NULL)
      return;
    js = json_object_new_string(b);
    free(b);
    if (js == NULL)
      return;
    json_object_object_add(data, k, js);
  }
  json_object_object_del(o, "stringData");
}

void cp_schema_builtin_hooks(const char *group, const char *kind,
                             json_object *o) {
  json_object *spec = obj_at(o, "spec");

  if (group[0] == '\0' && strcmp(kind, "Secret") == 0) {
    secret_string_data(o);
  } else if (group[0] == '\0' && strcmp(kind, "Event") == 0) {
    /* involvedObject is a Go struct without omitempty: absent (or null)
     * it decodes to the zero ObjectReference and is served as {}.
     * Clients rely on it (the Python client refuses an Event without). */
    (void)obj_make(o, "involvedObject");
  } else if (group[0] == '\0' && strcmp(kind, "Pod") == 0) {
    cp_pod_defaults(o);
    pod_spec_hooks(spec);
  } else if (group[0] == '\0' && strcmp(kind, "ReplicationController") == 0) {
    pod_spec_hooks(obj_at(obj_at(spec, "template"), "spec"));
  } else if (group[0] == '\0' && strcmp(kind, "PodTemplate") == 0) {
    pod_spec_hooks(obj_at(obj_at(o, "template"), "spec"));
  } else if (strcmp(group, "apps") == 0 &&
             (strcmp(kind, "Deployment") == 0 ||
              strcmp(kind, "ReplicaSet") == 0)) {
    pod_spec_hooks(obj_at(obj_at(spec, "template"), "spec"));
    if (strcmp(kind, "Deployment") == 0)
      deployment_strategy(spec);
  } else if ((strcmp(group, "apps") == 0 &&
              (strcmp(kind, "DaemonSet") == 0 ||
               strcmp(kind, "StatefulSet") == 0)) ||
             (strcmp(group, "batch") == 0 && strcmp(kind, "Job") == 0)) {
    pod_spec_hooks(obj_at(obj_at(spec, "template"), "spec"));
  } else if (strcmp(group, "batch") == 0 && strcmp(kind, "CronJob") == 0) {
    pod_spec_hooks(obj_at(
        obj_at(obj_at(obj_at(spec, "jobTemplate"), "spec"), "template"),
        "spec"));
  }
  /* The workload kinds' SetDefaults_<Kind> (strategy/workloads.h). */
  cp_workload_defaults(group, kind, o);
}

/* ------------------------------------------------------------ navigation */

const struct cp_schema *cp_schema_property(const struct cp_schema *s,
                                           const char *name) {
  const struct cp_schema *c;

  s = deref(s);
  if (s == NULL)
    return NULL;
  if ((c = prop_of(s, name)) != NULL)
    return deref(c);
  if (s->embedded && strcmp(name, "metadata") == 0)
    return object_meta();
  return deref(s->additional);
}

const struct cp_schema *cp_schema_items(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? deref(s->items) : NULL;
}

const char *cp_schema_list_type(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? s->list_type : NULL;
}

const char *const *cp_schema_list_map_keys(const struct cp_schema *s,
                                           size_t *n) {
  s = deref(s);
  *n = s != NULL ? s->n_map_keys : 0;
  return s != NULL ? (const char *const *)s->map_keys : NULL;
}

const char *cp_schema_map_type(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? s->map_type : NULL;
}

int cp_schema_is_struct(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL && s->n_props > 0;
}

struct json_object *cp_schema_default_value(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? s->default_val : NULL;
}

const struct cp_schema *cp_schema_object_meta(void) {
  return object_meta();
}

const char *cp_schema_patch_merge_key(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? s->merge_key : NULL;
}

const char *cp_schema_patch_strategy(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? s->strategy : NULL;
}

const struct cp_schema_rules *cp_schema_rules_of(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL ? s->rules : NULL;
}

int cp_schema_is_property(const struct cp_schema *s, const char *name) {
  s = deref(s);
  return s != NULL && prop_of(s, name) != NULL;
}

int cp_schema_preserves_unknown(const struct cp_schema *s) {
  s = deref(s);
  return s != NULL && s->preserve;
}
