/*
 * list_map - map-list items indexed by their keys (see list_map.h): each
 * indexable item's key values are written as one byte string (each value
 * typed and length-prefixed, so no two keys collide), sorted, and found by
 * binary search, so correlating two lists of n items is O(n log n). The
 * values are read, never serialized: json-c caches a serialization inside
 * the object, and the old object may be shared with other threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/list_map.h"

struct entry {
  char *key;
  size_t len, idx;
};

struct cp_list_map {
  struct json_object *array;
  const char *const *keys;
  size_t nk;
  struct entry *e;
  size_t n;
};

static int scalar(struct json_object *v) {
  return json_object_is_type(v, json_type_string) ||
         json_object_is_type(v, json_type_int) ||
         json_object_is_type(v, json_type_boolean) ||
         json_object_is_type(v, json_type_double);
}

/* The composite key of item (malloc'd, *len bytes), or NULL when it has
 * none. */
static char *key_of(const char *const *keys, size_t nk,
                    struct json_object *item, size_t *len) {
  size_t i;
  char *out = NULL;

  *len = 0;
  if (!json_object_is_type(item, json_type_object) || nk == 0)
    return NULL;
  for (i = 0; i < nk; i++) {
    struct json_object *v;
    char head[64];
    const char *body = "";
    size_t hn, bn = 0;
    char *grown;

    if (keys[i] == NULL || !json_object_object_get_ex(item, keys[i], &v) ||
        !scalar(v)) {
      free(out);
      return NULL;
    }
    switch (json_object_get_type(v)) {
    case json_type_string:
      body = json_object_get_string(v);
      bn = (size_t)json_object_get_string_len(v);
      hn = (size_t)snprintf(head, sizeof head, "s%zu:", bn);
      break;
    case json_type_int:
      hn = (size_t)snprintf(head, sizeof head, "i%lld;",
                            (long long)json_object_get_int64(v));
      break;
    case json_type_boolean:
      hn = (size_t)snprintf(head, sizeof head, "b%d;",
                            json_object_get_boolean(v));
      break;
    default:
      hn = (size_t)snprintf(head, sizeof head, "d%.17g;",
                            json_object_get_double(v));
      break;
    }
    if ((grown = realloc(out, *len + hn + bn + 1)) == NULL) {
      free(out);
      return NULL;
    }
    out = grown;
    memcpy(out + *len, head, hn);
    memcpy(out + *len + hn, body, bn);
    *len += hn + bn;
  }
  return out;
}

static int key_cmp(const char *a, size_t an, const char *b, size_t bn) {
  int r = memcmp(a, b, an < bn ? an : bn);

  return r != 0 ? r : (an > bn) - (an < bn);
}

static int entry_cmp(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  int r = key_cmp(x->key, x->len, y->key, y->len);

  if (r != 0)
    return r;
  return (x->idx > y->idx) - (x->idx < y->idx); /* first item first */
}

struct cp_list_map *cp_list_map_new(struct json_object *array,
                                    const char *const *keys, size_t nk) {
  struct cp_list_map *m;
  size_t i, n;

  if (!json_object_is_type(array, json_type_array) || keys == NULL)
    return NULL;
  if ((m = calloc(1, sizeof *m)) == NULL)
    return NULL;
  m->array = array;
  m->keys = keys;
  m->nk = nk;
  n = json_object_array_length(array);
  if (n > 0 && (m->e = calloc(n, sizeof *m->e)) == NULL) {
    free(m);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    size_t len;
    char *k = key_of(keys, nk, json_object_array_get_idx(array, i), &len);

    if (k == NULL)
      continue;
    m->e[m->n].key = k;
    m->e[m->n].len = len;
    m->e[m->n++].idx = i;
  }
  if (m->n > 1)
    qsort(m->e, m->n, sizeof *m->e, entry_cmp);
  return m;
}

struct json_object *cp_list_map_get(const struct cp_list_map *m,
                                    struct json_object *item) {
  size_t lo = 0, hi, len;
  char *k;
  struct json_object *found = NULL;

  if (m == NULL || m->n == 0 || (k = key_of(m->keys, m->nk, item, &len)) == NULL)
    return NULL;
  hi = m->n;
  while (lo < hi) { /* the first entry not below k */
    size_t mid = lo + (hi - lo) / 2;

    if (key_cmp(m->e[mid].key, m->e[mid].len, k, len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < m->n && key_cmp(m->e[lo].key, m->e[lo].len, k, len) == 0)
    found = json_object_array_get_idx(m->array, m->e[lo].idx);
  free(k);
  return found;
}

void cp_list_map_free(struct cp_list_map *m) {
  size_t i;

  if (m == NULL)
    return;
  for (i = 0; i < m->n; i++)
    free(m->e[i].key);
  free(m->e);
  free(m);
}
