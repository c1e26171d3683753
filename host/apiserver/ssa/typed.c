/*
 * typed - objects through their schema, as smd's typed package (see
 * typed.h).
 */
#include "apiserver/ssa/typed.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/schema.h"
#include "apiserver/ssa/fieldset.h"

/* ------------------------------------------------------------ shapes */

enum shape {
  SH_LEAF,     /* scalars, atomic lists and maps */
  SH_STRUCT,   /* declared properties */
  SH_MAP,      /* granular map: entries are members */
  SH_LIST_SET, /* items by value */
  SH_LIST_MAP  /* items by key */
};

/* Deeper than this is one leaf: bounds the recursion on any input. */
#define MAX_DEPTH 96

static enum shape shape_of(const struct cp_schema *s, json_object *v) {
  const char *t;
  size_t nk = 0;

  if (json_object_is_type(v, json_type_object)) {
    if (s == NULL)
      return SH_MAP; /* deduced */
    t = cp_schema_map_type(s);
    if (t != NULL && strcmp(t, "atomic") == 0)
      return SH_LEAF;
    return cp_schema_is_struct(s) ? SH_STRUCT : SH_MAP;
  }
  if (!json_object_is_type(v, json_type_array) || s == NULL)
    return SH_LEAF;
  t = cp_schema_list_type(s);
  if (t != NULL) {
    if (strcmp(t, "set") == 0)
      return SH_LIST_SET;
    cp_schema_list_map_keys(s, &nk);
    return strcmp(t, "map") == 0 && nk > 0 ? SH_LIST_MAP : SH_LEAF;
  }
  if (cp_schema_patch_merge_key(s) != NULL)
    return SH_LIST_MAP;
  t = cp_schema_patch_strategy(s);
  return t != NULL && strstr(t, "merge") != NULL ? SH_LIST_SET : SH_LEAF;
}

/* The schema of field k of a node of schema s (depth 0: the object). */
static const struct cp_schema *field_schema(const struct cp_schema *s,
                                            const char *k, int depth) {
  if (depth == 0 && strcmp(k, "metadata") == 0)
    return cp_schema_object_meta();
  return s != NULL ? cp_schema_property(s, k) : NULL;
}

static int key_name_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The path element of item (at index i) of a list of shape sh: its keys
 * (a new object in *kv, keys sorted), its value (borrowed in *kv), or
 * its index when it has no key. Returns the kind; -1 when out of
 * memory. */
static int item_element(const struct cp_schema *s, enum shape sh,
                        json_object *item, size_t i, json_object **kv,
                        long *idx, int *owned) {
  const char *keys[16], *mk;
  const char *const *mks;
  const struct cp_schema *is = cp_schema_items(s);
  size_t n = 0, j;
  json_object *o;

  *kv = NULL;
  *owned = 0;
  *idx = (long)i;
  if (sh == SH_LIST_SET) {
    *kv = item;
    return CP_PE_VALUE;
  }
  mks = cp_schema_list_map_keys(s, &n);
  if (n == 0 && (mk = cp_schema_patch_merge_key(s)) != NULL) {
    keys[0] = mk;
    n = 1;
  } else {
    if (n > 16)
      n = 16;
    for (j = 0; j < n; j++)
      keys[j] = mks[j];
  }
  if (!json_object_is_type(item, json_type_object))
    return CP_PE_INDEX;
  if (n > 1)
    qsort(keys, n, sizeof *keys, key_name_cmp);
  if ((o = json_object_new_object()) == NULL)
    return -1;
  for (j = 0; j < n; j++) {
    json_object *v = NULL;

    if (!json_object_object_get_ex(item, keys[j], &v) || v == NULL)
      v = cp_schema_default_value(cp_schema_property(is, keys[j]));
    if (v != NULL)
      json_object_object_add(o, keys[j], json_object_get(v));
  }
  if (json_object_object_length(o) == 0) {
    json_object_put(o);
    return CP_PE_INDEX;
  }
  *kv = o;
  *owned = 1;
  return CP_PE_KEY;
}

