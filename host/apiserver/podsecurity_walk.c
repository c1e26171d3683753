/*
 * podsecurity_walk - see podsecurity_walk.h.
 */
#include "apiserver/podsecurity_walk.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"

static void names_insert(struct cp_psa_names *s, size_t at, const char *x) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    const char **v = realloc(s->v, cap * sizeof *v);

    if (v == NULL) {
      s->oom = 1;
      return;
    }
    s->v = v;
    s->cap = cap;
  }
  memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof *s->v);
  s->v[at] = x;
  s->n++;
}

void cp_psa_names_add(struct cp_psa_names *s, const char *x) {
  names_insert(s, s->n, x != NULL ? x : "");
}

void cp_psa_names_set(struct cp_psa_names *s, const char *x) {
  size_t i;

  if (x == NULL)
    x = "";
  for (i = 0; i < s->n; i++) {
    int c = strcmp(s->v[i], x);

    if (c == 0)
      return;
    if (c > 0)
      break;
  }
  names_insert(s, i, x);
}

void cp_psa_names_free(struct cp_psa_names *s) { free(s->v); }

/* Go's %q for the plain strings these are (quotes and backslashes). */
void cp_psa_put_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* kube's joinQuote: "a", "b". */
void cp_psa_join_quote(FILE *f, const struct cp_psa_names *s) {
  size_t i;

  for (i = 0; i < s->n; i++) {
    if (i > 0)
      fputs(", ", f);
    cp_psa_put_quoted(f, s->v[i]);
  }
}

void cp_psa_join(FILE *f, const struct cp_psa_names *s, const char *sep) {
  size_t i;

  for (i = 0; i < s->n; i++)
    fprintf(f, "%s%s", i > 0 ? sep : "", s->v[i]);
}

const char *cp_psa_plural(const char *one, const char *many, size_t n) {
  return n == 1 ? one : many;
}

FILE *cp_psa_detail_begin(struct cp_psa_detail *d) {
  d->buf = NULL;
  d->f = open_memstream(&d->buf, &d->len);
  return d->f;
}

void cp_psa_detail_end(struct cp_psa_result *r, struct cp_psa_detail *d,
                       const char *reason) {
  if (d->f == NULL || fclose(d->f) != 0 || d->buf == NULL) {
    r->oom = 1;
    free(d->buf);
    return;
  }
  if (r->full == NULL)
    r->full = open_memstream(r->full_buf, r->full_len);
  if (r->brief == NULL)
    r->brief = open_memstream(r->brief_buf, r->brief_len);
  if (r->full == NULL || r->brief == NULL) {
    r->oom = 1;
    free(d->buf);
    return;
  }
  fprintf(r->full, "%s%s (%s)", r->n > 0 ? ", " : "", reason, d->buf);
  fprintf(r->brief, "%s%s", r->n > 0 ? ", " : "", reason);
  r->n++;
  free(d->buf);
}

json_object *cp_psa_next_container(struct cp_psa_citer *it) {
  static const char *const lists[] = {"initContainers", "containers",
                                      "ephemeralContainers"};

  for (; it->list < 3; it->list++, it->i = 0) {
    json_object *a = get(it->spec, lists[it->list]);

    while (json_object_is_type(a, json_type_array) &&
           it->i < json_object_array_length(a)) {
      json_object *c = json_object_array_get_idx(a, it->i++);

      if (json_object_is_type(c, json_type_object))
        return c;
    }
  }
  return NULL;
}

json_object *cp_psa_sc_of(json_object *o) {
  json_object *sc = get(o, "securityContext");

  return json_object_is_type(sc, json_type_object) ? sc : NULL;
}

/* 1 true, 0 false, -1 unset (or not a boolean). */
int cp_psa_tristate(json_object *o, const char *k) {
  json_object *v = get(o, k);

  if (!json_object_is_type(v, json_type_boolean))
    return -1;
  return json_object_get_boolean(v);
}

const char *cp_psa_str_or_empty(json_object *o, const char *k) {
  const char *s = get_str(o, k);

  return s != NULL ? s : "";
}

int cp_psa_since(const struct cp_psa_pod *p, int minor) {
  return p->minor == 0 || p->minor >= minor;
}

/* "pod and containers "a"" or "containers "a"" or "pod". */
void cp_psa_setters(FILE *f, int pod, const struct cp_psa_names *bad) {
  if (pod)
    fputs("pod", f);
  if (pod && bad->n > 0)
    fputs(" and ", f);
  if (bad->n > 0) {
    fprintf(f, "%s ", cp_psa_plural("container", "containers", bad->n));
    cp_psa_join_quote(f, bad);
  }
}

int cp_psa_in_list(const char *x, const char *const *list) {
  for (; *list != NULL; list++)
    if (strcmp(x, *list) == 0)
      return 1;
  return 0;
}

/* Capabilities added beyond allowed (NULL-terminated); for baseline
 * (the default set) and restricted (NET_BIND_SERVICE only). */
void cp_psa_added_caps(const struct cp_psa_pod *p, const char *const *allowed,
                       struct cp_psa_names *bad, struct cp_psa_names *caps) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  json_object *c;

  while ((c = cp_psa_next_container(&it)) != NULL) {
    json_object *add = get(get(cp_psa_sc_of(c), "capabilities"), "add");
    int found = 0;
    size_t i;

    for (i = 0; json_object_is_type(add, json_type_array) &&
                i < json_object_array_length(add);
         i++) {
      const char *cap =
          json_object_get_string(json_object_array_get_idx(add, i));

      if (cap != NULL && !cp_psa_in_list(cap, allowed)) {
        found = 1;
        cp_psa_names_set(caps, cap);
      }
    }
    if (found)
      cp_psa_names_add(bad, get_str(c, "name"));
  }
}
