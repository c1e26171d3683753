/*
 * graph - the ownerReferences graph in the caches. See graph.h.
 */
#include "graph.h"

#include "dyn.h"

#include <stdio.h>
#include <string.h>

/* A watched kind: is uid in its cache. */
static int in_cache(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    uint32_t r, const char *uid) {
  cplane_object_list *list = NULL;
  int found;

  if (!api->cache_has_synced(ctx, r))
    return 1;
  if (api->cache_list_by_index(ctx, r, "uid", uid, NULL, &list) != CPLANE_OK)
    return 1;
  found = api->list_len(list) > 0;
  api->list_free(list);
  return found;
}

/* A found kind: read the owner by name, as kube's collector does; a
 * different uid under the name is another object. */
static int in_server(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     struct gc_dyntable *t, uint32_t r, const cplane_object *d,
                     const char *name, const char *uid) {
  const cplane_object *o = NULL;
  char *msg = NULL;
  const char *ns = gc_res_namespaced(t, r) ? api->object_namespace(d) : NULL;
  int code, found = 1;

  if (name == NULL)
    return 1;
  code = api->get(ctx, gc_res(t, r), ns, name, &o, &msg);
  if (code == 404)
    found = 0;
  else if (code == 200 && o != NULL && api->object_uid(o) != NULL)
    found = strcmp(api->object_uid(o), uid) == 0;
  if (code == 200 && found)
    gc_dyn_saw(t, r, uid); /* so that its deletion is seen (dyn.h) */
  api->object_release(o);
  api->free(msg);
  return found;
}

int gc_owner_exists(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const cplane_object *d, int k) {
  struct gc_dyntable *t = gc_dyn_of(api, ctx);
  const char *uid = cplane_array_string(api, d, GC_OWNERS, k, "uid");
  int r = gc_res_of_ref(
      t, cplane_array_string(api, d, GC_OWNERS, k, "apiVersion"),
      cplane_array_string(api, d, GC_OWNERS, k, "kind"));

  if (r < 0 || uid == NULL)
    return -1;
  if (r < GC_N_RES)
    return in_cache(api, ctx, (uint32_t)r, uid);
  return in_server(api, ctx, t, (uint32_t)r, d,
                   cplane_array_string(api, d, GC_OWNERS, k, "name"), uid);
}

int gc_ref_index(const struct cplane_host_api *api, const cplane_object *d,
                 const char *uid, int *n_refs) {
  int n = api->object_len(d, GC_OWNERS);

  *n_refs = n < 0 ? 0 : n;
  return cplane_array_find(api, d, GC_OWNERS, "uid", uid);
}

int gc_has_other_owner(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *d,
                       const char *uid) {
  int n = api->object_len(d, GC_OWNERS), k;

  for (k = 0; k < n; k++) {
    const char *u = cplane_array_string(api, d, GC_OWNERS, k, "uid");

    if (u == NULL || strcmp(u, uid) == 0)
      continue;
    if (gc_owner_exists(api, ctx, d, k) != 0)
      return 1;
  }
  return 0;
}

int gc_ref_blocks(const struct cplane_host_api *api, const cplane_object *d,
                  const char *uid) {
  char path[96];
  int k, refs, block = 0;

  if ((k = gc_ref_index(api, d, uid, &refs)) < 0)
    return 0;
  snprintf(path, sizeof path, "metadata.ownerReferences[%d].blockOwnerDeletion",
           k);
  api->object_bool(d, path, &block);
  return block;
}
