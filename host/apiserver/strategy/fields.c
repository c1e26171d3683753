/*
 * fields - see fields.h.
 */
#include "apiserver/strategy/fields.h"

#include <string.h>

/* Walks n bytes of path; create makes missing objects. */
static json_object *walk(json_object *o, const char *path, size_t n,
                         int create) {
  char seg[128];

  while (o != NULL && n > 0) {
    const char *dot = memchr(path, '.', n);
    size_t len = dot ? (size_t)(dot - path) : n;
    json_object *next = NULL;

    if (len >= sizeof seg || !json_object_is_type(o, json_type_object))
      return NULL;
    memcpy(seg, path, len);
    seg[len] = '\0';
    if (!json_object_object_get_ex(o, seg, &next) || next == NULL) {
      if (!create)
        return NULL;
      if ((next = json_object_new_object()) == NULL ||
          json_object_object_add(o, seg, next) != 0)
        return NULL;
    }
    o = next;
    path += len + (dot ? 1 : 0);
    n -= len + (dot ? 1 : 0);
  }
  return o;
}

json_object *cp_field_at(json_object *o, const char *path) {
  return walk(o, path, strlen(path), 0);
}

json_object *cp_field_typed(json_object *o, const char *path, json_type t) {
  json_object *v = cp_field_at(o, path);

  return v != NULL && json_object_is_type(v, t) ? v : NULL;
}

const char *cp_field_str(json_object *o, const char *path) {
  json_object *v = cp_field_typed(o, path, json_type_string);

  return v != NULL ? json_object_get_string(v) : NULL;
}

int cp_field_int(json_object *o, const char *path, int64_t *v) {
  json_object *j = cp_field_typed(o, path, json_type_int);

  if (j == NULL)
    return 0;
  *v = json_object_get_int64(j);
  return 1;
}

int64_t cp_field_int_or(json_object *o, const char *path, int64_t def) {
  int64_t v = def;

  cp_field_int(o, path, &v);
  return v;
}

int cp_field_true(json_object *o, const char *path) {
  json_object *v = cp_field_typed(o, path, json_type_boolean);

  return v != NULL && json_object_get_boolean(v);
}

json_object *cp_field_obj(json_object *o, const char *path) {
  json_object *v = walk(o, path, strlen(path), 1);

  return v != NULL && json_object_is_type(v, json_type_object) ? v : NULL;
}

int cp_field_set(json_object *o, const char *path, json_object *v) {
  const char *last = strrchr(path, '.');
  json_object *parent =
      last != NULL ? walk(o, path, (size_t)(last - path), 1) : o;

  if (v == NULL || parent == NULL ||
      !json_object_is_type(parent, json_type_object) ||
      json_object_object_add(parent, last ? last + 1 : path, v) != 0) {
    json_object_put(v);
    return -1;
  }
  return 0;
}

void cp_field_default(json_object *o, const char *path, json_object *v) {
  json_object *cur = cp_field_at(o, path);

  if (cur != NULL && !json_object_is_type(cur, json_type_null)) {
    json_object_put(v);
    return;
  }
  cp_field_set(o, path, v);
}
