/*
 * podtemplate - the pod template as the deployment controller compares
 * and names it. See podtemplate.h.
 */
#include "podtemplate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path of member `key` below `path`, with '.', '[' and '\' escaped as
 * object paths want. Owned: free(). */
static char *path_member(const char *path, const char *key) {
  struct cplane_strbuf b = {0};
  const char *k;

  if (path != NULL && path[0] != '\0') {
    cplane_strbuf_add(&b, path);
    cplane_strbuf_addn(&b, ".", 1);
  }
  for (k = key; *k != '\0'; k++) {
    if (*k == '.' || *k == '[' || *k == '\\')
      cplane_strbuf_addn(&b, "\\", 1);
    cplane_strbuf_addn(&b, k, 1);
  }
  if (b.p == NULL)
    cplane_strbuf_addn(&b, "", 0);
  return cplane_strbuf_finish(&b);
}

struct keys {
  char **v;
  size_t n, cap;
  int failed; /* an allocation failed */
};

static int collect_key(void *userdata, const char *key, const char *str) {
  struct keys *k = userdata;
  char *copy;

  (void)str;
  if (k->n == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 16;
    char **v = realloc(k->v, cap * sizeof *v);

    if (v == NULL) {
      k->failed = 1;
      return 1;
    }
    k->v = v;
    k->cap = cap;
  }
  if ((copy = strdup(key)) == NULL) {
    k->failed = 1;
    return 1;
  }
  k->v[k->n++] = copy;
  return 0;
}

static void keys_free(struct keys *k) {
  size_t i;

  for (i = 0; i < k->n; i++)
    free(k->v[i]);
  free(k->v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when canonical() text is an empty value that a typed client would
 * leave out or add at will (kubectl rollout undo sends "resources":{} and
 * "creationTimestamp":null that the stored template never had). */
static int empty_value(const char *json) {
  return strcmp(json, "null") == 0 || strcmp(json, "{}") == 0 ||
         strcmp(json, "[]") == 0;
}

/* Appends the value at `path` to b as JSON with every object's keys
 * sorted, leaving out members with empty values and the member
 * `skip_key` of the object at `skip_path`. Two templates that differ only
 * in key order, empty members or pod-template-hash thus come out the
 * same, as Kubernetes' semantic comparison of typed templates has it. */
static void canonical(const struct cplane_host_api *api, const cplane_object *o,
                      const char *path, const char *skip_path,
                      const char *skip_key, struct cplane_strbuf *b) {
  int type = api->object_type(o, path);
  struct keys k = {0};
  size_t i;
  int n, first = 1;

  if (type == CPLANE_TYPE_OBJECT) {
    api->object_foreach(o, path, collect_key, &k);
    if (k.failed) {
      b->failed = 1;
      goto out;
    }
    if (k.n > 1) /* qsort wants a real array, even of none */
      qsort(k.v, k.n, sizeof *k.v, cmp_str);
    cplane_strbuf_addn(b, "{", 1);
    for (i = 0; i < k.n; i++) {
      struct cplane_strbuf v = {0};
      char *child, *text;

      if (strcmp(path, skip_path) == 0 && strcmp(k.v[i], skip_key) == 0)
        continue;
      if ((child = path_member(path, k.v[i])) == NULL) {
        b->failed = 1;
        goto out;
      }
      canonical(api, o, child, skip_path, skip_key, &v);
      free(child);
      if ((text = cplane_strbuf_finish(&v)) == NULL) {
        b->failed = 1;
        goto out;
      }
      if (!empty_value(text)) {
        if (!first)
          cplane_strbuf_addn(b, ",", 1);
        first = 0;
        cplane_strbuf_take(b, api, api->json_format("%s", k.v[i]));
        cplane_strbuf_addn(b, ":", 1);
        cplane_strbuf_add(b, text);
      }
      free(text);
    }
    cplane_strbuf_addn(b, "}", 1);
  } else if (type == CPLANE_TYPE_ARRAY) {
    n = api->object_len(o, path);
    cplane_strbuf_addn(b, "[", 1);
    for (i = 0; i < (size_t)(n > 0 ? n : 0); i++) {
      char child[32];
      struct cplane_strbuf p = {0};
      char *cp;

      snprintf(child, sizeof child, "[%zu]", i);
      cplane_strbuf_add(&p, path);
      cplane_strbuf_add(&p, child);
      if ((cp = cplane_strbuf_finish(&p)) == NULL) {
        b->failed = 1;
        goto out;
      }
      if (i > 0)
        cplane_strbuf_addn(b, ",", 1);
      canonical(api, o, cp, skip_path, skip_key, b);
      free(cp);
    }
    cplane_strbuf_addn(b, "]", 1);
  } else {
    cplane_strbuf_take(b, api, api->object_json(o, path));
  }
out:
  keys_free(&k);
}

/* The object at `path` as compact JSON with member `key` set to the JSON
 * text `value` (replaced in place, or added at the end; an absent object
 * becomes {key: value}). Owned: free(). NULL when out of memory. */
char *dp_with_member(const struct cplane_host_api *api, const cplane_object *o,
                     const char *path, const char *key, const char *value) {
  struct keys k = {0};
  struct cplane_strbuf b = {0};
  size_t i;
  int found = 0;

  if (value == NULL)
    return NULL;
  if (api->object_type(o, path) == CPLANE_TYPE_OBJECT)
    api->object_foreach(o, path, collect_key, &k);
  if (k.failed)
    goto out;
  cplane_strbuf_addn(&b, "{", 1);
  for (i = 0; i < k.n; i++) {
    char *child;

    if (i > 0)
      cplane_strbuf_addn(&b, ",", 1);
    cplane_strbuf_take(&b, api, api->json_format("%s", k.v[i]));
    cplane_strbuf_addn(&b, ":", 1);
    if (strcmp(k.v[i], key) == 0) {
      cplane_strbuf_add(&b, value);
      found = 1;
      continue;
    }
    if ((child = path_member(path, k.v[i])) == NULL) {
      b.failed = 1;
      break;
    }
    cplane_strbuf_take(&b, api, api->object_json(o, child));
    free(child);
  }
  if (!found) {
    if (k.n > 0)
      cplane_strbuf_addn(&b, ",", 1);
    cplane_strbuf_take(&b, api, api->json_format("%s", key));
    cplane_strbuf_addn(&b, ":", 1);
    cplane_strbuf_add(&b, value);
  }
  cplane_strbuf_addn(&b, "}", 1);
out:
  keys_free(&k);
  if (k.failed)
    b.failed = 1;
  return cplane_strbuf_finish(&b);
}

char *dp_template_of(const struct cplane_host_api *api,
                     const cplane_object *o) {
  struct cplane_strbuf b = {0};

  canonical(api, o, "spec.template", "spec.template.metadata.labels",
            HASH_LABEL, &b);
  return cplane_strbuf_finish(&b);
}

int dp_template_hash(const char *template, int64_t collisions, char *hash,
                     size_t len) {
  struct cplane_strbuf b = {0};
  char n[32], *text;

  cplane_strbuf_add(&b, template);
  if (collisions > 0) {
    snprintf(n, sizeof n, "%" PRId64, collisions);
    cplane_strbuf_add(&b, n);
  }
  if ((text = cplane_strbuf_finish(&b)) == NULL)
    return -1;
  cplane_hash_safe_encode32(cplane_fnv1a32_str(text), hash, len);
  free(text);
  return 0;
}
