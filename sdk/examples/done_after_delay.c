/*
 * done_after_delay.c - Tasks (task-crd.yaml) are Done spec.delaySeconds after
 * creation and deleted spec.deleteAfterSeconds later, under our finalizer.
 */
#include <cplane/cplane.h>

#define FINALIZER "example.cplane.io/cleanup"
#define CONDITIONS "status.conditions"
#define MAX_DELAY_S 86400 /* a day, the CRD's maximum of either delay */

static const struct cplane_resource tasks =
    CPLANE_RESOURCE("example.cplane.io", "v1", "tasks");

static const struct cplane_host_api *api;

static int task_init(cplane_plugin_ctx *ctx, const struct cplane_host_api *host,
                     char **errmsg) {
  (void)ctx;
  (void)errmsg;
  api = host;
  return CPLANE_OK;
}

static void task_add(cplane_plugin_ctx *ctx, uint32_t res,
                     const cplane_object *obj) {
  (void)res;
  api->enqueue(ctx, api->object_key(obj));
}

static void task_update(cplane_plugin_ctx *ctx, uint32_t res,
                        const cplane_object *old, const cplane_object *obj) {
  (void)old; /* a resync (old == obj) just re-checks the clock */
  task_add(ctx, res, obj);
}

/* A write's status as a result: 404 (gone) is done, 409 (stale) retries. */
static int settled(int code) {
  return code / 100 == 2 || code == 404 ? CPLANE_RECONCILE_DONE
                                        : CPLANE_RECONCILE_RETRY;
}

/* Merge-patches the Task (sub NULL) or its "status"; frees patch. */
static int patch_task(cplane_plugin_ctx *ctx, const cplane_object *task,
                      const char *sub, char *patch) {
  int code = CPLANE_ENOMEM;

  if (patch != NULL)
    code = api->patch_subresource(ctx, &tasks, api->object_namespace(task),
                                  api->object_name(task), sub,
                                  CPLANE_PATCH_MERGE, patch, NULL, NULL);
  api->free(patch);
  return settled(code);
}

static int mark_done(cplane_plugin_ctx *ctx, const cplane_object *task) {
  struct cplane_condition cond = {"Done", "True", "DelayElapsed",
                                  "Delay elapsed",
                                  api->object_generation(task)};
  char *conds = NULL;
  int rc = CPLANE_RECONCILE_RETRY;

  if (cplane_conditions_set(api, ctx, task, CONDITIONS, &cond, 1, &conds,
                            NULL) == CPLANE_OK)
    rc = patch_task(ctx, task, "status",
                    api->json_format("{'status':{'conditions':%j}}", conds));
  if (rc == CPLANE_RECONCILE_DONE)
    api->event_record(ctx, &tasks, task, "Normal", "Done", "Delay elapsed");
  api->free(conds);
  return rc;
}

static int task_reconcile(cplane_plugin_ctx *ctx, const char *key,
                          uint32_t *after) {
  const cplane_object *task = NULL;
  int rc = CPLANE_RECONCILE_DONE, done, i;
  int64_t s = 0, since = 0, wait;
  char *patch = NULL;

  if (api->cache_get(ctx, 0, key, &task) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE; /* gone: nothing left to do */
  done = cplane_condition_is_true(api, task, CONDITIONS, "Done");
  api->object_int(task, done ? "spec.deleteAfterSeconds" : "spec.delaySeconds",
                  &s);
  s = s < 0 ? 0 : s > MAX_DELAY_S ? MAX_DELAY_S : s; /* were the CRD bypassed */
  i = cplane_condition_find(api, task, CONDITIONS, "Done");
  cplane_time_parse(
      done ? cplane_array_string(api, task, CONDITIONS, i, "lastTransitionTime")
           : api->object_string(task, "metadata.creationTimestamp"),
      &since);
  wait = since + s * 1000 - api->now_ms(ctx);
  if (api->object_deletion_timestamp(task) != NULL) { /* our cleanup first */
    if (cplane_finalizer_remove_patch(api, task, FINALIZER, &patch) != 0 ||
        patch != NULL)
      rc = patch_task(ctx, task, NULL, patch);
  } else if (cplane_finalizer_add_patch(api, task, FINALIZER, &patch) != 0 ||
             patch != NULL) { /* ours comes before any other step */
    rc = patch_task(ctx, task, NULL, patch);
  } else if (wait > 0) {
    *after = (uint32_t)(wait < MAX_DELAY_S * 1000 ? wait : MAX_DELAY_S * 1000);
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  } else if (!done) {
    rc = mark_done(ctx, task);
  } else {
    api->event_record(ctx, &tasks, task, "Normal", "Deleting", "Was Done");
    rc = settled(api->delete_object(ctx, &tasks, api->object_namespace(task),
                                    api->object_name(task), NULL, NULL));
  }
  api->object_release(task);
  return rc;
}

static const struct cplane_plugin task_plugin = {
    CPLANE_PLUGIN_HEADER,     .name = "done-after-delay",
    .version = "0.1.0",       .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,         .resources = &tasks,
    .init = task_init,        .on_add = task_add,
    .on_update = task_update, .reconcile = task_reconcile,
};

CPLANE_PLUGIN_DEFINE(task_plugin)
