/*
 * pod_template - see pod_template.h.
 */
#include "apiserver/strategy/pod_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/fields.h"

static const char *label(json_object *labels, const char *k) {
  json_object *v = NULL;

  if (!json_object_is_type(labels, json_type_object) ||
      !json_object_object_get_ex(labels, k, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static int in_values(json_object *values, const char *v) {
  size_t i, n = json_object_array_length(values);

  for (i = 0; v != NULL && i < n; i++) {
    json_object *e = json_object_array_get_idx(values, i);

    if (json_object_is_type(e, json_type_string) &&
        strcmp(json_object_get_string(e), v) == 0)
      return 1;
  }
  return 0;
}

/* One matchExpressions entry: 1 holds, 0 not, -1 malformed. */
static int expression_holds(json_object *e, json_object *labels) {
  const char *key = cp_field_str(e, "key"), *op = cp_field_str(e, "operator");
  json_object *values = cp_field_typed(e, "values", json_type_array);
  size_t n = values != NULL ? json_object_array_length(values) : 0;
  const char *v;

  if (key == NULL || op == NULL)
    return -1;
  v = label(labels, key);
  if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
    if (n == 0)
      return -1;
    return strcmp(op, "In") == 0 ? in_values(values, v)
                                 : !in_values(values, v);
  }
  if (n != 0)
    return -1;
  if (strcmp(op, "Exists") == 0)
    return v != NULL;
  if (strcmp(op, "DoesNotExist") == 0)
    return v == NULL;
  return -1;
}

int cp_label_selector_matches(json_object *sel, json_object *labels) {
  json_object *ml, *me;
  int match = 1;

  if (sel == NULL || json_object_is_type(sel, json_type_null))
    return 0;
  if (!json_object_is_type(sel, json_type_object))
    return -1;
  ml = cp_field_at(sel, "matchLabels");
  me = cp_field_at(sel, "matchExpressions");
  if ((ml != NULL && !json_object_is_type(ml, json_type_object)) ||
      (me != NULL && !json_object_is_type(me, json_type_array)))
    return -1;
  if (ml != NULL) {
    json_object_object_foreach(ml, k, v) {
      const char *have = label(labels, k);

      if (!json_object_is_type(v, json_type_string))
        return -1;
      if (have == NULL || strcmp(have, json_object_get_string(v)) != 0)
        match = 0;
    }
  }
  if (me != NULL) {
    size_t i, n = json_object_array_length(me);

    for (i = 0; i < n; i++) {
      int r = expression_holds(json_object_array_get_idx(me, i), labels);

      if (r < 0)
        return -1;
      if (r == 0)
        match = 0;
    }
  }
  return match;
}

int cp_label_selector_empty(json_object *sel) {
  json_object *ml = cp_field_typed(sel, "matchLabels", json_type_object);
  json_object *me = cp_field_typed(sel, "matchExpressions", json_type_array);

  return (ml == NULL || json_object_object_length(ml) == 0) &&
         (me == NULL || json_object_array_length(me) == 0);
}

/* Appends s quoted as Go's %q does for plain text. */
static void quote(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *cp_go_string_map(json_object *m) {
  const char **keys = NULL;
  char *buf = NULL;
  size_t len = 0, n = 0, i;
  FILE *f;

  if (!json_object_is_type(m, json_type_object))
    return strdup("map[string]string(nil)");
  if ((f = open_memstream(&buf, &len)) == NULL)
    return NULL;
  keys = calloc((size_t)json_object_object_length(m) + 1, sizeof *keys);
  if (keys == NULL) {
    fclose(f);
    free(buf);
    return NULL;
  }
  json_object_object_foreach(m, k, v) {
    (void)v;
    keys[n++] = k;
  }
  qsort(keys, n, sizeof *keys, cmp_keys);
  fputs("map[string]string{", f);
  for (i = 0; i < n; i++) {
    const char *val = label(m, keys[i]);

    if (i > 0)
      fputs(", ", f);
    quote(f, keys[i]);
    fputc(':', f);
    quote(f, val != NULL ? val : "");
  }
  fputc('}', f);
  free(keys);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* The Go String() of a metav1.LabelSelector with no entries. */
#define EMPTY_SELECTOR                                                         \
  "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]"       \
  "LabelSelectorRequirement{},}"

/* kube's ValidateLabelSelectorRequirement for each matchExpressions
 * entry; returns how many errors it added. */
static int check_expressions(json_object *sel, struct cp_field_errors *errs) {
  json_object *me = cp_field_typed(sel, "matchExpressions", json_type_array);
  size_t i, n = me != NULL ? json_object_array_length(me) : 0;
  int bad = 0;

  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(me, i);
    const char *op = cp_field_str(e, "operator");
    json_object *vs = cp_field_typed(e, "values", json_type_array);
    size_t nv = vs != NULL ? json_object_array_length(vs) : 0;
    int in = op != NULL && (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0);
    int ex = op != NULL && (strcmp(op, "Exists") == 0 ||
                            strcmp(op, "DoesNotExist") == 0);
    char path[96];

    if (in && nv == 0) {
      snprintf(path, sizeof path, "spec.selector.matchExpressions[%zu].values",
               i);
      cp_field_required(errs, path, "must be specified when `operator` is "
                                    "'In' or 'NotIn'");
      bad++;
    } else if (ex && nv > 0) {
      snprintf(path, sizeof path, "spec.selector.matchExpressions[%zu].values",
               i);
      cp_field_forbidden(errs, path, "may not be specified when `operator` "
                                     "is 'Exists' or 'DoesNotExist'");
      bad++;
    } else if (!in && !ex) {
      snprintf(path, sizeof path,
               "spec.selector.matchExpressions[%zu].operator", i);
      cp_field_invalid_str(errs, path, op != NULL ? op : "",
                           "not a valid selector operator");
      bad++;
    }
  }
  return bad;
}

void cp_pod_template_check_selector(json_object *spec, const char *what,
                                    struct cp_field_errors *errs) {
  json_object *sel = cp_field_at(spec, "selector");
  json_object *labels = cp_field_at(spec, "template.metadata.labels");
  char detail[96];
  char *shown;
  int r;

  if (sel == NULL || json_object_is_type(sel, json_type_null)) {
    cp_field_required(errs, "spec.selector", NULL);
    return;
  }
  if (what != NULL && cp_label_selector_empty(sel)) {
    snprintf(detail, sizeof detail, "empty selector is invalid for %s",
             what);
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.selector",
                        EMPTY_SELECTOR, detail);
    return;
  }
  if (check_expressions(sel, errs) > 0)
    return;
  r = cp_label_selector_matches(sel, labels);
  if (r < 0) {
    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.selector",
                        "the selector", "invalid label selector");
    return;
  }
  if (r == 1)
    return;
  shown = cp_go_string_map(labels);
  cp_field_errors_add(errs, CP_FIELD_INVALID,
                      "spec.template.metadata.labels",
                      shown != NULL ? shown : "map[string]string{}",
                      "`selector` does not match template `labels`");
  free(shown);
}

void cp_pod_template_check_spec(json_object *tmpl, const char *path,
                                const char *const *allowed,
                                struct cp_field_errors *errs) {
  json_object *cs = cp_field_typed(tmpl, "spec.containers", json_type_array);
  const char *rp = cp_field_str(tmpl, "spec.restartPolicy");
  size_t i;

  if (cs == NULL || json_object_array_length(cs) == 0)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                         "%s.spec.containers", path);
  if (allowed == NULL)
    return;
  if (rp == NULL)
    rp = "Always";
  for (i = 0; allowed[i] != NULL; i++)
    if (strcmp(allowed[i], rp) == 0)
      return;
  {
    char field[160];

    snprintf(field, sizeof field, "%s.spec.restartPolicy", path);
    cp_field_not_supported(errs, field, rp, allowed);
  }
}

