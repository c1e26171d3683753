/*
 * fieldset - sets of field paths (see fieldset.h).
 */
#include "apiserver/ssa/fieldset.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/json_buf.h"

/* ------------------------------------------------------------ values */

/* smd's value order, so that k: and v: children sort as kube's: numbers
 * (ints and floats together), strings, booleans, lists, maps, null. */
static int rank(struct json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_int:
  case json_type_double:
    return 0;
  case json_type_string:
    return 1;
  case json_type_boolean:
    return 2;
  case json_type_array:
    return 3;
  case json_type_object:
    return 4;
  default:
    return 5;
  }
}

static int value_cmp(struct json_object *a, struct json_object *b);

static int list_cmp(struct json_object *a, struct json_object *b) {
  size_t i, na = json_object_array_length(a), nb = json_object_array_length(b);
  int c;

  for (i = 0; i < na && i < nb; i++)
    if ((c = value_cmp(json_object_array_get_idx(a, i),
                       json_object_array_get_idx(b, i))) != 0)
      return c;
  return na < nb ? -1 : na > nb;
}

/* Maps (and key objects, whose keys are sorted): field by field, name
 * then value, then the shorter first (smd's FieldList.Compare). */
static int map_cmp(struct json_object *a, struct json_object *b) {
  struct json_object_iterator ia = json_object_iter_begin(a),
                              ea = json_object_iter_end(a),
                              ib = json_object_iter_begin(b),
                              eb = json_object_iter_end(b);
  int c;

  while (!json_object_iter_equal(&ia, &ea) &&
         !json_object_iter_equal(&ib, &eb)) {
    c = strcmp(json_object_iter_peek_name(&ia), json_object_iter_peek_name(&ib));
    if (c == 0)
      c = value_cmp(json_object_iter_peek_value(&ia),
                    json_object_iter_peek_value(&ib));
    if (c != 0)
      return c;
    json_object_iter_next(&ia);
    json_object_iter_next(&ib);
  }
  if (json_object_iter_equal(&ia, &ea))
    return json_object_iter_equal(&ib, &eb) ? 0 : -1;
  return 1;
}

static int value_cmp(struct json_object *a, struct json_object *b) {
  int ra = rank(a), rb = rank(b);

  if (ra != rb)
    return ra < rb ? -1 : 1;
  switch (ra) {
  case 0: {
    double x = json_object_get_double(a), y = json_object_get_double(b);

    if (json_object_is_type(a, json_type_int) &&
        json_object_is_type(b, json_type_int)) {
      int64_t p = json_object_get_int64(a), q = json_object_get_int64(b);

      return p < q ? -1 : p > q;
    }
    return x < y ? -1 : x > y;
  }
  case 1:
    return strcmp(json_object_get_string(a), json_object_get_string(b));
  case 2:
    return json_object_get_boolean(a) - json_object_get_boolean(b);
  case 3:
    return list_cmp(a, b);
  case 4:
    return map_cmp(a, b);
  default:
    return 0;
  }
}

/* The element order of smd's PathElement.Compare. */
static int pe_cmp(enum cp_pe_kind ka, const char *name, struct json_object *kv,
                  long idx, const struct cp_fs_node *b) {
  if (ka != b->kind)
    return ka < b->kind ? -1 : 1;
  switch (ka) {
  case CP_PE_FIELD:
    return strcmp(name, b->pe + 2);
  case CP_PE_INDEX:
    return idx < b->idx ? -1 : idx > b->idx;
  default:
    return value_cmp(kv, b->kv);
  }
}

/* ------------------------------------------------------------ nodes */

static void node_clear(struct cp_fs_node *n) {
  size_t i;

  for (i = 0; i < n->n; i++)
    node_clear(&n->kids[i]);
  free(n->kids);
  free(n->pe);
  json_object_put(n->kv);
  memset(n, 0, sizeof *n);
}

