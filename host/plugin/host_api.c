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
#include "plugin/event_recorder.h"
#include "plugin/host_api_writes.h"
#include "plugin/owner_map.h"
#include "plugin/plugin.h"
#include "workqueue/workqueue.h"


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

/* See cp_host_api_set_ca_file; "" when unknown. */
static char host_ca_file[4096];

void cp_host_api_set_ca_file(const char *path) {
  if (path == NULL || strlen(path) >= sizeof host_ca_file)
    host_ca_file[0] = '\0';
  else
    strcpy(host_ca_file, path);
}

static const char *api_config_get(cplane_plugin_ctx *ctx, const char *key) {
  const char *v;

  if (ctx == NULL || key == NULL || ctx->config == NULL)
    return NULL;
  v = cp_plugin_config_get(ctx->config, key);
  /* The host's CA stands in for a plugin's unset ca_file. */
  if (v == NULL && strcmp(key, "ca_file") == 0 && host_ca_file[0] != '\0')
    return host_ca_file;
  return v;
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

int cp_api_make_list(const cplane_object **objs, size_t n,
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
  return cp_api_make_list(objs, n, out);
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
  return cp_api_make_list(objs, n, out);
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

/* ---- ABI 1.3 ---------------------------------------------------------- */

static int64_t api_now_ms(cplane_plugin_ctx *ctx) {
  struct timespec ts;

  (void)ctx;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *api_json_format_error(void) {
  return cp_json_format_error();
}

static int api_cache_add_index_fn(cplane_plugin_ctx *ctx, uint32_t resource,
                                  const char *index_name, cplane_index_fn fn,
                                  void *userdata) {
  cp_informer *inf = informer_of(ctx, resource);

  if (inf == NULL || index_name == NULL || fn == NULL)
    return CPLANE_EINVAL;
  /* Names are per informer, as for cache_add_index: two plugins sharing a
   * cache need different names, or the very same fn and userdata. The
   * index is the plugin's: gone before its fini() (loader.c), taken over
   * by its next build on a hot upgrade. */
  return cp_informer_add_index_fn(inf, index_name, fn, userdata, ctx,
                                  ctx->predecessor);
}

static int api_enqueue_owner(cplane_plugin_ctx *ctx, uint32_t resource,
                             const char *owner_group, const char *owner_kind,
                             uint32_t flags) {
  if (ctx == NULL || resource >= ctx->desc.n_resources)
    return CPLANE_EINVAL;
  /* Rules are read without a lock by dispatch threads: init() only. */
  if (ctx->state != CP_PLUGIN_LOADED) {
    cp_log_warn(ctx->name, "enqueue_owner(%s) called after init(): "
                           "ignored", owner_kind ? owner_kind : "NULL");
    return CPLANE_EINVAL;
  }
  return cp_owner_map_add(&ctx->owners, resource, owner_group, owner_kind,
                          flags);
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
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = cp_event_recorder_record(ctx, res, regarding, type, reason, fmt, ap);
  va_end(ap);
  return r;
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
    .create = cp_api_create,
    .update = cp_api_update,
    .update_status = cp_api_update_status,
    .patch = cp_api_patch,
    .delete_object = cp_api_delete,
    .string_dup = api_string_dup,
    .write_subresource = cp_api_write_subresource,
    .label_selector_text = cp_selector_text_from,
    .request = cp_api_request,
    .now_ms = api_now_ms,
    .json_format_error = api_json_format_error,
    .patch_subresource = cp_api_patch_subresource,
    .apply = cp_api_apply,
    .get = cp_api_get,
    .list = cp_api_list,
    .cache_add_index_fn = api_cache_add_index_fn,
    .enqueue_owner = api_enqueue_owner,
    .event_record = api_event_record,
};

const struct cplane_host_api *cp_host_api(void) { return &host_api; }
