/*
 * host_api - the function table every plugin gets; see cplane/host_api.h
 * for the contract of each entry. Entries are thin: they check arguments
 * (a plugin bug must give an error code, not a host crash) and forward to
 * the object, informer, work queue and selector modules.
 */
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "informer/informer.h"
#include "labels/selector.h"
#include "log/log.h"
#include "object/json_format.h"
#include "object/object.h"
#include "plugin/plugin.h"
#include "workqueue/workqueue.h"
#include "client/client.h"

#include <event2/http.h>

struct cplane_object_list {
  const cplane_object **objs;
  size_t n;
};

static void *api_alloc(size_t size) { return malloc(size); }

static char *api_string_dup(const char *s) {
  return s != NULL ? strdup(s) : NULL;
}
static void api_free(void *ptr) { free(ptr); }

static void api_log(cplane_plugin_ctx *ctx, int level, const char *fmt, ...)
    CPLANE_PRINTF(3, 4);

static void api_log(cplane_plugin_ctx *ctx, int level, const char *fmt,
                    ...) {
  char component[80];
  va_list ap;

  if (level > cp_log_get_level())
    return;
  snprintf(component, sizeof component, "plugin %s",
           ctx != NULL && ctx->name != NULL ? ctx->name : "?");
  va_start(ap, fmt);
  cp_logv(level, component, fmt, ap);
  va_end(ap);
}

static int api_log_enabled(cplane_plugin_ctx *ctx, int level) {
  return level <= cp_log_get_level();
}

static void api_set_userdata(cplane_plugin_ctx *ctx, void *userdata) {
  if (ctx != NULL)
    ctx->userdata = userdata;
}

static void *api_get_userdata(cplane_plugin_ctx *ctx) {
  return ctx != NULL ? ctx->userdata : NULL;
}

static const char *api_plugin_name(cplane_plugin_ctx *ctx) {
  return ctx != NULL ? ctx->name : NULL;
}

static const char *api_config_get(cplane_plugin_ctx *ctx, const char *key) {
  if (ctx == NULL || key == NULL || ctx->config == NULL)
    return NULL;
  return cp_plugin_config_get(ctx->config, key);
}

static int api_enqueue_after(cplane_plugin_ctx *ctx, const char *key,
                             uint32_t delay_ms) {
  if (ctx == NULL || key == NULL || *key == '\0')
    return CPLANE_EINVAL;
  if (ctx->queue == NULL)
    return CPLANE_EUNAVAILABLE;
  if (delay_ms == 0)
    return cp_workqueue_add(ctx->queue, key);
  return cp_workqueue_add_after(ctx->queue, key,
                                (uint64_t)delay_ms * 1000000u);
}

static int api_enqueue(cplane_plugin_ctx *ctx, const char *key) {
  return api_enqueue_after(ctx, key, 0);
}

/* The informer behind the plugin's resources[resource], or NULL. */
static cp_informer *informer_of(cplane_plugin_ctx *ctx, uint32_t resource) {
  if (ctx == NULL || resource >= ctx->desc.n_resources ||
      ctx->informers == NULL)
    return NULL;
  return ctx->informers[resource];
}

static int api_cache_add_index(cplane_plugin_ctx *ctx, uint32_t resource,
                               const char *index_name, const char *path) {
  cp_informer *inf = informer_of(ctx, resource);
  int r;

  if (inf == NULL || index_name == NULL || path == NULL)
    return CPLANE_EINVAL;
  r = cp_informer_add_index(inf, index_name, path);
  /* Two plugins sharing a cache may both ask for the same index. */
  return r;
}

static int api_cache_get(cplane_plugin_ctx *ctx, uint32_t resource,
                         const char *key, const cplane_object **out) {
  cp_informer *inf = informer_of(ctx, resource);
  const cplane_object *obj;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (inf == NULL || key == NULL)
    return CPLANE_EINVAL;
  obj = cp_informer_get(inf, key);
  if (obj == NULL)
    return CPLANE_ENOENT;
  *out = obj;
  return CPLANE_OK;
}

static int make_list(const cplane_object **objs, size_t n,
                     cplane_object_list **out) {
  cplane_object_list *list = malloc(sizeof *list);

  if (list == NULL) {
    cp_informer_list_free(objs, n);
    return CPLANE_ENOMEM;
  }
  list->objs = objs;
  list->n = n;
  *out = list;
  return CPLANE_OK;
}

