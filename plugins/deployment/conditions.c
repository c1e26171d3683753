/*
 * conditions - a Deployment's status and condition list. See
 * conditions.h.
 */
#include "conditions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_field(const struct cplane_host_api *api,
                       const cplane_object *o, const char *path, char *out,
                       size_t len) {
  const char *s = api->object_string(o, path);

  snprintf(out, len, "%s", s ? s : "");
}

static int conds_reserve(struct status *st, size_t n) {
  struct condition *c;

  if (n <= st->cap_conds)
    return 0;
  if ((c = realloc(st->conds, n * sizeof *c)) == NULL)
    return -1;
  st->conds = c;
  st->cap_conds = n;
  return 0;
}

int dp_read_status(const struct cplane_host_api *api, const cplane_object *d,
                   struct status *st) {
  int n = api->object_len(d, "status.conditions"), i;

  st->observed = dp_get_int(api, d, "status.observedGeneration", 0);
  st->replicas = dp_get_int(api, d, "status.replicas", 0);
  st->updated = dp_get_int(api, d, "status.updatedReplicas", 0);
  st->ready = dp_get_int(api, d, "status.readyReplicas", 0);
  st->available = dp_get_int(api, d, "status.availableReplicas", 0);
  st->unavailable = dp_get_int(api, d, "status.unavailableReplicas", 0);
  st->collisions = dp_get_int(api, d, "status.collisionCount", 0);
  if (n < 0)
    n = 0;
  /* two more: Available and Progressing may be added */
  if (conds_reserve(st, (size_t)n + 2) < 0)
    return -1;
  for (i = 0; i < n; i++) {
    struct condition *c = &st->conds[st->n_conds];
    char path[96];

#define FIELD(f, dst)                                                          \
  snprintf(path, sizeof path, "status.conditions[%d]." f, i);                  \
  copy_field(api, d, path, c->dst, sizeof c->dst)
    FIELD("type", type);
    FIELD("status", status);
    FIELD("reason", reason);
    FIELD("message", message);
    FIELD("lastUpdateTime", last_update);
    FIELD("lastTransitionTime", last_transition);
#undef FIELD
    if (c->type[0] != '\0')
      st->n_conds++;
  }
  return 0;
}

int dp_copy_status(const struct status *from, struct status *to) {
  *to = *from;
  to->conds = NULL;
  to->cap_conds = 0;
  if (conds_reserve(to, from->n_conds + 2) < 0)
    return -1;
  if (from->n_conds > 0)
    memcpy(to->conds, from->conds, from->n_conds * sizeof *to->conds);
  return 0;
}

struct condition *dp_cond_get(struct status *st, const char *type) {
  size_t i;

  for (i = 0; i < st->n_conds; i++)
    if (strcmp(st->conds[i].type, type) == 0)
      return &st->conds[i];
  return NULL;
}

void dp_cond_remove(struct status *st, const char *type) {
  struct condition *c = dp_cond_get(st, type);

  if (c == NULL)
    return;
  memmove(c, c + 1, (size_t)(st->conds + st->n_conds - (c + 1)) * sizeof *c);
  st->n_conds--;
}

/* Kubernetes' SetDeploymentCondition: a condition with the same status and
 * reason is left alone (message and times too); one with the same status
 * keeps its lastTransitionTime; the new one goes last. Room for it is
 * always reserved (read_status and copy_status keep two spare slots, and
 * each type is at most once in the list). */
void dp_cond_set(struct status *st, const char *type, const char *status,
                 const char *reason, const char *message) {
  struct condition *cur = dp_cond_get(st, type), c;

  if (cur != NULL && strcmp(cur->status, status) == 0 &&
      strcmp(cur->reason, reason) == 0)
    return;
  memset(&c, 0, sizeof c);
  snprintf(c.type, sizeof c.type, "%s", type);
  snprintf(c.status, sizeof c.status, "%s", status);
  snprintf(c.reason, sizeof c.reason, "%s", reason);
  snprintf(c.message, sizeof c.message, "%s", message);
  snprintf(c.last_update, sizeof c.last_update, "%s", st->now);
  if (cur != NULL && strcmp(cur->status, status) == 0)
    memcpy(c.last_transition, cur->last_transition, sizeof c.last_transition);
  else
    memcpy(c.last_transition, c.last_update, sizeof c.last_transition);
  dp_cond_remove(st, type);
  st->conds[st->n_conds++] = c;
}

int dp_same_conditions(const struct status *a, const struct status *b) {
  size_t i;

  if (a->n_conds != b->n_conds)
    return 0;
  for (i = 0; i < a->n_conds; i++) {
    const struct condition *x = &a->conds[i], *y = &b->conds[i];

    if (strcmp(x->type, y->type) != 0 || strcmp(x->status, y->status) != 0 ||
        strcmp(x->reason, y->reason) != 0 ||
        strcmp(x->message, y->message) != 0 ||
        strcmp(x->last_update, y->last_update) != 0 ||
        strcmp(x->last_transition, y->last_transition) != 0)
      return 0;
  }
  return 1;
}
