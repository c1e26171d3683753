/*
 * index.c - see index.h.
 */
#include "informer/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/version.h>

/* Called once per value of an object; nonzero stops the walk. */
typedef int (*value_fn)(void *userdata, const char *value);

struct walk {
  value_fn fn;
  void *userdata;
  int stopped;
};

const char *cp_index_obj_key(const void *obj) {
  return cp_object_key(obj);
}

static const char *bucket_key(const void *b) {
  return ((const struct cp_index_bucket *)b)->value;
}

static int array_member(void *userdata, const char *key, const char *str) {
  struct walk *w = userdata;

  (void)key;
  if (str == NULL)
    return 0;
  w->stopped = w->fn(w->userdata, str);
  return w->stopped;
}

static void owner_uids(const cplane_object *obj, struct walk *w) {
  int n = cp_object_len(obj, "metadata.ownerReferences"), i;
  char path[64];

  for (i = 0; i < n && !w->stopped; i++) {
    const char *uid;

    snprintf(path, sizeof path, "metadata.ownerReferences[%d].uid", i);
    uid = cp_object_string(obj, path);
    if (uid != NULL)
      w->stopped = w->fn(w->userdata, uid);
  }
}

/* ---- CP_INDEX_FN: the values a plugin's function gave, per snapshot ---- */

struct fn_record {
  const cplane_object *obj;
  size_t n;                           /* values, back to back below */
  char key[2 + 2 * sizeof(void *) + 1]; /* obj's address: the table key */
  char values[];
};

/* What the plugin emitted so far for one object. */
struct fn_collect {
  char *buf;
  size_t len, cap, n;
  int nomem;
};

static const char *record_key(const void *r) {
  return ((const struct fn_record *)r)->key;
}

static void address_key(const cplane_object *obj, char *key, size_t size) {
  snprintf(key, size, "%p", (const void *)obj);
}

/* emit() for the plugin: copies value unless it is a repeat, too long or
 * one too many (a plugin must not make the host grow without bound). */
static void fn_emit(void *emit_ctx, const char *value) {
  struct fn_collect *c = emit_ctx;
  size_t len, i;
  const char *v;

  if (value == NULL || c->nomem || c->n >= CP_INDEX_FN_MAX_VALUES)
    return;
  len = strnlen(value, CP_INDEX_FN_MAX_VALUE + 1);
  if (len > CP_INDEX_FN_MAX_VALUE)
    return;
  for (i = 0, v = c->buf; i < c->n; i++, v += strlen(v) + 1)
    if (strcmp(v, value) == 0)
      return;
  if (c->len + len + 1 > c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 256;
    char *grown;

    while (cap < c->len + len + 1)
      cap *= 2;
    if ((grown = realloc(c->buf, cap)) == NULL) {
      c->nomem = 1;
      return;
    }
    c->buf = grown;
    c->cap = cap;
  }
  memcpy(c->buf + c->len, value, len + 1);
  c->len += len + 1;
  c->n++;
}

static struct fn_record *record_find(const struct cp_index *ix,
                                     const cplane_object *obj) {
  char key[sizeof ((struct fn_record *)0)->key];

  address_key(obj, key, sizeof key);
  return cp_ptab_get(&ix->records, record_key, key, cp_ptab_hash(key));
}

/* Runs the plugin's function once for obj and keeps what it emitted.
 * Returns 0 or CPLANE_ENOMEM. */
static int record_make(struct cp_index *ix, const cplane_object *obj,
                       size_t *acct) {
  struct fn_collect c = {NULL, 0, 0, 0, 0};
  struct fn_record *r;

  if (record_find(ix, obj) != NULL)
    return 0;
  ix->fn(ix->fn_userdata, obj, fn_emit, &c);
  if (c.nomem || cp_ptab_reserve(&ix->records, 1, acct) != 0 ||
      (r = malloc(sizeof *r + c.len)) == NULL) {
    free(c.buf);
    return CPLANE_ENOMEM;
  }
  r->obj = obj;
  r->n = c.n;
  address_key(obj, r->key, sizeof r->key);
  if (c.len > 0)
    memcpy(r->values, c.buf, c.len);
  free(c.buf);
  if (acct != NULL)
    *acct += cp_ptab_alloc_size(r);
  cp_ptab_put(&ix->records, record_key, r, cp_ptab_hash(r->key));
  return 0;
}

static void record_drop(struct cp_index *ix, const cplane_object *obj,
                        size_t *acct) {
  struct fn_record *r = record_find(ix, obj);

  if (r == NULL)
    return;
  cp_ptab_del(&ix->records, record_key, r->key, cp_ptab_hash(r->key), r,
              acct);
  if (acct != NULL)
    *acct -= cp_ptab_alloc_size(r);
  free(r);
}

