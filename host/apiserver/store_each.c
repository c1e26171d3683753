/*
 * store_each - every stored object of one resource. See store_each.h.
 */
#include "apiserver/store_each.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/resources.h"

int cp_store_each(struct cp_api_ctx *ctx, const char *group,
                  const char *version, const char *resource,
                  int (*fn)(json_object *obj, void *arg), void *arg) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, group, version, resource);
  cp_store_list_result res;
  char *prefix;
  size_t i;
  int rc = -1;

  memset(&res, 0, sizeof res);
  if (t == NULL || (prefix = cp_api_key(t, NULL, NULL)) == NULL)
    return -1;
  if (cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0,
                    &res) != CPLANE_OK)
    goto out;
  rc = 0;
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[i]);
    int stop = o != NULL && fn(o, arg);

    json_object_put(o);
    if (stop)
      break;
  }
out:
  cp_store_list_result_free(&res);
  free(prefix);
  return rc;
}
