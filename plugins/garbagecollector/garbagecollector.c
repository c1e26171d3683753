/*
 * garbagecollector - deletes what is owned by something that is gone, as
 * the three propagation policies ask, over the ownerReferences graph of
 * every kind, custom resources included, as kube's collector covers them:
 * the kinds most objects are (Deployment, ReplicaSet, Pod, ConfigMap,
 * Secret, Lease, Node, CustomResourceDefinition) through caches, every
 * other kind discovery lists as listable, watchable and deletable through
 * a list every `scan_interval` (the plugin ABI fixes the watched kinds at
 * load; see scan.h). A namespaced object may be owned by a cluster-scoped
 * one, such as a node's Lease by its Node:
 *
 *  - Background: the owner left the store; each dependent (an object whose
 *    ownerReferences name its uid) is deleted, or, when it has another
 *    owner that still exists, only loses the reference to the gone one.
 *  - Foreground: the owner is being deleted and holds the
 *    foregroundDeletion finalizer; its dependents are deleted (in the
 *    foreground too, so the cascade runs bottom up), and once no dependent
 *    with blockOwnerDeletion is left the finalizer goes, which lets the
 *    owner go.
 *  - Orphan: the owner holds the orphan finalizer; the reference is removed
 *    from each dependent, then the finalizer.
 *
 * Dangling references (an owner deleted while the collector was not
 * running) are found when a dependent is seen: an owner that is in no
 * cache (or, of a found kind, not on the API server) is looked for again
 * after 5 s (a new owner may not be in the cache yet), and the dependent
 * is collected if it is still missing. Owners of kinds discovery does not
 * list are never presumed gone.
 *
 * Reconcile keys: "gone/<uid>" for an owner that left the store,
 * "owner/<res>/<key>" for an owner being deleted, "check/<res>/<key>" and
 * "confirm/<res>/<key>" for a dependent whose owners are verified,
 * "discover" and "scan" for the kinds found through discovery.
 *
 * The modules: gc.h (the watched kinds), keys.h (the reconcile keys and
 * which events make them), discovery.h (which kinds discovery adds),
 * dyn.h (those kinds and their last lists), scan.h (discovering and
 * listing them), graph.h (owners and dependents), writes.h (release,
 * collect, unfinalize), propagate.h (the policies), dangling.h (the
 * recheck). This file is the plugin's glue.
 *
 * Threading: callbacks only enqueue; reconcile runs on the workers, never
 * one key on two at once.
 */
#include "dangling.h"
#include "gc.h"
#include "keys.h"
#include "propagate.h"
#include "scan.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* How often discovery is read again besides CRD events, as kube's
 * collector does. */
#define DISCOVERY_MS 30000u

/* Set once by gc_init, before any callback; read-only after. */
static const struct cplane_host_api *api;
/* The kinds found through discovery (dyn.h guards itself); set up in
 * init, torn down in fini, reached by the modules through userdata. */
static struct gc_dyntable dyn;
/* scan_interval; set in init, read-only after. */
static uint32_t scan_ms;
/* Set by the first callback, which starts discovery and the scans:
 * init() cannot enqueue. A custom resource cannot exist without its CRD,
 * whose add event comes first. */
static atomic_flag started = ATOMIC_FLAG_INIT;

static void start_scans(cplane_plugin_ctx *ctx) {
  if (atomic_flag_test_and_set(&started))
    return;
  api->enqueue(ctx, "discover");
  api->enqueue(ctx, "scan");
}

static void enqueue_for(cplane_plugin_ctx *ctx, const char *what, uint32_t res,
                        const cplane_object *obj) {
  char key[GC_KEY_MAX];

  if (gc_key_format(key, sizeof key, what, res, api->object_key(obj)) == 0)
    api->enqueue(ctx, key);
}

