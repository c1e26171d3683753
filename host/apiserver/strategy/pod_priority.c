/*
 * pod_priority - see pod_priority.h.
 */
#include "apiserver/strategy/pod_priority.h"

#include <stdio.h>
#include <string.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/priorityclasses.h"
#include "apiserver/strategy/refuse.h"

#define DEFAULT_POLICY "PreemptLowerPriority"

/* On update: what admission set on create stays. */
static void keep_old(json_object *pod, json_object *old) {
  json_object *p = cp_field_at(old, "spec.priority");
  json_object *pp = cp_field_at(old, "spec.preemptionPolicy");

  if (p != NULL && cp_field_at(pod, "spec.priority") == NULL)
    cp_field_set(pod, "spec.priority", json_object_get(p));
  if (pp != NULL && cp_field_at(pod, "spec.preemptionPolicy") == NULL)
    cp_field_set(pod, "spec.preemptionPolicy", json_object_get(pp));
}

/* The class the pod asks for, or the default; -1 having responded. */
static int resolve(const struct cp_strategy_write *w, json_object *pod,
                   const char *name, struct cp_priority_class *pc,
                   struct cp_api_response *rs) {
  int rc;

  if (name == NULL || name[0] == '\0') {
    rc = cp_priority_class_default(w->ctx, pc);
    if (rc == 0) {
      pc->name[0] = '\0';
      pc->value = 0;
      snprintf(pc->preemption_policy, sizeof pc->preemption_policy, "%s",
               DEFAULT_POLICY);
    }
  } else {
    rc = cp_priority_class_get(w->ctx, name, pc);
    if (rc == 0) {
      cp_strategy_forbidden(rs, "", "pods",
                            cp_field_str(pod, "metadata.name"),
                            "no PriorityClass with name %s was found", name);
      return -1;
    }
  }
  if (rc < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  return 0;
}

int cp_pod_priority_admit(const struct cp_strategy_write *w, json_object *pod,
                          json_object *old, struct cp_api_response *rs) {
  const char *name = cp_field_str(pod, "spec.priorityClassName");
  const char *have_policy = cp_field_str(pod, "spec.preemptionPolicy");
  const char *pod_name = cp_field_str(pod, "metadata.name");
  struct cp_priority_class pc;
  int64_t have;

  if (w->subresource != NULL)
    return 0;
  if (w->op == CP_OP_UPDATE) {
    keep_old(pod, old);
    return 0;
  }
  if (resolve(w, pod, name, &pc, rs) < 0)
    return -1;
  if (cp_field_int(pod, "spec.priority", &have) && have != pc.value) {
    cp_strategy_forbidden(rs, "", "pods", pod_name,
                          "the integer value of priority (%lld) must not be "
                          "provided in pod spec; priority admission "
                          "controller computed %d from the given "
                          "PriorityClass name",
                          (long long)have, (int)pc.value);
    return -1;
  }
  if (name == NULL && pc.name[0] != '\0')
    cp_field_set(pod, "spec.priorityClassName",
                 json_object_new_string(pc.name));
  cp_field_set(pod, "spec.priority", json_object_new_int(pc.value));
  if (pc.preemption_policy[0] == '\0')
    return 0;
  if (have_policy != NULL && strcmp(have_policy, pc.preemption_policy) != 0) {
    cp_strategy_forbidden(rs, "", "pods", pod_name,
                          "the string value of PreemptionPolicy (%s) must "
                          "not be provided in pod spec; priority admission "
                          "controller computed %s from the given "
                          "PriorityClass name",
                          have_policy, pc.preemption_policy);
    return -1;
  }
  cp_field_set(pod, "spec.preemptionPolicy",
               json_object_new_string(pc.preemption_policy));
  return 0;
}
