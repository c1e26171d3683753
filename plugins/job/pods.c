/*
 * pods - a Job's pod as the controller sees it. See pods.h.
 */
#include "pods.h"

#include "indexes.h"

#include <stdio.h>
#include <string.h>

static int phase_is(const struct cplane_host_api *api, const cplane_object *pod,
                    const char *want) {
  const char *p = api->object_string(pod, "status.phase");

  return p != NULL && strcmp(p, want) == 0;
}

int job_pod_succeeded(const struct cplane_host_api *api,
                      const cplane_object *pod) {
  return phase_is(api, pod, "Succeeded");
}

int job_pod_failed(const struct cplane_host_api *api, const cplane_object *pod,
                   int only_replace_failed) {
  if (phase_is(api, pod, "Failed"))
    return 1;
  if (only_replace_failed)
    return 0;
  return api->object_deletion_timestamp(pod) != NULL &&
         !phase_is(api, pod, "Succeeded");
}

int job_pod_active(const struct cplane_host_api *api, const cplane_object *pod) {
  return !cplane_pod_is_terminal(api, pod) &&
         api->object_deletion_timestamp(pod) == NULL;
}

int job_pod_terminating(const struct cplane_host_api *api,
                        const cplane_object *pod) {
  return !cplane_pod_is_terminal(api, pod) &&
         api->object_deletion_timestamp(pod) != NULL;
}

int job_pod_ready(const struct cplane_host_api *api, const cplane_object *pod) {
  return cplane_condition_is_true(api, pod, "status.conditions", "Ready");
}

int job_pod_has_finalizer(const struct cplane_host_api *api,
                          const cplane_object *pod) {
  return cplane_finalizer_has(api, pod, JOB_TRACKING_FINALIZER);
}

int job_pod_index(const struct cplane_host_api *api, const cplane_object *pod,
                  int n) {
  return job_index_value(api->object_string(pod, JOB_INDEX_PATH_ANN), n);
}

int64_t job_pod_finish_ms(const struct cplane_host_api *api,
                          const cplane_object *pod, int64_t fallback) {
  int n = api->object_len(pod, "status.containerStatuses"), i;
  int64_t best = 0, t;
  char p[CPLANE_PATH_MAX];
  const char *s;

  for (i = 0; i < n; i++) {
    snprintf(p, sizeof p,
             "status.containerStatuses[%d].state.terminated.finishedAt", i);
    if ((s = api->object_string(pod, p)) != NULL &&
        cplane_time_parse(s, &t) == CPLANE_OK && t > best)
      best = t;
  }
  if (best > 0)
    return best;
  if ((i = cplane_condition_find(api, pod, "status.conditions", "Ready")) >= 0 &&
      (s = cplane_array_string(api, pod, "status.conditions", i,
                               "lastTransitionTime")) != NULL &&
      cplane_time_parse(s, &t) == CPLANE_OK)
    return t;
  if ((s = api->object_string(pod, "metadata.creationTimestamp")) != NULL &&
      cplane_time_parse(s, &t) == CPLANE_OK)
    return t;
  return fallback;
}

int64_t job_pod_restarts(const struct cplane_host_api *api,
                         const cplane_object *pod) {
  int n = api->object_len(pod, "status.containerStatuses"), i;
  int64_t sum = 0, r;
  char p[CPLANE_PATH_MAX];

  for (i = 0; i < n; i++) {
    snprintf(p, sizeof p, "status.containerStatuses[%d].restartCount", i);
    if (api->object_int(pod, p, &r) == CPLANE_OK && r > 0)
      sum += r;
  }
  return sum;
}
