/*
 * good - a well-behaved fixture plugin. It watches pods and configmaps,
 * counts every callback, enqueues each object's key and, in reconcile,
 * proves that no key is ever reconciled on two workers at once. The tests
 * read its counters through fixture_good_stats(), an extra export only this
 * fixture has.
 */
#include <cplane/cplane.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "good_stats.h"

static struct good_stats stats;
static const struct cplane_host_api *api;

CPLANE_EXPORT struct good_stats *fixture_good_stats(void);
CPLANE_EXPORT struct good_stats *fixture_good_stats(void) { return &stats; }

static int good_init(cplane_plugin_ctx *ctx,
                     const struct cplane_host_api *host_api, char **errmsg) {
  const char *greeting;

  if (host_api->struct_size < sizeof *host_api)
    return CPLANE_EUNAVAILABLE;
  api = host_api;
  greeting = api->config_get(ctx, "greeting");
  if (greeting != NULL)
    strncpy(stats.last_config, greeting, sizeof stats.last_config - 1);
  if (api->cache_add_index(ctx, 0, "node", "spec.nodeName") != CPLANE_OK) {
    *errmsg = api->string_dup("cannot add the node index");
    return CPLANE_ERR;
  }
  atomic_fetch_add(&stats.inits, 1);
  api->log(ctx, CPLANE_LOG_INFO, "good fixture initialised");
  return CPLANE_OK;
}

static void good_fini(cplane_plugin_ctx *ctx) {
  atomic_fetch_add(&stats.finis, 1);
}

static void good_add(cplane_plugin_ctx *ctx, uint32_t res,
                     const cplane_object *obj) {
  const char *key = api->object_key(obj);

  atomic_fetch_add(&stats.adds, 1);
  if (key != NULL) {
    strncpy(stats.last_add_key, key, sizeof stats.last_add_key - 1);
    api->enqueue(ctx, key);
  }
}

static void good_update(cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *old_obj,
                        const cplane_object *new_obj) {
  atomic_fetch_add(&stats.updates, 1);
  api->enqueue(ctx, api->object_key(new_obj));
}

static void good_delete(cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *obj) {
  atomic_fetch_add(&stats.deletes, 1);
  api->enqueue(ctx, api->object_key(obj));
}

/* Keys being reconciled right now, to prove the host never runs one key on
 * two workers. A plain mutex is fine: this is a test fixture. */
#define MAX_IN_FLIGHT 64
static pthread_mutex_t in_flight_lock = PTHREAD_MUTEX_INITIALIZER;
static char in_flight[MAX_IN_FLIGHT][128];

static int enter_key(const char *key) {
  int i, free_slot = -1, overlap = 0;

  pthread_mutex_lock(&in_flight_lock);
  for (i = 0; i < MAX_IN_FLIGHT; i++) {
    if (in_flight[i][0] == '\0')
      free_slot = free_slot < 0 ? i : free_slot;
    else if (strcmp(in_flight[i], key) == 0)
      overlap = 1;
  }
  if (!overlap && free_slot >= 0)
    strncpy(in_flight[free_slot], key, sizeof in_flight[0] - 1);
  pthread_mutex_unlock(&in_flight_lock);
  if (overlap)
    return -1;
  return free_slot >= 0 ? free_slot : -2;
}

static void leave_key(int slot) {
  if (slot < 0)
    return;
  pthread_mutex_lock(&in_flight_lock);
  in_flight[slot][0] = '\0';
  pthread_mutex_unlock(&in_flight_lock);
}

static int good_reconcile(cplane_plugin_ctx *ctx, const char *key,
                          uint32_t *requeue_after_ms) {
  const cplane_object *obj = NULL;
  int result = CPLANE_RECONCILE_DONE;
  int slot = enter_key(key);

  if (slot == -1)
    atomic_fetch_add(&stats.overlaps, 1);
  if (api->cache_get(ctx, 0, key, &obj) == CPLANE_OK)
    api->object_release(obj);
  usleep(100); /* widen the window in which an overlap would show */
  if (atomic_load(&stats.retries_left) > 0) {
    atomic_fetch_sub(&stats.retries_left, 1);
    result = CPLANE_RECONCILE_RETRY;
  }
  atomic_fetch_add(&stats.reconciles, 1);
  leave_key(slot);
  return result;
}

static const struct cplane_resource good_resources[] = {
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "configmaps"),
};

static const struct cplane_plugin good_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "good",
    .version = "1.0.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = good_resources,
    .init = good_init,
    .fini = good_fini,
    .on_add = good_add,
    .on_update = good_update,
    .on_delete = good_delete,
    .reconcile = good_reconcile,
};

CPLANE_PLUGIN_DEFINE(good_plugin)
