/*
 * pods - core/v1 Pod (kube's pkg/registry/core/pod/strategy.go): a
 * status subresource, no metadata.generation (kube 1.32), in "all",
 * selectable by the fields kube's PodToSelectableFields lists, printed
 * as kubectl prints pods.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/admission_serviceaccount.h"
#include "apiserver/strategy/pod_defaults.h"
#include "apiserver/strategy/pod_priority.h"
#include "apiserver/request.h"
#include "apiserver/table.h"
#include "apiserver/verbs.h"

/* A pod needs at least one container ("spec.containers: Required
 * value"), or it would be shown Running with nothing in it; no spec at
 * all is the same answer. */
static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *cs = get(get(o, "spec"), "containers");

  if (cs != NULL && json_object_is_type(cs, json_type_array) &&
      json_object_array_length(cs) > 0)
    return;
  cp_field_required(errs, "spec.containers", NULL);
}

/* kube's PrepareForCreate: a new pod's status is Pending with its QoS
 * class, whatever the client sent. */
static void prepare_create(const struct cp_strategy_write *w, json_object *o) {
  (void)w;
  cp_pod_status_on_create(o);
}

/* kube's podStatusStrategy.PrepareForUpdate: the QoS class is set at
 * creation and immutable; a status write that leaves it out (old
 * kubelets drop it on rejected pods) keeps the stored one. */
static void prepare_update(const struct cp_strategy_write *w, json_object *o,
                           json_object *old) {
  json_object *st = get(o, "status"), *q = get(get(old, "status"), "qosClass");

  if (w->subresource == NULL || strcmp(w->subresource, "status") != 0 ||
      q == NULL || !json_object_is_type(st, json_type_object) ||
      get(st, "qosClass") != NULL)
    return;
  json_object_object_add(st, "qosClass", json_object_get(q));
}

/* The admission kube runs on pods in the server, in its order:
 * ServiceAccount, Priority, then DefaultTolerationSeconds (create and
 * update of the pod itself). */
/* kube's ServiceAccount, Priority and DefaultTolerationSeconds mutating
 * admission plugins, in that order. */
static int mutate(const struct cp_strategy_write *w, json_object *o,
                  json_object *old, struct cp_api_response *rs) {
  /* ServiceAccount */
  if (cp_admission_serviceaccount(w, o, rs) < 0)
    return -1;
  if (cp_pod_priority_admit(w, o, old, rs) < 0)
    return -1;
  if (w->subresource == NULL)
    cp_pod_default_tolerations(
        o, w->ctx ? w->ctx->not_ready_toleration_seconds : 0,
        w->ctx ? w->ctx->unreachable_toleration_seconds : 0);
  return 0;
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL}, {"Ready", "string", "", 0, NULL},
    {"Status", "string", "", 0, NULL},   {"Restarts", "integer", "", 0, NULL},
    {"Age", "string", "", 0, NULL},      {"IP", "string", "", 1, NULL},
    {"Node", "string", "", 1, NULL},
};

/* The reason a container's state gives, as kubectl's printPod reads it:
 * waiting's or terminated's reason, "ExitCode:N" (or "Signal:N") for a
 * terminated one without, else NULL (running, or no state). */
static const char *state_reason(json_object *c, char *buf, size_t len) {
  json_object *state = get(c, "state");
  const char *r = cp_table_str(state, "waiting.reason");

  if (r != NULL && r[0] != '\0')
    return r;
  if (get(state, "terminated") == NULL)
    return NULL;
  r = cp_table_str(state, "terminated.reason");
  if (r != NULL && r[0] != '\0')
    return r;
  if (cp_table_num(state, "terminated.signal") != 0)
    snprintf(buf, len, "Signal:%lld", cp_table_num(state, "terminated.signal"));
  else
    snprintf(buf, len, "ExitCode:%lld",
             cp_table_num(state, "terminated.exitCode"));
  return buf;
}

/* Whether the pod's Ready condition is True. */
static int pod_ready(json_object *p) {
  json_object *conds = get(get(p, "status"), "conditions");
  int n = cp_table_arr_len(p, "status.conditions"), i;

  for (i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(conds, (size_t)i);
    const char *type = cp_table_str(c, "type"), *st = cp_table_str(c, "status");

    if (type != NULL && strcmp(type, "Ready") == 0)
      return st != NULL && strcmp(st, "True") == 0;
  }
  return 0;
}

