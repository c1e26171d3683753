/*
 * audit/request_object - bodies decoded as kube's handlers log them (see
 * request_object.h), after the Go types of k8s.io/apimachinery's
 * metav1.DeleteOptions, policy/v1 Eviction, core/v1 Binding and
 * authentication/v1 TokenRequest and what encoding/json does with them.
 */
#include "apiserver/audit/request_object.h"

#include <stddef.h>
#include <string.h>

/* A field's Go type, as far as decoding checks it. */
enum go_kind {
  GO_STRING,
  GO_INT,     /* int64: a JSON integer */
  GO_BOOL,
  GO_STRINGS, /* []string */
  GO_TIME,    /* metav1.Time: a string; its zero value writes null */
  GO_STRUCT   /* an object, decoded by its own fields */
};

/* How encoding/json writes a field that was not sent (or sent null). */
enum go_enc {
  GO_POINTER,   /* a pointer: left out; once sent, kept even if zero */
  GO_OMITEMPTY, /* a value with omitempty: left out, and so is its zero */
  GO_ALWAYS     /* no omitempty: its zero value is written */
};

struct go_field {
  const char *name;
  enum go_kind kind;
  enum go_enc enc;
  const struct go_field *sub; /* GO_STRUCT: its fields, NULL-name ended */
};

static json_object *decode_struct(json_object *in, const struct go_field *f);

static json_object *get(json_object *o, const char *k) {
  json_object *v;

  return o != NULL && json_object_is_type(o, json_type_object) &&
                 json_object_object_get_ex(o, k, &v)
             ? v
             : NULL;
}

/* The zero value encoding/json writes for a field never sent. */
static int add_zero(json_object *out, const struct go_field *f) {
  json_object *z = NULL;

  switch (f->kind) {
  case GO_STRING:
    z = json_object_new_string("");
    break;
  case GO_INT:
    z = json_object_new_int64(0);
    break;
  case GO_BOOL:
    z = json_object_new_boolean(0);
    break;
  case GO_STRUCT:
    if ((z = decode_struct(NULL, f->sub)) == NULL)
      return -1;
    break;
  default: /* a nil slice, a zero Time: null */
    break;
  }
  return json_object_object_add(out, f->name, z);
}

/* A []string; NULL when an element is not a string (null decodes as
 * Go's ""). */
static json_object *decode_strings(json_object *v) {
  json_object *a = json_object_new_array();
  size_t i, n = json_object_array_length(v);

  for (i = 0; a != NULL && i < n; i++) {
    json_object *e = json_object_array_get_idx(v, i);

    if (e != NULL && !json_object_is_type(e, json_type_string)) {
      json_object_put(a);
      return NULL;
    }
    json_object_array_add(a, json_object_new_string(
                                 e ? json_object_get_string(e) : ""));
  }
  return a;
}

/* One sent, non-null value of field f; NULL when Go would refuse it. */
static json_object *decode_value(json_object *v, const struct go_field *f) {
  switch (f->kind) {
  case GO_STRING:
  case GO_TIME:
    return json_object_is_type(v, json_type_string) ? json_object_get(v)
                                                    : NULL;
  case GO_INT:
    return json_object_is_type(v, json_type_int) ? json_object_get(v) : NULL;
  case GO_BOOL:
    return json_object_is_type(v, json_type_boolean) ? json_object_get(v)
                                                     : NULL;
  case GO_STRINGS:
    return json_object_is_type(v, json_type_array) ? decode_strings(v)
                                                   : NULL;
  case GO_STRUCT:
    return json_object_is_type(v, json_type_object) ? decode_struct(v, f->sub)
                                                    : NULL;
  }
  return NULL;
}

/* A GO_OMITEMPTY field's zero value, which encoding/json leaves out. */
static int empty(json_object *v, const struct go_field *f) {
  if (f->enc != GO_OMITEMPTY)
    return 0;
  switch (f->kind) {
  case GO_STRING:
    return json_object_get_string_len(v) == 0;
  case GO_INT:
    return json_object_get_int64(v) == 0;
  case GO_BOOL:
    return !json_object_get_boolean(v);
  case GO_STRINGS:
    return json_object_array_length(v) == 0;
  default:
    return 0;
  }
}

/* in (NULL or null: the zero struct) as Go decodes and writes it: the
 * known fields in order. NULL when a field has the wrong type. */
