/*
 * graph - the ownerReferences graph in the caches. See graph.h.
 */
#include "graph.h"

#include <stdio.h>
#include <string.h>

int gc_owner_exists(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const char *kind, const char *uid) {
  cplane_object_list *list = NULL;
  int r = gc_kind_index(kind), found;

  if (r < 0)
    return -1;
  if (!api->cache_has_synced(ctx, (uint32_t)r))
    return 1;
  if (api->cache_list_by_index(ctx, (uint32_t)r, "uid", uid, NULL, &list) !=
      CPLANE_OK)
    return 1;
  found = api->list_len(list) > 0;
  api->list_free(list);
  return found;
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
    const char *kind = cplane_array_string(api, d, GC_OWNERS, k, "kind");

    if (u == NULL || strcmp(u, uid) == 0)
      continue;
    if (gc_owner_exists(api, ctx, kind, u) != 0)
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
