/*
 * stale - stale DisruptionTarget conditions. See stale.h.
 */
#include "stale.h"

#include "dis.h"

#include <stdio.h>
#include <string.h>

int64_t dis_stale_wait_ms(const struct cplane_host_api *api,
                          const cplane_object *pod, int64_t now_ms) {
  int i =
      cplane_condition_find(api, pod, "status.conditions", "DisruptionTarget");
  const char *status, *reason, *since;
  int64_t at, wait;

  if (i < 0 || api->object_deletion_timestamp(pod) != NULL ||
      cplane_pod_is_terminal(api, pod))
    return -1;
  status = cplane_array_string(api, pod, "status.conditions", i, "status");
  reason = cplane_array_string(api, pod, "status.conditions", i, "reason");
  since = cplane_array_string(api, pod, "status.conditions", i,
                              "lastTransitionTime");
  if (status == NULL || strcmp(status, "True") != 0 ||
      (reason != NULL && strcmp(reason, "TerminationByKubelet") == 0))
    return -1;
  if (since == NULL || cplane_time_parse(since, &at) != 0)
    at = 0; /* no time: stale now, as kube's zero time would be */
  wait = at + DIS_STALE_TIMEOUT_MS - now_ms;
  return wait > 0 ? wait : 0;
}

char *dis_stale_patch(const struct cplane_host_api *api,
                      const cplane_object *pod, int64_t now_ms) {
  char when[CPLANE_TIME_LEN];

  if (cplane_time_format(now_ms, when, sizeof when) != CPLANE_OK)
    return NULL;
  return api->json_format(
      "{'metadata':{'resourceVersion':%s},'status':{'conditions':[{'type':"
      "'DisruptionTarget','status':'False','lastTransitionTime':%s}]}}",
      api->object_resource_version(pod), when);
}
