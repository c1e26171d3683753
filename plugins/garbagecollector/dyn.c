/*
 * dyn - the kinds found through discovery and their last lists. See
 * dyn.h.
 */
#include "dyn.h"

#include <stdlib.h>
#include <string.h>

int gc_dyn_init(struct gc_dyntable *t) {
  t->v = calloc(GC_DYN_MAX, sizeof *t->v);
  atomic_store(&t->n, 0);
  if (t->v == NULL)
    return -1;
  pthread_mutex_init(&t->mu, NULL);
  return 0;
}

void gc_dyn_free(const struct cplane_host_api *api, struct gc_dyntable *t) {
  size_t i, n = atomic_load(&t->n);

  if (t->v == NULL)
    return;
  for (i = 0; i < n; i++) {
    api->list_free(t->v[i].objects);
    if (t->v[i].seen != NULL)
      cplane_sset_free(t->v[i].seen);
    free(t->v[i].seen);
  }
  free(t->v);
  t->v = NULL;
  pthread_mutex_destroy(&t->mu);
}

struct gc_dyntable *gc_dyn_of(const struct cplane_host_api *api,
                              cplane_plugin_ctx *ctx) {
  return ctx != NULL && api->get_userdata != NULL ? api->get_userdata(ctx)
                                                  : NULL;
}

int gc_dyn_add(struct gc_dyntable *t, const struct gc_found *f) {
  size_t i, n;
  int idx = -1;

  pthread_mutex_lock(&t->mu);
  n = atomic_load(&t->n);
  for (i = 0; i < n; i++)
    if (strcmp(t->v[i].f.group, f->group) == 0 &&
        strcmp(t->v[i].f.resource, f->resource) == 0) {
      /* Known: it keeps the version it was found with (entries never
       * change, so readers need no lock for them). */
      idx = GC_N_RES + (int)i;
      goto out;
    }
  if (n == GC_DYN_MAX)
    goto out;
  t->v[n].f = *f;
  t->v[n].res = (struct cplane_resource)CPLANE_RESOURCE(
      t->v[n].f.group, t->v[n].f.version, t->v[n].f.resource);
  atomic_store(&t->n, n + 1);
  idx = GC_N_RES + (int)n;
out:
  pthread_mutex_unlock(&t->mu);
  return idx;
}

uint32_t gc_res_count(struct gc_dyntable *t) {
  return GC_N_RES + (t != NULL ? (uint32_t)atomic_load(&t->n) : 0);
}

static struct gc_dyn *entry(struct gc_dyntable *t, uint32_t res) {
  if (t == NULL || res < GC_N_RES || res - GC_N_RES >= atomic_load(&t->n))
    return NULL;
  return &t->v[res - GC_N_RES];
}

const struct cplane_resource *gc_res(struct gc_dyntable *t, uint32_t res) {
  struct gc_dyn *e = entry(t, res);

  if (res < GC_N_RES)
    return &gc_resources[res];
  return e != NULL ? &e->res : NULL;
}

const char *gc_kind(struct gc_dyntable *t, uint32_t res) {
  struct gc_dyn *e = entry(t, res);

  if (res < GC_N_RES)
    return gc_kinds[res];
  return e != NULL ? e->f.kind : NULL;
}

int gc_res_namespaced(struct gc_dyntable *t, uint32_t res) {
  struct gc_dyn *e = entry(t, res);

  if (res < GC_N_RES)
    return strcmp(gc_resources[res].resource, "nodes") != 0 &&
           strcmp(gc_resources[res].resource, "customresourcedefinitions") != 0;
  return e != NULL && e->f.namespaced;
}

/* 1 when apiVersion ("GROUP/VERSION" or "VERSION") names group. */
static int same_group(const char *api_version, const char *group) {
  const char *slash = api_version != NULL ? strchr(api_version, '/') : NULL;

  if (api_version == NULL)
    return 1; /* refs written without one: the kind decides */
  if (slash == NULL)
    return group[0] == '\0';
  return strlen(group) == (size_t)(slash - api_version) &&
         strncmp(api_version, group, (size_t)(slash - api_version)) == 0;
}

