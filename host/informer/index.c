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

  change_init(&c, ix, obj, acct);
  for_each_value(ix, obj, prepare_value, &c);
  if (c.err != 0)
    for_each_value(ix, obj, sweep_value, &c);
  return c.err;
}

void cp_index_sweep(struct cp_index *ix, const cplane_object *obj,
                    size_t *acct) {
  struct change c;

  change_init(&c, ix, obj, acct);
  for_each_value(ix, obj, sweep_value, &c);
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
}