/* The set node of item i of list l (made when create), or NULL. */
static struct cp_fs_node *item_node(const struct cp_schema *s, enum shape sh,
                                    json_object *item, size_t i,
                                    struct cp_fs_node *n, int create,
                                    int *nomem) {
  json_object *kv;
  long idx;
  int owned, kind = item_element(s, sh, item, i, &kv, &idx, &owned);
  struct cp_fs_node *c;

  if (kind < 0) {
    *nomem = 1;
    return NULL;
  }
  c = cp_fs_child(n, (enum cp_pe_kind)kind, NULL, kv, idx, create);
  if (c == NULL && create)
    *nomem = 1;
  if (owned)
    json_object_put(kv);
  return c;
}

/* ------------------------------------------------------------ fields */

static int fields_node(const struct cp_schema *s, json_object *v,
                       struct cp_fs_node *n, int depth);

static int fields_object(const struct cp_schema *s, enum shape sh,
                         json_object *v, struct cp_fs_node *n, int depth) {
  json_object_object_foreach(v, k, c) {
    struct cp_fs_node *kn = cp_fs_child(n, CP_PE_FIELD, k, NULL, 0, 1);
    const struct cp_schema *cs = field_schema(s, k, depth);

    if (kn == NULL || fields_node(cs, c, kn, depth + 1) < 0)
      return -1;
    /* smd: null values, empty maps and a map's own entries are
     * members besides what is under them. */
    if (depth == 0)
      continue;
    if (c == NULL || sh == SH_MAP ||
        (json_object_is_type(c, json_type_object) &&
         json_object_object_length(c) == 0) ||
        (sh == SH_STRUCT && !cp_schema_is_property(s, k)))
      kn->member = 1;
  }
  return 0;
}

static int fields_node(const struct cp_schema *s, json_object *v,
                       struct cp_fs_node *n, int depth) {
  enum shape sh = depth >= MAX_DEPTH ? SH_LEAF : shape_of(s, v);
  size_t i, len;
  int nomem = 0;

  switch (sh) {
  case SH_STRUCT:
  case SH_MAP:
    return fields_object(s, sh, v, n, depth);
  case SH_LIST_SET:
  case SH_LIST_MAP:
    len = json_object_array_length(v);
    for (i = 0; i < len; i++) {
      json_object *item = json_object_array_get_idx(v, i);
      struct cp_fs_node *c = item_node(s, sh, item, i, n, 1, &nomem);

      if (c == NULL)
        return -1;
      c->member = 1;
      if (sh == SH_LIST_MAP &&
          fields_node(cp_schema_items(s), item, c, depth + 1) < 0)
        return -1;
    }
    return 0;
  default:
    if (depth > 0)
      n->member = 1;
    return 0;
  }
}

int cp_ssa_fields_of(const struct cp_schema *s, json_object *o,
                     struct cp_fieldset *out) {
  return fields_node(s, o, &out->root, 0);
}

/* ------------------------------------------------------------ list index */

/* For two lists of one shape, where each item of one is in the other:
 * pos_in_other[i] is that position or -1. Items are matched by element
 * (keys, value or index); among duplicates the first counts. */
struct match {
  long *l_in_r, *r_in_l;
  size_t nl, nr;
};

static void match_clear(struct match *m) {
  free(m->l_in_r);
  free(m->r_in_l);
}

static void index_clear(struct cp_fs_node *n) {
  size_t i;

  for (i = 0; i < n->n; i++) {
    free(n->kids[i].pe);
    json_object_put(n->kids[i].kv);
  }
  free(n->kids);
}

/* Adds the items of l to idx (kid->idx = position, member = 1 once set);
 * with other, instead looks them up and fills pos. -1: out of memory. */
static int index_list(const struct cp_schema *s, enum shape sh, json_object *l,
                      size_t n, struct cp_fs_node *idx, long *pos,
                      int lookup) {
  size_t i;
  int nomem = 0;

  for (i = 0; i < n; i++) {
    struct cp_fs_node *k = item_node(s, sh, json_object_array_get_idx(l, i), i,
                                     idx, !lookup, &nomem);

    if (nomem)
      return -1;
    if (lookup) {
      pos[i] = k != NULL ? k->idx : -1;
      continue;
    }
    if (!k->member) {
      k->member = 1;
      k->idx = (long)i;
    }
  }
  return 0;
}

