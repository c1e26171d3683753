/*
 * writes - releasing, collecting, unfinalizing. See writes.h.
 */
#include "writes.h"

#include "dyn.h"
#include "graph.h"

#include <stdio.h>

static int fits(int n, size_t size) { return n >= 0 && (size_t)n < size; }

int gc_release_patch(const struct cplane_host_api *api, const cplane_object *d,
                     const char *uid, char *buf, size_t size) {
  char target[64];
  int n, k = gc_ref_index(api, d, uid, &n);

  if (k < 0)
    return 0;
  if (n == 1)
    snprintf(target, sizeof target, "/metadata/ownerReferences");
  else
    snprintf(target, sizeof target, "/metadata/ownerReferences/%d", k);
  return fits(snprintf(buf, size,
                       "[{\"op\":\"test\",\"path\":"
                       "\"/metadata/ownerReferences/%d/uid\","
                       "\"value\":\"%.64s\"},{\"op\":\"remove\",\"path\":"
                       "\"%s\"}]",
                       k, uid, target),
              size)
             ? 1
             : -1;
}

int gc_delete_options(const char *policy, char *buf, size_t size) {
  return fits(snprintf(buf, size,
                       "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
                       "\"propagationPolicy\":\"%s\"}",
                       policy),
              size)
             ? 0
             : -1;
}

int gc_finalizer_patch(const struct cplane_host_api *api,
                       const cplane_object *o, const char *f, char *buf,
                       size_t size) {
  int i = cplane_array_find(api, o, CPLANE_FINALIZERS_PATH, NULL, f);

  if (i < 0)
    return 0;
  return fits(snprintf(buf, size,
                       "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/%d\","
                       "\"value\":\"%s\"},{\"op\":\"remove\",\"path\":"
                       "\"/metadata/finalizers/%d\"}]",
                       i, f, i),
              size)
             ? 1
             : -1;
}

int gc_release(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               uint32_t res, const cplane_object *d, const char *uid) {
  struct gc_dyntable *t = gc_dyn_of(api, ctx);
  char patch[320], *msg = NULL;
  int built = gc_release_patch(api, d, uid, patch, sizeof patch), code;

  if (built <= 0 || gc_res(t, res) == NULL)
    return built < 0 ? built : 0;
  code = api->patch(ctx, gc_res(t, res), api->object_namespace(d),
                    api->object_name(d), CPLANE_PATCH_JSON, patch, NULL, &msg);
  if (code != 200 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN,
             "%s %s: removing the reference to owner "
             "%s failed: %d %s",
             gc_kind(t, res), api->object_key(d), uid, code, msg ? msg : "");
  api->free(msg);
  return code == 200 || code == 404 || code == 422 ? 0 : -1;
}

int gc_collect(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               uint32_t res, const cplane_object *d, const char *policy) {
  struct gc_dyntable *t = gc_dyn_of(api, ctx);
  char opts[96], *msg = NULL;
  int code;

  if (api->object_deletion_timestamp(d) != NULL || gc_res(t, res) == NULL)
    return 0;
  if (gc_delete_options(policy, opts, sizeof opts) < 0)
    return -1;
  code = api->delete_object(ctx, gc_res(t, res), api->object_namespace(d),
                            api->object_name(d), opts, &msg);
  if (code != 200 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "%s %s: deleting a dependent failed: %d %s",
             gc_kind(t, res), api->object_key(d), code, msg ? msg : "");
  api->free(msg);
  return code == 200 || code == 404 ? 0 : -1;
}

int gc_remove_finalizer(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *o, const char *f) {
  struct gc_dyntable *t = gc_dyn_of(api, ctx);
  char patch[256], *msg = NULL;
  int built = gc_finalizer_patch(api, o, f, patch, sizeof patch), code;

  if (built <= 0 || gc_res(t, res) == NULL)
    return built < 0 ? built : 0;
  code = api->patch(ctx, gc_res(t, res), api->object_namespace(o),
                    api->object_name(o), CPLANE_PATCH_JSON, patch, NULL, &msg);
  api->free(msg);
  if (code == 200)
    api->log(ctx, CPLANE_LOG_INFO, "%s %s: removed finalizer %s", gc_kind(t, res),
             api->object_key(o), f);
  return code == 200 || code == 404 ? 0 : -1;
}
