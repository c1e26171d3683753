/*
 * replicaset - keeps the pods a ReplicaSet controls (ownerReferences with
 * controller: true) at spec.replicas, and its status true.
 *
 * Creates and deletes happen in bounded batches, and each batch is
 * remembered as an expectation (creates and deletes still to be seen in
 * the cache) so that a cache that lags behind never causes a second batch:
 * the ReplicaSet is not acted on again until the events arrive or five
 * minutes pass. Extra pods go least valuable first: unscheduled, then not
 * running, then the rest.
 *
 * Pods that match the selector and have no controller are adopted; owned
 * pods whose labels stop matching are released (both by a strategic merge
 * patch of ownerReferences guarded by the pod's resourceVersion).
 *
 * Built with RS_REPLICATIONCONTROLLER (see rs.h), the same code is the
 * replicationcontroller plugin, for the legacy kind.
 *
 * This file is the plugin's glue over its modules: expectations,
 * orphanscan (which ReplicaSets look for orphans), claim (adopt and
 * release), pods (ready, available, value), recheck (a ReplicaSet
 * being deleted, read past a lagging cache, gets no new pod) and
 * podwrites (creates, deletes, status).
 *
 * Threading: callbacks run on the host's dispatch thread and only enqueue
 * and count expectations; reconcile runs on the workers, never for one
 * key on two at once. The expectation table and the scan set have their
 * own mutexes.
 */
#include <cplane/cplane.h>

#include "claim.h"
#include "orphanscan.h"
#include "pods.h"
#include "podwrites.h"
#include "recheck.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 500 /* creates or deletes per round, as Kubernetes' burst */

static const struct cplane_host_api *api;
/* Set up in init, torn down in fini; each guards itself. */
static struct cplane_expectations expect;
static struct rs_scanset scan;

/* "ns/name" of the ReplicaSet controlling pod, into buf; 0 if none. */
static int owner_key(const cplane_object *pod, char *buf, size_t len) {
  return cplane_controller_key(api, pod, RS_OWNER_KIND, buf, len);
}

/* An orphan pod: queue every ReplicaSet in its namespace whose selector
 * matches it, to adopt it. A cache read, so fine on the dispatch thread;
 * orphans are rare. */
