/*
 * status - computes and writes a Deployment's status. See status.h.
 */
#include "status.h"

#include "conditions.h"
#include "rswrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dp_calculate_status(struct deploy *d) {
  struct status *st = &d->next;
  size_t i;

  st->observed = d->gen;
  st->replicas = st->ready = st->available = 0;
  st->unavailable = 0;
  for (i = 0; i < d->n_rs; i++) {
    st->unavailable += d->rs[i].spec;
    st->replicas += d->rs[i].replicas;
    st->ready += d->rs[i].ready;
    st->available += d->rs[i].available;
  }
  st->updated = d->new_rs != NULL ? d->new_rs->replicas : 0;
  /* Kubernetes counts unavailable against the ReplicaSets' sizes. */
  st->unavailable -= st->available;
  if (st->unavailable < 0)
    st->unavailable = 0;
  if (st->available >= d->replicas - d->unavailable)
    dp_cond_set(st, COND_AVAILABLE, "True", "MinimumReplicasAvailable",
                "Deployment has minimum availability.");
  else
    dp_cond_set(st, COND_AVAILABLE, "False", "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.");
}

int dp_complete(struct deploy *d, const struct status *st) {
  return st->updated == d->replicas && st->replicas == d->replicas &&
         st->available == d->replicas && st->observed >= d->gen;
}

/* Kubernetes' checkPausedConditions: Progressing says Unknown while the
 * Deployment is paused, and once when it resumes. */
void dp_paused_conditions(struct deploy *d) {
  struct condition *c = dp_cond_get(&d->next, COND_PROGRESSING);
  int paused_cond;

  if (d->deadline <= 0)
    return;
  if (c != NULL && strcmp(c->reason, "ProgressDeadlineExceeded") == 0)
    return;
  paused_cond = c != NULL && strcmp(c->reason, "DeploymentPaused") == 0;
  if (d->paused && !paused_cond)
    dp_cond_set(&d->next, COND_PROGRESSING, "Unknown", "DeploymentPaused",
                "Deployment is paused");
  else if (!d->paused && paused_cond)
    dp_cond_set(&d->next, COND_PROGRESSING, "Unknown", "DeploymentResumed",
                "Deployment is resumed");
}

/* Milliseconds to wait for `seconds` to pass, a second late so the
 * deadline has surely passed, and at most an hour (a longer wait just
 * looks once more in between). */
static uint32_t ms_after(int64_t seconds) {
  if (seconds < 0)
    seconds = 0;
  if (seconds > 3600)
    seconds = 3600;
  return (uint32_t)(seconds + 1) * 1000;
}

/* Kubernetes' syncRolloutStatus: Progressing follows the rollout, and
 * turns False once the deadline passes without progress. Returns how many
 * milliseconds until the deadline would pass, or 0. */
uint32_t dp_rollout_conditions(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  struct status *st = &d->next, *old = &d->cur;
  struct condition *c = dp_cond_get(st, COND_PROGRESSING);
  char msg[512];
  double now = cplane_now_s(api, d->ctx), last;

  if (d->deadline <= 0) {
    dp_cond_remove(st, COND_PROGRESSING);
    return 0;
  }
  if (st->replicas == st->updated && c != NULL &&
      strcmp(c->reason, "NewReplicaSetAvailable") == 0)
    return 0; /* finished earlier; a resync estimates nothing */
  if (dp_complete(d, st)) {
    if (d->new_rs != NULL)
      snprintf(msg, sizeof msg,
               "ReplicaSet \"%s\" has successfully "
               "progressed.",
               d->new_rs->name);
    else
      snprintf(msg, sizeof msg,
               "Deployment \"%s\" has successfully "
               "progressed.",
               d->name);
    dp_cond_set(st, COND_PROGRESSING, "True", "NewReplicaSetAvailable", msg);
    return 0;
  }
  if (st->updated > old->updated ||
      st->replicas - st->updated < old->replicas - old->updated ||
      st->ready > old->ready || st->available > old->available) {
    struct condition keep;
    int had_true = c != NULL && strcmp(c->status, "True") == 0;

    if (had_true)
      keep = *c;
    if (d->new_rs != NULL)
      snprintf(msg, sizeof msg, "ReplicaSet \"%s\" is progressing.",
               d->new_rs->name);
    else
      snprintf(msg, sizeof msg, "Deployment \"%s\" is progressing.", d->name);
    /* Progress moves lastUpdateTime even with the same reason, so the
     * condition is replaced rather than set. */
    dp_cond_remove(st, COND_PROGRESSING);
    dp_cond_set(st, COND_PROGRESSING, "True", "ReplicaSetUpdated", msg);
    if (had_true)
      memcpy(dp_cond_get(st, COND_PROGRESSING)->last_transition,
             keep.last_transition, sizeof keep.last_transition);
    return ms_after(d->deadline);
  }
  if (c == NULL)
    return 0;
  if (strcmp(c->reason, "ProgressDeadlineExceeded") == 0)
    return 0;
  last = cplane_time_parse_s(c->last_update, 0);
  if (last + (double)d->deadline < now) {
    if (d->new_rs != NULL)
      snprintf(msg, sizeof msg,
               "ReplicaSet \"%s\" has timed out "
               "progressing.",
               d->new_rs->name);
    else
      snprintf(msg, sizeof msg,
               "Deployment \"%s\" has timed out "
               "progressing.",
               d->name);
    dp_cond_set(st, COND_PROGRESSING, "False", "ProgressDeadlineExceeded", msg);
    return 0;
  }
  /* Look again when the deadline passes, if nothing happens before. */
  return ms_after((int64_t)(last + (double)d->deadline - now));
}

