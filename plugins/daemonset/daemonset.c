/*
 * daemonset - one pod per eligible node for each DaemonSet, as
 * kube-controller-manager's daemon set controller: pods are placed
 * through the scheduler (a required `metadata.name In [node]` affinity),
 * follow nodes as they come, go and change, roll out a new template
 * (RollingUpdate with maxUnavailable/maxSurge, or OnDelete), keep
 * ControllerRevisions for `kubectl rollout history|undo`, and report
 * status. This file is the plugin's glue: its descriptor, its dispatch
 * callbacks and the reconcile that runs the modules in order:
 *
 *   view         the DaemonSet's nodes (nodefit), pods and revisions
 *   revisions    the current ControllerRevision and its hash
 *   claim        orphans adopted, pods that stop matching released
 *   plan         kube's manage(): creates, deletes, failed pods
 *   backoff      failed pods are deleted after a per-node back-off
 *   rolling      the RollingUpdate step once manage has nothing to do
 *   podwrites    the writes (podbody builds the pods), events, status
 *
 * Threading: callbacks run on the host's dispatch threads and only read
 * the cache, count expectations and enqueue; reconcile runs on the
 * workers, never for one key on two at once. The expectation and
 * back-off tables have their own mutexes.
 */
#include <cplane/cplane.h>

#include "backoff.h"
#include "claim.h"
#include "podwrites.h"
#include "revisions.h"
#include "rolling.h"
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How soon to look again when the cache has not caught up. */
#define CACHE_LAG_MS 500

static const struct cplane_host_api *api;
/* Set up in init, torn down in fini; each guards itself. */
static struct cplane_expectations expect;
static struct ds_backoff backoff;

static int owner_key(const cplane_object *obj, char *buf, size_t len) {
  return cplane_controller_key(api, obj, "DaemonSet", buf, len);
}

/* Every DaemonSet: a node's change may concern any of them. */
static void enqueue_all(cplane_plugin_ctx *ctx) {
  cplane_object_list *all = NULL;
  size_t i;

  if (api->cache_list(ctx, DS_DAEMONSETS, NULL, NULL, &all) != CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(all); i++)
    api->enqueue(ctx, api->object_key(api->list_at(all, i)));
  api->list_free(all);
}

/* 1 when the value at path differs between the two objects. */
static int differs(const cplane_object *a, const cplane_object *b,
                   const char *path) {
  char *x = api->object_json(a, path), *y = api->object_json(b, path);
  int d = (x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0);

  api->free(x);
  api->free(y);
  return d;
}

/* An orphan pod: every DaemonSet in its namespace whose selector matches
 * it, to adopt it. A cache read; orphans are rare. */
static void enqueue_adopters(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  cplane_object_list *list = NULL;
  size_t i;

  if (api->object_controller_uid(pod) != NULL ||
      api->object_deletion_timestamp(pod) != NULL ||
      api->cache_list(ctx, DS_DAEMONSETS, api->object_namespace(pod), NULL,
                      &list) != CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(list); i++) {
    const cplane_object *ds = api->list_at(list, i);
    char *sel = api->label_selector_text(ds, "spec.selector");

    if (sel != NULL && sel[0] != '\0' &&
        api->object_labels_match(pod, sel) == 1)
      api->enqueue(ctx, api->object_key(ds));
    api->free(sel);
  }
  api->list_free(list);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[512];

  if (res == DS_DAEMONSETS) {
    api->enqueue(ctx, api->object_key(obj));
  } else if (res == DS_NODES) {
    enqueue_all(ctx);
  } else if (owner_key(obj, key, sizeof key)) {
    if (res == DS_PODS)
      cplane_expect_observed(&expect, key, 1, 0);
    api->enqueue(ctx, key);
  } else if (res == DS_PODS) {
    enqueue_adopters(ctx, obj);
  }
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char key[512];

  if (res == DS_DAEMONSETS) {
    api->enqueue(ctx, api->object_key(new_obj));
  } else if (res == DS_NODES) {
    /* Only what decides placement: not the heartbeats in status. */
    if (old_obj != new_obj && (differs(old_obj, new_obj, "metadata.labels") ||
                               differs(old_obj, new_obj, "spec")))
      enqueue_all(ctx);
  } else {
    if (old_obj != new_obj && owner_key(old_obj, key, sizeof key))
      api->enqueue(ctx, key);
    if (owner_key(new_obj, key, sizeof key))
      api->enqueue(ctx, key);
    else if (res == DS_PODS)
      enqueue_adopters(ctx, new_obj);
  }
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[512], prefix[300];

  if (res == DS_DAEMONSETS) {
    cplane_expect_forget(&expect, api->object_key(obj));
    snprintf(prefix, sizeof prefix, "%s/", api->object_uid(obj));
    ds_backoff_forget(&backoff, prefix, api->now_ms(ctx));
  } else if (res == DS_NODES) {
    enqueue_all(ctx);
  } else if (owner_key(obj, key, sizeof key)) {
    if (res == DS_PODS)
      cplane_expect_observed(&expect, key, 0, 1);
    api->enqueue(ctx, key);
  }
}