/* The STATUS column, as kubectl's printPod (pkg/printers/internalversion)
 * words it: the phase or status.reason; an init container not done gives
 * "Init:<reason>" or "Init:i/n"; then the app containers' waiting or
 * terminated reasons (CrashLoopBackOff, ContainerCreating, Completed,
 * Error), "Completed" turning back to Running (or NotReady) while another
 * container still runs; "Terminating" once deleted. */
static const char *status_reason(json_object *p, char *buf, size_t len) {
  const char *reason = cp_table_str(p, "status.phase"), *r;
  json_object *ics = get(get(p, "status"), "initContainerStatuses");
  json_object *cs = get(get(p, "status"), "containerStatuses");
  int n_init = cp_table_arr_len(p, "status.initContainerStatuses");
  int n = cp_table_arr_len(p, "status.containerStatuses"), i;
  int initializing = 0, running = 0;
  char tmp[32];

  if (cp_table_str(p, "status.reason") != NULL)
    reason = cp_table_str(p, "status.reason");
  for (i = 0; i < n_init && !initializing; i++) {
    json_object *c = json_object_array_get_idx(ics, (size_t)i);

    if (get(get(c, "state"), "terminated") != NULL &&
        cp_table_num(c, "state.terminated.exitCode") == 0)
      continue;
    initializing = 1;
    r = state_reason(c, tmp, sizeof tmp);
    if (r != NULL && strcmp(r, "PodInitializing") != 0) {
      snprintf(buf, len, "Init:%s", r);
    } else {
      snprintf(buf, len, "Init:%d/%d", i,
               cp_table_arr_len(p, "spec.initContainers"));
    }
    reason = buf;
  }
  if (initializing)
    return reason;
  for (i = n - 1; i >= 0; i--) {
    json_object *c = json_object_array_get_idx(cs, (size_t)i);

    if ((r = state_reason(c, tmp, sizeof tmp)) != NULL) {
      snprintf(buf, len, "%s", r);
      reason = buf;
    } else if (json_object_get_boolean(get(c, "ready")) &&
               get(get(c, "state"), "running") != NULL) {
      running = 1;
    }
  }
  if (reason != NULL && strcmp(reason, "Completed") == 0 && running)
    reason = pod_ready(p) ? "Running" : "NotReady";
  return reason;
}

static void cells(json_object *p, long long now, json_object *out) {
  int n = cp_table_arr_len(p, "spec.containers"), i, ready = 0;
  int n_status = cp_table_arr_len(p, "status.containerStatuses");
  json_object *cs = get(get(p, "status"), "containerStatuses");
  long long restarts = 0;
  char buf[32], ag[32];
  char why[96];
  const char *phase = status_reason(p, why, sizeof why);

  for (i = 0; cs != NULL && i < n_status; i++) {
    json_object *c = json_object_array_get_idx(cs, (size_t)i);

    ready += json_object_get_boolean(get(c, "ready"));
    restarts += cp_table_num(c, "restartCount");
  }
  cp_table_age(ag, sizeof ag, p, now);
  cp_table_add_str(out, cp_table_str(p, "metadata.name"));
  snprintf(buf, sizeof buf, "%d/%d", ready, n);
  cp_table_add_str(out, buf);
  if (cp_table_str(p, "metadata.deletionTimestamp") != NULL)
    phase = "Terminating";
  cp_table_add_str(out, phase ? phase : "Pending");
  cp_table_add_int(out, restarts);
  cp_table_add_str(out, ag);
  cp_table_add_str(out, cp_table_str(p, "status.podIP"));
  cp_table_add_str(out, cp_table_str(p, "spec.nodeName"));
}

static const char *const categories[] = {"all", NULL};
static const char *const field_labels[] = {"spec.nodeName",
                                           "spec.restartPolicy",
                                           "spec.schedulerName",
                                           "spec.serviceAccountName",
                                           "spec.hostNetwork",
                                           "status.phase",
                                           "status.podIP",
                                           "status.podIPs",
                                           "status.nominatedNodeName",
                                           NULL};

const struct cp_strategy cp_strategy_pods = {
    .group = "",
    .resource = "pods",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .field_labels = field_labels,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .mutate = mutate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
