/*
 * pods - a ReplicaSet's pods judged: ready, available, and which to
 * delete first. See pods.h.
 */
#include "pods.h"

#include <string.h>

/* 1 when pod is Ready; *since (if not NULL) is when it became so, or 0
 * when the condition has no transition time. */
int rs_pod_ready_since(const struct cplane_host_api *api,
                       const cplane_object *pod, double *since) {
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  const char *s =
      i >= 0 ? cplane_array_string(api, pod, "status.conditions", i, "status")
             : NULL;

  if (since != NULL)
    *since = 0;
  if (s == NULL || strcmp(s, "True") != 0)
    return 0;
  if (since != NULL)
    *since =
        cplane_time_parse_s(cplane_array_string(api, pod, "status.conditions",
                                                i, "lastTransitionTime"),
                            0);
  return 1;
}

static int pod_ready(const struct cplane_host_api *api,
                     const cplane_object *pod) {
  return rs_pod_ready_since(api, pod, NULL);
}

/* Counts the ready pods, and the available ones: ready for at least
 * min_ready seconds (a pod without a transition time counts at once).
 * *next_ms is when the next ready pod becomes available (0: none waits). */
void rs_count_ready(const struct cplane_host_api *api,
                    const cplane_object *const *pods, int n, int64_t min_ready,
                    double now, int *ready, int *available, uint32_t *next_ms) {
  double since, wait, soonest = 0;
  int i;

  *ready = *available = 0;
  for (i = 0; i < n; i++) {
    if (!rs_pod_ready_since(api, pods[i], &since))
      continue;
    (*ready)++;
    wait = since + (double)min_ready - now;
    if (min_ready <= 0 || since == 0 || wait <= 0) {
      (*available)++;
      continue;
    }
    if (soonest == 0 || wait < soonest)
      soonest = wait;
  }
  /* A little late rather than early, so the pod is available then. */
  *next_ms = soonest > 0 ? (uint32_t)(soonest * 1000) + 50 : 0;
}

/* Lower is deleted first: unscheduled, then not running, then ready
 * last. */
int rs_pod_value(const struct cplane_host_api *api, const cplane_object *pod) {
  const char *node = api->object_string(pod, "spec.nodeName");
  const char *phase = api->object_string(pod, "status.phase");

  if (node == NULL || node[0] == '\0')
    return 0;
  if (phase == NULL || strcmp(phase, "Running") != 0)
    return 1;
  return pod_ready(api, pod) ? 3 : 2;
}