/* Keeps the sooner of two requeue delays (0: none). */
static void sooner(uint32_t *after, int64_t ms) {
  uint32_t v = ms > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ms;

  if (ms > 0 && (*after == 0 || v < *after))
    *after = v;
}

/* Failed and succeeded pods join the deletes once their node's back-off
 * allows, with kube's FailedDaemonPod event for a failed one. */
static void take_failed(cplane_plugin_ctx *ctx, const struct ds_view *v,
                        struct ds_plan *p, uint32_t *after) {
  int i;

  for (i = 0; i < p->n_failed; i++) {
    const struct ds_pod *pod = &v->pod[p->failed[i]];
    const char *node = v->node[pod->node].name;
    char key[512];
    int64_t wait;

    snprintf(key, sizeof key, "%s/%s", api->object_uid(v->ds), node);
    if ((wait = ds_backoff_take(&backoff, key, api->now_ms(ctx))) > 0) {
      sooner(after, wait);
      continue;
    }
    if (pod->phase == DS_PHASE_FAILED)
      api->event_record(
          ctx, &ds_resources[DS_DAEMONSETS], v->ds, "Warning",
          "FailedDaemonPod",
          "Found failed daemon pod %s/%s on node %s, will try to kill it",
          api->object_namespace(v->ds), pod->name, node);
    p->del[p->n_del++] = p->failed[i];
  }
  p->n_failed = 0;
}

/* The plan's creates and deletes. 0, or -1 after a failure. */
static int carry_out(cplane_plugin_ctx *ctx, const struct ds_view *v,
                     const struct ds_podbody *body, const struct ds_plan *p) {
  const char **names =
      malloc(((size_t)(p->n_create > p->n_del ? p->n_create : p->n_del) + 1) *
             sizeof *names);
  int i, rc = 0;

  if (names == NULL)
    return -1;
  for (i = 0; i < p->n_del; i++)
    names[i] = v->pod[p->del[i]].name;
  if (ds_delete_pods(api, ctx, &expect, v->ds, names, p->n_del) != 0)
    rc = -1;
  for (i = 0; i < p->n_create; i++)
    names[i] = v->node[p->create[i]].name;
  if (ds_create_pods(api, ctx, &expect, v->ds, body, names, p->n_create) != 0)
    rc = -1;
  free(names);
  return rc;
}

/* Hashes pods still run, so their revisions are kept. */
static int live_hashes(const struct ds_view *v, struct cplane_sset *live) {
  int i;

  if (cplane_sset_init(live) != 0)
    return -1;
  for (i = 0; i < v->n_pods; i++) {
    const char *h = api->object_label(v->pod_obj[i], CPLANE_POD_REVISION_LABEL);

    if (h != NULL && cplane_sset_add(live, h) != 0)
      return -1;
  }
  return 0;
}

/* kube's updateDaemonSet: manage, then the rolling step, then history. */
static int sync_pods(cplane_plugin_ctx *ctx, struct ds_view *v,
                     const char *hash, uint32_t *after) {
  struct ds_podbody body = {NULL, NULL};
  struct ds_plan p;
  struct cplane_sset live = {0};
  int max_unavail, max_surge, desired = 0, i, rc = -1;

  for (i = 0; i < v->n_nodes; i++)
    desired += v->node[i].should_run;
  ds_rolling_limits(api, v->ds, desired, &max_unavail, &max_surge);
  if (ds_plan_init(&p, v->n_nodes, v->n_pods) != 0 ||
      ds_podbody_init(api, v->ds, hash, v->generation, &body) != 0)
    goto out;
  ds_plan_manage(v->node, v->n_nodes, v->pod, v->n_pods, &v->g, max_surge > 0,
                 &p);
  take_failed(ctx, v, &p, after);
  if (p.n_create == 0 && p.n_del == 0)
    ds_rolling_plan(v->node, v->n_nodes, v->pod, &v->g, max_unavail, max_surge,
                    desired, &p);
  rc = carry_out(ctx, v, &body, &p);
  if (live_hashes(v, &live) != 0 ||
      ds_revisions_cleanup(api, ctx, v->ds, v->revs, hash, &live) != 0)
    rc = -1;
out:
  cplane_sset_free(&live);
  ds_podbody_free(&body);
  ds_plan_free(&p);
  return rc;
}

