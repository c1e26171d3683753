/*
 * podgc - deletes the pods no one else will, as kube-controller-manager's
 * pod garbage collector does, every `gc_interval`:
 *
 *  - terminated pods (Succeeded or Failed) beyond
 *    `terminated_pod_gc_threshold`, evicted ones first, then oldest;
 *  - terminating pods on a node that is not Ready and has the
 *    node.kubernetes.io/out-of-service taint;
 *  - pods bound to a node that no longer exists, once the node has been
 *    missing for `orphan_quarantine` and the API server confirms it is
 *    gone: they get phase Failed and the DisruptionTarget condition
 *    (DeletionByPodGC) first;
 *  - terminating pods that were never scheduled.
 *
 * Each is deleted with gracePeriodSeconds 0 (a pod not yet terminal is
 * marked Failed first), as kube does.
 *
 * This file is the glue over its modules: config, select (which pods),
 * quarantine (missing nodes), writes (fail and delete).
 *
 * Work keys: "gc" only, requeued every gc_interval. init() cannot
 * enqueue, so the first object the caches deliver queues it; a node
 * deleted queues it too.
 *
 * Threading: callbacks only enqueue; the one key never runs on two
 * workers at once. The configuration is set in init and only read after;
 * the quarantine guards itself.
 */
#include <cplane/cplane.h>

#include "config.h"
#include "quarantine.h"
#include "select.h"
#include "writes.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define GC_KEY "gc"

static const struct cplane_host_api *api;
static struct pgc_config cfg;
static struct pgc_quarantine quarantine;
/* Set by the first callback, which starts the "gc" loop. */
static atomic_flag started = ATOMIC_FLAG_INIT;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "nodes"),
};
#define PODS 0
#define NODES 1

/* The first object seen starts the loop (an empty cluster has nothing
 * to collect). */
static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  (void)res;
  (void)obj;
  if (!atomic_flag_test_and_set(&started))
    api->enqueue(ctx, GC_KEY);
}

/* A node went: its pods may be orphans (after the quarantine). */
static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  (void)obj;
  if (res == NODES)
    api->enqueue(ctx, GC_KEY);
}

/* The node named `name` in the cache (retained), or NULL. */
static const cplane_object *cached_node(cplane_plugin_ctx *ctx,
                                        const char *name) {
  const cplane_object *n = NULL;

  if (name == NULL || name[0] == '\0' ||
      api->cache_get(ctx, NODES, name, &n) != CPLANE_OK)
    return NULL;
  return n;
}

/* 1 when the API server holds no node `name` (a live read, as kube's
 * checkIfNodeExists), 0 when it does or cannot tell. */
static int node_gone(cplane_plugin_ctx *ctx, const char *name) {
  const cplane_object *n = NULL;
  char *msg = NULL;
  int code = api->get(ctx, &resources[NODES], NULL, name, &n, &msg);

  api->object_release(n);
  api->free(msg);
  return code == 404;
}

/* Pods bound to a missing node: quarantined first, deleted once it is
 * confirmed gone. Returns -1 after a failed write. */
static int orphans(cplane_plugin_ctx *ctx, const cplane_object *pod,
                   int64_t now) {
  const char *node = api->object_string(pod, "spec.nodeName");
  int due;

  if (node == NULL || node[0] == '\0')
    return 0;
  due = pgc_quarantine_missing(&quarantine, node, now, cfg.quarantine_ms);
  if (due <= 0 || !node_gone(ctx, node))
    return 0;
  return pgc_fail_and_delete(api, ctx, pod, 1, "its node no longer exists");
}

/* One pass over every cached pod. 0, or -1 when a write failed. */
static int sweep(cplane_plugin_ctx *ctx, cplane_object_list *pods) {
  size_t i, n = api->list_len(pods), n_term = 0, victims;
  const cplane_object **term = calloc(n ? n : 1, sizeof *term);
  int64_t now = api->now_ms(ctx);
  int failed = 0;

  if (term == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const cplane_object *pod = api->list_at(pods, i);
    const char *nn = api->object_string(pod, "spec.nodeName");
    const cplane_object *node = cached_node(ctx, nn);

    if (pgc_terminated(api, pod))
      term[n_term++] = pod;
    if (nn != NULL && nn[0] != '\0' && node == NULL)
      failed |= orphans(ctx, pod, now) != 0;
    else if (node != NULL)
      pgc_quarantine_forget(&quarantine, nn);
    if (pgc_out_of_service(api, pod, node))
      failed |= pgc_fail_and_delete(api, ctx, pod, 0,
                                    "terminating on an out-of-service "
                                    "node") != 0;
    else if (pgc_unscheduled_terminating(api, pod))
      failed |= pgc_fail_and_delete(api, ctx, pod, 0,
                                    "terminating, never scheduled") != 0;
    api->object_release(node);
  }
  victims = pgc_terminated_victims(api, term, n_term, cfg.threshold);
  if (victims > 0)
    api->log(ctx, CPLANE_LOG_INFO,
             "%zu terminated pods, threshold %lld: deleting the %zu oldest",
             n_term, (long long)cfg.threshold, victims);
  for (i = 0; i < victims; i++)
    failed |= pgc_fail_and_delete(api, ctx, term[i], 0,
                                  "terminated, over the threshold") != 0;
  free(term);
  return failed ? -1 : 0;
}

static int pgc_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  cplane_object_list *pods = NULL;
  int failed;

  if (strcmp(key, GC_KEY) != 0)
    return CPLANE_RECONCILE_TERMINAL;
  if (!api->cache_has_synced(ctx, PODS) || !api->cache_has_synced(ctx, NODES) ||
      api->cache_list(ctx, PODS, NULL, NULL, &pods) != CPLANE_OK) {
    *requeue_after_ms = cfg.interval_ms;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  failed = sweep(ctx, pods);
  api->list_free(pods);
  if (failed)
    api->log(ctx, CPLANE_LOG_DEBUG, "a pod write failed; again in %u ms",
             (unsigned)cfg.interval_ms);
  /* As kube: whatever failed is looked at again on the next period. */
  *requeue_after_ms = cfg.interval_ms;
  return CPLANE_RECONCILE_REQUEUE_AFTER;
}

static int pgc_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  const char *bad;

  api = host_api;
  if ((bad = pgc_configure(api, ctx, &cfg)) != NULL) {
    *errmsg = api->string_dup(bad);
    return CPLANE_EINVAL;
  }
  if (pgc_quarantine_init(&quarantine) != 0) {
    *errmsg = api->string_dup("out of memory for the node quarantine");
    return CPLANE_ENOMEM;
  }
  atomic_flag_clear(&started);
  api->log(ctx, CPLANE_LOG_INFO,
           "collecting pods every %u ms (terminated beyond %lld, orphans "
           "after %u ms)",
           (unsigned)cfg.interval_ms, (long long)cfg.threshold,
           (unsigned)cfg.quarantine_ms);
  return CPLANE_OK;
}

static void pgc_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  pgc_quarantine_free(&quarantine);
}

static const char *const pgc_config_keys[] = {
    "terminated_pod_gc_threshold", "gc_interval", "orphan_quarantine", NULL};

static const struct cplane_plugin pgc_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "podgc",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = resources,
    .init = pgc_init,
    .fini = pgc_fini,
    .on_add = on_add,
    .on_delete = on_delete,
    .reconcile = pgc_reconcile,
    .config_keys = pgc_config_keys,
};

CPLANE_PLUGIN_DEFINE(pgc_plugin)
