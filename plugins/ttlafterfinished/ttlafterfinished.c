/*
 * ttlafterfinished - deletes a finished Job ttlSecondsAfterFinished after
 * it finished, as kube-controller-manager's ttl-after-finished controller
 * does: a Job is queued when it needs cleaning up, requeued for its
 * expiry, checked once more against a fresh read from the API server (the
 * TTL may have changed), then deleted with propagationPolicy Foreground
 * and a precondition on its UID, so that a new Job of the same name is
 * never the one deleted. The module:
 *
 *   expiry   whether a Job needs cleaning up, and when it expires
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue; reconcile runs on the workers with its state on its stack. The
 * only global is the host's function table, written once in init().
 */
#include <cplane/cplane.h>

#include "expiry.h"

enum { TTL_JOBS };
static const struct cplane_resource ttl_resources[] = {
    [TTL_JOBS] = CPLANE_RESOURCE("batch", "v1", "jobs"),
};

/* Never sleep longer than a day: the Job is looked at again then. */
#define MAX_REQUEUE_MS (24 * 3600 * 1000)

static const struct cplane_host_api *api;

/* Queues a Job that needs cleaning up (kube's addJob/updateJob). */
static void consider(cplane_plugin_ctx *ctx, const cplane_object *job) {
  int64_t left;

  if (ttl_expiry(api, job, api->now_ms(ctx), &left) != TTL_NONE)
    api->enqueue(ctx, api->object_key(job));
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  (void)res;
  consider(ctx, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)res;
  (void)old_obj;
  consider(ctx, new_obj);
}

/* The decision for `job`: DONE, REQUEUE_AFTER or RETRY; 1 in *expired
 * when it is to be deleted. */
static int decide(cplane_plugin_ctx *ctx, const char *key,
                  const cplane_object *job, uint32_t *after, int *expired) {
  int64_t left = 0;

  *expired = 0;
  switch (ttl_expiry(api, job, api->now_ms(ctx), &left)) {
  case TTL_EXPIRED:
    *expired = 1;
    return CPLANE_RECONCILE_DONE;
  case TTL_WAIT:
    *after = (uint32_t)(left > MAX_REQUEUE_MS ? MAX_REQUEUE_MS : left);
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  case TTL_NO_TIME:
    api->log(ctx, CPLANE_LOG_WARN,
             "%s: unable to find the time when the Job finished", key);
    return CPLANE_RECONCILE_RETRY;
  default:
    return CPLANE_RECONCILE_DONE;
  }
}

static int ttl_reconcile(cplane_plugin_ctx *ctx, const char *key,
                         uint32_t *requeue_after_ms) {
  const cplane_object *job = NULL, *fresh = NULL;
  char *opts = NULL, *msg = NULL;
  int rc, expired, code;

  if (api->cache_get(ctx, TTL_JOBS, key, &job) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  rc = decide(ctx, key, job, requeue_after_ms, &expired);
  if (!expired)
    goto out;
  /* The cached TTL may be stale: decide again on a fresh read. */
  code = api->get(ctx, &ttl_resources[TTL_JOBS], api->object_namespace(job),
                  api->object_name(job), &fresh, NULL);
  if (code == 404)
    goto out;
  if (code != 200) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  rc = decide(ctx, key, fresh, requeue_after_ms, &expired);
  if (!expired)
    goto out;
  opts = api->json_format("{'propagationPolicy':'Foreground',"
                          "'preconditions':{'uid':%s}}",
                          api->object_uid(fresh));
  if (opts == NULL) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  api->log(ctx, CPLANE_LOG_DEBUG, "%s: cleaning up Job", key);
  code = api->delete_object(ctx, &ttl_resources[TTL_JOBS],
                            api->object_namespace(fresh),
                            api->object_name(fresh), opts, &msg);
  /* 404: gone already; 409: another Job of that name now (the UID
   * precondition), its own TTL will be looked at. */
  if (code != 200 && code != 202 && code != 404 && code != 409) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: delete: %d %s", key, code,
             msg != NULL ? msg : "");
    rc = CPLANE_RECONCILE_RETRY;
  }
out:
  api->free(opts);
  api->free(msg);
  api->object_release(fresh);
  api->object_release(job);
  return rc;
}

static int ttl_init(cplane_plugin_ctx *ctx,
                    const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO,
           "deleting finished Jobs after ttlSecondsAfterFinished");
  return CPLANE_OK;
}

/* No keys of its own: any key beside the host's is a misspelling. */
static const char *const ttl_config_keys[] = {NULL};

static const struct cplane_plugin ttl_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "ttlafterfinished",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 1,
    .resources = ttl_resources,
    .init = ttl_init,
    .on_add = on_add,
    .on_update = on_update,
    .reconcile = ttl_reconcile,
    .config_keys = ttl_config_keys,
};

CPLANE_PLUGIN_DEFINE(ttl_plugin)
