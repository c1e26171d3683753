/*
 * orphans - the tracking finalizer of pods whose Job is gone. See
 * orphans.h.
 */
#include "orphans.h"

#include "pods.h"

#include <stdio.h>
#include <string.h>

int job_orphan_key(const struct cplane_host_api *api, const cplane_object *pod,
                   char *buf, size_t len) {
  return snprintf(buf, len, JOB_ORPHAN_PREFIX "%s", api->object_key(pod)) <
         (int)len;
}

int job_orphan_needs_check(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const cplane_object *pod) {
  const cplane_object *job = NULL;
  char key[300];
  int orphan;

  if (!job_pod_has_finalizer(api, pod))
    return 0;
  if (!cplane_controller_key(api, pod, "Job", key, sizeof key))
    return 1;
  if (api->cache_get(ctx, JOB_JOBS, key, &job) != CPLANE_OK)
    return 1;
  orphan = !cplane_is_controlled_by(api, pod, api->object_uid(job));
  api->object_release(job);
  return orphan;
}

int job_orphan_release(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key) {
  const cplane_object *pod = NULL;
  char *patch = NULL, *msg = NULL;
  int code, rc = CPLANE_RECONCILE_DONE;

  if (api->cache_get(ctx, JOB_PODS, key + strlen(JOB_ORPHAN_PREFIX), &pod) !=
      CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  if (!job_orphan_needs_check(api, ctx, pod) ||
      cplane_finalizer_remove_patch(api, pod, JOB_TRACKING_FINALIZER,
                                    &patch) != CPLANE_OK ||
      patch == NULL)
    goto out;
  code = api->patch(ctx, &job_resources[JOB_PODS], api->object_namespace(pod),
                    api->object_name(pod), CPLANE_PATCH_MERGE, patch, NULL,
                    &msg);
  if (code != 200 && code != 404) {
    api->log(ctx, CPLANE_LOG_WARN,
             "%s: removing the tracking finalizer of an orphan failed: %d %s",
             key, code, msg ? msg : "");
    rc = CPLANE_RECONCILE_RETRY;
  }
out:
  api->free(patch);
  api->free(msg);
  api->object_release(pod);
  return rc;
}
