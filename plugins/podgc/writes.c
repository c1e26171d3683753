/*
 * writes - failing and force-deleting a pod. See writes.h.
 */
#include "writes.h"

#include "select.h"

const struct cplane_resource pgc_pods = CPLANE_RESOURCE("", "v1", "pods");

char *pgc_status_patch(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *pod,
                       int orphan, int *failed) {
  static const struct cplane_condition target = {
      "DisruptionTarget", "True", "DeletionByPodGC",
      "PodGC: node no longer exists", 0};
  char *conds = NULL, *patch;
  int changed = 0;

  *failed = 0;
  if (pgc_terminated(api, pod))
    return NULL;
  if (!orphan)
    patch = api->json_format("{'status':{'phase':'Failed'}}");
  else if (cplane_conditions_set(api, ctx, pod, "status.conditions", &target,
                                 1, &conds, &changed) != CPLANE_OK)
    patch = NULL;
  else
    patch = api->json_format(
        "{'status':{'phase':'Failed','conditions':%j}}", conds);
  api->free(conds);
  *failed = patch == NULL;
  return patch;
}

char *pgc_delete_options(const struct cplane_host_api *api,
                         const cplane_object *pod) {
  return api->json_format("{'kind':'DeleteOptions','apiVersion':'v1',"
                          "'gracePeriodSeconds':0,'preconditions':{'uid':%s}}",
                          api->object_uid(pod));
}

int pgc_fail_and_delete(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const cplane_object *pod,
                        int orphan, const char *why) {
  const char *ns = api->object_namespace(pod), *name = api->object_name(pod);
  char *patch, *opts = NULL, *msg = NULL;
  int failed, code, rc = -1;

  patch = pgc_status_patch(api, ctx, pod, orphan, &failed);
  if (failed)
    goto out;
  if (patch != NULL) {
    code = api->patch_subresource(ctx, &pgc_pods, ns, name, "status",
                                  CPLANE_PATCH_MERGE, patch, NULL, &msg);
    if (code == 404) {
      rc = 0;
      goto out;
    }
    if (code != 200) {
      api->log(ctx, CPLANE_LOG_WARN, "pod %s/%s: marking it Failed: %d %s",
               ns, name, code, msg ? msg : "");
      goto out;
    }
    api->free(msg);
    msg = NULL;
  }
  if ((opts = pgc_delete_options(api, pod)) == NULL)
    goto out;
  code = api->delete_object(ctx, &pgc_pods, ns, name, opts, &msg);
  if (code == 200 || code == 404 || code == 409) {
    /* 409: the uid precondition: another pod took the name. */
    if (code == 200)
      api->log(ctx, CPLANE_LOG_INFO, "pod %s/%s: deleted (%s)", ns, name, why);
    rc = 0;
  } else {
    api->log(ctx, CPLANE_LOG_WARN, "pod %s/%s: deleting it: %d %s", ns, name,
             code, msg ? msg : "");
  }
out:
  api->free(patch);
  api->free(opts);
  api->free(msg);
  return rc;
}
