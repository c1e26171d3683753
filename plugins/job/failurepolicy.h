/*
 * failurepolicy - spec.podFailurePolicy applied to a failed pod, as kube's
 * matchPodFailurePolicy: the first rule whose onExitCodes (a terminated
 * container, exit code not 0, optionally of one name, In or NotIn the
 * values) or onPodConditions (a condition of that type and status)
 * matches decides: FailJob (the Job fails with a message naming the
 * container or condition and the rule), Ignore (not counted toward
 * backoffLimit), Count, FailIndex. No rule matching counts the failure.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef JOB_FAILUREPOLICY_H
#define JOB_FAILUREPOLICY_H

#include <cplane/cplane.h>

#include <stddef.h>

enum job_policy_action {
  JOB_POLICY_NONE,      /* no rule matched: count it */
  JOB_POLICY_FAIL_JOB,
  JOB_POLICY_IGNORE,
  JOB_POLICY_COUNT,
  JOB_POLICY_FAIL_INDEX,
};

/* The action for failed pod under job's policy (NONE without a policy).
 * For FAIL_JOB, msg gets kube's message ("Container main for pod
 * default/x failed with exit code 42 matching FailJob rule at index 0"). */
enum job_policy_action job_policy_match(const struct cplane_host_api *api,
                                        const cplane_object *job,
                                        const cplane_object *pod, char *msg,
                                        size_t len);
/* 1 when a failure under this action counts toward backoffLimit. */
int job_policy_counts(enum job_policy_action a);

#endif
