/*
 * field_selector - parsing and matching of fieldSelector terms
 * (field_selector.h).
 */
#include "apiserver/field_selector.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"

void cp_field_selector_free(struct cp_field_selector *f) {
  size_t i;

  for (i = 0; i < f->n; i++) {
    free(f->terms[i].path);
    free(f->terms[i].value);
  }
  free(f->terms);
  memset(f, 0, sizeof *f);
}

int cp_field_selector_parse(const char *text, struct cp_field_selector *f,
                            char **err) {
  char *copy, *save = NULL, *term;
  int rc = 0;

  memset(f, 0, sizeof *f);
  if (text == NULL || text[0] == '\0')
    return 0;
  if ((copy = strdup(text)) == NULL)
    return -1;
  for (term = strtok_r(copy, ",", &save); term != NULL;
       term = strtok_r(NULL, ",", &save)) {
    char *op = strstr(term, "!="), *v;
    int negate = op != NULL;
    struct cp_field_term *ts;

    if (op == NULL)
      op = strstr(term, "==");
    if (op != NULL) {
      *op = '\0';
      v = op + 2;
    } else if ((op = strchr(term, '=')) != NULL) {
      *op = '\0';
      v = op + 1;
    } else {
      if (asprintf(err,
                   "invalid field selector \"%s\": \"%s\" is not "
                   "key=value, key==value or key!=value",
                   text, term) < 0)
        *err = NULL;
      rc = -1;
      break;
    }
    ts = realloc(f->terms, (f->n + 1) * sizeof *ts);
    if (ts == NULL) {
      rc = -1;
      break;
    }
    f->terms = ts;
    ts[f->n].path = strdup(term);
    ts[f->n].value = strdup(v);
    ts[f->n].negate = negate;
    f->n++;
  }
  free(copy);
  if (rc != 0)
    cp_field_selector_free(f);
  return rc;
}

/* The string at a dotted path, "" when absent (kube compares absent
 * fields as empty). */
static const char *field_value(json_object *o, const char *path, char *buf,
                               size_t len) {
  const char *p = path;
  json_object *cur = o;

  while (*p != '\0' && cur != NULL) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    char key[256];

    if (n >= sizeof key)
      return "";
    memcpy(key, p, n);
    key[n] = '\0';
    cur = get(cur, key);
    p += n;
    if (*p == '.')
      p++;
  }
  if (cur == NULL)
    return "";
  if (json_object_is_type(cur, json_type_string))
    return json_object_get_string(cur);
  snprintf(buf, len, "%s",
           json_object_to_json_string_ext(cur, CP_VERBS_JSON_OUT));
  return buf;
}

int cp_field_selector_matches(const struct cp_field_selector *f,
                              json_object *o) {
  size_t i;
  char buf[256];

  for (i = 0; i < f->n; i++) {
    int eq = strcmp(field_value(o, f->terms[i].path, buf, sizeof buf),
                    f->terms[i].value) == 0;

    if (eq == f->terms[i].negate)
      return 0;
  }
  return 1;
}
