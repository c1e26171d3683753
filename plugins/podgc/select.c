/*
 * select - which pods the pod garbage collector deletes. See select.h.
 */
#include "select.h"

#include <stdlib.h>
#include <string.h>

int pgc_terminated(const struct cplane_host_api *api, const cplane_object *pod) {
  return cplane_pod_is_terminal(api, pod);
}

static int evicted(const struct cplane_host_api *api, const cplane_object *p) {
  const char *phase = api->object_string(p, "status.phase");
  const char *reason = api->object_string(p, "status.reason");

  return phase != NULL && strcmp(phase, "Failed") == 0 && reason != NULL &&
         strcmp(reason, "Evicted") == 0;
}

/* A terminated pod with its sort keys, read once. */
struct ranked {
  const cplane_object *pod;
  const char *name;
  int evicted;
  int64_t created_ms;
};

static int by_eviction_and_creation(const void *a, const void *b) {
  const struct ranked *x = a, *y = b;

  if (x->evicted != y->evicted)
    return x->evicted ? -1 : 1;
  if (x->created_ms != y->created_ms)
    return x->created_ms < y->created_ms ? -1 : 1;
  return strcmp(x->name, y->name);
}

size_t pgc_terminated_victims(const struct cplane_host_api *api,
                              const cplane_object **pods, size_t n,
                              int64_t threshold) {
  struct ranked *r;
  size_t i;

  if (threshold <= 0 || (int64_t)n <= threshold)
    return 0;
  if ((r = malloc(n * sizeof *r)) == NULL)
    return 0; /* out of memory: look again next time */
  for (i = 0; i < n; i++) {
    r[i].pod = pods[i];
    r[i].name = api->object_name(pods[i]);
    r[i].evicted = evicted(api, pods[i]);
    r[i].created_ms = 0;
    cplane_time_parse(
        api->object_string(pods[i], "metadata.creationTimestamp"),
        &r[i].created_ms);
  }
  qsort(r, n, sizeof *r, by_eviction_and_creation);
  for (i = 0; i < n; i++)
    pods[i] = r[i].pod;
  free(r);
  return n - (size_t)threshold;
}

int pgc_out_of_service(const struct cplane_host_api *api,
                       const cplane_object *pod, const cplane_object *node) {
  if (api->object_deletion_timestamp(pod) == NULL || node == NULL)
    return 0;
  if (cplane_condition_is_true(api, node, "status.conditions", "Ready"))
    return 0;
  return cplane_array_find(api, node, "spec.taints", "key",
                           PGC_OUT_OF_SERVICE) >= 0;
}

int pgc_unscheduled_terminating(const struct cplane_host_api *api,
                                const cplane_object *pod) {
  const char *node = api->object_string(pod, "spec.nodeName");

  return api->object_deletion_timestamp(pod) != NULL &&
         (node == NULL || node[0] == '\0');
}
