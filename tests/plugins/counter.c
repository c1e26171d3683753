/*
 * counter - a fixture plugin for bench_isolation: it watches pods, counts
 * on_add and on_update, and logs "counter: adds N" / "counter: updates N"
 * each time a count reaches a multiple of the INI key `every` (default
 * 1000), so that a benchmark can time delivery from the log alone, in
 * either isolation.
 */
#include <cplane/cplane.h>

#include <stdatomic.h>
#include <stdlib.h>

static const struct cplane_host_api *api;
static unsigned long every = 1000;
static atomic_ulong adds, updates;

static const struct cplane_resource counter_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "pods", NULL, NULL},
};

static int counter_init(cplane_plugin_ctx *ctx,
                        const struct cplane_host_api *host_api,
                        char **errmsg) {
  const char *e;

  (void)errmsg;
  api = host_api;
  e = api->config_get(ctx, "every");
  if (e != NULL && strtoul(e, NULL, 10) > 0)
    every = strtoul(e, NULL, 10);
  return CPLANE_OK;
}

static void counter_add(cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *obj) {
  unsigned long n = atomic_fetch_add(&adds, 1) + 1;

  (void)res;
  (void)obj;
  if (n % every == 0)
    api->log(ctx, CPLANE_LOG_INFO, "adds %lu", n);
}

static void counter_update(cplane_plugin_ctx *ctx, uint32_t res,
                           const cplane_object *old_obj,
                           const cplane_object *new_obj) {
  unsigned long n = atomic_fetch_add(&updates, 1) + 1;

  (void)res;
  (void)old_obj;
  (void)new_obj;
  if (n % every == 0)
    api->log(ctx, CPLANE_LOG_INFO, "updates %lu", n);
}

static int counter_reconcile(cplane_plugin_ctx *ctx, const char *key,
                             uint32_t *requeue_after_ms) {
  (void)ctx;
  (void)key;
  (void)requeue_after_ms;
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_plugin counter_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "counter",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = counter_resources,
    .init = counter_init,
    .on_add = counter_add,
    .on_update = counter_update,
    .reconcile = counter_reconcile,
};

CPLANE_PLUGIN_DEFINE(counter_plugin)
