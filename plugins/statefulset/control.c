/*
 * control - the pod writes of one StatefulSet sync. See control.h.
 */
#include "control.h"

#include "claims.h"
#include "identity.h"
#include "podjson.h"
#include "view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* What a step tells the loop: go on, stop this sync, or failed. */
enum { STEP_ON = 0, STEP_WAIT = 1, STEP_FAIL = -1 };

static const struct cplane_resource *sets = &sts_resources[STS_SETS];

static int terminating(const struct cplane_host_api *api,
                       const cplane_object *pod) {
  return api->object_deletion_timestamp(pod) != NULL;
}

static const char *rev_name(const struct cplane_host_api *api,
                            const cplane_object *rev) {
  return rev != NULL ? api->object_name(rev) : "";
}

/* Counts leaving with a deleted pod, as kube adjusts status. */
static void forget(struct sts *s, const struct sts_pod *p) {
  const struct cplane_host_api *api = s->api;

  if (strcmp(p->rev, rev_name(api, s->current)) == 0)
    s->st.current--;
  if (strcmp(p->rev, rev_name(api, s->update)) == 0)
    s->st.updated--;
}

static int delete_pod(struct sts *s, struct sts_pod *p) {
  const struct cplane_host_api *api = s->api;
  const char *name = api->object_name(p->o);
  char *msg = NULL;
  int code;

  code = api->delete_object(s->ctx, &sts_resources[STS_PODS], s->ns, name,
                            NULL, &msg);
  if (code == 200 || code == 202 || code == 404) {
    api->event_record(s->ctx, sets, s->o, "Normal", "SuccessfulDelete",
                      "delete Pod %s in StatefulSet %s successful", name,
                      s->name);
    forget(s, p);
  } else {
    api->event_record(s->ctx, sets, s->o, "Warning", "FailedDelete",
                      "delete Pod %s in StatefulSet %s failed error: %s", name,
                      s->name, msg != NULL ? msg : "");
  }
  api->free(msg);
  return code == 200 || code == 202 || code == 404 ? STEP_ON : STEP_FAIL;
}

/* Creates ordinal p->ord: claims first, then the pod from the current
 * revision below the partition, else from the update revision (kube's
 * newVersionedStatefulSetPod). */
static int create_pod(struct sts *s, struct sts_pod *p) {
  const struct cplane_host_api *api = s->api;
  int old = !s->on_delete && p->ord < s->start + s->partition &&
            s->current != NULL && s->current != s->update;
  const cplane_object *rev = old ? s->current : s->update;
  char name[320], *body, *msg = NULL;
  int code;

  sts_pod_name(s->name, p->ord, name, sizeof name);
  if (sts_create_claims(s, p->ord) < 0)
    return STEP_FAIL;
  body = old ? sts_pod_json(s, rev, "data.spec.template", p->ord,
                            rev_name(api, rev))
             : sts_pod_json(s, s->o, "spec.template", p->ord,
                            rev_name(api, rev));
  if (body == NULL)
    return STEP_FAIL;
  code = api->create(s->ctx, &sts_resources[STS_PODS], s->ns, body, NULL, &msg);
  api->free(body);
  if (code == 201) {
    api->event_record(s->ctx, sets, s->o, "Normal", "SuccessfulCreate",
                      "create Pod %s in StatefulSet %s successful", name,
                      s->name);
    s->st.replicas++;
    if (rev == s->current)
      s->st.current++;
    if (rev == s->update)
      s->st.updated++;
  } else if (code != 409) {
    api->event_record(s->ctx, sets, s->o, "Warning", "FailedCreate",
                      "create Pod %s in StatefulSet %s failed error: %s", name,
                      s->name, msg != NULL ? msg : "");
  }
  api->free(msg);
  if (code == 409)
    return STEP_WAIT; /* there already: the cache is behind */
  return code == 201 ? STEP_ON : STEP_FAIL;
}

/* Puts a pod's identity labels right (kube's UpdateStatefulPod). */
static int fix_identity(struct sts *s, const struct sts_pod *p) {
  const struct cplane_host_api *api = s->api;
  char index[32], *patch;
  int code;

  snprintf(index, sizeof index, "%" PRId64, p->ord);
  patch = api->json_format("{'metadata':{'resourceVersion':%s,'labels':{"
                           "%s:%s,%s:%s}}}",
                           api->object_resource_version(p->o),
                           STS_LABEL_POD_NAME, api->object_name(p->o),
                           STS_LABEL_POD_INDEX, index);
  if (patch == NULL)
    return STEP_FAIL;
  code = api->patch(s->ctx, &sts_resources[STS_PODS], s->ns,
                    api->object_name(p->o), CPLANE_PATCH_MERGE, patch, NULL,
                    NULL);
  api->free(patch);
  if (code == 200)
    api->event_record(s->ctx, sets, s->o, "Normal", "SuccessfulUpdate",
                      "update Pod %s in StatefulSet %s successful",
                      api->object_name(p->o), s->name);
  return code == 200 ? STEP_ON : STEP_FAIL;
}