static json_object *decode_struct(json_object *in, const struct go_field *f) {
  json_object *out = json_object_new_object(), *v, *d;

  if (out == NULL || (in != NULL && !json_object_is_type(in, json_type_null) &&
                      !json_object_is_type(in, json_type_object)))
    goto fail;
  for (; f->name != NULL; f++) {
    v = get(in, f->name);
    if (v == NULL || json_object_is_type(v, json_type_null)) {
      if (f->enc == GO_ALWAYS && add_zero(out, f) != 0)
        goto fail;
      continue;
    }
    if ((d = decode_value(v, f)) == NULL)
      goto fail;
    if (empty(d, f)) {
      json_object_put(d);
      continue;
    }
    if (json_object_object_add(out, f->name, d) != 0) {
      json_object_put(d);
      goto fail;
    }
  }
  return out;
fail:
  json_object_put(out);
  return NULL;
}

/* ------------------------------------------------------------ types */

static const struct go_field preconditions[] = {
    {"uid", GO_STRING, GO_POINTER, NULL},
    {"resourceVersion", GO_STRING, GO_POINTER, NULL},
    {NULL, 0, 0, NULL}};

/* metav1.DeleteOptions after its TypeMeta. */
#define DELETE_OPTIONS_FIELDS                                                 \
  {"gracePeriodSeconds", GO_INT, GO_POINTER, NULL},                           \
      {"preconditions", GO_STRUCT, GO_POINTER, preconditions},                \
      {"orphanDependents", GO_BOOL, GO_POINTER, NULL},                        \
      {"propagationPolicy", GO_STRING, GO_POINTER, NULL},                     \
      {"dryRun", GO_STRINGS, GO_OMITEMPTY, NULL},                             \
      {"ignoreStoreReadErrorWithClusterBreakingPotential", GO_BOOL,           \
       GO_POINTER, NULL},                                                     \
  {                                                                           \
    NULL, 0, 0, NULL                                                          \
  }

static const struct go_field delete_options[] = {DELETE_OPTIONS_FIELDS};

/* Nested in an Eviction: its TypeMeta as sent (omitempty strings). */
static const struct go_field nested_delete_options[] = {
    {"kind", GO_STRING, GO_OMITEMPTY, NULL},
    {"apiVersion", GO_STRING, GO_OMITEMPTY, NULL},
    DELETE_OPTIONS_FIELDS};

static const struct go_field eviction[] = {
    {"deleteOptions", GO_STRUCT, GO_POINTER, nested_delete_options},
    {NULL, 0, 0, NULL}};

/* core/v1 ObjectReference: every field an omitempty string. */
static const struct go_field object_reference[] = {
    {"kind", GO_STRING, GO_OMITEMPTY, NULL},
    {"namespace", GO_STRING, GO_OMITEMPTY, NULL},
    {"name", GO_STRING, GO_OMITEMPTY, NULL},
    {"uid", GO_STRING, GO_OMITEMPTY, NULL},
    {"apiVersion", GO_STRING, GO_OMITEMPTY, NULL},
    {"resourceVersion", GO_STRING, GO_OMITEMPTY, NULL},
    {"fieldPath", GO_STRING, GO_OMITEMPTY, NULL},
    {NULL, 0, 0, NULL}};

static const struct go_field binding[] = {
    {"target", GO_STRUCT, GO_ALWAYS, object_reference},
    {NULL, 0, 0, NULL}};

static const struct go_field bound_object_ref[] = {
    {"kind", GO_STRING, GO_OMITEMPTY, NULL},
    {"apiVersion", GO_STRING, GO_OMITEMPTY, NULL},
    {"name", GO_STRING, GO_OMITEMPTY, NULL},
    {"uid", GO_STRING, GO_OMITEMPTY, NULL},
    {NULL, 0, 0, NULL}};

static const struct go_field token_spec[] = {
    {"audiences", GO_STRINGS, GO_ALWAYS, NULL},
    {"expirationSeconds", GO_INT, GO_POINTER, NULL},
    {"boundObjectRef", GO_STRUCT, GO_POINTER, bound_object_ref},
    {NULL, 0, 0, NULL}};

static const struct go_field token_status[] = {
    {"token", GO_STRING, GO_ALWAYS, NULL},
    {"expirationTimestamp", GO_TIME, GO_ALWAYS, NULL},
    {NULL, 0, 0, NULL}};

static const struct go_field token_request[] = {
    {"spec", GO_STRUCT, GO_ALWAYS, token_spec},
    {"status", GO_STRUCT, GO_ALWAYS, token_status},
    {NULL, 0, 0, NULL}};

/* ------------------------------------------------------------ objects */

/* A typed object the request's kind names. */
struct go_type {
  const char *kind;
  const char *const *versions; /* NULL-ended; [0] when none is sent */
  const struct go_field *fields;
};

/* The body's TypeMeta string k: NULL when absent or empty, "" marks one
 * that is not a string. */
