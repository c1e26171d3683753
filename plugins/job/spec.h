/*
 * spec - a Job's spec as the controller uses it, read once per reconcile
 * with every field's type checked (the API server defaults and validates
 * them; a Job from elsewhere that is malformed is refused, not guessed).
 *
 * Threading: pure function of a borrowed object.
 */
#ifndef JOB_SPEC_H
#define JOB_SPEC_H

#include <cplane/cplane.h>

#define JOB_MAX_COMPLETIONS 100000 /* kube's bound for Indexed Jobs */

struct job_spec {
  int64_t parallelism;
  int64_t completions;      /* -1: not set (the first success completes) */
  int64_t backoff_limit;
  int64_t backoff_limit_per_index; /* -1: not set */
  int64_t max_failed_indexes;      /* -1: not set */
  int64_t deadline_s;       /* activeDeadlineSeconds; -1: not set */
  int indexed;              /* completionMode Indexed */
  int suspend;
  int restart_on_failure;   /* template restartPolicy OnFailure */
  int only_replace_failed;  /* podReplacementPolicy Failed */
  int has_failure_policy;   /* spec.podFailurePolicy present */
};

/* Fills *s from job's spec. 0, or -1 with *why set (static text) when a
 * field has the wrong type or is out of range. */
int job_spec_read(const struct cplane_host_api *api, const cplane_object *job,
                  struct job_spec *s, const char **why);

#endif