static int parse_selector(cplane_plugin_ctx *ctx, const char *text,
                          cp_selector **sel) {
  char *err = NULL;
  int r;

  *sel = NULL;
  if (text == NULL || *text == '\0')
    return CPLANE_OK;
  r = cp_selector_parse(text, sel, &err);
  if (r != CPLANE_OK) {
    cp_log_warn(ctx != NULL ? ctx->name : "plugin", "%s",
                err != NULL ? err : "invalid label selector");
    free(err);
    return CPLANE_EINVAL;
  }
  return CPLANE_OK;
}

static int api_cache_list(cplane_plugin_ctx *ctx, uint32_t resource,
                          const char *ns, const char *label_selector,
                          cplane_object_list **out) {
  cp_informer *inf = informer_of(ctx, resource);
  const cplane_object **objs = NULL;
  cp_selector *sel = NULL;
  size_t n = 0;
  int r;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (inf == NULL)
    return CPLANE_EINVAL;
  r = parse_selector(ctx, label_selector, &sel);
  if (r == CPLANE_OK)
    r = cp_informer_list(inf, ns, sel, &objs, &n);
  cp_selector_free(sel);
  if (r != CPLANE_OK)
    return r;
  return make_list(objs, n, out);
}

static int api_cache_list_by_index(cplane_plugin_ctx *ctx, uint32_t resource,
                                   const char *index_name, const char *value,
                                   const char *label_selector,
                                   cplane_object_list **out) {
  cp_informer *inf = informer_of(ctx, resource);
  const cplane_object **objs = NULL;
  cp_selector *sel = NULL;
  size_t n = 0;
  int r;

  if (out == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  if (inf == NULL || index_name == NULL || value == NULL)
    return CPLANE_EINVAL;
  r = parse_selector(ctx, label_selector, &sel);
  if (r == CPLANE_OK)
    r = cp_informer_list_by_index(inf, index_name, value, sel, &objs, &n);
  cp_selector_free(sel);
  if (r != CPLANE_OK)
    return r;
  return make_list(objs, n, out);
}

static int api_cache_has_synced(cplane_plugin_ctx *ctx, uint32_t resource) {
  cp_informer *inf = informer_of(ctx, resource);

  return inf != NULL && cp_informer_has_synced(inf);
}

static size_t api_list_len(const cplane_object_list *list) {
  return list != NULL ? list->n : 0;
}

static const cplane_object *api_list_at(const cplane_object_list *list,
                                        size_t i) {
  if (list == NULL || i >= list->n)
    return NULL;
  return list->objs[i];
}

static void api_list_free(cplane_object_list *list) {
  if (list == NULL)
    return;
  cp_informer_list_free(list->objs, list->n);
  free(list);
}

static int api_object_parse(const char *json, size_t len,
                            const cplane_object **out, char **errmsg) {
  cplane_object *obj = NULL;
  int r;

  if (errmsg != NULL)
    *errmsg = NULL;
  if (out == NULL || json == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  r = cp_object_parse(json, len, &obj, errmsg);
  if (r == CPLANE_OK)
    *out = obj;
  return r;
}

/* A controller matches its pods against one selector many times in a row:
 * each thread keeps the last selector it parsed (freed when the thread
 * ends), so that a check costs a string compare, not a parse. */
struct selector_memo {
  char *text;
  cp_selector *sel;
};

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static int memo_ok;

static void memo_free(void *p) {
  struct selector_memo *m = p;

  if (m == NULL)
    return;
  cp_selector_free(m->sel);
  free(m->text);
  free(m);
}

static void memo_init(void) {
  memo_ok = pthread_key_create(&memo_key, memo_free) == 0;
}

/* The parsed form of text: the memo's, or a new one the caller frees
 * (*owned set) when the memo cannot hold it. NULL for a bad selector. */
static cp_selector *memo_selector(const char *text, int *owned) {
  struct selector_memo *m;
  cp_selector *sel = NULL;
  char *copy;

  *owned = 0;
  if (text == NULL)
    text = "";
  pthread_once(&memo_once, memo_init);
  m = memo_ok ? pthread_getspecific(memo_key) : NULL;
  if (m != NULL && strcmp(m->text, text) == 0)
    return m->sel;
  if (cp_selector_parse(text, &sel, NULL) != CPLANE_OK)
    return NULL;
  if (!memo_ok || (copy = strdup(text)) == NULL) {
    *owned = 1;
    return sel;
  }
  if (m == NULL && ((m = calloc(1, sizeof *m)) == NULL ||
                    pthread_setspecific(memo_key, m) != 0)) {
    free(m);
    free(copy);
    *owned = 1;
    return sel;
  }
  cp_selector_free(m->sel);
  free(m->text);
  m->text = copy;
  m->sel = sel;
  return sel;
}

static int api_object_labels_match(const cplane_object *obj,
                                   const char *label_selector) {
  cp_selector *sel;
  int r, owned;

  if (obj == NULL)
    return CPLANE_EINVAL;
  if ((sel = memo_selector(label_selector, &owned)) == NULL)
    return CPLANE_EINVAL;
  r = cp_selector_matches(sel, obj) ? 1 : 0;
  if (owned)
    cp_selector_free(sel);
  return r;
}

static char *api_json_format(const char *fmt, ...) {
  va_list ap;
  char *s;

  va_start(ap, fmt);
  s = cp_json_vformat(fmt, ap);
  va_end(ap);
  return s;
}

/* Writes need the REST client of the host runtime; until a host is
 * configured with an API server they say so instead of pretending. */
static int no_server(cplane_plugin_ctx *ctx, const char *verb,
                     const struct cplane_resource *res, char **message) {
  char *m = NULL;

  if (asprintf(&m, "cannot %s %s: no API server is configured for this "
                   "host", verb,
               res != NULL && res->resource != NULL ? res->resource : "?") <
      0)
    m = NULL;
  if (message != NULL)
    *message = m;
  else
    free(m);
  return CPLANE_EUNAVAILABLE;
}

/* /api/v1/namespaces/NS/pods[/NAME[/SUB]] for a resource. malloc'd. */
static char *object_path(const struct cplane_resource *res, const char *ns,
                         const char *name, const char *sub) {
  char *p = NULL, *en = name ? evhttp_encode_uri(name) : NULL;
  int n;

  if (name != NULL && en == NULL)
    return NULL;
  n = asprintf(&p, "%s%s%s%s/%s%s%s%s%s%s%s",
               res->group && res->group[0] ? "/apis/" : "/api",
               res->group && res->group[0] ? res->group : "",
               res->group && res->group[0] ? "/" : "/", res->version,
               ns ? "namespaces/" : "", ns ? ns : "", ns ? "/" : "",
               res->resource, en ? "/" : "", en ? en : "",
               sub ? sub : "");
  free(en);
  return n < 0 ? NULL : p;
}

/* Runs one write and turns the answer into the SDK's contract: the HTTP
 * status, *out (the stored object on 2xx) and *message (the Status
 * message otherwise). */
static int write_call(cplane_plugin_ctx *ctx, const char *verb,
                      const char *method, const struct cplane_resource *res,
                      const char *path, const char *ctype, const char *body,
                      const cplane_object **out, char **message) {
  char *resp = NULL, *msg = NULL;
  size_t len = 0;
  int code;

  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  if (ctx == NULL || ctx->client == NULL)
    return no_server(ctx, verb, res, message);
  if (path == NULL)
    return CPLANE_ENOMEM;
  code = cp_client_request(ctx->client, method, path, ctype, body,
                           body ? strlen(body) : 0, &resp, &len);
  if (code == 0) {
    if (message != NULL &&
        asprintf(message, "cannot %s %s: the API server did not answer",
                 verb, res->resource) < 0)
      *message = NULL;
    free(resp);
    return CPLANE_EUNAVAILABLE;
  }
  if (code >= 200 && code < 300) {
    cplane_object *o = NULL;

    if (out != NULL && resp != NULL &&
        cp_object_parse(resp, len, &o, NULL) == CPLANE_OK)
      *out = o;
  } else if (message != NULL) {
    cplane_object *st = NULL;

    if (resp != NULL && cp_object_parse(resp, len, &st, NULL) == CPLANE_OK &&
        cp_object_string(st, "message") != NULL)
      msg = strdup(cp_object_string(st, "message"));
    else if (asprintf(&msg, "HTTP %d", code) < 0)
      msg = NULL;
    cp_object_release(st);
    *message = msg;
  }
  free(resp);
  return code;
}

static int api_create(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *json,
                      const cplane_object **out, char **message) {
  char *path = res ? object_path(res, ns, NULL, NULL) : NULL;
  int rc = write_call(ctx, "create", "POST", res, path, "application/json",
                      json, out, message);

  free(path);
  return rc;
}

static int api_update(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *name, const char *json,
                      const cplane_object **out, char **message) {
  char *path = res && name ? object_path(res, ns, name, NULL) : NULL;
  int rc = write_call(ctx, "update", "PUT", res, path, "application/json",
                      json, out, message);

  free(path);
  return rc;
}

static int api_update_status(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res,
                             const char *ns, const char *name,
                             const char *json, const cplane_object **out,
                             char **message) {
  char *path = res && name ? object_path(res, ns, name, "/status") : NULL;
  int rc = write_call(ctx, "update the status of", "PUT", res, path,
                      "application/json", json, out, message);

  free(path);
  return rc;
}

static int api_patch(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                     const char *ns, const char *name, int patch_type,
                     const char *patch, const cplane_object **out,
                     char **message) {
  const char *ctype = patch_type == CPLANE_PATCH_JSON
                          ? "application/json-patch+json"
                      : patch_type == CPLANE_PATCH_STRATEGIC
                          ? "application/strategic-merge-patch+json"
                          : "application/merge-patch+json";
  char *path = res && name ? object_path(res, ns, name, NULL) : NULL;
  int rc;

  if (patch_type < CPLANE_PATCH_MERGE || patch_type > CPLANE_PATCH_STRATEGIC)
    return CPLANE_EINVAL;
  rc = write_call(ctx, "patch", "PATCH", res, path, ctype, patch, out,
                  message);
  free(path);
  return rc;
}

static int api_write_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res,
                                 int method, const char *ns,
                                 const char *name, const char *sub,
                                 const char *json, const cplane_object **out,
                                 char **message) {
  char *path = NULL, *suffix = NULL;
  int rc;

  if (res == NULL || name == NULL || sub == NULL || sub[0] == '\0' ||
      strchr(sub, '/') != NULL ||
      (method != CPLANE_WRITE_CREATE && method != CPLANE_WRITE_UPDATE))
    return CPLANE_EINVAL;
  if (asprintf(&suffix, "/%s", sub) < 0) {
    suffix = NULL;
    rc = CPLANE_ENOMEM;
    goto out;
  }
  path = object_path(res, ns, name, suffix);
  rc = write_call(ctx, method == CPLANE_WRITE_CREATE ? "create" : "update",
                  method == CPLANE_WRITE_CREATE ? "POST" : "PUT", res, path,
                  "application/json", json, out, message);
out:
  free(suffix);
  free(path);
  return rc;
}

static int api_delete(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *name,
                      const char *options_json, char **message) {
  char *path = res && name ? object_path(res, ns, name, NULL) : NULL;
  int rc = write_call(ctx, "delete", "DELETE", res, path, "application/json",
                      options_json, NULL, message);

  free(path);
  return rc;
}

/* The raw request of ABI 1.2: no resource to name, so a path is checked
 * for shape only; the API server judges the rest. */
static int api_request(cplane_plugin_ctx *ctx, const char *method,
                       const char *path, const char *json, char **response,
                       size_t *response_len) {
  char *resp = NULL;
  size_t len = 0;
  int code;

  if (response != NULL)
    *response = NULL;
  if (response_len != NULL)
    *response_len = 0;
  if (method == NULL || path == NULL || path[0] != '/' ||
      (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
       strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0))
    return CPLANE_EINVAL;
  if (ctx == NULL || ctx->client == NULL)
    return CPLANE_EUNAVAILABLE;
  code = cp_client_request(ctx->client, method, path,
                           json ? "application/json" : NULL, json,
                           json ? strlen(json) : 0, &resp, &len);
  if (code == 0) {
    free(resp);
    return CPLANE_EUNAVAILABLE;
  }
  if (response != NULL) {
    *response = resp;
    resp = NULL;
  }
  if (response_len != NULL)
    *response_len = len;
  free(resp);
  return code;
}

/* ---- ABI 1.3: stubs until each is implemented (see host_api.h) ---- */

static int64_t api_now_ms(cplane_plugin_ctx *ctx) {
  struct timespec ts;

  (void)ctx;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *api_json_format_error(void) { return NULL; }

static int api_patch_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res,
                                 const char *ns, const char *name,
                                 const char *sub, int patch_type,
                                 const char *patch, const cplane_object **out,
                                 char **message) {
  (void)ctx; (void)res; (void)ns; (void)name; (void)sub; (void)patch_type;
  (void)patch; (void)out; (void)message;
  return CPLANE_EUNAVAILABLE;
}

static int api_get(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                   const char *ns, const char *name, const cplane_object **out,
                   char **message) {
  (void)ctx; (void)res; (void)ns; (void)name; (void)out; (void)message;
  return CPLANE_EUNAVAILABLE;
}

static int api_list(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                    const char *ns, const char *label_selector,
                    const char *field_selector, cplane_object_list **out,
                    char **message) {
  (void)ctx; (void)res; (void)ns; (void)label_selector; (void)field_selector;
  (void)out; (void)message;
  return CPLANE_EUNAVAILABLE;
}

static int api_cache_add_index_fn(cplane_plugin_ctx *ctx, uint32_t resource,
                                  const char *index_name, cplane_index_fn fn,
                                  void *userdata) {
  (void)ctx; (void)resource; (void)index_name; (void)fn; (void)userdata;
  return CPLANE_EUNAVAILABLE;
}

static int api_enqueue_owner(cplane_plugin_ctx *ctx, uint32_t resource,
                             const char *owner_group, const char *owner_kind,
                             uint32_t flags) {
  (void)ctx; (void)resource; (void)owner_group; (void)owner_kind; (void)flags;
  return CPLANE_EUNAVAILABLE;
}

static int api_event_record(cplane_plugin_ctx *ctx,
                            const struct cplane_resource *res,
                            const cplane_object *regarding, const char *type,
                            const char *reason, const char *fmt, ...)
    CPLANE_PRINTF(6, 7);
static int api_event_record(cplane_plugin_ctx *ctx,
                            const struct cplane_resource *res,
                            const cplane_object *regarding, const char *type,
                            const char *reason, const char *fmt, ...) {
  (void)ctx; (void)res; (void)regarding; (void)type; (void)reason; (void)fmt;
  return CPLANE_EUNAVAILABLE;
}

static const struct cplane_host_api host_api = {
    .struct_size = sizeof(struct cplane_host_api),
    .abi_major = CPLANE_ABI_MAJOR,
    .abi_minor = CPLANE_ABI_MINOR,
    .alloc = api_alloc,
    .free = api_free,
    .log = api_log,
    .log_enabled = api_log_enabled,
    .set_userdata = api_set_userdata,
    .get_userdata = api_get_userdata,
    .plugin_name = api_plugin_name,
    .config_get = api_config_get,
    .enqueue = api_enqueue,
    .enqueue_after = api_enqueue_after,
    .cache_add_index = api_cache_add_index,
    .cache_get = api_cache_get,
    .cache_list = api_cache_list,
    .cache_list_by_index = api_cache_list_by_index,
    .cache_has_synced = api_cache_has_synced,
    .list_len = api_list_len,
    .list_at = api_list_at,
    .list_free = api_list_free,
    .object_retain = cp_object_retain,
    .object_release = cp_object_release,
    .object_parse = api_object_parse,
    .object_type = cp_object_type,
    .object_string = cp_object_string,
    .object_int = cp_object_int,
    .object_double = cp_object_double,
    .object_bool = cp_object_bool,
    .object_len = cp_object_len,
    .object_foreach = cp_object_foreach,
    .object_json = cp_object_json,
    .object_name = cp_object_name,
    .object_namespace = cp_object_namespace,
    .object_uid = cp_object_uid,
    .object_resource_version = cp_object_resource_version,
    .object_key = cp_object_key,
    .object_generation = cp_object_generation,
    .object_label = cp_object_label,
    .object_annotation = cp_object_annotation,
    .object_deletion_timestamp = cp_object_deletion_timestamp,
    .object_controller_uid = cp_object_controller_uid,
    .object_labels_match = api_object_labels_match,
    .json_format = api_json_format,
    .create = api_create,
    .update = api_update,
    .update_status = api_update_status,
    .patch = api_patch,
    .delete_object = api_delete,
    .string_dup = api_string_dup,
    .write_subresource = api_write_subresource,
    .label_selector_text = cp_selector_text_from,
    .request = api_request,
    .now_ms = api_now_ms,
    .json_format_error = api_json_format_error,
    .patch_subresource = api_patch_subresource,
    .get = api_get,
    .list = api_list,
    .cache_add_index_fn = api_cache_add_index_fn,
    .enqueue_owner = api_enqueue_owner,
    .event_record = api_event_record,
};

const struct cplane_host_api *cp_host_api(void) { return &host_api; }