struct cp_fieldset *cp_fieldset_new(void) {
  return calloc(1, sizeof(struct cp_fieldset));
}

void cp_fieldset_free(struct cp_fieldset *s) {
  if (s == NULL)
    return;
  node_clear(&s->root);
  free(s);
}

static int node_empty(const struct cp_fs_node *n) {
  return !n->member && n->n == 0;
}

int cp_fieldset_empty(const struct cp_fieldset *s) {
  return s == NULL || node_empty(&s->root);
}

static size_t node_count(const struct cp_fs_node *n) {
  size_t i, c = 1;

  for (i = 0; i < n->n; i++)
    c += node_count(&n->kids[i]);
  return c;
}

size_t cp_fieldset_count(const struct cp_fieldset *s) {
  return s == NULL ? 0 : node_count(&s->root) - 1;
}

/* Where element (kind, ...) is or would go in n's children. */
static size_t find(const struct cp_fs_node *n, enum cp_pe_kind kind,
                   const char *name, struct json_object *kv, long idx,
                   int *found) {
  size_t lo = 0, hi = n->n;

  *found = 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = pe_cmp(kind, name, kv, idx, &n->kids[mid]);

    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* The fieldsV1 key of an element. */
static char *pe_text(enum cp_pe_kind kind, const char *name,
                     struct json_object *kv, long idx) {
  char *t = NULL;
  int rc = -1;

  switch (kind) {
  case CP_PE_FIELD: { /* the common case: no printf */
    size_t n = strlen(name);

    if ((t = malloc(n + 3)) == NULL)
      return NULL;
    memcpy(t, "f:", 2);
    memcpy(t + 2, name, n + 1);
    return t;
  }
  case CP_PE_INDEX:
    rc = asprintf(&t, "i:%ld", idx);
    break;
  default:
    rc = asprintf(&t, "%c:%s", kind == CP_PE_KEY ? 'k' : 'v',
                  json_object_to_json_string_ext(
                      kv, JSON_C_TO_STRING_PLAIN |
                              JSON_C_TO_STRING_NOSLASHESCAPE));
  }
  return rc < 0 ? NULL : t;
}

static struct cp_fs_node *insert_at(struct cp_fs_node *n, size_t at,
                                    enum cp_pe_kind kind, const char *name,
                                    struct json_object *kv, long idx) {
  struct cp_fs_node *k;

  if (n->n == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 4;
    struct cp_fs_node *m = realloc(n->kids, cap * sizeof *m);

    if (m == NULL)
      return NULL;
    n->kids = m;
    n->cap = cap;
  }
  memmove(&n->kids[at + 1], &n->kids[at], (n->n - at) * sizeof *n->kids);
  k = &n->kids[at];
  memset(k, 0, sizeof *k);
  k->kind = kind;
  k->idx = idx;
  if (kv != NULL && json_object_deep_copy(kv, &k->kv, NULL) != 0)
    k->kv = NULL;
  k->pe = pe_text(kind, name, kv, idx);
  if (k->pe == NULL || (kv != NULL && k->kv == NULL)) {
    free(k->pe);
    json_object_put(k->kv);
    memmove(&n->kids[at], &n->kids[at + 1], (n->n - at) * sizeof *n->kids);
    return NULL;
  }
  n->n++;
  return k;
}

struct cp_fs_node *cp_fs_child(struct cp_fs_node *n, enum cp_pe_kind kind,
                               const char *name, struct json_object *kv,
                               long idx, int create) {
  int found;
  size_t at = find(n, kind, name, kv, idx, &found);

  if (found)
    return &n->kids[at];
  return create ? insert_at(n, at, kind, name, kv, idx) : NULL;
}

struct cp_fs_node *cp_fs_child_like(struct cp_fs_node *n,
                                    const struct cp_fs_node *like,
                                    int create) {
  const char *name = like->kind == CP_PE_FIELD ? like->pe + 2 : NULL;

  return cp_fs_child(n, like->kind, name, like->kv, like->idx, create);
}

void cp_fs_drop_child(struct cp_fs_node *n, struct cp_fs_node *kid) {
  size_t at = (size_t)(kid - n->kids);

  node_clear(kid);
  memmove(kid, kid + 1, (n->n - at - 1) * sizeof *kid);
  n->n--;
}

/* ------------------------------------------------------------ operations */

/* a |= b. */
static int node_add(struct cp_fs_node *a, const struct cp_fs_node *b) {
  size_t i;

  a->member |= b->member;
  for (i = 0; i < b->n; i++) {
    struct cp_fs_node *k = cp_fs_child_like(a, &b->kids[i], 1);

    if (k == NULL || node_add(k, &b->kids[i]) < 0)
      return -1;
  }
  return 0;
}

/* a -= b, dropping children left empty. */
static void node_remove(struct cp_fs_node *a, const struct cp_fs_node *b) {
  size_t i, j;

  if (b->member)
    a->member = 0;
  for (i = 0; i < b->n && a->n > 0; i++) {
    struct cp_fs_node *k = cp_fs_child_like(a, &b->kids[i], 0);

    if (k != NULL)
      node_remove(k, &b->kids[i]);
  }
  for (i = j = 0; i < a->n; i++) {
    if (node_empty(&a->kids[i])) {
      node_clear(&a->kids[i]);
      continue;
    }
    a->kids[j++] = a->kids[i];
  }
  a->n = j;
}

/* out = a & b (out empty on entry). */
static int node_intersect(struct cp_fs_node *out, const struct cp_fs_node *a,
                          const struct cp_fs_node *b) {
  size_t i;

  out->member = a->member && b->member;
  for (i = 0; i < a->n; i++) {
    struct cp_fs_node *bk = cp_fs_child_like((struct cp_fs_node *)b,
                                             &a->kids[i], 0),
                      *ok;

    if (bk == NULL)
      continue;
    if ((ok = cp_fs_child_like(out, &a->kids[i], 1)) == NULL ||
        node_intersect(ok, &a->kids[i], bk) < 0)
      return -1;
    if (node_empty(ok)) /* it was appended last: drop it */
      node_clear(&out->kids[--out->n]);
  }
  return 0;
}

int cp_fieldset_add(struct cp_fieldset *a, const struct cp_fieldset *b) {
  return b == NULL ? 0 : node_add(&a->root, &b->root);
}

void cp_fieldset_remove(struct cp_fieldset *a, const struct cp_fieldset *b) {
  if (b != NULL)
    node_remove(&a->root, &b->root);
}

struct cp_fieldset *cp_fieldset_copy(const struct cp_fieldset *a) {
  struct cp_fieldset *s = cp_fieldset_new();

  if (s != NULL && cp_fieldset_add(s, a) < 0) {
    cp_fieldset_free(s);
    return NULL;
  }
  return s;
}

struct cp_fieldset *cp_fieldset_union(const struct cp_fieldset *a,
                                      const struct cp_fieldset *b) {
  struct cp_fieldset *s = cp_fieldset_copy(a);

  if (s != NULL && cp_fieldset_add(s, b) < 0) {
    cp_fieldset_free(s);
    return NULL;
  }
  return s;
}

struct cp_fieldset *cp_fieldset_difference(const struct cp_fieldset *a,
                                           const struct cp_fieldset *b) {
  struct cp_fieldset *s = cp_fieldset_copy(a);

  if (s != NULL)
    cp_fieldset_remove(s, b);
  return s;
}

struct cp_fieldset *cp_fieldset_intersection(const struct cp_fieldset *a,
                                             const struct cp_fieldset *b) {
  struct cp_fieldset *s = cp_fieldset_new();

  if (s != NULL && node_intersect(&s->root, &a->root, &b->root) < 0) {
    cp_fieldset_free(s);
    return NULL;
  }
  return s;
}

static int node_equal(const struct cp_fs_node *a, const struct cp_fs_node *b) {
  size_t i;

  if (a->member != b->member || a->n != b->n)
    return 0;
  for (i = 0; i < a->n; i++)
    if (strcmp(a->kids[i].pe, b->kids[i].pe) != 0 ||
        !node_equal(&a->kids[i], &b->kids[i]))
      return 0;
  return 1;
}

int cp_fieldset_equal(const struct cp_fieldset *a,
                      const struct cp_fieldset *b) {
  return node_equal(&a->root, &b->root);
}

/* ------------------------------------------------------------ fieldsV1 */

static struct json_object *node_json(const struct cp_fs_node *n, int self) {
  struct json_object *o = json_object_new_object();
  size_t i;

  if (o == NULL)
    return NULL;
  if (self && n->member && n->n > 0 &&
      json_object_object_add(o, ".", json_object_new_object()) != 0)
    goto fail;
  for (i = 0; i < n->n; i++) {
    struct json_object *k = node_json(&n->kids[i], 1);

    if (k == NULL || json_object_object_add(o, n->kids[i].pe, k) != 0) {
      json_object_put(k);
      goto fail;
    }
  }
  return o;
fail:
  json_object_put(o);
  return NULL;
}

struct json_object *cp_fieldset_to_json(const struct cp_fieldset *s) {
  return node_json(&s->root, 0);
}

/* A k: object with its keys sorted, as kube writes it; NULL when j is
 * not an object. */
static int key_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct json_object *sorted_key(struct json_object *j) {
  const char *names[64];
  struct json_object *o;
  size_t n = 0, i;

  if (!json_object_is_type(j, json_type_object) ||
      json_object_object_length(j) > 64)
    return NULL;
  json_object_object_foreach(j, k, v) {
    (void)v;
    names[n++] = k;
  }
  if (n > 1)
    qsort(names, n, sizeof *names, key_cmp);
  if ((o = json_object_new_object()) == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    json_object_object_add(o, names[i],
                           json_object_get(json_object_object_get(j, names[i])));
  return o;
}

struct decode {
  size_t nodes;
  const char *err;
};

static int decode_node(struct cp_fs_node *n, struct json_object *j, int depth,
                       struct decode *d);

static int decode_child(struct cp_fs_node *n, const char *k,
                        struct json_object *v, int depth, struct decode *d) {
  struct json_object *kv = NULL, *key;
  struct cp_fs_node *c = NULL;
  long idx = 0;
  char *end;

  if (strlen(k) < 2 || k[1] != ':') {
    d->err = "unknown path element type";
    return -1;
  }
  switch (k[0]) {
  case 'f':
    c = cp_fs_child(n, CP_PE_FIELD, k + 2, NULL, 0, 1);
    break;
  case 'i':
    errno = 0;
    idx = strtol(k + 2, &end, 10);
    if (errno != 0 || end == k + 2 || *end != '\0' || idx < 0) {
      d->err = "invalid index in path element";
      return -1;
    }
    c = cp_fs_child(n, CP_PE_INDEX, NULL, NULL, idx, 1);
    break;
  case 'k':
  case 'v':
    kv = json_tokener_parse(k + 2);
    if (kv == NULL && strcmp(k + 2, "null") != 0) {
      d->err = "invalid JSON in path element";
      return -1;
    }
    if (k[0] == 'k') {
      key = sorted_key(kv);
      json_object_put(kv);
      if (key == NULL) {
        d->err = "a key path element must be a JSON object";
        return -1;
      }
      kv = key;
    }
    c = cp_fs_child(n, k[0] == 'k' ? CP_PE_KEY : CP_PE_VALUE, NULL, kv, 0, 1);
    json_object_put(kv);
    break;
  default:
    d->err = "unknown path element type";
    return -1;
  }
  if (c == NULL) {
    d->err = "out of memory";
    return -1;
  }
  if (decode_node(c, v, depth + 1, d) < 0)
    return -1;
  /* A child with no children of its own is a leaf: a member. */
  if (c->n == 0)
    c->member = 1;
  return 0;
}

static int decode_node(struct cp_fs_node *n, struct json_object *j, int depth,
                       struct decode *d) {
  if (!json_object_is_type(j, json_type_object)) {
    d->err = "fieldsV1 must be a JSON object";
    return -1;
  }
  if (depth > CP_FIELDSET_MAX_DEPTH) {
    d->err = "fieldsV1 nests too deep";
    return -1;
  }
  json_object_object_foreach(j, k, v) {
    if (++d->nodes > CP_FIELDSET_MAX_NODES) {
      d->err = "fieldsV1 has too many fields";
      return -1;
    }
    if (strcmp(k, ".") == 0) {
      if (!json_object_is_type(v, json_type_object) ||
          json_object_object_length(v) != 0) {
        d->err = "\".\" must be an empty object";
        return -1;
      }
      n->member = depth > 0;
      continue;
    }
    if (decode_child(n, k, v, depth, d) < 0)
      return -1;
  }
  return 0;
}

struct cp_fieldset *cp_fieldset_from_json(struct json_object *j,
                                          const char **err) {
  struct cp_fieldset *s = cp_fieldset_new();
  struct decode d = {0, NULL};

  if (s == NULL) {
    *err = "out of memory";
    return NULL;
  }
  if (decode_node(&s->root, j, 0, &d) < 0) {
    *err = d.err;
    cp_fieldset_free(s);
    return NULL;
  }
  return s;
}

/* ------------------------------------------------------------ paths */

static void pe_string(struct cp_json_buf *b, const struct cp_fs_node *n) {
  const char *js;
  int first = 1;

  switch (n->kind) {
  case CP_PE_FIELD:
    cp_json_buf_puts(b, ".");
    cp_json_buf_puts(b, n->pe + 2);
    return;
  case CP_PE_INDEX:
    cp_json_buf_puts(b, "[");
    cp_json_buf_puts(b, n->pe + 2);
    cp_json_buf_puts(b, "]");
    return;
  case CP_PE_VALUE:
    cp_json_buf_puts(b, "[=");
    cp_json_buf_puts(b, n->pe + 2);
    cp_json_buf_puts(b, "]");
    return;
  case CP_PE_KEY:
    cp_json_buf_puts(b, "[");
    json_object_object_foreach(n->kv, k, v) {
      cp_json_buf_puts(b, first ? "" : ",");
      cp_json_buf_puts(b, k);
      cp_json_buf_puts(b, "=");
      js = json_object_to_json_string_ext(
          v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
      cp_json_buf_puts(b, js);
      first = 0;
    }
    cp_json_buf_puts(b, "]");
  }
}

struct each {
  struct cp_json_buf b;
  int (*fn)(const char *, void *);
  void *arg;
};

static int node_each(const struct cp_fs_node *n, struct each *e) {
  size_t i, mark = e->b.len;
  int rc;

  for (i = 0; i < n->n; i++) {
    const struct cp_fs_node *k = &n->kids[i];

    e->b.len = mark;
    pe_string(&e->b, k);
    if (e->b.nomem)
      return -1;
    if (k->member) {
      cp_json_buf_puts(&e->b, ""); /* NUL-terminates */
      if ((rc = e->fn(e->b.data, e->arg)) != 0)
        return rc;
    }
    if ((rc = node_each(k, e)) != 0)
      return rc;
  }
  e->b.len = mark;
  return 0;
}

int cp_fieldset_each(const struct cp_fieldset *s,
                     int (*fn)(const char *path, void *arg), void *arg) {
  struct each e = {CP_JSON_BUF_INIT, fn, arg};
  int rc;

  cp_json_buf_puts(&e.b, "");
  rc = e.b.nomem ? -1 : node_each(&s->root, &e);
  cp_json_buf_reset(&e.b);
  return rc;
}