static void record_values(const struct cp_index *ix, const cplane_object *obj,
                          struct walk *w) {
  const struct fn_record *r = record_find(ix, obj);
  const char *v;
  size_t i;

  if (r == NULL)
    return;
  for (i = 0, v = r->values; i < r->n && !w->stopped; i++, v += strlen(v) + 1)
    w->stopped = w->fn(w->userdata, v);
}

/* Calls fn for each value obj has in ix (a value may repeat). Returns
 * nonzero when fn stopped the walk. */
static int for_each_value(const struct cp_index *ix, const cplane_object *obj,
                          value_fn fn, void *userdata) {
  struct walk w = {fn, userdata, 0};
  const char *s;

  switch (ix->kind) {
  case CP_INDEX_NAMESPACE:
    s = cp_object_namespace(obj);
    w.stopped = fn(userdata, s != NULL ? s : "");
    break;
  case CP_INDEX_OWNER_UID:
    owner_uids(obj, &w);
    break;
  case CP_INDEX_PATH:
    switch (cp_object_type(obj, ix->path)) {
    case CPLANE_TYPE_STRING:
      w.stopped = fn(userdata, cp_object_string(obj, ix->path));
      break;
    case CPLANE_TYPE_ARRAY:
      cp_object_foreach(obj, ix->path, array_member, &w);
      break;
    default:
      break;
    }
    break;
  case CP_INDEX_FN:
    record_values(ix, obj, &w);
    break;
  }
  return w.stopped;
}

int cp_index_path_valid(const char *path) {
  const char *p = path;
  int need_name = 1; /* at the start or just after a '.' */

  if (path == NULL || *path == '\0')
    return 0;
  while (*p != '\0') {
    if (*p == '.') {
      if (need_name)
        return 0;
      need_name = 1;
      p++;
    } else if (*p == '[') {
      if (need_name || p[1] < '0' || p[1] > '9')
        return 0;
      for (p++; *p >= '0' && *p <= '9'; p++)
        ;
      if (*p++ != ']')
        return 0;
      if (*p != '\0' && *p != '.' && *p != '[')
        return 0;
      need_name = 0;
    } else if (*p == ']') {
      return 0;
    } else {
      if (*p == '\\' && p[1] != '.' && p[1] != '[' && p[1] != '\\')
        return 0;
      p += *p == '\\' ? 2 : 1;
      need_name = 0;
    }
  }
  return !need_name;
}

struct cp_index *cp_index_new(const char *name, enum cp_index_kind kind,
                              const char *path, size_t *acct) {
  struct cp_index *ix = calloc(1, sizeof *ix);

  if (ix == NULL)
    return NULL;
  ix->kind = kind;
  ix->name = strdup(name);
  ix->path = path != NULL ? strdup(path) : NULL;
  if (ix->name == NULL || (path != NULL && ix->path == NULL)) {
    free(ix->name);
    free(ix->path);
    free(ix);
    return NULL;
  }
  if (acct != NULL)
    *acct += cp_ptab_alloc_size(ix) + cp_ptab_alloc_size(ix->name) +
             cp_ptab_alloc_size(ix->path);
  return ix;
}

struct cp_index *cp_index_new_fn(const char *name, cplane_index_fn fn,
                                 void *userdata, size_t *acct) {
  struct cp_index *ix;

  if (fn == NULL)
    return NULL;
  ix = cp_index_new(name, CP_INDEX_FN, NULL, acct);
  if (ix == NULL)
    return NULL;
  ix->fn = fn;
  ix->fn_userdata = userdata;
  return ix;
}

static void bucket_free(struct cp_index_bucket *b, size_t *acct) {
  cp_ptab_free(&b->objs, acct);
  if (acct != NULL)
    *acct -= cp_ptab_alloc_size(b);
  free(b);
}

void cp_index_free(struct cp_index *ix, size_t *acct) {
  uint32_t i;

  if (ix == NULL)
    return;
  for (i = 0; i < ix->buckets.cap; i++)
    if (ix->buckets.items[i] != NULL)
      bucket_free(ix->buckets.items[i], acct);
  cp_ptab_free(&ix->buckets, acct);
  for (i = 0; i < ix->records.cap; i++) {
    if (ix->records.items[i] == NULL)
      continue;
    if (acct != NULL)
      *acct -= cp_ptab_alloc_size(ix->records.items[i]);
    free(ix->records.items[i]);
  }
  cp_ptab_free(&ix->records, acct);
  if (acct != NULL)
    *acct -= cp_ptab_alloc_size(ix) + cp_ptab_alloc_size(ix->name) +
             cp_ptab_alloc_size(ix->path);
  free(ix->name);
  free(ix->path);
  free(ix);
}

