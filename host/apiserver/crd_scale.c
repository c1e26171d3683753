/*
 * crd_scale - see crd_scale.h.
 */
#include "apiserver/crd_scale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path segment longer than this names no field kube would store: it
 * is looked up as absent (and refused when set). Keeps the copy on the
 * stack. */
#define SEGMENT_MAX 256
/* A write creates no object deeper than this many fields: the object is
 * parsed again when read back, and request.c's parser stops at 64
 * levels. kube has no such bound; no real definition comes near it. */
#define SET_FIELDS_MAX 32

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

/* ---------------------------------------------------------- check */

/* One path of the definition, as kube's validateSimpleJSONPath and the
 * prefix check after it. required: specReplicasPath and
 * statusReplicasPath must be given; under: ".spec." or ".status."; NULL
 * for labelSelectorPath, which may be under either. */
static int check_path(json_object *scale, const char *name, int required,
                      const char *under, const char *at, char **field,
                      char **msg) {
  json_object *v = member(scale, name);
  const char *s = v != NULL && json_object_is_type(v, json_type_string)
                      ? json_object_get_string(v)
                      : NULL;
  int n;

  if (v != NULL && s == NULL)
    n = asprintf(msg, "Invalid value: \"%s\": must be a string",
                 json_type_to_name(json_object_get_type(v)));
  else if (s == NULL || s[0] == '\0') {
    if (!required)
      return 0;
    n = asprintf(msg, "Required value");
  } else if (s[0] != '.')
    n = asprintf(msg,
                 "Invalid value: \"%s\": must be a simple json path "
                 "starting with .",
                 s);
  else if (under == NULL && strncmp(s, ".spec.", 6) != 0 &&
           strncmp(s, ".status.", 8) != 0)
    n = asprintf(msg, "Invalid value: \"%s\": should be a json path under "
                      "either .spec or .status",
                 s);
  else if (under != NULL && strncmp(s, under, strlen(under)) != 0)
    n = asprintf(msg, "Invalid value: \"%s\": should be a json path under %.*s",
                 s, (int)strlen(under) - 1, under);
  else
    return 0;
  if (n < 0)
    *msg = NULL;
  if (*msg == NULL || asprintf(field, "%s.scale.%s", at, name) < 0) {
    free(*msg);
    *msg = NULL;
    *field = NULL;
  }
  return -1;
}

int cp_crd_scale_check(json_object *scale, const char *at, char **field,
                       char **msg) {
  *field = NULL;
  *msg = NULL;
  if (scale == NULL)
    return 0;
  if (!json_object_is_type(scale, json_type_object)) {
    if (asprintf(field, "%s.scale", at) < 0)
      *field = NULL;
    else if ((*msg = strdup("Invalid value: must be an object")) == NULL) {
      free(*field);
      *field = NULL;
    }
    return -1;
  }
  if (check_path(scale, "specReplicasPath", 1, ".spec.", at, field, msg) <
          0 ||
      check_path(scale, "statusReplicasPath", 1, ".status.", at, field,
                 msg) < 0 ||
      check_path(scale, "labelSelectorPath", 0, NULL, at, field, msg) < 0)
    return -1;
  return 0;
}

/* ----------------------------------------------------------- read */

const struct cp_resource_custom *
cp_crd_scale_paths(const struct cp_resource_type *t,
                   struct cp_resource_custom *buf) {
  const struct cp_resource_custom *c =
      t->builtin ? NULL : cp_resources_custom(t);

  if (c == NULL)
    return NULL;
  *buf = *c;
  if (buf->scale_spec_path == NULL || buf->scale_spec_path[0] != '.')
    buf->scale_spec_path = ".spec.replicas";
  if (buf->scale_status_path == NULL || buf->scale_status_path[0] != '.')
    buf->scale_status_path = ".status.replicas";
  return buf;
}

/* The next segment of path p (after its leading '.') into seg; returns
 * where the one after starts, or NULL at the end. *fits is 0 when the
 * segment was too long for seg. */
static const char *segment(const char *p, char *seg, int *fits) {
  const char *end;
  size_t len;

  if (*p == '.')
    p++;
  end = strchr(p, '.');
  len = end != NULL ? (size_t)(end - p) : strlen(p);
  *fits = len < SEGMENT_MAX;
  if (*fits) {
    memcpy(seg, p, len);
    seg[len] = '\0';
  }
  return end;
}

/* Go's %T of a decoded JSON value, as kube's accessor errors name it. */
static const char *go_type(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_null:
    return "<nil>";
  case json_type_boolean:
    return "bool";
  case json_type_double:
    return "float64";
  case json_type_int:
    return "int64";
  case json_type_object:
    return "map[string]interface {}";
  case json_type_array:
    return "[]interface {}";
  case json_type_string:
    return "string";
  }
  return "unknown";
}

