/*
 * host_api_writes - the host API entries that call the API server
 * (create, update, update_status, patch, delete_object, write_subresource,
 * request, patch_subresource, get, list): each builds the REST path of
 * the plugin's resource, makes one request through the plugin's client
 * (list: as many as its pages need) and turns the answer into the SDK's
 * contract (cplane/host_api.h). Every one of them blocks, so each first
 * tells dispatch_guard.h which call it is, to warn about one made from
 * on_add/on_update/on_delete.
 *
 * Threading: any thread; the client serialises what it must.
 * Ownership: as cplane/host_api.h says for each entry.
 */
#ifndef CPLANE_HOST_PLUGIN_HOST_API_WRITES_H
#define CPLANE_HOST_PLUGIN_HOST_API_WRITES_H

#include <stddef.h>

#include <cplane/cplane.h>

/* The SDK's opaque list: an array of retained snapshots. */
struct cplane_object_list {
  const cplane_object **objs;
  size_t n;
};

/* The message of the Status in a failed answer (resp, len bytes), or
 * "HTTP <code>". malloc'd; NULL when out of memory. */
char *cp_api_status_message(const char *resp, size_t len, int code);

/* Wraps objs (n retained snapshots, array malloc'd) into a list; on
 * CPLANE_ENOMEM releases them. */
int cp_api_make_list(const cplane_object **objs, size_t n,
                     cplane_object_list **out);

/* A list answered by the API server is read page by page (limit) up to
 * this many objects; past it list() returns CPLANE_ERANGE rather than
 * grow unbounded (an answer that is no list: CPLANE_ERR). */
#define CP_API_LIST_PAGE 500
#define CP_API_LIST_MAX 1000000
/* Sets the page size of list() (0: CP_API_LIST_PAGE). For tests, so that
 * paging shows with a few objects. */
void cp_api_set_list_page(unsigned limit);

int cp_api_create(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                  const char *ns, const char *json, const cplane_object **out,
                  char **message);
int cp_api_update(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                  const char *ns, const char *name, const char *json,
                  const cplane_object **out, char **message);
int cp_api_update_status(cplane_plugin_ctx *ctx,
                         const struct cplane_resource *res, const char *ns,
                         const char *name, const char *json,
                         const cplane_object **out, char **message);
int cp_api_patch(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                 const char *ns, const char *name, int patch_type,
                 const char *patch, const cplane_object **out,
                 char **message);
int cp_api_delete(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                  const char *ns, const char *name, const char *options_json,
                  char **message);
int cp_api_write_subresource(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res, int method,
                             const char *ns, const char *name,
                             const char *sub, const char *json,
                             const cplane_object **out, char **message);
int cp_api_request(cplane_plugin_ctx *ctx, const char *method,
                   const char *path, const char *json, char **response,
                   size_t *response_len);
/* ABI 1.4: server-side apply as field_manager (host_api.h's apply). */
int cp_api_apply(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                 const char *ns, const char *name, const char *sub,
                 const char *field_manager, int force, const char *json,
                 const cplane_object **out, char **message);
int cp_api_patch_subresource(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res,
                             const char *ns, const char *name,
                             const char *sub, int patch_type,
                             const char *patch, const cplane_object **out,
                             char **message);
int cp_api_get(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
               const char *ns, const char *name, const cplane_object **out,
               char **message);
int cp_api_list(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                const char *ns, const char *label_selector,
                const char *field_selector, cplane_object_list **out,
                char **message);

#endif /* CPLANE_HOST_PLUGIN_HOST_API_WRITES_H */
