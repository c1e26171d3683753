/*
 * disruption - kube's disruption controller: keeps each
 * PodDisruptionBudget's status (expectedPods, currentHealthy,
 * desiredHealthy, disruptionsAllowed, disruptedPods, observedGeneration,
 * the DisruptionAllowed condition) true, so that the eviction API
 * (host/apiserver/verbs_eviction.c) judges evictions on fresh figures;
 * and resets a DisruptionTarget condition left on a pod that was not
 * deleted after all.
 *
 * This file is the plugin's glue over its modules: budget (desired and
 * allowed), scale (expected pods from the controllers), health (healthy
 * pods, disruptedPods), status (the status patch) and stale.
 *
 * Work keys: "ns/name" for a budget; "pod:ns/name" for a pod whose
 * DisruptionTarget may go stale (DIS_POD_KEY).
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue (a pod: every budget in its namespace selecting its old or new
 * labels). reconcile runs on the workers, never for one key on two at
 * once; the plugin keeps no state of its own.
 */
#include <cplane/cplane.h>

#include "budget.h"
#include "dis.h"
#include "health.h"
#include "scale.h"
#include "stale.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_host_api *api;

/* Queues each budget in pod's namespace that selects it. A cache read,
 * allowed on the dispatch thread. */
static void enqueue_budgets(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  cplane_object_list *pdbs = NULL;
  size_t i;

  if (api->cache_list(ctx, DIS_PDBS, api->object_namespace(pod), NULL, &pdbs) !=
      CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(pdbs); i++) {
    const cplane_object *pdb = api->list_at(pdbs, i);
    char *sel = api->label_selector_text(pdb, "spec.selector");

    if (sel != NULL && api->object_labels_match(pod, sel) == 1)
      api->enqueue(ctx, api->object_key(pdb));
    api->free(sel);
  }
  api->list_free(pdbs);
}

/* A pod with a DisruptionTarget to reset: queued for when it is stale. */
static void enqueue_stale(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  int64_t wait = dis_stale_wait_ms(api, pod, api->now_ms(ctx));
  char key[600];

  if (wait < 0 || snprintf(key, sizeof key, "%s%s", DIS_POD_KEY,
                           api->object_key(pod)) >= (int)sizeof key)
    return;
  api->enqueue_after(ctx, key, (uint32_t)(wait < 86400000 ? wait : 86400000));
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == DIS_PDBS) {
    api->enqueue(ctx, api->object_key(obj));
  } else if (res == DIS_PODS) {
    enqueue_budgets(ctx, obj);
    enqueue_stale(ctx, obj);
  }
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  if (res == DIS_PODS && old_obj != new_obj)
    enqueue_budgets(ctx, old_obj); /* labels may have stopped matching */
  on_add(ctx, res, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res == DIS_PODS)
    enqueue_budgets(ctx, obj);
}

