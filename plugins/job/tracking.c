/*
 * tracking - a Job's finished pods counted exactly once, as kube's
 * trackJobStatusAndRemoveFinalizers:
 *
 *   1. a finished pod still holding the tracking finalizer goes into
 *      status.uncountedTerminatedPods (Indexed successes straight into
 *      completedIndexes), and status is written;
 *   2. then its finalizer is removed;
 *   3. then, its finalizer gone, it moves from the uncounted lists into
 *      succeeded/failed, and status is written again.
 *
 * A restart between any two steps loses nothing and counts nothing twice:
 * a pod is counted when, and only when, it leaves the uncounted lists
 * with its finalizer gone. The interim FailureTarget or
 * SuccessCriteriaMet condition is written with step 1; the final Failed
 * or Complete once nothing is uncounted and no pod is terminating.
 */
#include "sync.h"

#include "failurepolicy.h"
#include "indexes.h"
#include "pods.h"

#include <stdlib.h>
#include <string.h>

/* Moves the uncounted uids whose pod lost its finalizer (or is gone)
 * into the counters. */
static void count_unfinalized(struct job_sync *s,
                              const struct cplane_sset *with_fin) {
  int succ = job_uids_keep_only(&s->unc_succ, with_fin);

  if (!s->spec.indexed)
    s->st.succeeded += succ;
  s->st.failed += job_uids_keep_only(&s->unc_fail, with_fin);
}

/* The uids of the pods holding the finalizer whose removal is not
 * pending. */
static int pods_with_finalizer(struct job_sync *s, struct cplane_sset *set) {
  int i;

  for (i = 0; i < s->n_pods; i++) {
    const char *uid = s->api->object_uid(s->pods[i]);

    if (uid != NULL && job_pod_has_finalizer(s->api, s->pods[i]) &&
        !cplane_expect_uid_pending(s->expect, s->key, uid) &&
        cplane_sset_add(set, uid) < 0)
      return -1;
  }
  return 0;
}

/* Step 1 for one pod: 1 when its finalizer may go (kube's
 * canRemoveFinalizer), after listing it as uncounted if it counts. */
static int take_finished(struct job_sync *s, const cplane_object *pod) {
  const struct cplane_host_api *api = s->api;
  const char *uid = api->object_uid(pod);
  int failed = job_pod_failed(api, pod, s->spec.only_replace_failed);
  int finishing = s->finish.type != NULL;
  int fail_all = finishing && strcmp(s->finish.type, "SuccessCriteriaMet") != 0;
  int ix = s->spec.indexed ? job_pod_index(api, pod, (int)s->spec.completions)
                           : -1;
  char msg[8];

  if (api->object_deletion_timestamp(s->job) == NULL && !finishing &&
      !job_pod_succeeded(api, pod) && !failed)
    return 0;
  if (job_pod_succeeded(api, pod) && !job_uids_has(&s->unc_fail, uid)) {
    if (!s->spec.indexed && job_uids_add(&s->unc_succ, uid) != 0)
      return -1;
    return 1; /* Indexed: done_ix has it already */
  }
  if ((failed || fail_all) && !job_uids_has(&s->unc_fail, uid) &&
      (!s->spec.indexed || ix >= 0) &&
      (!s->spec.has_failure_policy ||
       job_policy_counts(job_policy_match(api, s->job, pod, msg, sizeof msg))) &&
      job_uids_add(&s->unc_fail, uid) != 0)
    return -1;
  return 1;
}

