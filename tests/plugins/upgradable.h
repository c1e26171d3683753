/*
 * upgradable - the body of the fixture plugin "upgradable", compiled into
 * several builds (upgradable_v1.c, upgradable_v2.c, upgradable_bad.c) that
 * differ only in UPG_VERSION and UPG_INIT_FAILS, to test hot upgrades.
 *
 * It reconciles ConfigMaps labelled upgrade=yes: a reconcile sleeps (the
 * ConfigMap's data.sleep_ms, else the section's delay_ms, else 0), then
 * merge-patches the annotation upgrade.cplane.io/by-VERSION, unless that
 * annotation is there already. Each reconcile logs "VERSION start KEY"
 * and "VERSION done KEY". init() allocates a buffer that fini() frees, so
 * a leak checker sees a build whose fini() did not run.
 *
 * Each build has its own counters, read through fixture_upgradable_stats()
 * (an extra export) from the build's own handle.
 */
#ifndef CPLANE_TESTS_PLUGINS_UPGRADABLE_H
#define CPLANE_TESTS_PLUGINS_UPGRADABLE_H

#include <cplane/cplane.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "upgradable_stats.h"

#ifndef UPG_INIT_FAILS
#define UPG_INIT_FAILS 0
#endif

#define UPG_ANNOTATION "upgrade.cplane.io/by-" UPG_VERSION

static const struct cplane_host_api *api;
static struct upgradable_stats stats;
static char *upg_buffer; /* init's allocation, fini's to free */
static uint32_t upg_delay_ms;

CPLANE_EXPORT struct upgradable_stats *fixture_upgradable_stats(void);
CPLANE_EXPORT struct upgradable_stats *fixture_upgradable_stats(void) {
  return &stats;
}

static const struct cplane_resource upg_resources[] = {
    {sizeof(struct cplane_resource), 0, "", "v1", "configmaps", "upgrade=yes",
     NULL},
};

static int upg_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  const char *d;

  api = host_api;
  atomic_fetch_add(&stats.inits, 1);
  if (UPG_INIT_FAILS) {
    *errmsg = api->string_dup("this build refuses to start");
    return CPLANE_EINVAL;
  }
  d = api->config_get(ctx, "delay_ms");
  upg_delay_ms = d != NULL ? (uint32_t)strtoul(d, NULL, 10) : 0;
  upg_buffer = malloc(4096);
  if (upg_buffer == NULL)
    return CPLANE_ENOMEM;
  snprintf(upg_buffer, 4096, "upgradable %s", UPG_VERSION);
  api->log(ctx, CPLANE_LOG_INFO, "%s initialised", upg_buffer);
  return CPLANE_OK;
}

static void upg_fini(cplane_plugin_ctx *ctx) {
  api->log(ctx, CPLANE_LOG_INFO, "upgradable %s fini", UPG_VERSION);
  atomic_store(&stats.running_at_fini, atomic_load(&stats.running));
  free(upg_buffer);
  upg_buffer = NULL;
  atomic_fetch_add(&stats.finis, 1);
}

static void upg_add(cplane_plugin_ctx *ctx, uint32_t res,
                    const cplane_object *obj) {
  (void)res;
  atomic_fetch_add(&stats.adds, 1);
  api->enqueue(ctx, api->object_key(obj));
}

static void upg_update(cplane_plugin_ctx *ctx, uint32_t res,
                       const cplane_object *old_obj,
                       const cplane_object *new_obj) {
  (void)res;
  (void)old_obj;
  api->enqueue(ctx, api->object_key(new_obj));
}

static void upg_sleep(uint32_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Writes the annotation; without an API server (unit tests) it is only
 * counted. */
static void upg_mark(cplane_plugin_ctx *ctx, const char *ns,
                     const char *name) {
  char *msg = NULL;
  int code = api->patch(ctx, &upg_resources[0], ns, name, CPLANE_PATCH_MERGE,
                        "{\"metadata\":{\"annotations\":{\"" UPG_ANNOTATION
                        "\":\"yes\"}}}",
                        NULL, &msg);

  if (code != 200)
    api->log(ctx, CPLANE_LOG_DEBUG, "patch %s/%s: %d %s", ns, name, code,
             msg != NULL ? msg : "");
  api->free(msg);
}

static int upg_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  const cplane_object *obj = NULL;
  const char *sleep_ms;
  char ns[128], name[256];
  uint32_t delay = upg_delay_ms;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, 0, key, &obj) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (api->object_annotation(obj, UPG_ANNOTATION) != NULL) {
    api->object_release(obj);
    return CPLANE_RECONCILE_DONE;
  }
  sleep_ms = api->object_string(obj, "data.sleep_ms");
  if (sleep_ms != NULL)
    delay = (uint32_t)strtoul(sleep_ms, NULL, 10);
  snprintf(ns, sizeof ns, "%s", api->object_namespace(obj));
  snprintf(name, sizeof name, "%s", api->object_name(obj));
  api->object_release(obj);
  api->log(ctx, CPLANE_LOG_INFO, "%s start %s", UPG_VERSION, key);
  atomic_store(&stats.running, 1);
  upg_sleep(delay);
  upg_mark(ctx, ns, name);
  atomic_fetch_add(&stats.reconciles, 1);
  atomic_store(&stats.running, 0);
  api->log(ctx, CPLANE_LOG_INFO, "%s done %s", UPG_VERSION, key);
  return CPLANE_RECONCILE_DONE;
}

static const struct cplane_plugin upg_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "upgradable",
    .version = UPG_VERSION,
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = upg_resources,
    .init = upg_init,
    .fini = upg_fini,
    .on_add = upg_add,
    .on_update = upg_update,
    .reconcile = upg_reconcile,
};

CPLANE_PLUGIN_DEFINE(upg_plugin)

#endif /* CPLANE_TESTS_PLUGINS_UPGRADABLE_H */
