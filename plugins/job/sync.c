/*
 * sync - one reconcile of one Job: gather, decide, manage, track. See
 * sync.h.
 */
#include "sync.h"

#include "failurepolicy.h"
#include "indexes.h"
#include "pods.h"
#include "successpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void job_sync_requeue(struct job_sync *s, int64_t ms) {
  uint32_t v = ms < 1 ? 1 : ms > 3600000 ? 3600000 : (uint32_t)ms;

  if (s->requeue_ms == 0 || v < s->requeue_ms)
    s->requeue_ms = v;
}

static int cond_true(const struct job_sync *s, const char *type) {
  return cplane_condition_is_true(s->api, s->job, "status.conditions", type);
}

/* The uids at status.uncountedTerminatedPods.<which> into set. */
static int load_uids(struct job_sync *s, const char *which,
                     struct job_uids *set) {
  char path[96];
  int n, i;

  snprintf(path, sizeof path, "status.uncountedTerminatedPods.%s", which);
  n = s->api->object_len(s->job, path);
  for (i = 0; i < n; i++) {
    const char *uid = cplane_array_string(s->api, s->job, path, i, NULL);

    if (uid != NULL && job_uids_add(set, uid) != 0)
      return -1;
  }
  return 0;
}

/* The Job's pods (controlled by it), and the active ones. */
static int load_pods(struct job_sync *s) {
  const struct cplane_host_api *api = s->api;
  size_t n, i;

  if (api->cache_list_by_index(s->ctx, JOB_PODS, "owner-uid",
                               api->object_uid(s->job), NULL,
                               &s->list) != CPLANE_OK)
    return -1;
  n = api->list_len(s->list);
  s->pods = calloc(n + 1, sizeof *s->pods);
  s->active = calloc(n + 1, sizeof *s->active);
  if (s->pods == NULL || s->active == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const cplane_object *pod = api->list_at(s->list, i);

    if (!cplane_is_controlled_by(api, pod, api->object_uid(s->job)))
      continue;
    s->pods[s->n_pods++] = pod;
    if (job_pod_active(api, pod)) {
      s->active[s->n_active++] = pod;
      s->ready += job_pod_ready(api, pod);
    } else if (job_pod_terminating(api, pod)) {
      s->terminating++;
    }
  }
  return 0;
}

/* A pod this sync may count: it holds the finalizer, is not listed as
 * uncounted, its finalizer removal is not pending, and (Indexed) it has a
 * valid index. */
static int countable(struct job_sync *s, const cplane_object *pod) {
  const char *uid = s->api->object_uid(pod);

  if (!job_pod_has_finalizer(s->api, pod) || uid == NULL ||
      job_uids_has(&s->unc_succ, uid) || job_uids_has(&s->unc_fail, uid) ||
      cplane_expect_uid_pending(s->expect, s->key, uid))
    return 0;
  return !s->spec.indexed ||
         job_pod_index(s->api, pod, (int)s->spec.completions) >= 0;
}

/* succeeded and failed as they will be once this sync's finished pods are
 * counted, and the failed pods' back-off (kube's getNewFinishedPods). */
