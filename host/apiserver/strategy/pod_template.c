/*
 * pod_template - see pod_template.h.
 */
#include "apiserver/strategy/pod_template.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"
#include "labels/selector.h"
#include "object/json_buf.h"
#include "object/object.h"

static const char *label_of(void *labels, const char *key) {
  return get_str(labels, key);
}

static int by_key(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A Go string literal as %#v prints it (the escapes labels can need). */
static void put_go_string(struct cp_json_buf *b, const char *s) {
  cp_json_buf_puts(b, "\"");
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\')
      cp_json_buf_puts(b, "\\");
    cp_json_buf_put(b, s, 1);
  }
  cp_json_buf_puts(b, "\"");
}

/* labels as Go's %#v prints a map[string]string: keys sorted,
 * `map[string]string{"a":"b", "c":"d"}`, or `map[string]string(nil)`.
 * malloc'd; NULL when out of memory. */
static char *go_map(json_object *labels) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  size_t n = 0, i = 0;
  const char **keys;

  if (labels == NULL || !json_object_is_type(labels, json_type_object))
    return strdup("map[string]string(nil)");
  n = (size_t)json_object_object_length(labels);
  if ((keys = calloc(n + 1, sizeof *keys)) == NULL)
    return NULL;
  json_object_object_foreach(labels, k, v) {
    (void)v;
    keys[i++] = k;
  }
  qsort(keys, n, sizeof *keys, by_key);
  cp_json_buf_puts(&b, "map[string]string{");
  for (i = 0; i < n; i++) {
    const char *val = get_str(labels, keys[i]);

    cp_json_buf_puts(&b, i > 0 ? ", " : "");
    put_go_string(&b, keys[i]);
    cp_json_buf_puts(&b, ":");
    put_go_string(&b, val != NULL ? val : "");
  }
  cp_json_buf_puts(&b, "}");
  free(keys);
  if (b.nomem) {
    cp_json_buf_reset(&b);
    return NULL;
  }
  return cp_json_buf_take(&b);
}

void cp_pod_template_check_selector(json_object *o,
                                    struct cp_field_errors *errs) {
  json_object *labels =
      get(get(get(get(o, "spec"), "template"), "metadata"), "labels");
  cplane_object *co = cp_object_from_json_c(o);
  char *text = NULL, *err = NULL, *shown = NULL;
  cp_selector *sel = NULL;

  if (co == NULL) {
    errs->oom = 1;
    return;
  }
  text = cp_selector_text_from(co, "spec.selector");
  /* "" selects everything: kube refuses an empty selector elsewhere. */
  if (text == NULL || text[0] == '\0' ||
      cp_selector_parse(text, &sel, &err) != CPLANE_OK)
    goto out;
  if (cp_selector_matches_fn(sel, label_of, labels))
    goto out;
  if ((shown = go_map(labels)) == NULL) {
    errs->oom = 1;
    goto out;
  }
  cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.template.metadata.labels",
                      shown, "`selector` does not match template `labels`");
out:
  free(shown);
  free(err);
  free(text);
  cp_selector_free(sel);
  cp_object_release(co);
}