const struct cp_index_bucket *cp_index_find(const struct cp_index *ix,
                                            const char *value) {
  return cp_ptab_get(&ix->buckets, bucket_key, value, cp_ptab_hash(value));
}

struct change {
  struct cp_index *ix;
  const cplane_object *obj;
  uint32_t obj_hash;
  size_t *acct;
  int err;
};

/* Finds or makes the bucket for value; NULL when out of memory. */
static struct cp_index_bucket *bucket_get(struct change *c,
                                          const char *value) {
  uint32_t hash = cp_ptab_hash(value);
  size_t len = strlen(value);
  struct cp_index_bucket *b;

  b = cp_ptab_get(&c->ix->buckets, bucket_key, value, hash);
  if (b != NULL)
    return b;
  if (cp_ptab_reserve(&c->ix->buckets, 1, c->acct) != 0)
    return NULL;
  b = calloc(1, sizeof *b + len + 1);
  if (b == NULL)
    return NULL;
  memcpy(b->value, value, len + 1);
  if (c->acct != NULL)
    *c->acct += cp_ptab_alloc_size(b);
  cp_ptab_put(&c->ix->buckets, bucket_key, b, hash);
  return b;
}

static int prepare_value(void *userdata, const char *value) {
  struct change *c = userdata;
  struct cp_index_bucket *b = bucket_get(c, value);

  if (b == NULL || cp_ptab_reserve(&b->objs, 1, c->acct) != 0) {
    c->err = CPLANE_ENOMEM;
    return 1;
  }
  return 0;
}

static void drop_bucket(struct change *c, struct cp_index_bucket *b) {
  cp_ptab_del(&c->ix->buckets, bucket_key, b->value, cp_ptab_hash(b->value),
              b, c->acct);
  bucket_free(b, c->acct);
}

static int sweep_value(void *userdata, const char *value) {
  struct change *c = userdata;
  struct cp_index_bucket *b;

  b = cp_ptab_get(&c->ix->buckets, bucket_key, value, cp_ptab_hash(value));
  if (b != NULL && b->objs.len == 0)
    drop_bucket(c, b);
  return 0;
}

static int insert_value(void *userdata, const char *value) {
  struct change *c = userdata;
  struct cp_index_bucket *b;

  b = cp_ptab_get(&c->ix->buckets, bucket_key, value, cp_ptab_hash(value));
  /* Prepared just before, so always there with room. */
  if (b != NULL)
    cp_ptab_put(&b->objs, cp_index_obj_key, (void *)c->obj, c->obj_hash);
  return 0;
}

static int remove_value(void *userdata, const char *value) {
  struct change *c = userdata;
  struct cp_index_bucket *b;

  b = cp_ptab_get(&c->ix->buckets, bucket_key, value, cp_ptab_hash(value));
  if (b == NULL)
    return 0;
  cp_ptab_del(&b->objs, cp_index_obj_key, cp_object_key(c->obj), c->obj_hash,
              c->obj, c->acct);
  if (b->objs.len == 0)
    drop_bucket(c, b);
  return 0;
}

static void change_init(struct change *c, struct cp_index *ix,
                        const cplane_object *obj, size_t *acct) {
  c->ix = ix;
  c->obj = obj;
  c->obj_hash = cp_ptab_hash(cp_object_key(obj));
  c->acct = acct;
  c->err = 0;
}

int cp_index_prepare(struct cp_index *ix, const cplane_object *obj,
                     size_t *acct) {
  struct change c;

  if (ix->kind == CP_INDEX_FN && record_make(ix, obj, acct) != 0)
    return CPLANE_ENOMEM;
  change_init(&c, ix, obj, acct);
  for_each_value(ix, obj, prepare_value, &c);
  if (c.err != 0) {
    for_each_value(ix, obj, sweep_value, &c);
    if (ix->kind == CP_INDEX_FN)
      record_drop(ix, obj, acct);
  }
  return c.err;
}

void cp_index_sweep(struct cp_index *ix, const cplane_object *obj,
                    size_t *acct) {
  struct change c;

  change_init(&c, ix, obj, acct);
  for_each_value(ix, obj, sweep_value, &c);
  if (ix->kind == CP_INDEX_FN)
    record_drop(ix, obj, acct);
}

void cp_index_insert(struct cp_index *ix, const cplane_object *obj) {
  struct change c;

  change_init(&c, ix, obj, NULL);
  for_each_value(ix, obj, insert_value, &c);
}

void cp_index_remove(struct cp_index *ix, const cplane_object *obj,
                     size_t *acct) {
  struct change c;

  change_init(&c, ix, obj, acct);
  for_each_value(ix, obj, remove_value, &c);
  if (ix->kind == CP_INDEX_FN)
    record_drop(ix, obj, acct);
}