/* kube's processReplica for one ordinal in range. */
static int process_replica(struct sts *s, struct sts_pod *p, int ordered) {
  const struct cplane_host_api *api = s->api;
  int r;

  if (p->o == NULL) {
    r = create_pod(s, p);
    return r == STEP_ON && ordered ? STEP_WAIT : r;
  }
  if (cplane_pod_is_terminal(api, p->o)) {
    if (!terminating(api, p->o)) {
      api->event_record(s->ctx, sets, s->o, "Warning", "RecreatingFailedPod",
                        "StatefulSet %s/%s is recreating failed Pod %s", s->ns,
                        s->name, api->object_name(p->o));
      if (delete_pod(s, p) < 0)
        return STEP_FAIL;
    }
    return STEP_WAIT; /* made again once it is gone */
  }
  if (strcmp(api->object_string(p->o, "status.phase") ?: "", "Pending") == 0 &&
      sts_create_claims(s, p->ord) < 0)
    return STEP_FAIL;
  if (terminating(api, p->o))
    return ordered ? STEP_WAIT : STEP_ON;
  if (!sts_pod_ready(api, p->o))
    return ordered ? STEP_WAIT : STEP_ON;
  if (!sts_pod_available(s, p->o, &s->requeue_ms) && ordered)
    return STEP_WAIT;
  if (!sts_identity_matches(api, p->o, p->ord))
    return fix_identity(s, p);
  return STEP_ON;
}

/* kube's processCondemned: highest ordinal first; ordered sets wait for
 * each to go, and never take a healthy pod while another is unhealthy. */
static int process_condemned(struct sts *s, struct sts_pod *p, int ordered,
                             const cplane_object *first_unhealthy) {
  const struct cplane_host_api *api = s->api;

  if (terminating(api, p->o))
    return ordered ? STEP_WAIT : STEP_ON;
  if (ordered && p->o != first_unhealthy &&
      (!sts_pod_ready(api, p->o) || !sts_pod_available(s, p->o, NULL)))
    return STEP_WAIT;
  if (sts_claims_to_pod(s, p->o, p->ord) < 0)
    return STEP_FAIL;
  if (delete_pod(s, p) < 0)
    return STEP_FAIL;
  return ordered ? STEP_WAIT : STEP_ON;
}

/* The first pod, in processing order, that is not healthy. */
static const cplane_object *first_unhealthy(const struct sts *s) {
  const struct cplane_host_api *api = s->api;
  size_t i;

  for (i = 0; i < (size_t)s->replicas; i++)
    if (s->replicas_v[i].o != NULL &&
        !sts_pod_healthy(api, s->replicas_v[i].o))
      return s->replicas_v[i].o;
  for (i = 0; i < s->n_condemned; i++)
    if (!sts_pod_healthy(api, s->condemned[i].o))
      return s->condemned[i].o;
  return NULL;
}

static int old_revision(const struct sts *s, const struct sts_pod *p) {
  return strcmp(p->rev, rev_name(s->api, s->update)) != 0;
}

/* RollingUpdate: replaces old-revision pods from the highest ordinal down
 * to the partition, one at a time, waiting for each to be healthy. */
static int roll_one(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  int64_t t;

  for (t = s->replicas - 1; t >= s->partition && t >= 0; t--) {
    struct sts_pod *p = &s->replicas_v[t];

    if (p->o == NULL)
      return STEP_WAIT;
    if (old_revision(s, p) && !terminating(api, p->o))
      return delete_pod(s, p);
    if (!sts_pod_healthy(api, p->o))
      return STEP_WAIT;
  }
  return STEP_ON;
}

/* With maxUnavailable: as many old pods at once as the budget allows,
 * counting every unavailable pod of the set against it (kube's
 * MaxUnavailableStatefulSet behaviour). */
static int roll_many(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  int64_t t, unavailable = 0, budget;

  for (t = 0; t < s->replicas; t++) {
    const cplane_object *o = s->replicas_v[t].o;

    if (o == NULL || !sts_pod_healthy(api, o) ||
        !sts_pod_available(s, o, NULL))
      unavailable++;
  }
  budget = s->max_unavailable - unavailable;
  for (t = s->replicas - 1; t >= s->partition && t >= 0 && budget > 0; t--) {
    struct sts_pod *p = &s->replicas_v[t];

    if (p->o == NULL || !old_revision(s, p) || terminating(api, p->o))
      continue;
    if (delete_pod(s, p) < 0)
      return STEP_FAIL;
    budget--;
  }
  return STEP_ON;
}

int sts_update_pods(struct sts *s) {
  const cplane_object *unhealthy = first_unhealthy(s);
  int ordered = !s->parallel, r, failed = 0;
  size_t i;

  for (i = 0; i < (size_t)s->replicas; i++) {
    r = process_replica(s, &s->replicas_v[i], ordered);
    if (r == STEP_FAIL && ordered)
      return -1;
    failed |= r == STEP_FAIL; /* Parallel goes on past a failure, as kube */
    if (r == STEP_WAIT && ordered)
      return 0;
  }
  for (i = 0; i < s->n_condemned; i++) {
    r = process_condemned(s, &s->condemned[i], ordered, unhealthy);
    if (r == STEP_FAIL)
      return -1;
    if (r == STEP_WAIT)
      return 0;
  }
  if (failed)
    return -1;
  if (s->on_delete)
    return 0;
  r = s->max_unavailable > 0 &&
              s->api->object_type(s->o, "spec.updateStrategy.rollingUpdate."
                                        "maxUnavailable") != CPLANE_ENOENT
          ? roll_many(s)
          : roll_one(s);
  return r == STEP_FAIL ? -1 : 0;
}