int gc_res_of_ref(struct gc_dyntable *t, const char *api_version,
                  const char *kind) {
  int r = gc_kind_index(kind);
  size_t i, n;

  if (r >= 0 || kind == NULL || t == NULL)
    return r;
  n = atomic_load(&t->n);
  for (i = 0; i < n; i++)
    if (strcmp(t->v[i].f.kind, kind) == 0 &&
        same_group(api_version, t->v[i].f.group))
      return GC_N_RES + (int)i;
  return -1;
}

int gc_get(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
           struct gc_dyntable *t, uint32_t res, const char *key,
           const cplane_object **out) {
  struct gc_dyn *e;
  size_t i, n;
  int rc = CPLANE_ENOENT;

  *out = NULL;
  if (res < GC_N_RES)
    return api->cache_get(ctx, res, key, out);
  if ((e = entry(t, res)) == NULL)
    return CPLANE_ENOENT;
  pthread_mutex_lock(&t->mu);
  n = e->objects != NULL ? api->list_len(e->objects) : 0;
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(e->objects, i);

    if (strcmp(api->object_key(o), key) == 0) {
      *out = api->object_retain(o);
      rc = CPLANE_OK;
      break;
    }
  }
  pthread_mutex_unlock(&t->mu);
  return rc;
}

cplane_object_list *gc_dyn_swap(struct gc_dyntable *t, uint32_t i,
                                cplane_object_list *list) {
  cplane_object_list *old;

  pthread_mutex_lock(&t->mu);
  old = t->v[i].objects;
  t->v[i].objects = list;
  pthread_mutex_unlock(&t->mu);
  return old;
}

void gc_dyn_saw(struct gc_dyntable *t, uint32_t res, const char *uid) {
  struct gc_dyn *e = entry(t, res);

  if (e == NULL || uid == NULL)
    return;
  pthread_mutex_lock(&t->mu);
  if (e->seen == NULL && (e->seen = malloc(sizeof *e->seen)) != NULL &&
      cplane_sset_init(e->seen) != 0) {
    free(e->seen);
    e->seen = NULL;
  }
  if (e->seen != NULL && cplane_sset_count(e->seen) < GC_SEEN_MAX)
    (void)cplane_sset_add(e->seen, uid); /* out of memory: dropped */
  pthread_mutex_unlock(&t->mu);
}

struct cplane_sset *gc_dyn_take_seen(struct gc_dyntable *t, uint32_t i) {
  struct cplane_sset *s;

  pthread_mutex_lock(&t->mu);
  s = t->v[i].seen;
  t->v[i].seen = NULL;
  pthread_mutex_unlock(&t->mu);
  return s;
}

/* Appends one retained dependent to *out. 0, or -1 when out of memory. */
static int push(struct gc_dep **out, size_t *cap, int found, uint32_t res,
                const cplane_object *obj) {
  if ((size_t)found == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    struct gc_dep *nv = realloc(*out, ncap * sizeof *nv);

    if (nv == NULL)
      return -1;
    *out = nv;
    *cap = ncap;
  }
  (*out)[found].res = res;
  (*out)[found].obj = obj;
  return 0;
}

int gc_dyn_dependents(const struct cplane_host_api *api, struct gc_dyntable *t,
                      const char *uid, struct gc_dep **out) {
  size_t i, j, n, cap = 0;
  int found = 0, k;

  *out = NULL;
  if (t == NULL)
    return 0;
  pthread_mutex_lock(&t->mu);
  n = atomic_load(&t->n);
  for (i = 0; i < n; i++) {
    size_t m = t->v[i].objects ? api->list_len(t->v[i].objects) : 0;

    for (j = 0; j < m; j++) {
      const cplane_object *o = api->list_at(t->v[i].objects, j);

      if (cplane_array_find(api, o, GC_OWNERS, "uid", uid) < 0)
        continue;
      if (push(out, &cap, found, GC_N_RES + (uint32_t)i, o) != 0)
        goto oom;
      api->object_retain(o);
      found++;
    }
  }
  pthread_mutex_unlock(&t->mu);
  return found;
oom:
  pthread_mutex_unlock(&t->mu);
  for (k = 0; k < found; k++)
    api->object_release((*out)[k].obj);
  free(*out);
  *out = NULL;
  return -1;
}
