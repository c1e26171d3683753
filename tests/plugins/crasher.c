/*
 * crasher - a fixture plugin with the bug of issue #14: it reads an
 * annotation that is not there and hands the NULL to strcmp. It watches
 * ConfigMaps and reconciles each (logging "reconciled KEY"); one annotated
 * crasher.cplane.io/crash=reconcile crashes the process in reconcile, and
 * crasher.cplane.io/crash=on_add in on_add. The INI key `want` is the
 * value compared against (default "yes").
 */
#include <cplane/cplane.h>

#include <string.h>

#define CRASH "crasher.cplane.io/crash"
#define MISSING "crasher.cplane.io/never-set"

static const struct cplane_host_api *api;
static const char *want = "yes";

static const struct cplane_resource crasher_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", NULL, NULL},
};

static int crasher_init(cplane_plugin_ctx *ctx,
                        const struct cplane_host_api *host_api,
                        char **errmsg) {
  const char *w;

  (void)errmsg;
  api = host_api;
  w = api->config_get(ctx, "want");
  if (w != NULL)
    want = w;
  return CPLANE_OK;
}

/* The bug: the annotation read is not the one checked. Built without
 * UBSan's checks, so that the SAN build faults as the release build does
 * (UBSan would report the NULL argument and exit first). */
__attribute__((no_sanitize_undefined)) static int
buggy_check(const cplane_object *obj) {
  return strcmp(api->object_annotation(obj, MISSING), want) == 0;
}

static void crasher_add(cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *obj) {
  const char *mode = api->object_annotation(obj, CRASH);

  (void)res;
  if (mode != NULL && strcmp(mode, "on_add") == 0 && buggy_check(obj))
    api->log(ctx, CPLANE_LOG_INFO, "never reached");
  api->enqueue(ctx, api->object_key(obj));
}

static void crasher_update(cplane_plugin_ctx *ctx, uint32_t res,
                           const cplane_object *old_obj,
                           const cplane_object *new_obj) {
  (void)res;
  (void)old_obj;
  api->enqueue(ctx, api->object_key(new_obj));
}

static int crasher_reconcile(cplane_plugin_ctx *ctx, const char *key,
                             uint32_t *requeue_after_ms) {
  const cplane_object *obj = NULL;
  const char *mode;
  int hit = 0;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, 0, key, &obj) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  mode = api->object_annotation(obj, CRASH);
  if (mode != NULL && strcmp(mode, "reconcile") == 0)
    hit = buggy_check(obj);
  api->object_release(obj);
  api->log(ctx, CPLANE_LOG_INFO, "reconciled %s%s", key, hit ? " (hit)" : "");
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_plugin crasher_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "crasher",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = crasher_resources,
    .init = crasher_init,
    .on_add = crasher_add,
    .on_update = crasher_update,
    .reconcile = crasher_reconcile,
};

CPLANE_PLUGIN_DEFINE(crasher_plugin)
