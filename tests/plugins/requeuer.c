/*
 * requeuer - a fixture plugin whose reconcile always answers
 * REQUEUE_AFTER with the delay its INI key `delay_ms` gives (0 when
 * absent), to show that a 0-delay requeue is rate-limited rather than
 * spun, and that planned requeues are no retries. Tests read its reconcile
 * count through fixture_requeuer_reconciles(), an extra export.
 */
#include <cplane/cplane.h>

#include <stdatomic.h>
#include <stdlib.h>

static atomic_int reconciles;
static uint32_t delay_ms;

CPLANE_EXPORT atomic_int *fixture_requeuer_reconciles(void);
CPLANE_EXPORT atomic_int *fixture_requeuer_reconciles(void) {
  return &reconciles;
}

static int requeuer_init(cplane_plugin_ctx *ctx,
                         const struct cplane_host_api *api, char **errmsg) {
  const char *d = api->config_get(ctx, "delay_ms");

  delay_ms = d != NULL ? (uint32_t)strtoul(d, NULL, 10) : 0;
  return CPLANE_OK;
}

static int requeuer_reconcile(cplane_plugin_ctx *ctx, const char *key,
                              uint32_t *requeue_after_ms) {
  atomic_fetch_add(&reconciles, 1);
  *requeue_after_ms = delay_ms;
  return CPLANE_RECONCILE_REQUEUE_AFTER;
}

static const char *const requeuer_keys[] = {"delay_ms", NULL};

static const struct cplane_plugin requeuer_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "requeuer",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .init = requeuer_init,
    .reconcile = requeuer_reconcile,
    .config_keys = requeuer_keys,
};

CPLANE_PLUGIN_DEFINE(requeuer_plugin)