static int match_lists(const struct cp_schema *s, enum shape sh,
                       json_object *l, json_object *r, struct match *m) {
  struct cp_fs_node il = {0}, ir = {0};
  int rc = -1;

  m->nl = json_object_is_type(l, json_type_array) ? json_object_array_length(l)
                                                  : 0;
  m->nr = json_object_is_type(r, json_type_array) ? json_object_array_length(r)
                                                  : 0;
  m->l_in_r = calloc(m->nl + 1, sizeof *m->l_in_r);
  m->r_in_l = calloc(m->nr + 1, sizeof *m->r_in_l);
  if (m->l_in_r == NULL || m->r_in_l == NULL ||
      index_list(s, sh, l, m->nl, &il, NULL, 0) < 0 ||
      index_list(s, sh, r, m->nr, &ir, NULL, 0) < 0 ||
      index_list(s, sh, l, m->nl, &ir, m->l_in_r, 1) < 0 ||
      index_list(s, sh, r, m->nr, &il, m->r_in_l, 1) < 0)
    goto out;
  rc = 0;
out:
  index_clear(&il);
  index_clear(&ir);
  return rc;
}

/* 1 when item i of l is the first of its element (duplicates count
 * once): its match in the other list points back at it or nowhere. */
static int first_of(const struct match *m, size_t i, int left) {
  long o = left ? m->l_in_r[i] : m->r_in_l[i];

  if (o < 0)
    return 1; /* not in the other: seen once by the caller */
  return (left ? m->r_in_l[o] : m->l_in_r[o]) == (long)i;
}

/* ------------------------------------------------------------ compare */

/* The walk keeps the path it is at as a stack of elements and makes
 * nodes in changed or removed only for what it marks: most of an update
 * changes nothing, and nothing is allocated for it. */
struct pe_ref {
  enum cp_pe_kind kind;
  const char *name;
  json_object *kv;
  long idx;
};

struct cmp {
  int builtin;
  int nomem;
  struct cp_fs_node *changed, *removed;
  struct pe_ref path[MAX_DEPTH + 2];
  int depth;
};

/* Makes the current path a member of root (changed or removed). */
static void mark(struct cmp *c, struct cp_fs_node *root) {
  struct cp_fs_node *n = root;
  int i;

  if (c->depth == 0)
    return;
  for (i = 0; i < c->depth && n != NULL; i++)
    n = cp_fs_child(n, c->path[i].kind, c->path[i].name, c->path[i].kv,
                    c->path[i].idx, 1);
  if (n == NULL)
    c->nomem = 1;
  else
    n->member = 1;
}

static void compare_node(struct cmp *c, const struct cp_schema *s,
                         json_object *a, json_object *b, int item);

static void push(struct cmp *c, enum cp_pe_kind kind, const char *name,
                 json_object *kv, long idx) {
  struct pe_ref *p = &c->path[c->depth++];

  p->kind = kind;
  p->name = name;
  p->kv = kv;
  p->idx = idx;
}

/* A null value on either side is a leaf. */
static void compare_null(struct cmp *c, const char *k, int inb,
                         json_object *av, json_object *bv) {
  if (av == NULL && bv == NULL && inb)
    return;
  push(c, CP_PE_FIELD, k, NULL, 0);
  mark(c, inb ? c->changed : c->removed);
  c->depth--;
}

static void compare_field(struct cmp *c, const struct cp_schema *s,
                          const char *k, json_object *a, json_object *b) {
  push(c, CP_PE_FIELD, k, NULL, 0);
  compare_node(c, field_schema(s, k, c->depth - 1), a, b, 0);
  c->depth--;
}

