/*
 * failurepolicy - podFailurePolicy rules against a failed pod. See
 * failurepolicy.h.
 */
#include "failurepolicy.h"

#include <stdio.h>
#include <string.h>

#define RULES "spec.podFailurePolicy.rules"
#define MAX_RULES 20 /* kube's validation bound */

static enum job_policy_action action_of(const char *s) {
  if (s == NULL)
    return JOB_POLICY_NONE;
  if (strcmp(s, "FailJob") == 0)
    return JOB_POLICY_FAIL_JOB;
  if (strcmp(s, "Ignore") == 0)
    return JOB_POLICY_IGNORE;
  if (strcmp(s, "Count") == 0)
    return JOB_POLICY_COUNT;
  if (strcmp(s, "FailIndex") == 0)
    return JOB_POLICY_FAIL_INDEX;
  return JOB_POLICY_NONE;
}

/* 1 when code is (In) or is not (NotIn) one of rule r's values. */
static int code_matches(const struct cplane_host_api *api,
                        const cplane_object *job, int r, int64_t code) {
  char p[CPLANE_PATH_MAX];
  const char *op;
  int n, i, in = 0;
  int64_t v;

  snprintf(p, sizeof p, RULES "[%d].onExitCodes.operator", r);
  op = api->object_string(job, p);
  snprintf(p, sizeof p, RULES "[%d].onExitCodes.values", r);
  n = api->object_len(job, p);
  for (i = 0; i < n && !in; i++) {
    snprintf(p, sizeof p, RULES "[%d].onExitCodes.values[%d]", r, i);
    in = api->object_int(job, p, &v) == CPLANE_OK && v == code;
  }
  if (op != NULL && strcmp(op, "In") == 0)
    return in;
  if (op != NULL && strcmp(op, "NotIn") == 0)
    return !in;
  return 0;
}

/* Rule r's onExitCodes against the containers listed at `list` of pod:
 * the first non-zero terminated one that matches goes into msg. */
static int exit_codes_match(const struct cplane_host_api *api,
                            const cplane_object *job, int r,
                            const cplane_object *pod, const char *list,
                            const char *action, char *msg, size_t len) {
  char p[CPLANE_PATH_MAX];
  const char *want, *name;
  int n = api->object_len(pod, list), i;
  int64_t code;

  snprintf(p, sizeof p, RULES "[%d].onExitCodes.containerName", r);
  want = api->object_string(job, p);
  for (i = 0; i < n; i++) {
    snprintf(p, sizeof p, "%s[%d].state.terminated.exitCode", list, i);
    if (api->object_int(pod, p, &code) != CPLANE_OK || code == 0)
      continue;
    name = cplane_array_string(api, pod, list, i, "name");
    if (want != NULL && (name == NULL || strcmp(want, name) != 0))
      continue;
    if (!code_matches(api, job, r, code))
      continue;
    snprintf(msg, len,
             "Container %s for pod %s/%s failed with exit code %lld matching "
             "%s rule at index %d",
             name ? name : "", api->object_namespace(pod),
             api->object_name(pod), (long long)code, action, r);
    return 1;
  }
  return 0;
}

/* Rule r's onPodConditions: any one of them present on the pod. */
static int conditions_match(const struct cplane_host_api *api,
                            const cplane_object *job, int r,
                            const cplane_object *pod, const char *action,
                            char *msg, size_t len) {
  char p[CPLANE_PATH_MAX];
  int n, i;

  snprintf(p, sizeof p, RULES "[%d].onPodConditions", r);
  n = api->object_len(job, p);
  for (i = 0; i < n; i++) {
    const char *type = cplane_array_string(api, job, p, i, "type");
    const char *want = cplane_array_string(api, job, p, i, "status");
    const char *have;

    if (type == NULL)
      continue;
    have = cplane_condition_status(api, pod, "status.conditions", type);
    if (have == NULL || strcmp(have, want != NULL ? want : "True") != 0)
      continue;
    snprintf(msg, len, "Pod %s/%s has condition %s matching %s rule at index %d",
             api->object_namespace(pod), api->object_name(pod), type, action,
             r);
    return 1;
  }
  return 0;
}

enum job_policy_action job_policy_match(const struct cplane_host_api *api,
                                        const cplane_object *job,
                                        const cplane_object *pod, char *msg,
                                        size_t len) {
  int n = api->object_len(job, RULES), r;
  char p[CPLANE_PATH_MAX];

  if (len > 0)
    msg[0] = '\0';
  if (n > MAX_RULES)
    n = MAX_RULES;
  for (r = 0; r < n; r++) {
    const char *action;
    int hit;

    snprintf(p, sizeof p, RULES "[%d].action", r);
    if ((action = api->object_string(job, p)) == NULL ||
        action_of(action) == JOB_POLICY_NONE)
      continue;
    snprintf(p, sizeof p, RULES "[%d].onExitCodes", r);
    if (api->object_type(job, p) == CPLANE_TYPE_OBJECT)
      hit = exit_codes_match(api, job, r, pod, "status.initContainerStatuses",
                             action, msg, len) ||
            exit_codes_match(api, job, r, pod, "status.containerStatuses",
                             action, msg, len);
    else
      hit = conditions_match(api, job, r, pod, action, msg, len);
    if (hit)
      return action_of(action);
  }
  return JOB_POLICY_NONE;
}

int job_policy_counts(enum job_policy_action a) {
  return a != JOB_POLICY_IGNORE;
}