/* Writes s->st with the uncounted lists; 0 or -1 (the write failed). */
static int flush(struct job_sync *s) {
  char *succ = job_uids_json(s->api, &s->unc_succ);
  char *fail = job_uids_json(s->api, &s->unc_fail);
  char *done = NULL, *fidx = NULL;
  int code = -1;

  s->st.uncounted_succeeded = succ;
  s->st.uncounted_failed = fail;
  if (s->spec.indexed) {
    done = job_indexes_format(s->done_ix, (int)s->spec.completions);
    s->st.completed_indexes = done;
    s->st.succeeded = job_indexes_count(s->done_ix, (int)s->spec.completions);
  }
  if (s->per_index &&
      (s->st.failed_indexes = fidx =
           job_indexes_format(s->per.failed, (int)s->spec.completions)) == NULL)
    code = CPLANE_ENOMEM;
  if (succ != NULL && fail != NULL && (!s->spec.indexed || done != NULL) &&
      code != CPLANE_ENOMEM)
    code = job_status_write(s->api, s->ctx, &s->job, &s->st);
  s->wrote |= code == 200;
  s->st.uncounted_succeeded = s->st.uncounted_failed = NULL;
  s->st.completed_indexes = s->st.failed_indexes = NULL;
  free(fidx);
  free(succ);
  free(fail);
  free(done);
  return code == 0 || code == 200 ? 0 : -1;
}

/* The Failed or Complete condition, once nothing is left to count. */
static int enact_finished(struct job_sync *s, const char *final) {
  if (final == NULL || s->unc_succ.n > 0 || s->unc_fail.n > 0 ||
      s->st.terminating > 0)
    return 0;
  job_status_want(&s->st, final, "True", s->finish.reason, s->finish.message);
  if (strcmp(final, "Complete") == 0)
    s->st.completion_ms = s->now_ms;
  return 1;
}

static void record_finished(struct job_sync *s, const char *final) {
  const struct cplane_host_api *api = s->api;

  if (strcmp(final, "Complete") == 0) {
    if (s->spec.completions >= 0 && s->st.succeeded > s->spec.completions)
      api->event_record(s->ctx, &job_resources[JOB_JOBS], s->job, "Warning",
                        "TooManySucceededPods",
                        "Too many succeeded pods running after completion "
                        "count reached");
    api->event_record(s->ctx, &job_resources[JOB_JOBS], s->job, "Normal",
                      "Completed", "Job completed");
  } else {
    api->event_record(s->ctx, &job_resources[JOB_JOBS], s->job, "Warning",
                      s->finish.reason, "%s", s->finish.message);
  }
}

int job_track(struct job_sync *s) {
  struct cplane_sset with_fin;
  const cplane_object **rm = calloc((size_t)s->n_pods + 1, sizeof *rm);
  unsigned char *gone = calloc((size_t)s->n_pods + 1, 1);
  const char *final = NULL;
  int n_rm = 0, i, full = 0, rc = -1;

  if (cplane_sset_init(&with_fin) != 0 || rm == NULL || gone == NULL ||
      pods_with_finalizer(s, &with_fin) != 0)
    goto out;
  count_unfinalized(s, &with_fin);
  for (i = 0; i < s->n_pods && !full; i++) {
    const cplane_object *pod = s->pods[i];
    int take;

    if (!cplane_sset_has(&with_fin, s->api->object_uid(pod)))
      continue;
    if ((take = take_finished(s, pod)) < 0)
      goto out;
    if (take)
      rm[n_rm++] = pod;
    full = n_rm >= JOB_MAX_UNCOUNTED; /* keep status small; sync again */
  }
  if (s->finish.type != NULL) {
    int success = strcmp(s->finish.type, "SuccessCriteriaMet") == 0;

    job_status_want(&s->st, s->finish.type, "True", s->finish.reason,
                    s->finish.message);
    final = success ? "Complete" : "Failed";
  }
  if (flush(s) != 0)
    goto out;
  if (job_unfinalize_pods(&(struct job_writer){s->api, s->ctx, s->expect,
                                               s->job, s->key},
                          rm, n_rm, gone) != 0)
    s->failed_write = 1;
  for (i = 0; i < n_rm; i++)
    if (gone[i])
      cplane_sset_del(&with_fin, s->api->object_uid(rm[i]));
  count_unfinalized(s, &with_fin);
  if (full)
    job_sync_requeue(s, 1);
  else if (!enact_finished(s, final))
    final = NULL;
  if (flush(s) != 0)
    goto out;
  if (final != NULL)
    record_finished(s, final);
  rc = 0;
out:
  cplane_sset_free(&with_fin);
  free(rm);
  free(gone);
  return rc;
}