static void compare_objects(struct cmp *c, const struct cp_schema *s,
                            json_object *a, json_object *b) {
  int ao = json_object_is_type(a, json_type_object),
      bo = json_object_is_type(b, json_type_object);

  if (ao) {
    json_object_object_foreach(a, k, av) {
      json_object *bv = NULL;
      int inb = bo && json_object_object_get_ex(b, k, &bv);

      if (av == NULL || (inb && bv == NULL))
        compare_null(c, k, inb, av, bv);
      else
        compare_field(c, s, k, av, inb ? bv : NULL);
    }
  }
  if (!bo)
    return;
  json_object_object_foreach(b, k, bv) {
    if (ao && json_object_object_get_ex(a, k, NULL))
      continue;
    if (bv == NULL)
      compare_null(c, k, 1, NULL, NULL);
    else
      compare_field(c, s, k, NULL, bv);
  }
}

static void compare_item(struct cmp *c, const struct cp_schema *s,
                         enum shape sh, json_object *item, size_t i,
                         json_object *a, json_object *b) {
  json_object *kv;
  long idx;
  int owned, kind = item_element(s, sh, item, i, &kv, &idx, &owned);

  if (kind < 0) {
    c->nomem = 1;
    return;
  }
  push(c, (enum cp_pe_kind)kind, NULL, kv, idx);
  compare_node(c, sh == SH_LIST_MAP ? cp_schema_items(s) : NULL, a, b, 1);
  c->depth--;
  if (owned)
    json_object_put(kv);
}

static void compare_lists(struct cmp *c, const struct cp_schema *s,
                          enum shape sh, json_object *a, json_object *b) {
  struct match m = {0};
  size_t i;

  if (match_lists(s, sh, a, b, &m) < 0) {
    c->nomem = 1;
    goto out;
  }
  for (i = 0; i < m.nl; i++) {
    json_object *ai = json_object_array_get_idx(a, i);

    if (!first_of(&m, i, 1))
      continue;
    compare_item(c, s, sh, ai, i, ai,
                 m.l_in_r[i] >= 0
                     ? json_object_array_get_idx(b, (size_t)m.l_in_r[i])
                     : NULL);
  }
  for (i = 0; i < m.nr; i++) {
    json_object *bi = json_object_array_get_idx(b, i);

    if (m.r_in_l[i] >= 0 || !first_of(&m, i, 0))
      continue;
    compare_item(c, s, sh, bi, i, NULL, bi);
  }
out:
  match_clear(&m);
}

static void compare_node(struct cmp *c, const struct cp_schema *s,
                         json_object *a, json_object *b, int item) {
  enum shape sh = c->depth >= MAX_DEPTH ? SH_LEAF : shape_of(s, b ? b : a);

  if (a != NULL && b != NULL && shape_of(s, a) != sh)
    sh = SH_LEAF; /* the value changed type: one change */
  switch (sh) {
  case SH_STRUCT:
  case SH_MAP:
    compare_objects(c, s, a, b);
    break;
  case SH_LIST_SET:
  case SH_LIST_MAP:
    compare_lists(c, s, sh, a, b);
    break;
  default:
    if (a != NULL && b != NULL) {
      if (!json_object_equal(a, b))
        mark(c, c->changed);
    } else {
      mark(c, a != NULL ? c->removed : c->changed);
    }
    return;
  }
  if (a == NULL && !(c->builtin && sh == SH_STRUCT && !item))
    mark(c, c->changed);
  else if (b == NULL)
    mark(c, c->removed);
}

int cp_ssa_compare(const struct cp_schema *s, int builtin, json_object *a,
                   json_object *b, struct cp_fieldset *changed,
                   struct cp_fieldset *removed) {
  struct cmp *c = calloc(1, sizeof *c);
  int rc;

  if (c == NULL)
    return -1;
  c->builtin = builtin;
  c->changed = &changed->root;
  c->removed = &removed->root;
  compare_node(c, s, a, b, 0);
  rc = c->nomem ? -1 : 0;
  free(c);
  return rc;
}

/* ------------------------------------------------------------ merge */

static json_object *merge_node(const struct cp_schema *s, json_object *live,
                               json_object *config, int depth);

static json_object *deep_copy(json_object *v) {
  json_object *out = NULL;

  if (v != NULL && json_object_deep_copy(v, &out, NULL) != 0)
    return NULL;
  return out;
}