static void enqueue_adopters(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  cplane_object_list *list = NULL;
  size_t i;

  if (api->object_controller_uid(pod) != NULL ||
      api->object_deletion_timestamp(pod) != NULL ||
      api->cache_list(ctx, RS_REPLICASETS, api->object_namespace(pod), NULL,
                      &list) != CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(list); i++) {
    const cplane_object *rs = api->list_at(list, i);
    char *sel = rs_selector_text(api, rs);

    if (sel != NULL && sel[0] != '\0' &&
        api->object_labels_match(pod, sel) == 1) {
      rs_scan_want(&scan, api->object_key(rs));
      api->enqueue(ctx, api->object_key(rs));
    }
    api->free(sel);
  }
  api->list_free(list);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[300];

  if (res == RS_REPLICASETS) {
    rs_scan_want(&scan,
                 api->object_key(obj)); /* first seen: look for orphans */
    api->enqueue(ctx, api->object_key(obj));
  } else if (owner_key(obj, key, sizeof key)) {
    cplane_expect_observed(&expect, key, 1, 0);
    api->enqueue(ctx, key);
  } else {
    enqueue_adopters(ctx, obj);
  }
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char key[300];

  (void)old_obj;
  if (res == RS_REPLICASETS)
    api->enqueue(ctx, api->object_key(new_obj));
  else if (owner_key(new_obj, key, sizeof key))
    api->enqueue(ctx, key);
  else
    enqueue_adopters(ctx, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[300];

  if (res == RS_REPLICASETS) {
    cplane_expect_forget(&expect, api->object_key(obj));
    rs_scan_take(&scan, api->object_key(obj));
  } else if (owner_key(obj, key, sizeof key)) {
    cplane_expect_observed(&expect, key, 0, 1);
    api->enqueue(ctx, key);
  }
}

static int rs_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *rs = NULL;
  cplane_object_list *owned = NULL, *matching = NULL;
  struct rs_pod_set set = {NULL, 0, 0};
  char *selector = NULL;
  int64_t want = 1, min_ready = 0;
  int ready = 0, available = 0, rc = CPLANE_RECONCILE_DONE;
  uint32_t next_ms = 0;

  if (api->cache_get(ctx, RS_REPLICASETS, key, &rs) != CPLANE_OK) {
    cplane_expect_forget(&expect, key);
    return CPLANE_RECONCILE_DONE;
  }
  if (api->object_deletion_timestamp(rs) != NULL)
    goto out; /* the garbage collector's turn */
  if (!cplane_expect_satisfied(&expect, key, api->now_ms(ctx))) {
    *requeue_after_ms = 500;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  if ((selector = rs_selector_text(api, rs)) == NULL || selector[0] == '\0') {
    /* The API server refuses these; one from elsewhere is left alone. */
    api->log(ctx, CPLANE_LOG_WARN,
             "%s: spec.selector is missing, empty or "
             "invalid: not managing its pods",
             key);
    goto out;
  }
  api->object_int(rs, "spec.replicas", &want);
  if (api->cache_list_by_index(ctx, RS_PODS, "owner-uid", api->object_uid(rs),
                               NULL, &owned) != CPLANE_OK)
    goto out;
  if (rs_scan_take(&scan, key) &&
      api->cache_list(ctx, RS_PODS, api->object_namespace(rs), selector,
                      &matching) != CPLANE_OK) {
    rs_scan_want(&scan, key);
    goto out;
  }
  if (rs_claim_pods(api, ctx, rs, selector, owned, matching, &set) != 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  api->object_int(rs, "spec.minReadySeconds", &min_ready);
  rs_count_ready(api, set.pods, set.n, min_ready, cplane_now_s(api, ctx),
                 &ready, &available, &next_ms);
  if (set.n < want) {
    int make = (int)(want - set.n) > BATCH ? BATCH : (int)(want - set.n);
    int live = rs_live(api, ctx, rs);

    if (live < 0 ||
        (live > 0 && rs_create_pods(api, &expect, ctx, rs, key, make) < 0))
      rc = CPLANE_RECONCILE_RETRY;
    if (live == 0)
      goto out; /* being deleted: the cache will say so; no status */
  } else if (set.n > want) {
    int drop = (int)(set.n - want) > BATCH ? BATCH : (int)(set.n - want);

    if (rs_delete_pods(api, &expect, ctx, key, set.pods, set.n, drop) < 0)
      rc = CPLANE_RECONCILE_RETRY;
  }
  rs_update_status(api, ctx, rs, set.n, ready, available);
  /* Nothing else would wake us when a pod's minReadySeconds pass. */
  if (rc == CPLANE_RECONCILE_DONE && next_ms > 0) {
    *requeue_after_ms = next_ms;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  free(set.pods);
  api->free(selector);
  api->list_free(owned);
  api->list_free(matching);
  api->object_release(rs);
  return rc;
}

static int rs_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  api = host_api;
  if (cplane_expectations_init(&expect) != CPLANE_OK) {
    static const char oom[] = "out of memory for the expectation map";

    if ((*errmsg = api->alloc(sizeof oom)) != NULL)
      memcpy(*errmsg, oom, sizeof oom);
    return CPLANE_ENOMEM;
  }
  if (rs_scan_init(&scan) != CPLANE_OK) {
    static const char oom[] = "out of memory for the orphan scan set";

    cplane_expectations_free(&expect);
    if ((*errmsg = api->alloc(sizeof oom)) != NULL)
      memcpy(*errmsg, oom, sizeof oom);
    return CPLANE_ENOMEM;
  }
  api->log(ctx, CPLANE_LOG_INFO, "keeping %ss at their replicas",
           RS_OWNER_KIND);
  return CPLANE_OK;
}

static void rs_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  rs_scan_free(&scan);
  cplane_expectations_free(&expect);
}
/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const replicaset_config_keys[] = {NULL};

static const struct cplane_plugin replicaset_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = RS_PLUGIN_NAME,
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = rs_resources,
    .init = rs_init,
    .fini = rs_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = rs_reconcile,
    .config_keys = replicaset_config_keys,
};

CPLANE_PLUGIN_DEFINE(replicaset_plugin)