static int ds_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *ds = NULL;
  struct ds_view v;
  struct ds_status st;
  char hash[32] = "", *sel = NULL;
  uint32_t after = 0;
  int rc = CPLANE_RECONCILE_DONE, r, synced;

  memset(&v, 0, sizeof v);
  if (api->cache_get(ctx, DS_DAEMONSETS, key, &ds) != CPLANE_OK) {
    cplane_expect_forget(&expect, key);
    return CPLANE_RECONCILE_DONE;
  }
  if (api->object_deletion_timestamp(ds) != NULL)
    goto out; /* the garbage collector's turn */
  if ((sel = api->label_selector_text(ds, "spec.selector")) == NULL ||
      sel[0] == '\0') {
    api->event_record(ctx, &ds_resources[DS_DAEMONSETS], ds, "Warning",
                      "SelectingAll",
                      "This daemon set is selecting all pods. A non-empty "
                      "selector is required.");
    goto out;
  }
  if (ds_view_load(api, ctx, ds, &v) != 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if ((r = ds_revisions_sync(api, ctx, ds, v.revs, hash, sizeof hash)) != 0) {
    rc = r < 0 ? CPLANE_RECONCILE_RETRY : CPLANE_RECONCILE_REQUEUE_AFTER;
    after = CACHE_LAG_MS;
    goto out;
  }
  if ((r = ds_claim_pods(api, ctx, ds, sel)) != 0) {
    /* Adopted pods count once the cache shows them as ours. */
    rc = r < 0 ? CPLANE_RECONCILE_RETRY : CPLANE_RECONCILE_REQUEUE_AFTER;
    after = CACHE_LAG_MS;
    goto out;
  }
  if (ds_view_load_pods(api, ctx, &v, hash, api->now_ms(ctx)) != 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  synced = cplane_expect_satisfied(&expect, key, api->now_ms(ctx));
  if (!synced)
    sooner(&after, CACHE_LAG_MS); /* the pod events wake us sooner */
  else if (sync_pods(ctx, &v, hash, &after) != 0)
    rc = CPLANE_RECONCILE_RETRY;
  ds_plan_status(v.node, v.n_nodes, v.pod, &v.g, &st);
  ds_write_status(api, ctx, ds, &st, synced);
  sooner(&after, v.next_available_ms);
out:
  if (rc == CPLANE_RECONCILE_DONE && after > 0)
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  if (rc == CPLANE_RECONCILE_REQUEUE_AFTER)
    *requeue_after_ms = after;
  ds_view_free(api, &v);
  api->free(sel);
  api->object_release(ds);
  return rc;
}

static int ds_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  api = host_api;
  if (cplane_expectations_init(&expect) != 0) {
    *errmsg = api->string_dup("out of memory for the expectation table");
    return CPLANE_ENOMEM;
  }
  if (ds_backoff_init(&backoff) != 0) {
    cplane_expectations_free(&expect);
    *errmsg = api->string_dup("out of memory for the back-off table");
    return CPLANE_ENOMEM;
  }
  api->log(ctx, CPLANE_LOG_INFO, "keeping a pod on every DaemonSet's nodes");
  return CPLANE_OK;
}

static void ds_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  ds_backoff_free(&backoff);
  cplane_expectations_free(&expect);
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const daemonset_config_keys[] = {NULL};

static const struct cplane_plugin daemonset_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "daemonset",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 4,
    .resources = ds_resources,
    .init = ds_init,
    .fini = ds_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = ds_reconcile,
    .config_keys = daemonset_config_keys,
};

CPLANE_PLUGIN_DEFINE(daemonset_plugin)
