/*
 * eviction_condition - see eviction_condition.h.
 */
#include "apiserver/eviction_condition.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/status.h"
#include "apiserver/verbs.h"

#define DT_TYPE "DisruptionTarget"
#define DT_REASON "EvictionByEvictionAPI"
#define DT_MESSAGE "Eviction API: evicting"

/* kube's NewConflict(Resource "Pod", name, err), which the eviction's
 * precondition check raises with its own wording. */
static void respond_precondition(struct cp_api_response *rs,
                                 const char *name, const char *what,
                                 const char *want, const char *have,
                                 const char *tail) {
  struct cp_status_details d = {.name = name, .kind = "Pod"};
  char msg[640];

  snprintf(msg, sizeof msg,
           "Operation cannot be fulfilled on Pod \"%.253s\": the %s in the "
           "precondition (%.64s) does not match the %s in record (%.64s). %s",
           name, what, want, what, have, tail);
  cp_api_respond_status(rs, 409, cp_status_failure(409, "Conflict", msg, &d));
}

/* 0 when opts' preconditions hold for pod at revision rev; else -1
 * having responded. */
static int preconditions_hold(json_object *opts, json_object *pod,
                              int64_t rev, const char *name,
                              struct cp_api_response *rs) {
  json_object *pre = get(opts, "preconditions");
  const char *uid = get_str(pre, "uid"), *rv = get_str(pre, "resourceVersion");
  const char *have_uid = get_str(get(pod, "metadata"), "uid");
  char have_rv[32];

  snprintf(have_rv, sizeof have_rv, "%" PRId64, rev);
  if (uid != NULL && uid[0] != '\0' &&
      (have_uid == NULL || strcmp(uid, have_uid) != 0)) {
    respond_precondition(rs, name, "UID", uid, have_uid ? have_uid : "",
                         "The object might have been deleted and then "
                         "recreated");
    return -1;
  }
  if (rv != NULL && rv[0] != '\0' && strcmp(rv, have_rv) != 0) {
    respond_precondition(rs, name, "ResourceVersion", rv, have_rv,
                         "The object might have been modified");
    return -1;
  }
  return 0;
}

/* kube's podutil.UpdatePodCondition with the eviction's condition: an
 * existing DisruptionTarget keeps its lastTransitionTime unless its
 * status changes. */
static void put_condition(json_object *pod) {
  json_object *status = get(pod, "status"), *conds, *c = NULL;
  char ts[32];
  size_t i, n;

  if (status == NULL || !json_object_is_type(status, json_type_object)) {
    status = json_object_new_object();
    json_object_object_add(pod, "status", status);
  }
  conds = get(status, "conditions");
  if (conds == NULL || !json_object_is_type(conds, json_type_array)) {
    conds = json_object_new_array();
    json_object_object_add(status, "conditions", conds);
  }
  n = json_object_array_length(conds);
  for (i = 0; i < n && c == NULL; i++) {
    json_object *e = json_object_array_get_idx(conds, i);

    if (json_object_is_type(e, json_type_object) &&
        get_str(e, "type") != NULL && strcmp(get_str(e, "type"), DT_TYPE) == 0)
      c = e;
  }
  cp_verbs_now_rfc3339(ts, sizeof ts);
  if (c == NULL) {
    c = json_object_new_object();
    if (c == NULL || json_object_array_add(conds, c) != 0) {
      json_object_put(c);
      return;
    }
    set_str(c, "type", DT_TYPE);
    json_object_object_add(c, "lastProbeTime", NULL);
  }
  if (get_str(c, "status") == NULL || strcmp(get_str(c, "status"), "True"))
    set_str(c, "lastTransitionTime", ts);
  set_str(c, "status", "True");
  set_str(c, "reason", DT_REASON);
  set_str(c, "message", DT_MESSAGE);
}

/* Moves opts' resourceVersion precondition, when there is one, to rev. */
static void move_precondition(json_object *opts, int64_t rev) {
  json_object *pre = get(opts, "preconditions");
  char num[32];

  if (get_str(pre, "resourceVersion") == NULL)
    return;
  snprintf(num, sizeof num, "%" PRId64, rev);
  set_str(pre, "resourceVersion", num);
}

int cp_eviction_mark_disruption(struct cp_api_ctx *ctx,
                                const struct cp_api_request *rq,
                                json_object *opts,
                                struct cp_api_response *rs) {
  struct cp_api_request prq = *rq;
  struct cp_api_response scratch;
  char *key = cp_api_key(rq->type, rq->ns, rq->name);
  json_object *pod = NULL;
  int64_t rev = 0;
  int attempt, rc = -1;

  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  /* A status write of the pod, as kube's statusStore.Update. */
  prq.method = CP_API_PUT;
  prq.subresource = "status";
  prq.body = NULL;
  prq.body_len = 0;
  for (attempt = 0; attempt < CP_VERBS_CAS_RETRIES; attempt++) {
    int wrc;

    json_object_put(pod);
    if ((pod = cp_verbs_read_current(ctx, &prq, key, &rev, rs)) == NULL)
      goto out;
    if (preconditions_hold(opts, pod, rev, rq->name, rs) != 0)
      goto out;
    put_condition(pod);
    memset(&scratch, 0, sizeof scratch);
    wrc = cp_verbs_write_over(ctx, &prq, key, pod, rev, &scratch, 0);
    free(scratch.body);
    if (wrc == CPLANE_OK) {
      /* write_over set the new revision into pod's metadata. */
      const char *nrv = get_str(get(pod, "metadata"), "resourceVersion");

      move_precondition(opts, nrv != NULL ? strtoll(nrv, NULL, 10) : rev);
      rc = 0;
      goto out;
    }
    if (wrc != CP_STORE_ECONFLICT) {
      cp_verbs_store_error(rs, wrc);
      goto out;
    }
  }
  cp_verbs_conflict(rs, rq->type, rq->name);
out:
  free(key);
  json_object_put(pod);
  return rc;
}
