/*
 * objects - the host table's object readers, lists, JSON building and
 * selectors, forwarded to the host's own modules (object, json_format,
 * labels) so a plugin under test sees exactly the host's semantics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "labels/selector.h"
#include "object/json_format.h"
#include "object/object.h"

char *kit_vstrf(const char *fmt, va_list ap) {
  char *s = NULL;

  if (vasprintf(&s, fmt, ap) < 0)
    return NULL;
  return s;
}

char *kit_strf(const char *fmt, ...) {
  va_list ap;
  char *s;

  va_start(ap, fmt);
  s = kit_vstrf(fmt, ap);
  va_end(ap);
  return s;
}

static void *kit_alloc(size_t size) { return malloc(size); }
static void kit_free(void *ptr) { free(ptr); }

static char *kit_string_dup(const char *s) {
  return s != NULL ? strdup(s) : NULL;
}

static int kit_object_parse(const char *json, size_t len,
                            const cplane_object **out, char **errmsg) {
  cplane_object *obj = NULL;
  int r;

  if (out == NULL || json == NULL)
    return CPLANE_EINVAL;
  r = cp_object_parse(json, len, &obj, errmsg);
  *out = obj;
  return r;
}

cplane_object_list *kit_list_new(const cplane_object **objs, size_t n) {
  cplane_object_list *list = malloc(sizeof *list);
  size_t i;

  if (list == NULL) {
    for (i = 0; i < n; i++)
      cp_object_release(objs[i]);
    free(objs);
    return NULL;
  }
  list->objs = objs;
  list->n = n;
  return list;
}

void kit_list_free(cplane_object_list *list) {
  size_t i;

  if (list == NULL)
    return;
  for (i = 0; i < list->n; i++)
    cp_object_release(list->objs[i]);
  free(list->objs);
  free(list);
}

static size_t kit_list_len(const cplane_object_list *list) {
  return list != NULL ? list->n : 0;
}

static const cplane_object *kit_list_at(const cplane_object_list *list,
                                        size_t i) {
  return list != NULL && i < list->n ? list->objs[i] : NULL;
}

int kit_labels_match(const cplane_object *obj, const char *selector) {
  cp_selector *sel = NULL;
  char *err = NULL;
  int r;

  if (obj == NULL)
    return CPLANE_EINVAL;
  if (selector == NULL || *selector == '\0')
    return 1;
  if (cp_selector_parse(selector, &sel, &err) != CPLANE_OK) {
    free(err);
    return CPLANE_EINVAL;
  }
  r = cp_selector_matches(sel, obj) ? 1 : 0;
  cp_selector_free(sel);
  return r;
}

int kit_selector_valid(const char *selector) {
  cp_selector *sel = NULL;
  char *err = NULL;

  if (selector == NULL || *selector == '\0')
    return 1;
  if (cp_selector_parse(selector, &sel, &err) != CPLANE_OK) {
    free(err);
    return 0;
  }
  cp_selector_free(sel);
  return 1;
}

/* One requirement "path=value", "path==value" or "path!=value". */
static int field_holds(const cplane_object *obj, const char *req, size_t n) {
  char path[256];
  const char *eq = memchr(req, '=', n), *value, *have;
  size_t plen;
  int negate;

  if (eq == NULL || eq == req)
    return 0;
  negate = eq[-1] == '!';
  plen = (size_t)(eq - req) - (size_t)negate;
  if (plen >= sizeof path)
    return 0;
  memcpy(path, req, plen);
  path[plen] = '\0';
  value = eq + 1 + (eq + 1 < req + n && eq[1] == '=');
  have = cp_object_string(obj, path);
  if (have == NULL)
    have = "";
  if (strlen(have) == (size_t)(req + n - value) &&
      memcmp(have, value, (size_t)(req + n - value)) == 0)
    return !negate;
  return negate;
}

int kit_fields_match(const cplane_object *obj, const char *selector) {
  const char *p = selector;

  if (selector == NULL)
    return 1;
  while (*p != '\0') {
    const char *end = strchr(p, ',');
    size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

    if (n > 0 && !field_holds(obj, p, n))
      return 0;
    p += n + (end != NULL);
  }
  return 1;
}

static int kit_object_labels_match(const cplane_object *obj,
                                   const char *selector) {
  return kit_labels_match(obj, selector);
}

static char *kit_json_format(const char *fmt, ...) {
  va_list ap;
  char *s;

  va_start(ap, fmt);
  s = cp_json_vformat(fmt, ap);
  va_end(ap);
  return s;
}

/* The host's own reason (object/json_format.h), as api->json_format_error
 * gives it: a test sees the very message the host would log. */
static const char *kit_json_format_error(void) {
  return cp_json_format_error();
}

static char *kit_label_selector_text(const cplane_object *obj,
                                     const char *path) {
  return obj != NULL ? cp_selector_text_from(obj, path) : NULL;
}

void kit_objects_fill(struct cplane_host_api *api) {
  api->alloc = kit_alloc;
  api->free = kit_free;
  api->string_dup = kit_string_dup;
  api->list_len = kit_list_len;
  api->list_at = kit_list_at;
  api->list_free = kit_list_free;
  api->object_retain = cp_object_retain;
  api->object_release = cp_object_release;
  api->object_parse = kit_object_parse;
  api->object_type = cp_object_type;
  api->object_string = cp_object_string;
  api->object_int = cp_object_int;
  api->object_double = cp_object_double;
  api->object_bool = cp_object_bool;
  api->object_len = cp_object_len;
  api->object_foreach = cp_object_foreach;
  api->object_json = cp_object_json;
  api->object_name = cp_object_name;
  api->object_namespace = cp_object_namespace;
  api->object_uid = cp_object_uid;
  api->object_resource_version = cp_object_resource_version;
  api->object_key = cp_object_key;
  api->object_generation = cp_object_generation;
  api->object_label = cp_object_label;
  api->object_annotation = cp_object_annotation;
  api->object_deletion_timestamp = cp_object_deletion_timestamp;
  api->object_controller_uid = cp_object_controller_uid;
  api->object_labels_match = kit_object_labels_match;
  api->json_format = kit_json_format;
  api->json_format_error = kit_json_format_error;
  api->label_selector_text = kit_label_selector_text;
}
