/*
 * cache - the table's cache entries: the plugin's view of the store as
 * its watches have delivered it (selectors honoured), the built-in
 * "namespace" and "owner-uid" indexes, path and function indexes
 * (evaluated when queried), and the enqueue_owner mappings.
 *
 * Threading: entries are read under the host's mutex and retained; index
 * functions and selectors run on the retained snapshots without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"
#include "object/object.h"

/* ---- the table's cache entries ---- */

static struct cplane_test_host *host_of(cplane_plugin_ctx *ctx,
                                        uint32_t resource) {
  struct cplane_test_host *h = ctx != NULL ? ctx->host : NULL;

  if (h == NULL || h->plugin == NULL || resource >= h->plugin->n_resources)
    return NULL;
  return h;
}

/* 1 when obj is in ns (NULL: any). */
static int in_namespace(const cplane_object *obj, const char *ns) {
  const char *ons = cp_object_namespace(obj);

  if (ns == NULL)
    return 1;
  return strcmp(ons != NULL ? ons : "", ns) == 0;
}

/* The cached objects watch w sees in ns, retained, into *out. */
static int cached_objects(struct cplane_test_host *h, uint32_t w,
                          const char *ns, const cplane_object ***out,
                          size_t *n_out) {
  struct kit_resource *r;
  const cplane_object **objs;
  size_t i, n = 0;

  pthread_mutex_lock(&h->mu);
  r = &h->res[h->watches[w].store_res];
  objs = calloc(r->n + 1, sizeof *objs);
  for (i = 0; objs != NULL && i < r->n; i++) {
    const cplane_object *o = r->entries[i].cached;

    if (o != NULL && in_namespace(o, ns) &&
        kit_labels_match(o, h->watches[w].label_selector) == 1)
      objs[n++] = cp_object_retain(o);
  }
  pthread_mutex_unlock(&h->mu);
  *out = objs;
  *n_out = n;
  return objs != NULL ? CPLANE_OK : CPLANE_ENOMEM;
}

static int kit_cache_get(cplane_plugin_ctx *ctx, uint32_t resource,
                         const char *key, const cplane_object **out) {
  struct cplane_test_host *h = host_of(ctx, resource);
  struct kit_entry *e;
  int rc = CPLANE_ENOENT;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (h == NULL || key == NULL)
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  e = kit_entry_find(&h->res[h->watches[resource].store_res], key);
  if (e != NULL && e->cached != NULL &&
      kit_labels_match(e->cached, h->watches[resource].label_selector) == 1) {
    *out = cp_object_retain(e->cached);
    rc = CPLANE_OK;
  }
  pthread_mutex_unlock(&h->mu);
  return rc;
}

/* Keeps the objects for which keep() says 1; frees the rest. */
static int filter_to_list(const cplane_object **objs, size_t n,
                          int (*keep)(const cplane_object *, const void *),
                          const void *arg, const char *label_selector,
                          cplane_object_list **out) {
  size_t i, kept = 0;

  for (i = 0; i < n; i++) {
    int m = kit_labels_match(objs[i], label_selector);

    if (m == 1 && (keep == NULL || keep(objs[i], arg)))
      objs[kept++] = objs[i];
    else
      cp_object_release(objs[i]);
  }
  *out = kit_list_new(objs, kept);
  return *out != NULL ? CPLANE_OK : CPLANE_ENOMEM;
}

static int kit_cache_list(cplane_plugin_ctx *ctx, uint32_t resource,
                          const char *ns, const char *label_selector,
                          cplane_object_list **out) {
  struct cplane_test_host *h = host_of(ctx, resource);
  const cplane_object **objs = NULL;
  size_t n = 0;
  int rc;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (h == NULL || !kit_selector_valid(label_selector))
    return CPLANE_EINVAL;
  if ((rc = cached_objects(h, resource, ns, &objs, &n)) != CPLANE_OK)
    return rc;
  return filter_to_list(objs, n, NULL, NULL, label_selector, out);
}

/* An index query: the name, the value, and the index's definition. */
struct index_query {
  const char *name, *value;
  const struct kit_index *idx; /* NULL for a built-in */
};

static void emit_match(void *emit_ctx, const char *value) {
  struct index_query *q = emit_ctx;

  if (value != NULL && strcmp(value, q->value) == 0)
    q->name = NULL; /* matched */
}

struct foreach_match {
  const char *value;
  int found;
};

static int element_matches(void *ud, const char *key, const char *str) {
  struct foreach_match *m = ud;

  (void)key;
  if (str != NULL && strcmp(str, m->value) == 0)
    m->found = 1;
  return m->found;
}

static int owner_uid_matches(const cplane_object *obj, const char *uid) {
  int n = cp_object_len(obj, "metadata.ownerReferences"), k;
  char path[64];

  for (k = 0; k < n; k++) {
    const char *u;

    snprintf(path, sizeof path, "metadata.ownerReferences[%d].uid", k);
    u = cp_object_string(obj, path);
    if (u != NULL && strcmp(u, uid) == 0)
      return 1;
  }
  return 0;
}

