/*
 * cronjob - runs Jobs on a schedule, as kube-controller-manager's cronjob
 * controller (v2) does. This file is the plugin's glue: its descriptor,
 * its dispatch callbacks and the reconcile that runs the modules:
 *
 *   status    status.active, lastScheduleTime, lastSuccessfulTime
 *   sync      one pass of syncCronJob and the history cleanup
 *   schedule  the most recent unmet run time and the next one
 *   jobs      finished Jobs, Job names, the Job built from the template
 *   history   which finished Jobs go beyond the history limits
 *   zone      spec.timeZone from the tz database
 *   clock     the scheduling clock (clock_scale, for tests only)
 *
 * A CronJob is requeued for its next run time (enqueue_after through the
 * reconcile's REQUEUE_AFTER), so nothing polls.
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue (a Job's changes reach its controlling CronJob through
 * enqueue_owner); reconcile runs on the workers, never for one key on two
 * at once, and keeps all its state on its own stack and heap. The globals
 * (the host's table, the clock) are written once in init().
 */
#include "cj.h"

#include "clock.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

/* How long to wait when the cache is behind our own writes. */
#define CACHE_LAG_MS 200
/* Never sleep longer than a day: a yearly schedule is looked at again. */
#define MAX_REQUEUE_MS (24 * 3600 * 1000)

static const struct cplane_host_api *api;
static struct cj_clock clock_;

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == CJ_CRONJOBS)
    api->enqueue(ctx, api->object_key(obj));
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  if (res == CJ_CRONJOBS)
    api->enqueue(ctx, api->object_key(new_obj));
}

/* The Jobs `cj` controls, from the owner-uid index. Owned array of
 * borrowed objects (valid while *list lives); NULL with *n 0 when none. */
static const cplane_object **controlled(cplane_plugin_ctx *ctx,
                                        const cplane_object *cj,
                                        cplane_object_list **list, size_t *n,
                                        int *failed) {
  const cplane_object **jobs = NULL;
  const char *uid = api->object_uid(cj);
  size_t i, len;

  *n = 0;
  *failed = 0;
  if (uid == NULL || api->cache_list_by_index(ctx, CJ_JOBS, "owner-uid", uid,
                                              NULL, list) != CPLANE_OK)
    return NULL;
  if ((len = api->list_len(*list)) == 0)
    return NULL;
  if ((jobs = calloc(len, sizeof *jobs)) == NULL) {
    *failed = 1;
    return NULL;
  }
  for (i = 0; i < len; i++) {
    const cplane_object *j = api->list_at(*list, i);

    if (cplane_is_controlled_by(api, j, uid))
      jobs[(*n)++] = j;
  }
  return jobs;
}

/* Writes the status when it changed. 0, or -1. */
static int write_status(struct cj_sync *s) {
  char *patch;
  int code;

  if (!s->st.changed)
    return 0;
  if ((patch = cj_status_patch(api, s->cj, &s->st)) == NULL)
    return -1;
  code = api->patch_subresource(s->ctx, &cj_resources[CJ_CRONJOBS],
                                api->object_namespace(s->cj),
                                api->object_name(s->cj), "status",
                                CPLANE_PATCH_MERGE, patch, NULL, NULL);
  api->free(patch);
  return code == 200 ? 0 : -1;
}

static int cj_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  struct cj_sync s;
  cplane_object_list *list = NULL;
  int rc = CPLANE_RECONCILE_RETRY, r, failed;
  int64_t wait;

  memset(&s, 0, sizeof s);
  s.api = api;
  s.ctx = ctx;
  s.zone_dir = api->config_get(ctx, "zoneinfo_dir");
  if (api->cache_get(ctx, CJ_CRONJOBS, key, &s.cj) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  s.jobs = controlled(ctx, s.cj, &list, &s.n_jobs, &failed);
  if (failed || cj_status_load(api, s.cj, &s.st) < 0)
    goto out;
  s.now_ms = cj_clock_now(&clock_, api->now_ms(ctx));
  if ((r = cj_sync_run(&s)) > 0) {
    *requeue_after_ms = CACHE_LAG_MS;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  /* Finished Jobs beyond the limits go even when the pass failed. */
  if (cj_sync_cleanup(&s) < 0)
    r = -1;
  if (write_status(&s) < 0 || r < 0)
    goto out;
  rc = CPLANE_RECONCILE_DONE;
  if (s.requeue_ms >= 0) {
    wait = cj_clock_host_delay(&clock_, s.requeue_ms);
    *requeue_after_ms =
        (uint32_t)(wait < 1 ? 1 : wait > MAX_REQUEUE_MS ? MAX_REQUEUE_MS : wait);
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  cj_status_free(&s.st);
  free(s.jobs);
  if (list != NULL)
    api->list_free(list);
  api->object_release(s.cj);
  return rc;
}

static int cj_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  api = host_api;
  clock_.origin_ms = api->now_ms(ctx);
  if (cj_clock_parse_scale(api->config_get(ctx, "clock_scale"),
                           &clock_.scale) < 0) {
    *errmsg = api->string_dup("clock_scale: want an integer from 1 to 3600");
    return CPLANE_EINVAL;
  }
  if (clock_.scale > 1)
    api->log(ctx, CPLANE_LOG_WARN,
             "clock_scale = %lld: schedules run %lld times too fast (tests "
             "only)",
             (long long)clock_.scale, (long long)clock_.scale);
  if (api->enqueue_owner(ctx, CJ_JOBS, "batch", "CronJob",
                         CPLANE_OWNER_CONTROLLER) != CPLANE_OK) {
    *errmsg = api->string_dup("cannot map Jobs to their CronJob");
    return CPLANE_EINVAL;
  }
  api->log(ctx, CPLANE_LOG_INFO, "running CronJobs' Jobs on schedule");
  return CPLANE_OK;
}

static const char *const cronjob_config_keys[] = {"clock_scale",
                                                  "zoneinfo_dir", NULL};

static const struct cplane_plugin cronjob_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "cronjob",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = cj_resources,
    .init = cj_init,
    .on_add = on_add,
    .on_update = on_update,
    .reconcile = cj_reconcile,
    .config_keys = cronjob_config_keys,
};

CPLANE_PLUGIN_DEFINE(cronjob_plugin)