/* Resets a stale DisruptionTarget (kube's syncStalePodDisruption). */
static int reconcile_pod(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *after) {
  const cplane_object *pod = NULL;
  int64_t now = api->now_ms(ctx), wait;
  char *patch;
  int code, rc = CPLANE_RECONCILE_DONE;

  if (api->cache_get(ctx, DIS_PODS, key, &pod) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if ((wait = dis_stale_wait_ms(api, pod, now)) < 0)
    goto out;
  if (wait > 0) {
    *after = (uint32_t)(wait < 86400000 ? wait : 86400000);
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  if ((patch = dis_stale_patch(api, pod, now)) == NULL) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  code = api->patch_subresource(ctx, &dis_resources[DIS_PODS],
                                api->object_namespace(pod),
                                api->object_name(pod), "status",
                                CPLANE_PATCH_STRATEGIC, patch, NULL, NULL);
  api->free(patch);
  if (code != 200 && code != 404)
    rc = CPLANE_RECONCILE_RETRY; /* a 409: the cache was behind */
out:
  api->object_release(pod);
  return rc;
}

/* Expected pods and desiredHealthy; -1 with *why owned (api->free). */
static int figures(cplane_plugin_ctx *ctx, const cplane_object *pdb,
                   const cplane_object *const *pods, size_t n,
                   struct dis_figures *f, char **why) {
  const char *bad = NULL;
  size_t unmanaged = 0;

  switch (dis_budget_mode(api, pdb)) {
  case DIS_FROM_SCALE:
    if (dis_expected_scale(api, ctx, pods, n, &f->expected, &unmanaged, why) !=
        0)
      return -1;
    if (unmanaged > 0)
      api->event_record(
          ctx, &dis_resources[DIS_PDBS], pdb, "Normal", "UnmanagedPods",
          "Pods selected by this PodDisruptionBudget were found to be "
          "unmanaged. As a result, the status of the PDB cannot be calculated "
          "correctly, which may result in undefined behavior. To account for "
          "these pods please set \".spec.minAvailable\" field of the PDB to "
          "an integer value.");
    break;
  case DIS_MIN_INT:
    f->expected = (int64_t)n;
    break;
  case DIS_NONE:
    f->expected = 0;
    break;
  }
  if (dis_budget_desired(api, pdb, f->expected, &f->desired, &bad) != 0) {
    *why = api->string_dup(bad);
    return -1;
  }
  return 0;
}

/* kube's trySync, or failSafe when the figures cannot be had. */
static int reconcile_pdb(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *after) {
  const cplane_object *pdb = NULL, **pods = NULL;
  cplane_object_list *list = NULL;
  struct dis_health h = {0, NULL, 0};
  struct dis_figures f = {0, 0, 0, NULL};
  char *sel = NULL, *why = NULL, *patch = NULL, *msg = NULL;
  size_t n = 0, i;
  int rc = CPLANE_RECONCILE_RETRY, code;

  if (api->cache_get(ctx, DIS_PDBS, key, &pdb) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  /* No selector selects nothing; an empty one, every pod. */
  if ((sel = api->label_selector_text(pdb, "spec.selector")) != NULL) {
    if (api->cache_list(ctx, DIS_PODS, api->object_namespace(pdb), sel,
                        &list) != CPLANE_OK)
      goto out;
    n = api->list_len(list);
  }
  if ((pods = calloc(n + 1, sizeof *pods)) == NULL)
    goto out;
  for (i = 0; i < n; i++)
    pods[i] = api->list_at(list, i);
  if (n == 0)
    api->event_record(ctx, &dis_resources[DIS_PDBS], pdb, "Normal", "NoPods",
                      "No matching pods found");
  if (figures(ctx, pdb, pods, n, &f, &why) == 0) {
    if (dis_health(api, ctx, pdb, pods, n, api->now_ms(ctx), &h) != 0)
      goto out;
    f.healthy = h.healthy;
    f.disrupted = h.disrupted;
  } else if (why == NULL) {
    goto out;
  }
  if (dis_status_patch(api, ctx, pdb, &f, why, &patch) != 0)
    goto out;
  if (patch != NULL) {
    code = api->patch_subresource(
        ctx, &dis_resources[DIS_PDBS], api->object_namespace(pdb),
        api->object_name(pdb), "status", CPLANE_PATCH_MERGE, patch, NULL, &msg);
    if (code != 200) {
      /* A 409: an eviction spent a disruption first; figure again. */
      if (code != 409)
        api->log(ctx, CPLANE_LOG_WARN, "status of %s: %d %s", key, code,
                 msg != NULL ? msg : "");
      goto out;
    }
  }
  rc = CPLANE_RECONCILE_DONE;
  if (why != NULL) {
    rc = CPLANE_RECONCILE_RETRY; /* kube retries a failed sync */
  } else if (h.recheck_ms > 0) {
    *after = h.recheck_ms; /* a disrupted pod's deadline */
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  api->free(msg);
  api->free(patch);
  api->free(why);
  free(h.disrupted);
  free(pods);
  api->list_free(list);
  api->free(sel);
  api->object_release(pdb);
  return rc;
}

static int dis_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  if (strncmp(key, DIS_POD_KEY, strlen(DIS_POD_KEY)) == 0)
    return reconcile_pod(ctx, key + strlen(DIS_POD_KEY), requeue_after_ms);
  return reconcile_pdb(ctx, key, requeue_after_ms);
}

static int dis_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "keeping PodDisruptionBudgets' status");
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own. */
static const char *const dis_config_keys[] = {NULL};

static const struct cplane_plugin disruption_plugin = {
    CPLANE_PLUGIN_HEADER,       .name = "disruption",
    .version = "0.1.0",         .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 6,           .resources = dis_resources,
    .init = dis_init,           .on_add = on_add,
    .on_update = on_update,     .on_delete = on_delete,
    .reconcile = dis_reconcile, .config_keys = dis_config_keys,
};

CPLANE_PLUGIN_DEFINE(disruption_plugin)