/* Writes d->next when it differs from what the Deployment reports. */
int dp_write_status(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  struct status *a = &d->next, *b = &d->cur;
  struct cplane_strbuf conds = {0};
  char *cj = NULL, *body = NULL, *msg = NULL;
  size_t i;
  int code, rc = 0;

  if (a->observed == b->observed && a->replicas == b->replicas &&
      a->updated == b->updated && a->ready == b->ready &&
      a->available == b->available && a->unavailable == b->unavailable &&
      a->collisions == b->collisions && dp_same_conditions(a, b))
    return 0;
  cplane_strbuf_addn(&conds, "[", 1);
  for (i = 0; i < a->n_conds; i++) {
    const struct condition *c = &a->conds[i];

    if (i > 0)
      cplane_strbuf_addn(&conds, ",", 1);
    cplane_strbuf_take(&conds, api,
                       api->json_format("{'type':%s,'status':%s,'reason':%s,"
                                        "'message':%s,'lastUpdateTime':%s,"
                                        "'lastTransitionTime':%s}",
                                        c->type, c->status, c->reason,
                                        c->message, c->last_update,
                                        c->last_transition));
  }
  cplane_strbuf_addn(&conds, "]", 1);
  if ((cj = cplane_strbuf_finish(&conds)) == NULL) {
    rc = -1;
    goto out;
  }
  /* Guarded by the resourceVersion the status was computed from: a
   * cache behind our last write gives a 409 and a fresh look, never an
   * older status written over a newer one. collisionCount is left out
   * while zero, as Kubernetes does. */
#define STATUS_FMT(extra)                                                      \
  "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':%s,"         \
  "'namespace':%s,'resourceVersion':%s},'status':{"                            \
  "'observedGeneration':%lld,'replicas':%lld,'updatedReplicas':%lld,"          \
  "'readyReplicas':%lld,'availableReplicas':%lld,"                             \
  "'unavailableReplicas':%lld,'conditions':%j" extra "}}"
#define STATUS_ARGS                                                            \
  d->name, d->ns, d->rv, (long long)a->observed, (long long)a->replicas,       \
      (long long)a->updated, (long long)a->ready, (long long)a->available,     \
      (long long)a->unavailable, cj
  if (a->collisions > 0)
    body = api->json_format(STATUS_FMT(",'collisionCount':%lld"), STATUS_ARGS,
                            (long long)a->collisions);
  else
    body = api->json_format(STATUS_FMT(""), STATUS_ARGS);
#undef STATUS_FMT
#undef STATUS_ARGS
  if (body == NULL) {
    rc = -1;
    goto out;
  }
  code = api->update_status(d->ctx, &dp_resources[DP_DEPLOY], d->ns, d->name,
                            body, NULL, &msg);
  if (code != 200)
    rc = dp_write_failed(d, "updating the status", code, msg);
  else
    api->free(msg);
out:
  free(cj);
  api->free(body);
  return rc;
}
