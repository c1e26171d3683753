/*
 * job - runs Jobs to completion as kube's job controller does: pods
 * toward parallelism and completions, backoffLimit with the exponential
 * pod back-off, activeDeadlineSeconds, Indexed completion, suspend,
 * podFailurePolicy, the FailureTarget/Failed and SuccessCriteriaMet/
 * Complete conditions, and every finished pod counted exactly once
 * through the batch.kubernetes.io/job-tracking finalizer and
 * status.uncountedTerminatedPods, across restarts.
 *
 * This file is the plugin's glue: its settings, the callbacks (which
 * only queue keys and note what the cache showed for the expectations)
 * and reconcile, which hands a Job to sync (sync.c, manage.c,
 * tracking.c) and an orphan pod to orphans.c.
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue and observe; reconcile runs on the workers, never for one key
 * on two at once. The expectations have their own mutex; the settings
 * are written in init only.
 */
#include <cplane/cplane.h>

#include "orphans.h"
#include "pods.h"
#include "sync.h"

#include <string.h>

static const struct cplane_host_api *api;
static struct cplane_expectations expect; /* set up in init, freed in fini */
static struct job_ownwrites own;          /* set up in init, freed in fini */
static struct job_config config;       /* written in init only */

/* The key of the Job controlling pod into buf; 0 if none. */
static int job_key(const cplane_object *pod, char *buf, size_t len) {
  return cplane_controller_key(api, pod, "Job", buf, len);
}

static void check_orphan(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  char key[320];

  if (job_orphan_needs_check(api, ctx, pod) &&
      job_orphan_key(api, pod, key, sizeof key))
    api->enqueue(ctx, key);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[300];

  if (res == JOB_JOBS) {
    api->enqueue(ctx, api->object_key(obj));
    return;
  }
  /* enqueue_owner queues the Job; here only the expectations. */
  if (job_key(obj, key, sizeof key)) {
    if (api->object_deletion_timestamp(obj) != NULL)
      cplane_expect_observed(&expect, key, 0, 1);
    else
      cplane_expect_observed(&expect, key, 1, 0);
  }
  check_orphan(ctx, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char key[300];

  if (res == JOB_JOBS) {
    api->enqueue(ctx, api->object_key(new_obj));
    return;
  }
  if (job_key(new_obj, key, sizeof key)) {
    if (api->object_deletion_timestamp(new_obj) != NULL &&
        api->object_deletion_timestamp(old_obj) == NULL)
      cplane_expect_observed(&expect, key, 0, 1);
    if (!job_pod_has_finalizer(api, new_obj))
      cplane_expect_uid_seen(&expect, key, api->object_uid(new_obj));
  }
  check_orphan(ctx, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  cplane_object_list *pods = NULL;
  char key[300];
  size_t i;

  if (res == JOB_PODS) {
    if (job_key(obj, key, sizeof key)) {
      if (api->object_deletion_timestamp(obj) == NULL)
        cplane_expect_observed(&expect, key, 0, 1);
      cplane_expect_uid_seen(&expect, key, api->object_uid(obj));
    }
    return;
  }
  cplane_expect_forget(&expect, api->object_key(obj));
  job_ownwrites_forget(&own, api->object_key(obj));
  /* Its pods may hold the finalizer still: release them. */
  if (api->cache_list_by_index(ctx, JOB_PODS, "owner-uid", api->object_uid(obj),
                               NULL, &pods) != CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(pods); i++)
    check_orphan(ctx, api->list_at(pods, i));
  api->list_free(pods);
}

static int job_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  if (strncmp(key, JOB_ORPHAN_PREFIX, strlen(JOB_ORPHAN_PREFIX)) == 0)
    return job_orphan_release(api, ctx, key);
  return job_sync_run(api, ctx, &expect, &own, &config, key,
                      requeue_after_ms);
}

/* A duration key of the plugin's section, bounded; 0 or -1 (*errmsg). */
static int duration_key(cplane_plugin_ctx *ctx, const char *name, int64_t dflt,
                        int64_t *out, char **errmsg) {
  const char *v = api->config_get(ctx, name);
  char msg[160];

  *out = dflt;
  if (v == NULL)
    return 0;
  if (cplane_duration_parse_ms(v, CPLANE_DURATION_BARE_SECONDS,
                               24 * 3600 * 1000, out) == CPLANE_OK &&
      *out >= 1)
    return 0;
  snprintf(msg, sizeof msg, "%s: \"%s\" is not a duration between 1ms and 24h",
           name, v);
  *errmsg = api->string_dup(msg);
  return -1;
}

static int job_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  int rc;

  api = host_api;
  if (duration_key(ctx, "backoff_base", JOB_BACKOFF_BASE_MS,
                   &config.backoff_base_ms, errmsg) != 0 ||
      duration_key(ctx, "backoff_max", JOB_BACKOFF_MAX_MS,
                   &config.backoff_max_ms, errmsg) != 0)
    return CPLANE_EINVAL;
  if (cplane_expectations_init(&expect) != CPLANE_OK) {
    *errmsg = api->string_dup("out of memory for the expectations");
    return CPLANE_ENOMEM;
  }
  if (job_ownwrites_init(&own) != 0) {
    cplane_expectations_free(&expect);
    *errmsg = api->string_dup("out of memory for the own writes");
    return CPLANE_ENOMEM;
  }
  rc = api->enqueue_owner(ctx, JOB_PODS, "batch", "Job",
                          CPLANE_OWNER_CONTROLLER);
  if (rc != CPLANE_OK) {
    job_ownwrites_free(&own);
    cplane_expectations_free(&expect);
    *errmsg = api->string_dup("cannot map pods to their Job");
    return rc;
  }
  api->log(ctx, CPLANE_LOG_INFO, "running Jobs (pod back-off %lld ms, at most "
           "%lld ms)", (long long)config.backoff_base_ms,
           (long long)config.backoff_max_ms);
  return CPLANE_OK;
}

static void job_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  job_ownwrites_free(&own);
  cplane_expectations_free(&expect);
}

/* backoff_base, backoff_max: the failed pods' back-off (kube: 10s, and
 * six minutes as the Job documentation states it). */
static const char *const job_config_keys[] = {"backoff_base", "backoff_max",
                                              NULL};

static const struct cplane_plugin job_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "job",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = job_resources,
    .init = job_init,
    .fini = job_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = job_reconcile,
    .config_keys = job_config_keys,
};

CPLANE_PLUGIN_DEFINE(job_plugin)