static json_object *merge_objects(const struct cp_schema *s,
                                  json_object *live, json_object *config,
                                  int depth) {
  json_object *out = json_object_new_object(), *m;

  if (out == NULL)
    return NULL;
  /* live's keys in live's order, merged where config has them; then
   * config's new keys. */
  json_object_object_foreach(live, lk, lv) {
    json_object *cv = NULL;

    if (json_object_object_get_ex(config, lk, &cv))
      m = cv != NULL && lv != NULL
              ? merge_node(field_schema(s, lk, depth), lv, cv, depth + 1)
              : deep_copy(cv);
    else
      m = deep_copy(lv);
    if (m == NULL && (cv != NULL || lv != NULL) &&
        !(json_object_object_get_ex(config, lk, NULL) && cv == NULL))
      goto fail;
    json_object_object_add(out, lk, m);
  }
  json_object_object_foreach(config, ck, cv) {
    if (json_object_object_get_ex(live, ck, NULL))
      continue;
    if ((m = deep_copy(cv)) == NULL && cv != NULL)
      goto fail;
    json_object_object_add(out, ck, m);
  }
  return out;
fail:
  json_object_put(out);
  return NULL;
}

/* Items of both lists in the order smd's merge gives them: a walk of
 * both at once, live's own items where they were, config's items in
 * config's order, an item both have merged where config has it. */
struct list_walk {
  const struct match *m;
  char *merged_r;   /* config items already out */
  long *shared;     /* config positions of shared items, config order */
  size_t n_shared, next;
};

static void advance_shared(struct list_walk *w) {
  while (w->next < w->n_shared && w->merged_r[w->shared[w->next]])
    w->next++;
}

static int emit(json_object *out, json_object *v) {
  if (json_object_array_add(out, v) != 0) {
    json_object_put(v);
    return -1;
  }
  return 0;
}

static int walk_lists(const struct cp_schema *is, struct list_walk *w,
                      json_object *live, json_object *config,
                      json_object *out, int depth) {
  const struct match *m = w->m;
  size_t li = 0, rj = 0;

  while (li < m->nl || rj < m->nr) {
    long lr = li < m->nl ? m->l_in_r[li] : -1;

    if (li < m->nl && rj < m->nr) {
      if (lr == (long)rj) { /* the same item on both sides */
        w->merged_r[rj] = 1;
        if (emit(out, merge_node(is, json_object_array_get_idx(live, li),
                                 json_object_array_get_idx(config, rj),
                                 depth + 1)) < 0)
          return -1;
        li++;
        rj++;
        advance_shared(w);
        continue;
      }
      if (lr >= 0 && w->next < w->n_shared && w->shared[w->next] != lr) {
        li++; /* shared, but not the one due: merged at config's turn */
        continue;
      }
    }
    if (li < m->nl) {
      if (lr < 0) {
        if (emit(out, deep_copy(json_object_array_get_idx(live, li))) < 0)
          return -1;
        li++;
        continue;
      }
      if (w->merged_r[lr]) {
        li++;
        continue;
      }
    }
    if (rj < m->nr) {
      long rl = m->r_in_l[rj];

      w->merged_r[rj] = 1;
      if (emit(out, merge_node(is,
                               rl >= 0 ? json_object_array_get_idx(live,
                                                                   (size_t)rl)
                                       : NULL,
                               json_object_array_get_idx(config, rj),
                               depth + 1)) < 0)
        return -1;
      rj++;
      advance_shared(w);
    }
  }
  return 0;
}

static json_object *merge_lists(const struct cp_schema *s, enum shape sh,
                                json_object *live, json_object *config,
                                int depth) {
  json_object *out = json_object_new_array();
  const struct cp_schema *is = sh == SH_LIST_MAP ? cp_schema_items(s) : NULL;
  struct match mt = {0};
  struct list_walk w = {&mt, NULL, NULL, 0, 0};
  size_t j;

  if (out == NULL || match_lists(s, sh, live, config, &mt) < 0 ||
      (w.merged_r = calloc(mt.nr + 1, 1)) == NULL ||
      (w.shared = calloc(mt.nr + 1, sizeof *w.shared)) == NULL)
    goto fail;
  for (j = 0; j < mt.nr; j++)
    if (mt.r_in_l[j] >= 0)
      w.shared[w.n_shared++] = (long)j;
  if (walk_lists(is, &w, live, config, out, depth) < 0)
    goto fail;
  free(w.merged_r);
  free(w.shared);
  match_clear(&mt);
  return out;
fail:
  free(w.merged_r);
  free(w.shared);
  match_clear(&mt);
  json_object_put(out);
  return NULL;
}