static int index_keep(const cplane_object *obj, const void *arg) {
  const struct index_query *q = arg;
  const char *s;

  if (q->idx == NULL && strcmp(q->name, "namespace") == 0)
    return in_namespace(obj, q->value);
  if (q->idx == NULL)
    return owner_uid_matches(obj, q->value);
  if (q->idx->fn != NULL) {
    struct index_query m = *q;

    q->idx->fn(q->idx->userdata, obj, emit_match, &m);
    return m.name == NULL;
  }
  if ((s = cp_object_string(obj, q->idx->path)) != NULL)
    return strcmp(s, q->value) == 0;
  if (cp_object_type(obj, q->idx->path) == CPLANE_TYPE_ARRAY) {
    struct foreach_match m = {q->value, 0};

    cp_object_foreach(obj, q->idx->path, element_matches, &m);
    return m.found;
  }
  return 0;
}

static int kit_cache_list_by_index(cplane_plugin_ctx *ctx, uint32_t resource,
                                   const char *index_name, const char *value,
                                   const char *label_selector,
                                   cplane_object_list **out) {
  struct cplane_test_host *h = host_of(ctx, resource);
  struct index_query q = {index_name, value, NULL};
  const cplane_object **objs = NULL;
  size_t n = 0, i;
  int rc;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (h == NULL || index_name == NULL || value == NULL ||
      !kit_selector_valid(label_selector))
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_indexes; i++)
    if (h->indexes[i].resource == resource &&
        strcmp(h->indexes[i].name, index_name) == 0)
      q.idx = &h->indexes[i];
  pthread_mutex_unlock(&h->mu);
  if (q.idx == NULL && strcmp(index_name, "namespace") != 0 &&
      strcmp(index_name, "owner-uid") != 0)
    return CPLANE_ENOENT;
  if ((rc = cached_objects(h, resource, NULL, &objs, &n)) != CPLANE_OK)
    return rc;
  return filter_to_list(objs, n, index_keep, &q, label_selector, out);
}

/* Adds an index definition; path or fn. */
static int add_index(cplane_plugin_ctx *ctx, uint32_t resource,
                     const char *name, const char *path, cplane_index_fn fn,
                     void *userdata) {
  struct cplane_test_host *h = host_of(ctx, resource);
  struct kit_index *grown, *x;
  size_t i;
  int rc = CPLANE_OK;

  if (h == NULL || name == NULL || name[0] == '\0' ||
      (path == NULL && fn == NULL) || (path != NULL && path[0] == '\0') ||
      strcmp(name, "namespace") == 0 || strcmp(name, "owner-uid") == 0)
    return CPLANE_EINVAL;
  if (!h->in_init)
    kit_log(h, "KIT", "cache index '%s' declared outside init()", name);
  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_indexes; i++)
    if (h->indexes[i].resource == resource &&
        strcmp(h->indexes[i].name, name) == 0)
      goto out; /* declared twice: the first one stands, as the host's */
  grown = realloc(h->indexes, (h->n_indexes + 1) * sizeof *grown);
  if (grown == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  h->indexes = grown;
  x = &h->indexes[h->n_indexes];
  *x = (struct kit_index){resource, strdup(name),
                          path != NULL ? strdup(path) : NULL, fn, userdata};
  if (x->name == NULL || (path != NULL && x->path == NULL)) {
    free(x->name);
    free(x->path);
    rc = CPLANE_ENOMEM;
    goto out;
  }
  h->n_indexes++;
out:
  pthread_mutex_unlock(&h->mu);
  return rc;
}

static int kit_cache_add_index(cplane_plugin_ctx *ctx, uint32_t resource,
                               const char *index_name, const char *path) {
  if (path == NULL)
    return CPLANE_EINVAL;
  return add_index(ctx, resource, index_name, path, NULL, NULL);
}

static int kit_cache_add_index_fn(cplane_plugin_ctx *ctx, uint32_t resource,
                                  const char *index_name, cplane_index_fn fn,
                                  void *userdata) {
  if (fn == NULL)
    return CPLANE_EINVAL;
  return add_index(ctx, resource, index_name, NULL, fn, userdata);
}

static int kit_cache_has_synced(cplane_plugin_ctx *ctx, uint32_t resource) {
  struct cplane_test_host *h = host_of(ctx, resource);

  return h != NULL;
}

static int kit_enqueue_owner(cplane_plugin_ctx *ctx, uint32_t resource,
                             const char *owner_group, const char *owner_kind,
                             uint32_t flags) {
  struct cplane_test_host *h = host_of(ctx, resource);
  int rc;

  if (h == NULL)
    return CPLANE_EINVAL;
  /* The host's rules and checks, so a test sees what the host does. */
  pthread_mutex_lock(&h->mu);
  rc = cp_owner_map_add(&h->owners, resource, owner_group, owner_kind, flags);
  pthread_mutex_unlock(&h->mu);
  return rc;
}

void kit_cache_fill(struct cplane_host_api *api) {
  api->cache_add_index = kit_cache_add_index;
  api->cache_get = kit_cache_get;
  api->cache_list = kit_cache_list;
  api->cache_list_by_index = kit_cache_list_by_index;
  api->cache_has_synced = kit_cache_has_synced;
  api->cache_add_index_fn = kit_cache_add_index_fn;
  api->enqueue_owner = kit_enqueue_owner;
}

void kit_cache_free(struct cplane_test_host *h) {
  size_t i;

  for (i = 0; i < h->n_indexes; i++) {
    free(h->indexes[i].name);
    free(h->indexes[i].path);
  }
  free(h->indexes);
  cp_owner_map_clear(&h->owners);
}