static const char *type_meta(json_object *body, const char *k) {
  json_object *v = get(body, k);

  if (v == NULL || json_object_is_type(v, json_type_null))
    return NULL;
  if (!json_object_is_type(v, json_type_string))
    return "";
  return json_object_get_string(v)[0] ? json_object_get_string(v) : NULL;
}

/* The version of t the body is in: its apiVersion, else t's first.
 * NULL when the body names another kind or a version t has not. */
static const char *body_version(json_object *body, const struct go_type *t) {
  const char *kind = type_meta(body, "kind"), *av = type_meta(body,
                                                              "apiVersion");
  size_t i;

  if (kind != NULL && strcmp(kind, t->kind) != 0)
    return NULL;
  if (av == NULL)
    return t->versions[0];
  for (i = 0; t->versions[i] != NULL; i++)
    if (strcmp(av, t->versions[i]) == 0)
      return t->versions[i];
  return NULL;
}

/* ObjectMeta as sent, with Go's zero creationTimestamp when absent. */
static json_object *object_meta(json_object *body) {
  json_object *md = get(body, "metadata"), *out = NULL;

  if (md == NULL || json_object_is_type(md, json_type_null))
    out = json_object_new_object();
  else if (!json_object_is_type(md, json_type_object) ||
           json_object_deep_copy(md, &out, NULL) != 0) {
    json_object_put(out);
    return NULL;
  }
  if (out != NULL && !json_object_object_get_ex(out, "creationTimestamp",
                                                NULL))
    json_object_object_add(out, "creationTimestamp", NULL);
  return out;
}

/* Moves every member of from to the end of to; frees from. */
static void append_members(json_object *to, json_object *from) {
  json_object_object_foreach(from, k, v)
    json_object_object_add(to, k, json_object_get(v));
  json_object_put(from);
}

static json_object *decode_typed(json_object *body, const struct go_type *t) {
  const char *version = body_version(body, t);
  json_object *out, *md, *rest;

  if (version == NULL || !json_object_is_type(body, json_type_object))
    return NULL;
  if ((out = json_object_new_object()) == NULL)
    return NULL;
  json_object_object_add(out, "kind", json_object_new_string(t->kind));
  json_object_object_add(out, "apiVersion", json_object_new_string(version));
  if ((md = object_meta(body)) == NULL ||
      (rest = decode_struct(body, t->fields)) == NULL) {
    json_object_put(md);
    json_object_put(out);
    return NULL;
  }
  json_object_object_add(out, "metadata", md);
  append_members(out, rest);
  return out;
}

json_object *cp_audit_decoded_delete_options(json_object *body) {
  const char *kind = type_meta(body, "kind"), *av = type_meta(body,
                                                              "apiVersion");
  json_object *out, *rest;

  /* Any group's DeleteOptions decode (kube's legacy allowance); another
   * kind is refused. */
  if (!json_object_is_type(body, json_type_object) ||
      (kind != NULL && strcmp(kind, "DeleteOptions") != 0) ||
      (av != NULL && av[0] == '\0'))
    return NULL;
  if ((rest = decode_struct(body, delete_options)) == NULL ||
      (out = json_object_new_object()) == NULL) {
    json_object_put(rest);
    return NULL;
  }
  json_object_object_add(out, "kind", json_object_new_string("DeleteOptions"));
  json_object_object_add(out, "apiVersion",
                         json_object_new_string("meta.k8s.io/__internal"));
  append_members(out, rest);
  return out;
}

/* kube's SetDefaults_TokenRequestSpec: an hour when not asked. */
static void default_token_request(json_object *o) {
  json_object *spec = get(o, "spec");

  if (spec != NULL && get(spec, "expirationSeconds") == NULL)
    json_object_object_add(spec, "expirationSeconds",
                           json_object_new_int64(3600));
}

json_object *cp_audit_decoded_subresource(const char *sub, json_object *body) {
  static const char *const policy[] = {"policy/v1", "policy/v1beta1", NULL};
  static const char *const core[] = {"v1", NULL};
  static const char *const authn[] = {"authentication.k8s.io/v1", NULL};
  static const struct go_type types[] = {
      {"Eviction", policy, eviction},
      {"Binding", core, binding},
      {"TokenRequest", authn, token_request}};
  static const char *const subs[] = {"eviction", "binding", "token"};
  json_object *o;
  size_t i;

  for (i = 0; sub != NULL && i < sizeof subs / sizeof subs[0]; i++) {
    if (strcmp(sub, subs[i]) != 0)
      continue;
    o = decode_typed(body, &types[i]);
    if (o != NULL && i == 2)
      default_token_request(o);
    return o;
  }
  return NULL;
}