static void count_finished(struct job_sync *s, struct job_backoff *bo) {
  const struct cplane_host_api *api = s->api;
  int64_t new_succ = 0, new_fail = 0;
  int i, pass, any_failed = 0;

  for (i = 0; i < s->n_pods && !any_failed; i++)
    any_failed = job_pod_failed(api, s->pods[i], s->spec.only_replace_failed);
  /* The back-off needs finish times only when a pod failed. */
  for (pass = any_failed ? 0 : 2; pass < 2; pass++) /* successes first */
    for (i = 0; i < s->n_pods; i++) {
      const cplane_object *pod = s->pods[i];
      int ok = job_pod_succeeded(api, pod);

      if (pass == 0 && ok)
        job_backoff_add(bo, 0, job_pod_finish_ms(api, pod, s->now_ms));
      else if (pass == 1 && !ok &&
               job_pod_failed(api, pod, s->spec.only_replace_failed))
        job_backoff_add(bo, 1, job_pod_finish_ms(api, pod, s->now_ms));
    }
  for (i = 0; i < s->n_pods; i++) {
    const cplane_object *pod = s->pods[i];
    char msg[8];

    if (!countable(s, pod))
      continue;
    if (job_pod_succeeded(api, pod)) {
      new_succ++;
      if (s->spec.indexed)
        s->done_ix[job_pod_index(api, pod, (int)s->spec.completions)] = 1;
    } else if (job_pod_failed(api, pod, s->spec.only_replace_failed)) {
      new_fail += !s->spec.has_failure_policy ||
                  job_policy_counts(
                      job_policy_match(api, s->job, pod, msg, sizeof msg));
    }
  }
  s->succeeded = s->spec.indexed
                     ? job_indexes_count(s->done_ix, (int)s->spec.completions)
                     : s->st.succeeded + new_succ +
                           (int64_t)s->unc_succ.n;
  s->failed =
      s->st.failed + new_fail + (int64_t)s->unc_fail.n;
}

/* kube's pastBackoffLimitOnFailure: restarts of OnFailure pods. */
static int past_restart_limit(struct job_sync *s) {
  int64_t restarts = 0;
  int i;

  if (!s->spec.restart_on_failure)
    return 0;
  for (i = 0; i < s->n_active; i++)
    restarts += job_pod_restarts(s->api, s->active[i]);
  return s->spec.backoff_limit == 0 ? restarts > 0
                                    : restarts >= s->spec.backoff_limit;
}

static void finish_as(struct job_sync *s, const char *type, const char *reason,
                      const char *message) {
  s->finish.type = type;
  s->finish.reason = reason;
  snprintf(s->finish.message, sizeof s->finish.message, "%s", message);
}

/* Copies the reason and message of the condition of `type`. */
static void finish_from(struct job_sync *s, const char *type,
                        const char *as) {
  int i = cplane_condition_find(s->api, s->job, "status.conditions", type);
  const char *reason =
      cplane_array_string(s->api, s->job, "status.conditions", i, "reason");
  const char *msg =
      cplane_array_string(s->api, s->job, "status.conditions", i, "message");
  static const char *const known[] = {
      "BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy",
      "MaxFailedIndexesExceeded", "FailedIndexes", "CompletionsReached",
      "SuccessPolicy"};
  size_t k;

  /* reason must outlive the Job object, which status writes replace. */
  s->finish.reason = as;
  for (k = 0; reason != NULL && k < sizeof known / sizeof *known; k++)
    if (strcmp(reason, known[k]) == 0)
      s->finish.reason = known[k];
  s->finish.type = as == NULL ? NULL : type;
  snprintf(s->finish.message, sizeof s->finish.message, "%s",
           msg ? msg : "");
}

/* The first FailJob match among the failed pods (kube's getFailJobMessage). */
static int fail_job_rule(struct job_sync *s) {
  int i;

  if (!s->spec.has_failure_policy)
    return 0;
  for (i = 0; i < s->n_pods; i++)
    if (job_pod_failed(s->api, s->pods[i], s->spec.only_replace_failed) &&
        job_policy_match(s->api, s->job, s->pods[i], s->finish.message,
                         sizeof s->finish.message) == JOB_POLICY_FAIL_JOB) {
      s->finish.type = "FailureTarget";
      s->finish.reason = "PodFailurePolicy";
      return 1;
    }
  return 0;
}

/* backoffLimitPerIndex: too many failed indexes, or every index done
 * with some failed. */
static void index_limits(struct job_sync *s) {
  int n = (int)s->spec.completions;
  int failed = job_indexes_count(s->per.failed, n);

  if (s->spec.max_failed_indexes >= 0 && failed > s->spec.max_failed_indexes)
    finish_as(s, "FailureTarget", "MaxFailedIndexesExceeded",
              "Job has exceeded the specified maximal number of failed "
              "indexes");
  else if (failed > 0 && failed + job_indexes_count(s->done_ix, n) >= n)
    finish_as(s, "FailureTarget", "FailedIndexes", "Job has failed indexes");
}

