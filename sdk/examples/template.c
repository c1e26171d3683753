/*
 * template.c - a complete cplane plugin to start from.
 *
 * Build it outside the cplane tree with one line:
 *   cc -shared -fPIC $(pkg-config --cflags cplane) -o template.so template.c
 * Copy template.so into the host's plugin directory (owned by root or the
 * user running cplane, not group/world-writable) and enable it:
 *   [plugin.template]
 *   enabled = true
 *   workers = 2
 *   label = app          ; a key of our own, read with api->config_get()
 * and listed in config_keys below, so that a misspelt key ("lable") is
 * reported by `cplane --check-config` and at start-up.
 *
 * What it does: watches ConfigMaps, queues the key of each one that changes,
 * and in reconcile() logs how many labels it has. Replace the body of
 * reconcile() with your controller's logic.
 */
#include <cplane/cplane.h>

#include <string.h>

/* The host's function table; valid from init() until fini() returns. */
static const struct cplane_host_api *api;

struct template_state {
  const char *label; /* borrowed from the host's config */
};

static struct template_state state;

static int template_init(cplane_plugin_ctx *ctx,
                         const struct cplane_host_api *host_api,
                         char **errmsg) {
  api = host_api;
  state.label = api->config_get(ctx, "label");
  if (state.label == NULL)
    state.label = "app";
  if (strlen(state.label) > 63) {
    *errmsg = api->string_dup("label: a label key is at most 63 characters");
    return CPLANE_EINVAL;
  }
  api->set_userdata(ctx, &state);
  api->log(ctx, CPLANE_LOG_INFO, "watching configmaps, label key '%s'",
           state.label);
  return CPLANE_OK;
}

static void template_fini(cplane_plugin_ctx *ctx) {
  api->log(ctx, CPLANE_LOG_INFO, "stopping");
}

/* Event callbacks run on a dispatch thread and must not block: just queue
 * the key. Reconcile does the work. */
static void template_add(cplane_plugin_ctx *ctx, uint32_t resource,
                         const cplane_object *obj) {
  (void)resource;
  api->enqueue(ctx, api->object_key(obj));
}

static void template_update(cplane_plugin_ctx *ctx, uint32_t resource,
                            const cplane_object *old_obj,
                            const cplane_object *new_obj) {
  (void)resource;
  /* Resyncs deliver the same snapshot twice; nothing changed. */
  if (old_obj == new_obj)
    return;
  api->enqueue(ctx, api->object_key(new_obj));
}

static void template_delete(cplane_plugin_ctx *ctx, uint32_t resource,
                            const cplane_object *obj) {
  (void)resource;
  api->enqueue(ctx, api->object_key(obj));
}

static int template_reconcile(cplane_plugin_ctx *ctx, const char *key,
                              uint32_t *requeue_after_ms) {
  struct template_state *st = api->get_userdata(ctx);
  const cplane_object *cm = NULL;
  const char *value;
  int n;

  (void)requeue_after_ms; /* only read for CPLANE_RECONCILE_REQUEUE_AFTER */
  if (api->cache_get(ctx, 0, key, &cm) == CPLANE_ENOENT) {
    api->log(ctx, CPLANE_LOG_INFO, "%s is gone", key);
    return CPLANE_RECONCILE_DONE;
  }
  n = api->object_len(cm, "metadata.labels");
  value = api->object_label(cm, st->label);
  api->log(ctx, CPLANE_LOG_INFO, "%s: %d label(s), %s=%s", key,
           n < 0 ? 0 : n, st->label, value != NULL ? value : "(unset)");
  api->object_release(cm);
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_resource template_resources[] = {
    CPLANE_RESOURCE("", "v1", "configmaps"),
};

/* The [plugin.NAME] keys this plugin reads, beside the host's own:
 * --check-config and start-up report any other as a misspelling. */
static const char *const template_config_keys[] = {"label", NULL};

static const struct cplane_plugin template_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "template",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = template_resources,
    .init = template_init,
    .fini = template_fini,
    .on_add = template_add,
    .on_update = template_update,
    .on_delete = template_delete,
    .reconcile = template_reconcile,
    .config_keys = template_config_keys,
};

CPLANE_PLUGIN_DEFINE(template_plugin)
