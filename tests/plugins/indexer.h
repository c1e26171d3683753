/*
 * indexer - the body of the fixture plugin "indexer", compiled into builds
 * (indexer_v1.c, indexer_v2.c, indexer_bad.c, indexer_plain.c) to test
 * that a plugin's computed index (api->cache_add_index_fn) lives as long
 * as the plugin: dropped before fini(), taken over by the next build on a
 * hot upgrade, given back when that build's init() fails.
 *
 * It watches every ConfigMap and, unless IDX_REGISTER is 0, registers the
 * index "by-team": the value IDX_PREFIX + the label "team". The function
 * reads its userdata, which init() allocates and fini() frees, so a host
 * calling it after fini() is a use-after-free a sanitizer sees. It
 * reconciles nothing.
 */
#ifndef CPLANE_TESTS_PLUGINS_INDEXER_H
#define CPLANE_TESTS_PLUGINS_INDEXER_H

#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>

#ifndef IDX_REGISTER
#define IDX_REGISTER 1
#endif
#ifndef IDX_INIT_FAILS
#define IDX_INIT_FAILS 0
#endif

struct idx_state {
  char prefix[16];
};

static const struct cplane_host_api *api;
static struct idx_state *idx_state; /* init's, freed by fini */

static const struct cplane_resource idx_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", NULL, NULL},
};

static void idx_team(void *userdata, const cplane_object *obj,
                     cplane_index_emit_fn emit, void *emit_ctx) {
  const struct idx_state *st = userdata;
  const char *team = api->object_label(obj, "team");
  char value[128];

  if (team == NULL)
    return;
  snprintf(value, sizeof value, "%s%s", st->prefix, team);
  emit(emit_ctx, value);
}

static int idx_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  int r = CPLANE_OK;

  api = host_api;
  idx_state = calloc(1, sizeof *idx_state);
  if (idx_state == NULL)
    return CPLANE_ENOMEM;
  snprintf(idx_state->prefix, sizeof idx_state->prefix, "%s", IDX_PREFIX);
  if (IDX_REGISTER)
    r = api->cache_add_index_fn(ctx, 0, "by-team", idx_team, idx_state);
  if (r == CPLANE_OK && IDX_INIT_FAILS)
    r = CPLANE_EINVAL;
  if (r != CPLANE_OK) {
    *errmsg = api->string_dup("indexer: init refused");
    free(idx_state);
  }
  return r;
}

static void idx_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  free(idx_state);
}

static int idx_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  (void)ctx;
  (void)key;
  (void)requeue_after_ms;
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_plugin idx_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "indexer",
    .version = IDX_VERSION,
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = idx_resources,
    .init = idx_init,
    .fini = idx_fini,
    .reconcile = idx_reconcile,
};

CPLANE_PLUGIN_DEFINE(idx_plugin)

#endif /* CPLANE_TESTS_PLUGINS_INDEXER_H */
