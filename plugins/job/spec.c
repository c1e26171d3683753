/*
 * spec - a Job's spec, type-checked. See spec.h.
 */
#include "spec.h"

#include <string.h>

/* An optional non-negative integer at path: *out = dflt when absent.
 * 0, or -1 when present but not an integer in [0, max]. */
static int opt_int(const struct cplane_host_api *api, const cplane_object *job,
                   const char *path, int64_t dflt, int64_t max, int64_t *out) {
  int rc;

  *out = dflt;
  if (api->object_type(job, path) == CPLANE_ENOENT ||
      api->object_type(job, path) == CPLANE_TYPE_NULL)
    return 0;
  rc = api->object_int(job, path, out);
  return rc == CPLANE_OK && *out >= 0 && *out <= max ? 0 : -1;
}

/* An optional boolean at path: 0 when absent. -1 for another type. */
static int opt_bool(const struct cplane_host_api *api, const cplane_object *job,
                    const char *path, int *out) {
  *out = 0;
  if (api->object_type(job, path) == CPLANE_ENOENT ||
      api->object_type(job, path) == CPLANE_TYPE_NULL)
    return 0;
  return api->object_bool(job, path, out) == CPLANE_OK ? 0 : -1;
}

static int str_is(const struct cplane_host_api *api, const cplane_object *job,
                  const char *path, const char *want) {
  const char *s = api->object_string(job, path);

  return s != NULL && strcmp(s, want) == 0;
}

int job_spec_read(const struct cplane_host_api *api, const cplane_object *job,
                  struct job_spec *s, const char **why) {
  memset(s, 0, sizeof *s);
  if (opt_int(api, job, "spec.parallelism", 1, INT32_MAX, &s->parallelism)) {
    *why = "spec.parallelism is not a non-negative integer";
    return -1;
  }
  if (opt_int(api, job, "spec.completions", -1, INT32_MAX, &s->completions)) {
    *why = "spec.completions is not a non-negative integer";
    return -1;
  }
  if (opt_int(api, job, "spec.backoffLimit", 6, INT32_MAX, &s->backoff_limit) ||
      opt_int(api, job, "spec.backoffLimitPerIndex", -1, INT32_MAX,
              &s->backoff_limit_per_index) ||
      opt_int(api, job, "spec.maxFailedIndexes", -1, INT32_MAX,
              &s->max_failed_indexes)) {
    *why = "a backoff limit is not a non-negative integer";
    return -1;
  }
  if (opt_int(api, job, "spec.activeDeadlineSeconds", -1, INT64_MAX / 1000,
              &s->deadline_s)) {
    *why = "spec.activeDeadlineSeconds is not a non-negative integer";
    return -1;
  }
  if (opt_bool(api, job, "spec.suspend", &s->suspend)) {
    *why = "spec.suspend is not a boolean";
    return -1;
  }
  s->indexed = str_is(api, job, "spec.completionMode", "Indexed");
  if (s->indexed && (s->completions < 0 || s->completions > JOB_MAX_COMPLETIONS)) {
    *why = "an Indexed Job needs spec.completions (at most 100000)";
    return -1;
  }
  if (!s->indexed)
    s->backoff_limit_per_index = s->max_failed_indexes = -1;
  s->restart_on_failure =
      str_is(api, job, "spec.template.spec.restartPolicy", "OnFailure");
  s->has_failure_policy =
      api->object_type(job, "spec.podFailurePolicy") == CPLANE_TYPE_OBJECT;
  /* kube defaults podReplacementPolicy to Failed with a podFailurePolicy. */
  s->only_replace_failed =
      str_is(api, job, "spec.podReplacementPolicy", "Failed") ||
      s->has_failure_policy;
  return 0;
}
