/*
 * store_each - every stored object of one resource. See store_each.h.
 */
#include "apiserver/store_each.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/resources.h"

/* Rows per store round trip: the list verb's page. */
#define EACH_PAGE 10000

int cp_store_each(struct cp_api_ctx *ctx, const char *group,
                  const char *version, const char *resource,
                  int (*fn)(json_object *obj, void *arg), void *arg) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, group, version, resource);

  if (t == NULL)
    return -1;
  return cp_store_each_in(ctx, t, NULL, fn, arg);
}

/* Calls fn on each object of one page; 1 when fn stopped the walk. */
static int each_of_page(const cp_store_list_result *res,
                        int (*fn)(json_object *obj, void *arg), void *arg) {
  size_t i;

  for (i = 0; i < res->count; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res->kvs[i]);
    int stop = o != NULL && fn(o, arg);

    json_object_put(o);
    if (stop)
      return 1;
  }
  return 0;
}

int cp_store_each_in(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                     const char *ns, int (*fn)(json_object *obj, void *arg),
                     void *arg) {
  char *prefix = cp_api_key(t, ns, NULL);
  uint8_t *start = NULL;
  size_t start_len = 0;
  cp_store_list_result res;
  int64_t rev = 0;
  int rc = -1, more = 0;

  memset(&res, 0, sizeof res);
  if (prefix == NULL)
    return -1;
  do {
    if (cp_store_list(ctx->store, prefix, strlen(prefix), start, start_len, rev,
                      EACH_PAGE, &res) != CPLANE_OK)
      goto out;
    rev = res.revision;
    free(start);
    start = NULL;
    if (each_of_page(&res, fn, arg))
      break;
    more = res.more && res.count > 0;
    if (more && (start = cp_store_list_next_key(&res, &start_len)) == NULL)
      goto out;
    cp_store_list_result_free(&res);
  } while (more);
  rc = 0;
out:
  cp_store_list_result_free(&res);
  free(start);
  free(prefix);
  return rc;
}
