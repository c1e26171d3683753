/*
 * view - loads what one reconcile knows. See view.h.
 */
#include "view.h"

#include "conditions.h"
#include "podtemplate.h"
#include "strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cplane_resource dp_resources[2] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
};

int dp_cmp_rs_oldest(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;
  int c = strcmp(x->created ? x->created : "", y->created ? y->created : "");

  return c != 0 ? c : strcmp(x->name, y->name);
}

int dp_cmp_rs_newest(const void *a, const void *b) {
  return -dp_cmp_rs_oldest(a, b);
}

int dp_cmp_rs_revision(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;

  if (x->revision != y->revision)
    return x->revision < y->revision ? -1 : 1;
  return dp_cmp_rs_oldest(a, b);
}

/* Larger first; among equals, newer first. */
int dp_cmp_rs_size_newer(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;

  if (x->spec != y->spec)
    return x->spec > y->spec ? -1 : 1;
  return dp_cmp_rs_newest(a, b);
}

/* Larger first; among equals, older first. */
int dp_cmp_rs_size_older(const void *a, const void *b) {
  const struct rsinfo *x = *(struct rsinfo *const *)a;
  const struct rsinfo *y = *(struct rsinfo *const *)b;

  if (x->spec != y->spec)
    return x->spec > y->spec ? -1 : 1;
  return dp_cmp_rs_oldest(a, b);
}

/* Pointers to the ReplicaSets (only the old ones when old_only, only the
 * active ones when active_only) sorted by cmp. Owned: free(). *n is set
 * to their number; NULL with *n == 0 is an empty result, not an error,
 * so callers test oom separately. */
struct rsinfo **dp_rs_select(struct deploy *d, int old_only, int active_only,
                             int (*cmp)(const void *, const void *), size_t *n,
                             int *oom) {
  struct rsinfo **v;
  size_t i;

  *n = 0;
  *oom = 0;
  if (d->n_rs == 0)
    return NULL;
  if ((v = malloc(d->n_rs * sizeof *v)) == NULL) {
    *oom = 1;
    return NULL;
  }
  for (i = 0; i < d->n_rs; i++) {
    if (old_only && d->rs[i].is_new)
      continue;
    if (active_only && d->rs[i].spec <= 0)
      continue;
    v[(*n)++] = &d->rs[i];
  }
  if (cmp != NULL && *n > 1)
    qsort(v, *n, sizeof *v, cmp);
  return v;
}

static int load_replicasets(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  size_t i, n;

  if (api->cache_list_by_index(d->ctx, DP_RS, "owner-uid", d->uid, NULL,
                               &d->list) != CPLANE_OK)
    return -1;
  n = api->list_len(d->list);
  if (n == 0)
    return 0;
  if ((d->rs = calloc(n, sizeof *d->rs)) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(d->list, i);
    const char *ctl = api->object_controller_uid(o);
    struct rsinfo *r = &d->rs[d->n_rs];
    char *t;

    /* Only what we control, and nothing already on its way out. */
    if (ctl == NULL || strcmp(ctl, d->uid) != 0 ||
        api->object_deletion_timestamp(o) != NULL)
      continue;
    r->o = o;
    r->name = api->object_name(o);
    r->created = api->object_string(o, "metadata.creationTimestamp");
    r->spec = dp_get_int(api, o, "spec.replicas", 1);
    r->replicas = dp_get_int(api, o, "status.replicas", 0);
    r->ready = dp_get_int(api, o, "status.readyReplicas", 0);
    r->available = dp_get_int(api, o, "status.availableReplicas", 0);
    r->gen = api->object_generation(o);
    r->observed = dp_get_int(api, o, "status.observedGeneration", 0);
    r->revision = dp_annotation_int(api, o, ANN_REVISION);
    if (r->revision < 0)
      r->revision = 0;
    r->desired_ann = dp_annotation_int(api, o, ANN_DESIRED);
    r->max_ann = dp_annotation_int(api, o, ANN_MAX);
    if ((t = dp_template_of(api, o)) == NULL)
      return -1;
    /* The oldest ReplicaSet with the Deployment's template is the new
     * one, as in Kubernetes' FindNewReplicaSet. */
    if (strcmp(t, d->template) == 0 &&
        (d->new_rs == NULL || dp_cmp_rs_oldest(&r, &d->new_rs) < 0))
      d->new_rs = r;
    free(t);
    d->n_rs++;
  }
  if (d->new_rs != NULL)
    d->new_rs->is_new = 1;
  return 0;
}

/* Reads the Deployment, its settings with Kubernetes' defaults, its
 * status and the ReplicaSets it controls. */
int dp_load(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  const cplane_object *o = d->o;
  const char *type = api->object_string(o, "spec.strategy.type");
  int paused = 0;

  d->key = api->object_key(o);
  d->ns = api->object_namespace(o);
  d->name = api->object_name(o);
  d->uid = api->object_uid(o);
  d->rv = api->object_resource_version(o);
  d->gen = api->object_generation(o);
  d->replicas = dp_get_int(api, o, "spec.replicas", 1);
  if (d->replicas < 0)
    d->replicas = 0;
  d->history = dp_get_int(api, o, "spec.revisionHistoryLimit", 10);
  if (d->history < 0)
    d->history = 0;
  d->deadline = dp_get_int(api, o, "spec.progressDeadlineSeconds", 600);
  /* MaxInt32 is how Kubernetes spells "no deadline". */
  if (d->deadline >= INT32_MAX)
    d->deadline = 0;
  d->min_ready = dp_get_int(api, o, "spec.minReadySeconds", 0);
  api->object_bool(o, "spec.paused", &paused);
  d->paused = paused;
  d->recreate = type != NULL && strcmp(type, "Recreate") == 0;
  dp_strategy_resolve(api, o, d->replicas, d->recreate, &d->surge,
                      &d->unavailable);
  cplane_time_format(api->now_ms(d->ctx), d->cur.now, sizeof d->cur.now);
  if (dp_read_status(api, o, &d->cur) < 0 ||
      dp_copy_status(&d->cur, &d->next) < 0)
    return -1;
  if ((d->template = dp_template_of(api, o)) == NULL)
    return -1;
  d->next.collisions = d->cur.collisions;
  if (dp_template_hash(d->template, d->cur.collisions, d->hash,
                       sizeof d->hash) < 0)
    return -1;
  return load_replicasets(d);
}

void dp_unload(struct deploy *d) {
  const struct cplane_host_api *api = d->api;

  free(d->rs);
  free(d->template);
  free(d->cur.conds);
  free(d->next.conds);
  api->list_free(d->list);
  api->object_release(d->patched);
}
