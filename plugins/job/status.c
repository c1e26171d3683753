/*
 * status - a Job's status write. See status.h.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>

static int64_t int_at(const struct cplane_host_api *api,
                      const cplane_object *job, const char *path) {
  int64_t v = 0;

  api->object_int(job, path, &v);
  return v;
}

static int64_t time_at(const struct cplane_host_api *api,
                       const cplane_object *job, const char *path) {
  int64_t ms = 0;
  const char *s = api->object_string(job, path);

  if (s == NULL || cplane_time_parse(s, &ms) != CPLANE_OK)
    return 0;
  return ms;
}

void job_status_read(const struct cplane_host_api *api,
                     const cplane_object *job, struct job_status *st) {
  memset(st, 0, sizeof *st);
  st->start_ms = time_at(api, job, "status.startTime");
  st->completion_ms = time_at(api, job, "status.completionTime");
  st->active = int_at(api, job, "status.active");
  st->ready = int_at(api, job, "status.ready");
  st->terminating = int_at(api, job, "status.terminating");
  st->succeeded = int_at(api, job, "status.succeeded");
  st->failed = int_at(api, job, "status.failed");
}

void job_status_want(struct job_status *st, const char *type,
                     const char *status, const char *reason,
                     const char *message) {
  int i;

  for (i = 0; i < st->n_conds; i++)
    if (strcmp(st->conds[i].type, type) == 0)
      break;
  if (i == JOB_MAX_CONDS)
    return;
  st->conds[i] = (struct cplane_condition){type, status, reason, message, 0};
  if (i == st->n_conds)
    st->n_conds++;
}

/* 1 when a string member at path differs from want (NULL: absent). */
static int str_differs(const struct cplane_host_api *api,
                       const cplane_object *job, const char *path,
                       const char *want) {
  const char *have = api->object_string(job, path);

  if (want == NULL)
    return 0; /* not ours to write */
  return have == NULL ? want[0] != '\0' : strcmp(have, want) != 0;
}

/* The uncounted list at path as compact JSON ("[]" when absent). */
static int list_differs(const struct cplane_host_api *api,
                        const cplane_object *job, const char *path,
                        const char *want) {
  char *have = api->object_json(job, path);
  int differs;

  if (want == NULL)
    differs = have != NULL && strcmp(have, "[]") != 0;
  else
    differs = have == NULL ? strcmp(want, "[]") != 0 : strcmp(have, want) != 0;
  api->free(have);
  return differs;
}

static int differs(const struct cplane_host_api *api, const cplane_object *job,
                   const struct job_status *st, int conds_changed) {
  struct job_status now;

  job_status_read(api, job, &now);
  return conds_changed || now.start_ms != st->start_ms ||
         now.completion_ms != st->completion_ms || now.active != st->active ||
         now.ready != st->ready || now.terminating != st->terminating ||
         now.succeeded != st->succeeded || now.failed != st->failed ||
         api->object_type(job, "status.ready") == CPLANE_ENOENT ||
         str_differs(api, job, "status.completedIndexes",
                     st->completed_indexes) ||
         str_differs(api, job, "status.failedIndexes", st->failed_indexes) ||
         list_differs(api, job, "status.uncountedTerminatedPods.succeeded",
                      st->uncounted_succeeded) ||
         list_differs(api, job, "status.uncountedTerminatedPods.failed",
                      st->uncounted_failed);
}

/* A timestamp as JSON ("null" for 0) into buf. */
static void time_json(int64_t ms, char *buf, size_t len) {
  char t[CPLANE_TIME_LEN];

  if (ms <= 0 || cplane_time_format(ms, t, sizeof t) != CPLANE_OK)
    snprintf(buf, len, "null");
  else
    snprintf(buf, len, "\"%s\"", t);
}

int job_status_write(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object **job, const struct job_status *st) {
  const cplane_object *cur = *job, *out = NULL;
  char start[48], done[48], *conds = NULL, *patch = NULL, *msg = NULL;
  int changed = 0, code;

  if (cplane_conditions_set(api, ctx, cur, "status.conditions", st->conds,
                            (size_t)st->n_conds, &conds, &changed) != CPLANE_OK)
    return CPLANE_ENOMEM;
  if (!differs(api, cur, st, changed)) {
    api->free(conds);
    return 0;
  }
  time_json(st->start_ms, start, sizeof start);
  time_json(st->completion_ms, done, sizeof done);
  patch = api->json_format(
      "{'metadata':{'resourceVersion':%s},'status':{'startTime':%j,"
      "'completionTime':%j,'active':%lld,'ready':%lld,'terminating':%lld,"
      "'succeeded':%lld,'failed':%lld,'completedIndexes':%s,"
      "'failedIndexes':%s,'uncountedTerminatedPods':{'succeeded':%j,"
      "'failed':%j},'conditions':%j}}",
      api->object_resource_version(cur), start, done, (long long)st->active,
      (long long)st->ready, (long long)st->terminating,
      (long long)st->succeeded, (long long)st->failed, st->completed_indexes,
      st->failed_indexes,
      st->uncounted_succeeded ? st->uncounted_succeeded : "null",
      st->uncounted_failed ? st->uncounted_failed : "null",
      changed || api->object_type(cur, "status.conditions") != CPLANE_ENOENT
          ? conds : "null");
  api->free(conds);
  if (patch == NULL)
    return CPLANE_ENOMEM;
  code = api->patch_subresource(ctx, &job_resources[JOB_JOBS],
                                api->object_namespace(cur),
                                api->object_name(cur), "status",
                                CPLANE_PATCH_MERGE, patch, &out, &msg);
  if (code == 200 && out != NULL) {
    api->object_release(cur);
    *job = out;
  } else {
    api->object_release(out);
    if (code != 409)
      api->log(ctx, CPLANE_LOG_WARN, "%s: writing status failed: %d %s",
               api->object_key(cur), code, msg ? msg : "");
  }
  api->free(msg);
  api->free(patch);
  return code;
}