/* Whether the Job has finished or must fail, in kube's order. */
static void decide_finish(struct job_sync *s) {
  if (cond_true(s, "SuccessCriteriaMet")) {
    finish_from(s, "SuccessCriteriaMet", "CompletionsReached");
    return;
  }
  if (cond_true(s, "FailureTarget")) {
    finish_from(s, "FailureTarget", "BackoffLimitExceeded");
    return;
  }
  if (fail_job_rule(s))
    return;
  if (s->failed > s->spec.backoff_limit || past_restart_limit(s)) {
    finish_as(s, "FailureTarget", "BackoffLimitExceeded",
              "Job has reached the specified backoff limit");
  } else if (s->spec.deadline_s >= 0 && s->st.start_ms > 0 && !s->spec.suspend) {
    int64_t left = s->st.start_ms + s->spec.deadline_s * 1000 - s->now_ms;

    if (left <= 0)
      finish_as(s, "FailureTarget", "DeadlineExceeded",
                "Job was active longer than specified deadline");
    else
      job_sync_requeue(s, left);
  }
  if (s->finish.type == NULL && s->per_index)
    index_limits(s);
  if (s->finish.type == NULL && s->spec.indexed &&
      job_success_policy_met(s->api, s->job, s->done_ix,
                             (int)s->spec.completions, s->finish.message,
                             sizeof s->finish.message)) {
    s->finish.type = "SuccessCriteriaMet";
    s->finish.reason = "SuccessPolicy";
  }
}

/* Complete once enough pods succeeded and none is active. */
static void check_complete(struct job_sync *s) {
  int done = s->spec.completions < 0
                 ? s->succeeded > 0 && s->n_active == 0
                 : s->succeeded >= s->spec.completions && s->n_active == 0;

  if (done)
    finish_as(s, "SuccessCriteriaMet", "CompletionsReached",
              "Reached expected number of succeeded pods");
}

/* The Suspended condition, with its events, and startTime reset on
 * resume (activeDeadlineSeconds counts continuous activity). */
static void suspend_condition(struct job_sync *s) {
  const char *have =
      cplane_condition_status(s->api, s->job, "status.conditions", "Suspended");

  if (s->spec.suspend) {
    job_status_want(&s->st, "Suspended", "True", "JobSuspended",
                    "Job suspended");
    if (have == NULL || strcmp(have, "True") != 0)
      s->api->event_record(s->ctx, &job_resources[JOB_JOBS], s->job, "Normal",
                           "Suspended", "Job suspended");
  } else if (have != NULL) {
    job_status_want(&s->st, "Suspended", "False", "JobResumed", "Job resumed");
    if (strcmp(have, "False") != 0) {
      s->api->event_record(s->ctx, &job_resources[JOB_JOBS], s->job, "Normal",
                           "Resumed", "Job resumed");
      s->st.start_ms = s->now_ms;
    }
  }
}

/* The reconcile between gathering and tracking. */
static void decide_and_manage(struct job_sync *s) {
  struct job_backoff bo = {0, 0, 0};
  int64_t wait;
  int managed = 0;

  count_finished(s, &bo);
  if (s->st.start_ms == 0 && !s->spec.suspend)
    s->st.start_ms = s->now_ms;
  decide_finish(s);
  if (s->finish.type != NULL) {
    if (!job_delete_active(s) || !s->pods_settled)
      s->finish.type = NULL; /* pods left: finish on a later sync */
    return;
  }
  /* With backoffLimitPerIndex each index waits on its own (manage.c). */
  wait = s->per_index ? 0
                      : job_backoff_remaining_ms(&bo, s->now_ms,
                                                 s->cfg->backoff_base_ms,
                                                 s->cfg->backoff_max_ms);
  if (s->pods_settled && s->api->object_deletion_timestamp(s->job) == NULL)
    managed = job_manage(s, wait);
  check_complete(s);
  if (s->finish.type == NULL && managed)
    suspend_condition(s);
}

/* Gathers what the sync needs; 0, or -1 when out of memory or the pod
 * cache cannot answer. */