char *cp_go_label_selector(json_object *sel) {
  json_object *ml, *me;
  const char **keys = NULL;
  char *buf = NULL;
  size_t len = 0, n = 0, i, j;
  FILE *f;

  if (!json_object_is_type(sel, json_type_object))
    return strdup("null");
  ml = cp_field_typed(sel, "matchLabels", json_type_object);
  me = cp_field_typed(sel, "matchExpressions", json_type_array);
  keys = calloc((ml ? (size_t)json_object_object_length(ml) : 0) + 1,
                sizeof *keys);
  if (keys == NULL || (f = open_memstream(&buf, &len)) == NULL) {
    free(keys);
    return NULL;
  }
  if (ml != NULL) {
    json_object_object_foreach(ml, k, v) {
      (void)v;
      keys[n++] = k;
    }
  }
  qsort(keys, n, sizeof *keys, cmp_keys);
  fputs("&LabelSelector{MatchLabels:map[string]string{", f);
  for (i = 0; i < n; i++) {
    const char *val = label(ml, keys[i]);

    fprintf(f, "%s: %s,", keys[i], val != NULL ? val : "");
  }
  fputs("},MatchExpressions:[]LabelSelectorRequirement{", f);
  for (i = 0; me != NULL && i < json_object_array_length(me); i++) {
    json_object *e = json_object_array_get_idx(me, i);
    json_object *vs = cp_field_typed(e, "values", json_type_array);
    const char *k = cp_field_str(e, "key"), *op = cp_field_str(e, "operator");

    fprintf(f, "LabelSelectorRequirement{Key:%s,Operator:%s,Values:[",
            k ? k : "", op ? op : "");
    for (j = 0; vs != NULL && j < json_object_array_length(vs); j++) {
      json_object *e2 = json_object_array_get_idx(vs, j);

      fprintf(f, "%s%s", j > 0 ? " " : "",
              json_object_is_type(e2, json_type_string)
                  ? json_object_get_string(e2)
                  : "");
    }
    fputs("],},", f);
  }
  fputs("},}", f);
  free(keys);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

void cp_check_selector_immutable(json_object *cur, json_object *old,
                                 const char *path,
                                 struct cp_field_errors *errs) {
  char *shown;

  if (json_object_equal(cur, old))
    return;
  shown = cp_go_label_selector(cur);
  cp_field_errors_add(errs, CP_FIELD_INVALID, path,
                      shown != NULL ? shown : "null", "field is immutable");
  free(shown);
}
