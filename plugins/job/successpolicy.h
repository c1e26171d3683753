/*
 * successpolicy - an Indexed Job's spec.successPolicy, as kube's
 * matchSuccessPolicy: the first rule met declares the Job succeeded
 * (SuccessCriteriaMet, reason SuccessPolicy, "Matched rules at index N").
 * A rule with succeededIndexes is met when all of them succeeded, or,
 * with succeededCount, at least that many of them; one with only
 * succeededCount when that many indexes succeeded in all.
 *
 * Threading: pure function of a borrowed object.
 */
#ifndef JOB_SUCCESSPOLICY_H
#define JOB_SUCCESSPOLICY_H

#include <cplane/cplane.h>

#include <stddef.h>

/* 1 with kube's message in msg when a rule of job's policy is met by the
 * succeeded indexes done[0..n), else 0 (no policy, nothing succeeded). */
int job_success_policy_met(const struct cplane_host_api *api,
                           const cplane_object *job, const unsigned char *done,
                           int n, char *msg, size_t len);

#endif