/* ---- events ---- */

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  start_scans(ctx);
  if (res == GC_CRDS)
    api->enqueue(ctx, "discover"); /* a new or changed custom resource */
  if (gc_owner_pending(api, obj))
    enqueue_for(ctx, "owner", res, obj);
  if (api->object_len(obj, GC_OWNERS) > 0)
    enqueue_for(ctx, "check", res, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  if (res == GC_CRDS && old_obj != new_obj)
    api->enqueue(ctx, "discover"); /* e.g. established, a version added */
  if (gc_owner_pending(api, new_obj))
    enqueue_for(ctx, "owner", res, new_obj);
  if (gc_owners_changed(api, old_obj, new_obj))
    enqueue_for(ctx, "check", res, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[160];

  (void)res;
  if (cplane_finalizer_has(api, obj, "orphan") || api->object_uid(obj) == NULL)
    return;
  snprintf(key, sizeof key, "gone/%s", api->object_uid(obj));
  api->enqueue(ctx, key);
}

/* ---- reconcile ---- */

static int gc_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  struct gc_key k;

  if (gc_key_parse(key, &k) < 0)
    return CPLANE_RECONCILE_TERMINAL;
  switch (k.kind) {
  case GC_KEY_GONE:
    return gc_handle_dependents(api, ctx, k.rest, GC_BACKGROUND) < 0
               ? CPLANE_RECONCILE_RETRY
               : CPLANE_RECONCILE_DONE;
  case GC_KEY_OWNER:
    return gc_reconcile_owner(api, ctx, k.res, k.rest, requeue_after_ms);
  case GC_KEY_DISCOVER:
    return gc_discover(api, ctx, &dyn, DISCOVERY_MS, requeue_after_ms);
  case GC_KEY_SCAN:
    return gc_scan(api, ctx, &dyn, scan_ms, requeue_after_ms);
  case GC_KEY_CHECK:
  case GC_KEY_CONFIRM:
    break;
  }
  return gc_reconcile_dependent(api, ctx, k.res, k.rest,
                                k.kind == GC_KEY_CONFIRM);
}

static int gc_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  const char *v;
  int64_t ms = 2000;
  uint32_t r;

  api = host_api;
  v = api->config_get(ctx, "scan_interval");
  if (v != NULL && v[0] != '\0' &&
      (cplane_duration_parse_ms(v, CPLANE_DURATION_BARE_SECONDS, 3600000,
                                &ms) != CPLANE_OK ||
       ms < 100)) {
    *errmsg = api->string_dup("scan_interval: a duration such as 2s, at "
                              "least 100ms and at most 1h");
    return CPLANE_EINVAL;
  }
  scan_ms = (uint32_t)ms;
  for (r = 0; r < GC_N_RES; r++)
    if (api->cache_add_index(ctx, r, "uid", "metadata.uid") != CPLANE_OK)
      return CPLANE_EINVAL;
  if (gc_dyn_init(&dyn) != 0) {
    *errmsg = api->string_dup("out of memory for the discovered kinds");
    return CPLANE_ENOMEM;
  }
  api->set_userdata(ctx, &dyn);
  atomic_flag_clear(&started);
  api->log(ctx, CPLANE_LOG_INFO,
           "collecting the dependents of deleted objects of every kind "
           "(kinds beyond the cached ones listed every %u ms)",
           (unsigned)scan_ms);
  return CPLANE_OK;
}

static void gc_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  gc_dyn_free(api, &dyn);
}

/* scan_interval: how often the kinds found through discovery are listed
 * (scan.h). */
static const char *const gc_config_keys[] = {"scan_interval", NULL};

/* Beyond what it watches: dependents of every kind are patched and
 * deleted (confine_plugins). */
static const struct cplane_resource gc_writes[] = {
    CPLANE_RESOURCE("*", "v1", "*"),
};

static const struct cplane_plugin gc_plugin = {
    CPLANE_PLUGIN_HEADER,      .name = "garbagecollector",
    .version = "0.3.0",        .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = GC_N_RES,   .resources = gc_resources,
    .init = gc_init,           .fini = gc_fini,
    .on_add = on_add,
    .on_update = on_update,    .on_delete = on_delete,
    .reconcile = gc_reconcile, .config_keys = gc_config_keys,
    .n_writes = 1,             .writes = gc_writes,
};

CPLANE_PLUGIN_DEFINE(gc_plugin)
