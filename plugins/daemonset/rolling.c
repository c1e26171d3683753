/*
 * rolling - a DaemonSet's RollingUpdate step. See rolling.h.
 */
#include "rolling.h"

#include <stdlib.h>
#include <string.h>

#define RU "spec.updateStrategy.rollingUpdate."

/* An int-or-percent field scaled to total, rounding up (kube's
 * GetScaledValueFromIntOrPercent(..., true)); absent: 0. */
static int scaled(const struct cplane_host_api *api, const cplane_object *ds,
                  const char *path, int total) {
  int64_t v = 0;
  const char *s;
  char *end;
  long pct;

  if (api->object_int(ds, path, &v) == CPLANE_OK)
    return v < 0 ? 0 : v > 1000000 ? 1000000 : (int)v;
  if ((s = api->object_string(ds, path)) == NULL)
    return 0;
  pct = strtol(s, &end, 10);
  if (end == s || strcmp(end, "%") != 0 || pct < 0 || pct > 100)
    return 0; /* the API server refuses these */
  return (int)(((int64_t)pct * total + 99) / 100);
}

void ds_rolling_limits(const struct cplane_host_api *api,
                       const cplane_object *ds, int desired,
                       int *max_unavailable, int *max_surge) {
  const char *type = api->object_string(ds, "spec.updateStrategy.type");

  *max_unavailable = *max_surge = 0;
  if (type != NULL && strcmp(type, "RollingUpdate") != 0)
    return;
  *max_unavailable = scaled(api, ds, RU "maxUnavailable", desired);
  *max_surge = scaled(api, ds, RU "maxSurge", desired);
  if (desired > 0 && *max_unavailable == 0 && *max_surge == 0)
    *max_unavailable = 1;
}

/* kube's findUpdatedPodsOnNode: at most one new and one old pod not
 * being deleted; 0 when there are more (the manage step prunes them). */
static int node_pods(const struct ds_pod *pods, const struct ds_groups *g,
                     int k, int *new_pod, int *old_pod) {
  int i;

  *new_pod = *old_pod = -1;
  for (i = 0; i < g->count[k]; i++) {
    int j = g->idx[g->first[k] + i];
    int *slot = pods[j].updated ? new_pod : old_pod;

    if (pods[j].deleting)
      continue;
    if (*slot >= 0)
      return 0;
    *slot = j;
  }
  return 1;
}

/* The nodes a rolling update looks at: those with pods and those that
 * should run one. */
static int considered(const struct ds_node *n, const struct ds_groups *g,
                      int k) {
  return g->count[k] > 0 || n->should_run;
}

static void plan_unavailable(const struct ds_node *nodes, int n_nodes,
                             const struct ds_pod *pods,
                             const struct ds_groups *g, int max_unavailable,
                             struct ds_plan *p) {
  int *candidates = malloc(((size_t)n_nodes + 1) * sizeof *candidates);
  int k, n_cand = 0, unavailable = 0, room, i;

  if (candidates == NULL)
    return;
  for (k = 0; k < n_nodes; k++) {
    int nw, old;

    if (!considered(&nodes[k], g, k))
      continue;
    if (!node_pods(pods, g, k, &nw, &old) || (nw < 0) == (old < 0)) {
      unavailable++; /* the manage step's: none, both, or too many */
    } else if (nw >= 0) {
      if (!pods[nw].available)
        unavailable++;
    } else if (!pods[old].available) {
      p->del[p->n_del++] = old; /* replace it at once */
    } else if (unavailable < max_unavailable) {
      candidates[n_cand++] = old;
    }
  }
  room = max_unavailable - unavailable;
  for (i = 0; i < n_cand && i < room; i++)
    p->del[p->n_del++] = candidates[i];
  free(candidates);
}

static void plan_surge(const struct ds_node *nodes, int n_nodes,
                       const struct ds_pod *pods, const struct ds_groups *g,
                       int max_surge, int desired, struct ds_plan *p) {
  int *cand = malloc(((size_t)n_nodes + 1) * sizeof *cand);
  int *misplaced = malloc(((size_t)n_nodes + 1) * sizeof *misplaced);
  int k, n_cand = 0, n_mis = 0, surging = 0, available = 0, i, room;

  if (cand == NULL || misplaced == NULL)
    goto out;
  for (k = 0; k < n_nodes; k++) {
    int nw, old;

    if (!considered(&nodes[k], g, k))
      continue;
    if (!node_pods(pods, g, k, &nw, &old)) {
      surging++;
      continue;
    }
    if ((nw >= 0 && pods[nw].available) ||
        (nw < 0 && old >= 0 && pods[old].available))
      available++;
    if (old < 0)
      continue; /* the manage step's */
    if (nw < 0 && !pods[old].available) {
      if (!nodes[k].should_run)
        misplaced[n_mis++] = old;
      else
        p->create[p->n_create++] = k;
    } else if (nw < 0) {
      cand[n_cand++] = k;
    } else if (!pods[nw].available) {
      surging++;
    } else {
      p->del[p->n_del++] = old;
    }
  }
  /* A pod on a node it no longer fits goes only while enough others
   * are available elsewhere. */
  for (i = 0; i < n_mis && i < available - desired; i++)
    p->del[p->n_del++] = misplaced[i];
  room = max_surge - surging;
  for (i = 0; i < n_cand && i < room; i++)
    p->create[p->n_create++] = cand[i];
out:
  free(cand);
  free(misplaced);
}

void ds_rolling_plan(const struct ds_node *nodes, int n_nodes,
                     const struct ds_pod *pods, const struct ds_groups *g,
                     int max_unavailable, int max_surge, int desired,
                     struct ds_plan *p) {
  if (max_surge == 0)
    plan_unavailable(nodes, n_nodes, pods, g, max_unavailable, p);
  else
    plan_surge(nodes, n_nodes, pods, g, max_surge, desired, p);
}
