/*
 * perindex - failures per index. See perindex.h.
 */
#include "perindex.h"

#include "failurepolicy.h"
#include "indexes.h"
#include "pods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAILURES_PATH                                                          \
  "metadata.annotations.batch\\.kubernetes\\.io/job-index-failure-count"

/* The pod's failure-count annotation, 0 when absent or malformed. */
static int carried(const struct cplane_host_api *api, const cplane_object *pod) {
  int v = job_index_value(api->object_string(pod, FAILURES_PATH), INT32_MAX);

  return v > 0 ? v : 0;
}

void job_index_failures_free(struct job_index_failures *f) {
  free(f->count);
  free(f->failed);
  free(f->last_fail_ms);
  memset(f, 0, sizeof *f);
}

static void scan_pod(const struct cplane_host_api *api,
                     const cplane_object *job, const struct job_spec *spec,
                     const cplane_object *pod, int64_t now_ms,
                     struct job_index_failures *f) {
  int ix = job_pod_index(api, pod, f->n), c = carried(api, pod);
  enum job_policy_action a = JOB_POLICY_NONE;
  char msg[8];
  int64_t at;

  if (ix < 0)
    return;
  if (job_pod_failed(api, pod, spec->only_replace_failed)) {
    if (spec->has_failure_policy)
      a = job_policy_match(api, job, pod, msg, sizeof msg);
    if (a == JOB_POLICY_FAIL_INDEX)
      f->failed[ix] = 1;
    c += job_policy_counts(a);
    at = job_pod_finish_ms(api, pod, now_ms);
    if (at > f->last_fail_ms[ix])
      f->last_fail_ms[ix] = at;
  }
  if (c > f->count[ix])
    f->count[ix] = c;
}

int job_index_failures_scan(const struct cplane_host_api *api,
                            const cplane_object *job,
                            const struct job_spec *spec,
                            const cplane_object *const *pods, int n_pods,
                            int64_t now_ms, struct job_index_failures *f) {
  int i, n = (int)spec->completions;

  memset(f, 0, sizeof *f);
  f->n = n;
  f->count = calloc((size_t)n + 1, sizeof *f->count);
  f->failed = calloc((size_t)n + 1, 1);
  f->last_fail_ms = calloc((size_t)n + 1, sizeof *f->last_fail_ms);
  if (f->count == NULL || f->failed == NULL || f->last_fail_ms == NULL) {
    job_index_failures_free(f);
    return -1;
  }
  job_indexes_parse(api->object_string(job, "status.failedIndexes"),
                    f->failed, n);
  for (i = 0; i < n_pods; i++)
    scan_pod(api, job, spec, pods[i], now_ms, f);
  for (i = 0; i < n; i++)
    if (f->count[i] > spec->backoff_limit_per_index)
      f->failed[i] = 1;
  return 0;
}