/* kube's "<path> accessor error: <value> is of the type <T>, expected
 * <want>" over the first plen bytes of path. */
static int accessor_error(const char *path, size_t plen, json_object *v,
                          const char *want, char **err) {
  const char *text = v == NULL ? "<nil>"
                     : json_object_is_type(v, json_type_string)
                         ? json_object_get_string(v)
                         : json_object_to_json_string_ext(
                               v, JSON_C_TO_STRING_PLAIN);

  if (asprintf(err, "%.*s accessor error: %.200s is of the type %s, "
                    "expected %s",
               (int)plen, path, text ? text : "", go_type(v), want) < 0)
    *err = NULL;
  return -1;
}

/* The value at path in o (NestedFieldNoCopy): 1 with *out (JSON null
 * included, as NULL), 0 when absent (a null on the way included), -1
 * with *err when a non-object is on the way. */
static int lookup(json_object *o, const char *path, json_object **out,
                  char **err) {
  const char *p = path;
  char seg[SEGMENT_MAX];
  int fits;

  *out = o;
  do {
    const char *next = segment(p, seg, &fits);

    if (*out == NULL)
      return 0;
    /* kube names the path through the field it was looking for. */
    if (!json_object_is_type(*out, json_type_object))
      return accessor_error(path,
                            next != NULL ? (size_t)(next - path)
                                         : strlen(path),
                            *out, "map[string]interface{}", err);
    if (!fits || !json_object_object_get_ex(*out, seg, out))
      return 0;
    p = next;
  } while (p != NULL);
  return 1;
}

/* NestedInt64: absent is 0 and not found. */
static int read_int(json_object *o, const char *path, int64_t *out,
                    int *found, char **err) {
  json_object *v;
  int rc = lookup(o, path, &v, err);

  *out = 0;
  *found = rc == 1;
  if (rc <= 0)
    return rc;
  if (v == NULL || !json_object_is_type(v, json_type_int))
    return accessor_error(path, strlen(path), v, "int64", err);
  *out = json_object_get_int64(v);
  return 0;
}

int cp_crd_scale_read(const struct cp_resource_custom *c, json_object *o,
                      struct cp_crd_scale_values *v, char **err) {
  json_object *sel;
  int found, rc;

  *err = NULL;
  memset(v, 0, sizeof *v);
  v->selector = "";
  if (read_int(o, c->scale_spec_path, &v->spec_replicas, &v->spec_found,
               err) < 0 ||
      read_int(o, c->scale_status_path, &v->status_replicas, &found, err) <
          0)
    return -1;
  if (c->scale_selector_path == NULL || c->scale_selector_path[0] == '\0')
    return 0;
  if ((rc = lookup(o, c->scale_selector_path, &sel, err)) < 0)
    return -1;
  if (rc == 0)
    return 0;
  if (sel == NULL || !json_object_is_type(sel, json_type_string))
    return accessor_error(c->scale_selector_path,
                          strlen(c->scale_selector_path), sel, "string", err);
  v->selector = json_object_get_string(sel);
  return 0;
}

/* ------------------------------------------------------------ set */

/* o[k] = v; -1 out of memory. */
static int put_int(json_object *o, const char *k, int64_t v) {
  json_object *n = json_object_new_int64(v);

  if (n == NULL || json_object_object_add(o, k, n) != 0) {
    json_object_put(n);
    return -1;
  }
  return 0;
}

/* How many fields path names. */
static size_t fields(const char *path) {
  size_t n = path[0] != '.';

  for (; *path != '\0'; path++)
    n += *path == '.';
  return n;
}

int cp_crd_scale_set(json_object *o, const char *path, int64_t value,
                     char **err) {
  const char *p = path, *next;
  char seg[SEGMENT_MAX];
  int fits;

  *err = NULL;
  if (fields(path) > SET_FIELDS_MAX) {
    if (asprintf(err, "value cannot be set: %.200s is deeper than %d fields",
                 path, SET_FIELDS_MAX) < 0)
      *err = NULL;
    return -1;
  }
  for (;;) {
    json_object *child;

    next = segment(p, seg, &fits);
    if (!fits) {
      *err = strdup("value cannot be set: a field name is too long");
      return -1;
    }
    if (next == NULL)
      break;
    child = member(o, seg);
    if (child != NULL && !json_object_is_type(child, json_type_object)) {
      if (asprintf(err, "value cannot be set because %.*s is not a "
                        "map[string]interface{}",
                   (int)(next - path), path) < 0)
        *err = NULL;
      return -1;
    }
    if (child == NULL) {
      /* Absent or null: an object takes its place, as kube's. */
      if ((child = json_object_new_object()) == NULL ||
          json_object_object_add(o, seg, child) != 0) {
        json_object_put(child);
        return -1;
      }
    }
    o = child;
    p = next;
  }
  return put_int(o, seg, value);
}
