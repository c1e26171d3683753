/*
 * resourcequota - keeps every ResourceQuota's status (hard and used) in
 * step with what exists, as kube-controller-manager's resourcequota
 * controller: a quota is counted when it is made or its spec.hard
 * changes, when an object of a kind it may count is added, changed
 * (pods, Services and claims, whose usage can change) or deleted in its
 * namespace (deletions free usage the API server's admission charged),
 * and every resync period (5 minutes, as kube's full resync) to correct
 * what admission charged for writes that then failed. The module:
 *
 *   recount  a quota's status from the caches (cplane/quota.h counts)
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue; reconcile runs on the workers with its state on its stack. The
 * globals are the host's function table and the resync period, written
 * once in init().
 */
#include <cplane/cplane.h>

#include "recount.h"

enum {
  RQ_QUOTAS,
  RQ_PODS,
  RQ_SERVICES,
  RQ_CLAIMS,
  RQ_CONFIGMAPS,
  RQ_SECRETS,
  RQ_RCS,
  RQ_DEPLOYMENTS,
  RQ_REPLICASETS,
  RQ_STATEFULSETS,
  RQ_DAEMONSETS,
  RQ_JOBS,
  RQ_CRONJOBS,
  RQ_N
};

static const struct cplane_resource rq_resources[] = {
    [RQ_QUOTAS] = CPLANE_RESOURCE("", "v1", "resourcequotas"),
    [RQ_PODS] = CPLANE_RESOURCE("", "v1", "pods"),
    [RQ_SERVICES] = CPLANE_RESOURCE("", "v1", "services"),
    [RQ_CLAIMS] = CPLANE_RESOURCE("", "v1", "persistentvolumeclaims"),
    [RQ_CONFIGMAPS] = CPLANE_RESOURCE("", "v1", "configmaps"),
    [RQ_SECRETS] = CPLANE_RESOURCE("", "v1", "secrets"),
    [RQ_RCS] = CPLANE_RESOURCE("", "v1", "replicationcontrollers"),
    [RQ_DEPLOYMENTS] = CPLANE_RESOURCE("apps", "v1", "deployments"),
    [RQ_REPLICASETS] = CPLANE_RESOURCE("apps", "v1", "replicasets"),
    [RQ_STATEFULSETS] = CPLANE_RESOURCE("apps", "v1", "statefulsets"),
    [RQ_DAEMONSETS] = CPLANE_RESOURCE("apps", "v1", "daemonsets"),
    [RQ_JOBS] = CPLANE_RESOURCE("batch", "v1", "jobs"),
    [RQ_CRONJOBS] = CPLANE_RESOURCE("batch", "v1", "cronjobs"),
};

/* The counted kinds (all but the quotas), for recount. */
static struct rq_kind rq_kinds[RQ_N - 1];

static const struct cplane_host_api *api;
static uint32_t resync_ms = 300000;

/* Queues every quota of the namespace obj is in. */
static void enqueue_namespace(cplane_plugin_ctx *ctx,
                              const cplane_object *obj) {
  const char *ns = api->object_namespace(obj);
  cplane_object_list *list = NULL;
  size_t i, n;

  if (ns == NULL ||
      api->cache_list(ctx, RQ_QUOTAS, ns, NULL, &list) != CPLANE_OK)
    return;
  n = api->list_len(list);
  for (i = 0; i < n; i++)
    api->enqueue(ctx, api->object_key(api->list_at(list, i)));
  api->list_free(list);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == RQ_QUOTAS)
    api->enqueue(ctx, api->object_key(obj));
  else
    enqueue_namespace(ctx, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  /* A quota's own status writes (ours, and admission's charges) do not
   * call for a count: that would undo charges for creates still on
   * their way to the store. */
  if (res == RQ_QUOTAS) {
    if (old_obj == new_obj || rq_hard_changed(api, new_obj))
      api->enqueue(ctx, api->object_key(new_obj));
    return;
  }
  /* Only these kinds' usage changes with an update (a pod finishing, a
   * Service's type, a claim's size); the others are counted. */
  if (res == RQ_PODS || res == RQ_SERVICES || res == RQ_CLAIMS)
    enqueue_namespace(ctx, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res != RQ_QUOTAS)
    enqueue_namespace(ctx, obj);
}