static json_object *merge_node(const struct cp_schema *s, json_object *live,
                               json_object *config, int depth) {
  enum shape sh = depth >= MAX_DEPTH ? SH_LEAF : shape_of(s, config);

  if (live == NULL || config == NULL || shape_of(s, live) != sh)
    return deep_copy(config);
  switch (sh) {
  case SH_STRUCT:
  case SH_MAP:
    return merge_objects(s, live, config, depth);
  case SH_LIST_SET:
  case SH_LIST_MAP:
    return merge_lists(s, sh, live, config, depth);
  default:
    return deep_copy(config);
  }
}

json_object *cp_ssa_merge(const struct cp_schema *s, json_object *live,
                          json_object *config) {
  if (live == NULL)
    return deep_copy(config);
  return merge_node(s, live, config, 0);
}

/* ------------------------------------------------------------ remove */

static void remove_node(const struct cp_schema *s, json_object *v,
                        const struct cp_fs_node *rm,
                        const struct cp_fs_node *keep, int depth);

static int kept(const struct cp_fs_node *keep, const struct cp_fs_node *like,
                const struct cp_fs_node **out) {
  *out = keep != NULL ? cp_fs_child_like((struct cp_fs_node *)keep, like, 0)
                      : NULL;
  return *out != NULL;
}

static void remove_in_object(const struct cp_schema *s, json_object *v,
                             const struct cp_fs_node *rm,
                             const struct cp_fs_node *keep, int depth) {
  size_t i;

  for (i = 0; i < rm->n; i++) {
    const struct cp_fs_node *k = &rm->kids[i], *kk;
    const char *name = k->pe + 2;
    json_object *c = NULL;

    if (k->kind != CP_PE_FIELD || !json_object_object_get_ex(v, name, &c))
      continue;
    if (k->member && !kept(keep, k, &kk)) {
      json_object_object_del(v, name);
      continue;
    }
    kept(keep, k, &kk);
    if (c != NULL)
      remove_node(field_schema(s, name, depth), c, k, kk, depth + 1);
  }
}

static void remove_in_list(const struct cp_schema *s, enum shape sh,
                           json_object *v, const struct cp_fs_node *rm,
                           const struct cp_fs_node *keep, int depth) {
  size_t i = json_object_array_length(v);
  int nomem = 0;

  while (i-- > 0) {
    json_object *item = json_object_array_get_idx(v, i);
    const struct cp_fs_node *k, *kk;

    k = item_node(s, sh, item, i, (struct cp_fs_node *)rm, 0, &nomem);
    if (k == NULL)
      continue;
    if (k->member && !kept(keep, k, &kk)) {
      json_object_array_del_idx(v, i, 1);
      continue;
    }
    kept(keep, k, &kk);
    if (sh == SH_LIST_MAP && item != NULL)
      remove_node(cp_schema_items(s), item, k, kk, depth + 1);
  }
}

static void remove_node(const struct cp_schema *s, json_object *v,
                        const struct cp_fs_node *rm,
                        const struct cp_fs_node *keep, int depth) {
  enum shape sh = depth >= MAX_DEPTH ? SH_LEAF : shape_of(s, v);

  if (rm->n == 0)
    return;
  if (sh == SH_STRUCT || sh == SH_MAP)
    remove_in_object(s, v, rm, keep, depth);
  else if (sh == SH_LIST_SET || sh == SH_LIST_MAP)
    remove_in_list(s, sh, v, rm, keep, depth);
}

void cp_ssa_remove(const struct cp_schema *s, json_object *o,
                   const struct cp_fieldset *rm,
                   const struct cp_fieldset *keep) {
  remove_node(s, o, &rm->root, keep != NULL ? &keep->root : NULL, 0);
}