static int gather(struct job_sync *s) {
  const struct cplane_host_api *api = s->api;
  int n = (int)s->spec.completions;

  if (job_uids_init(&s->unc_succ) != 0 || job_uids_init(&s->unc_fail) != 0 ||
      load_uids(s, "succeeded", &s->unc_succ) != 0 ||
      load_uids(s, "failed", &s->unc_fail) != 0 || load_pods(s) != 0)
    return -1;
  job_status_read(api, s->job, &s->st);
  s->pods_settled = cplane_expect_satisfied(s->expect, s->key, s->now_ms);
  if (!s->spec.indexed)
    return 0;
  s->done_ix = calloc((size_t)n + 1, 1);
  s->prev_ix = calloc((size_t)n + 1, 1);
  if (s->done_ix == NULL || s->prev_ix == NULL)
    return -1;
  job_indexes_parse(api->object_string(s->job, "status.completedIndexes"),
                    s->prev_ix, n);
  memcpy(s->done_ix, s->prev_ix, (size_t)n);
  s->per_index = s->spec.backoff_limit_per_index >= 0;
  if (s->per_index &&
      job_index_failures_scan(api, s->job, &s->spec, s->pods, s->n_pods,
                              s->now_ms, &s->per) != 0)
    return -1;
  return 0;
}

static void release(struct job_sync *s) {
  free(s->pods);
  free(s->active);
  free(s->done_ix);
  free(s->prev_ix);
  job_index_failures_free(&s->per);
  s->api->list_free(s->list);
  job_uids_free(&s->unc_succ);
  job_uids_free(&s->unc_fail);
  s->api->object_release(s->job);
}

int job_sync_run(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 struct cplane_expectations *expect,
                 struct job_ownwrites *own, const struct job_config *cfg,
                 const char *key, uint32_t *requeue_after_ms) {
  struct job_sync s;
  const char *why = NULL;
  int rc = CPLANE_RECONCILE_DONE;

  memset(&s, 0, sizeof s);
  s.api = api;
  s.ctx = ctx;
  s.expect = expect;
  s.cfg = cfg;
  s.key = key;
  s.now_ms = api->now_ms(ctx);
  if (api->cache_get(ctx, JOB_JOBS, key, &s.job) != CPLANE_OK) {
    cplane_expect_forget(expect, key);
    job_ownwrites_forget(own, key);
    return CPLANE_RECONCILE_DONE;
  }
  /* Counts read from an older Job than we wrote would count a pod that
   * lost its finalizer neither way (ownwrites.h). */
  if (job_ownwrites_stale(own, key, api->object_resource_version(s.job))) {
    api->log(ctx, CPLANE_LOG_DEBUG, "%s: the cache has not shown this "
             "controller's last write of the Job yet: waiting for it", key);
    job_sync_requeue(&s, 1000); /* its event is due; this bounds the wait */
    goto out;
  }
  if (cond_true(&s, "Complete") || cond_true(&s, "Failed"))
    goto out; /* finished: nothing more to do */
  if (job_spec_read(api, s.job, &s.spec, &why) != 0) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: %s: not managing it", key, why);
    goto out;
  }
  if (!api->cache_has_synced(ctx, JOB_PODS)) {
    job_sync_requeue(&s, 1000);
    goto out;
  }
  if (gather(&s) != 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  decide_and_manage(&s);
  s.st.active = s.n_active;
  s.st.ready = s.ready;
  s.st.terminating = s.terminating;
  if (job_track(&s) != 0 || s.failed_write)
    rc = CPLANE_RECONCILE_RETRY;
  else if (!s.pods_settled)
    job_sync_requeue(&s, 1000); /* an event is due; this bounds the wait */
out:
  if (s.wrote &&
      job_ownwrites_note(own, key, api->object_resource_version(s.job)) != 0)
    api->log(ctx, CPLANE_LOG_WARN, "%s: out of memory noting a write", key);
  if (rc == CPLANE_RECONCILE_DONE && s.requeue_ms > 0) {
    *requeue_after_ms = s.requeue_ms;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  release(&s);
  return rc;
}