/* Writes status over the quota as cached (its resourceVersion makes it
 * a compare-and-swap). The reconcile result. */
static int write_status(cplane_plugin_ctx *ctx, const char *key,
                        const cplane_object *quota, const char *status) {
  char *md = api->object_json(quota, "metadata");
  char *spec = api->object_json(quota, "spec");
  char *body = NULL, *msg = NULL;
  int code = -1, rc = CPLANE_RECONCILE_RETRY;

  if (md != NULL)
    body = api->json_format("{'apiVersion':'v1','kind':'ResourceQuota',"
                            "'metadata':%j,'spec':%j,'status':%j}",
                            md, spec != NULL ? spec : "{}", status);
  if (body != NULL)
    code = api->update_status(ctx, &rq_resources[RQ_QUOTAS],
                              api->object_namespace(quota),
                              api->object_name(quota), body, NULL, &msg);
  if (code == 200 || code == 404)
    rc = CPLANE_RECONCILE_DONE;
  else if (code != 409) /* 409: the cache is behind; count again */
    api->log(ctx, CPLANE_LOG_WARN, "%s: status update: %d %s", key, code,
             msg != NULL ? msg : "");
  api->free(md);
  api->free(spec);
  api->free(body);
  api->free(msg);
  return rc;
}

static int rq_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *quota = NULL;
  struct cplane_quota_list *lists = NULL;
  char *status = NULL;
  int rc = CPLANE_RECONCILE_RETRY, counted;

  if (api->cache_get(ctx, RQ_QUOTAS, key, &quota) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  lists = api->alloc(2 * sizeof *lists);
  if (lists == NULL)
    goto out;
  counted = rq_recount(api, ctx, quota, rq_kinds, RQ_N - 1, api->now_ms(ctx),
                       &lists[0], &lists[1]);
  if (!rq_status_same(api, quota, &lists[0], &lists[1])) {
    status = rq_status_json(api, &lists[0], &lists[1]);
    if (status == NULL || write_status(ctx, key, quota, status) !=
                              CPLANE_RECONCILE_DONE)
      goto out;
  }
  if (counted != CPLANE_OK)
    goto out;
  /* kube's full resync: what admission charged for a write that failed
   * is given back at the latest then. */
  *requeue_after_ms = resync_ms;
  rc = CPLANE_RECONCILE_REQUEUE_AFTER;
out:
  api->free(status);
  api->free(lists);
  api->object_release(quota);
  return rc;
}

static int rq_init(cplane_plugin_ctx *ctx, const struct cplane_host_api *host_api,
                   char **errmsg) {
  const char *v;
  int64_t ms;
  uint32_t i;

  api = host_api;
  v = api->config_get(ctx, "resync_period");
  if (v != NULL && v[0] != '\0') {
    if (cplane_duration_parse_ms(v, CPLANE_DURATION_BARE_SECONDS,
                                 24 * 3600000, &ms) != CPLANE_OK ||
        ms <= 0) {
      *errmsg = api->string_dup("resync_period: a duration such as 5m, at "
                                "most 24h");
      return CPLANE_EINVAL;
    }
    resync_ms = (uint32_t)ms;
  }
  for (i = 1; i < RQ_N; i++) {
    rq_kinds[i - 1].res = i;
    rq_kinds[i - 1].group = rq_resources[i].group;
    rq_kinds[i - 1].resource = rq_resources[i].resource;
  }
  api->log(ctx, CPLANE_LOG_INFO,
           "keeping ResourceQuota status in step (resync every %u s)",
           resync_ms / 1000);
  return CPLANE_OK;
}

static const char *const rq_config_keys[] = {"resync_period", NULL};

static const struct cplane_plugin rq_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "resourcequota",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = RQ_N,
    .resources = rq_resources,
    .init = rq_init,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = rq_reconcile,
    .config_keys = rq_config_keys,
};

CPLANE_PLUGIN_DEFINE(rq_plugin)
