/*
 * entries - the host table's write and uncached read entries: argument
 * checks, the dispatch-thread rule, then the store's verbs (writes.c).
 *
 * Threading: callable from any plugin thread; the verbs take the mutex.
 */
#include <stdio.h>
#include <string.h>

#include "kit.h"

/* ---- the table's entries ---- */

/* The host and the resource name of a call, after the common checks;
 * NULL for a bad call. */
static struct cplane_test_host *
start_call(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
           const char *what, char *name, size_t len, const cplane_object **out,
           char **message) {
  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  if (ctx == NULL || ctx->host == NULL || res == NULL || res->resource == NULL)
    return NULL;
  kit_check_dispatch(ctx->host, what);
  kit_resource_name(res, name, len);
  return ctx->host;
}

static int kit_create(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *json,
                      const cplane_object **out, char **message) {
  char name[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "create", name, sizeof name, out, message);

  if (h == NULL || json == NULL)
    return CPLANE_EINVAL;
  return kit_do_create(h, name, ns, NULL, NULL, json, out, message);
}

static int kit_update(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *name, const char *json,
                      const cplane_object **out, char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "update", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || json == NULL)
    return CPLANE_EINVAL;
  return kit_do_update(h, rname, ns, name, "", json, out, message);
}

static int kit_update_status(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res, const char *ns,
                             const char *name, const char *json,
                             const cplane_object **out, char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "update_status", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || json == NULL)
    return CPLANE_EINVAL;
  return kit_do_update(h, rname, ns, name, "status", json, out, message);
}

static int kit_patch_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res,
                                 const char *ns, const char *name,
                                 const char *sub, int patch_type,
                                 const char *patch, const cplane_object **out,
                                 char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "patch", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || patch == NULL)
    return CPLANE_EINVAL;
  return kit_do_patch(h, rname, ns, name, sub, patch_type, patch, out, message);
}

static int kit_patch(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                     const char *ns, const char *name, int patch_type,
                     const char *patch, const cplane_object **out,
                     char **message) {
  return kit_patch_subresource(ctx, res, ns, name, "", patch_type, patch, out,
                               message);
}

/* apply, merged simply: a JSON merge patch of the object (created from
 * json when missing); no field ownership, no conflicts. */
static int kit_apply(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                     const char *ns, const char *name, const char *sub,
                     const char *field_manager, int force, const char *json,
                     const cplane_object **out, char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "patch", rname, sizeof rname, out, message);
  int code;

  (void)force;
  if (h == NULL || name == NULL || json == NULL || field_manager == NULL ||
      field_manager[0] == '\0')
    return CPLANE_EINVAL;
  code = kit_do_patch(h, rname, ns, name, sub, CPLANE_PATCH_MERGE, json, out,
                      message);
  if (code != 404 || (sub != NULL && sub[0] != '\0'))
    return code;
  if (message != NULL) {
    free(*message);
    *message = NULL;
  }
  return kit_do_create(h, rname, ns, NULL, NULL, json, out, message);
}

static int kit_delete_object(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res, const char *ns,
                             const char *name, const char *options_json,
                             char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "delete", rname, sizeof rname, NULL, message);

  if (h == NULL || name == NULL)
    return CPLANE_EINVAL;
  return kit_do_delete(h, rname, ns, name, options_json, message);
}

static int kit_write_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res, int method,
                                 const char *ns, const char *name,
                                 const char *sub, const char *json,
                                 const cplane_object **out, char **message) {
  char rname[256];
  struct cplane_test_host *h = start_call(ctx, res, "write_subresource", rname,
                                          sizeof rname, out, message);

  if (h == NULL || name == NULL || sub == NULL || sub[0] == '\0' ||
      json == NULL)
    return CPLANE_EINVAL;
  if (method == CPLANE_WRITE_CREATE)
    return kit_do_create(h, rname, ns, sub, name, json, out, message);
  if (method == CPLANE_WRITE_UPDATE)
    return kit_do_update(h, rname, ns, name, sub, json, out, message);
  return CPLANE_EINVAL;
}

static int kit_get(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                   const char *ns, const char *name, const cplane_object **out,
                   char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "get", rname, sizeof rname, out, message);

  if (h == NULL || name == NULL || out == NULL)
    return CPLANE_EINVAL;
  return kit_do_get(h, rname, ns, name, out, message);
}

static int kit_list(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                    const char *ns, const char *label_selector,
                    const char *field_selector, cplane_object_list **out,
                    char **message) {
  char rname[256];
  struct cplane_test_host *h =
      start_call(ctx, res, "list", rname, sizeof rname, NULL, message);

  if (out != NULL)
    *out = NULL;
  if (h == NULL || out == NULL)
    return CPLANE_EINVAL;
  return kit_do_list(h, rname, ns, label_selector, field_selector, out,
                     message);
}

void kit_writes_fill(struct cplane_host_api *api) {
  api->create = kit_create;
  api->update = kit_update;
  api->update_status = kit_update_status;
  api->patch = kit_patch;
  api->delete_object = kit_delete_object;
  api->write_subresource = kit_write_subresource;
  api->patch_subresource = kit_patch_subresource;
  api->apply = kit_apply;
  api->get = kit_get;
  api->list = kit_list;
}
