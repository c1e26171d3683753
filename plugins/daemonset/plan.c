/*
 * plan - a DaemonSet's pods node by node, and its status counts. See
 * plan.h.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

/* qsort has no context argument; the pods being sorted, set just before
 * (ds_groups_build is called on one thread per reconcile, so a
 * thread-local is enough). */
static _Thread_local const struct ds_pod *sorting;

static int cmp_pods(const void *a, const void *b) {
  const struct ds_pod *x = &sorting[*(const int *)a];
  const struct ds_pod *y = &sorting[*(const int *)b];

  if (x->node != y->node)
    return x->node < y->node ? -1 : 1;
  if (x->scheduled != y->scheduled)
    return x->scheduled ? -1 : 1;
  if (x->created_ms != y->created_ms)
    return x->created_ms < y->created_ms ? -1 : 1;
  return strcmp(x->name, y->name);
}

int ds_groups_build(const struct ds_pod *pods, int n_pods, int n_nodes,
                    struct ds_groups *g) {
  int i, n = 0;

  g->idx = malloc(((size_t)n_pods + 1) * sizeof *g->idx);
  g->first = calloc((size_t)n_nodes + 1, sizeof *g->first);
  g->count = calloc((size_t)n_nodes + 1, sizeof *g->count);
  if (g->idx == NULL || g->first == NULL || g->count == NULL) {
    ds_groups_free(g);
    return -1;
  }
  for (i = 0; i < n_pods; i++)
    if (pods[i].node >= 0 && pods[i].node < n_nodes)
      g->idx[n++] = i;
  sorting = pods;
  qsort(g->idx, (size_t)n, sizeof *g->idx, cmp_pods);
  sorting = NULL;
  for (i = n - 1; i >= 0; i--) {
    g->first[pods[g->idx[i]].node] = i;
    g->count[pods[g->idx[i]].node]++;
  }
  return 0;
}

void ds_groups_free(struct ds_groups *g) {
  free(g->idx);
  free(g->first);
  free(g->count);
  g->idx = g->first = g->count = NULL;
}

int ds_plan_init(struct ds_plan *p, int n_nodes, int n_pods) {
  memset(p, 0, sizeof *p);
  p->create = malloc(((size_t)n_nodes + 1) * sizeof *p->create);
  p->del = malloc(((size_t)n_pods + 1) * sizeof *p->del);
  p->failed = malloc(((size_t)n_pods + 1) * sizeof *p->failed);
  if (p->create == NULL || p->del == NULL || p->failed == NULL) {
    ds_plan_free(p);
    return -1;
  }
  return 0;
}

void ds_plan_free(struct ds_plan *p) {
  free(p->create);
  free(p->del);
  free(p->failed);
  memset(p, 0, sizeof *p);
}

/* With surge: the oldest new and the oldest old running pod may stay
 * together; every other one goes, and of those two the old goes once it
 * is not ready or the new one is available. */
static void prune_surge(const struct ds_pod *pods, const int *running, int n,
                        struct ds_plan *p) {
  int i, oldest_new = -1, oldest_old = -1;

  for (i = 0; i < n; i++) {
    int k = running[i];

    if (pods[k].updated && oldest_new < 0)
      oldest_new = k;
    else if (!pods[k].updated && oldest_old < 0)
      oldest_old = k;
    else
      p->del[p->n_del++] = k;
  }
  if (oldest_new >= 0 && oldest_old >= 0 &&
      (!pods[oldest_old].ready || pods[oldest_new].available))
    p->del[p->n_del++] = oldest_old;
}

/* The pods on a node where one may stay. */
static void node_keep(const struct ds_node *node, int k,
                      const struct ds_pod *pods, const struct ds_groups *g,
                      int surge, int *running, struct ds_plan *p) {
  int i, n = 0;

  for (i = 0; i < g->count[k]; i++) {
    int j = g->idx[g->first[k] + i];

    if (pods[j].deleting)
      continue;
    if (pods[j].phase != DS_PHASE_ACTIVE)
      p->failed[p->n_failed++] = j;
    else
      running[n++] = j;
  }
  if (!surge) {
    for (i = 1; i < n; i++) /* all but the oldest */
      p->del[p->n_del++] = running[i];
    return;
  }
  if (n == 0 && node->should_run)
    p->create[p->n_create++] = k;
  else if (n > 1)
    prune_surge(pods, running, n, p);
}

void ds_plan_manage(const struct ds_node *nodes, int n_nodes,
                    const struct ds_pod *pods, int n_pods,
                    const struct ds_groups *g, int surge, struct ds_plan *p) {
  int *running = malloc(((size_t)n_pods + 1) * sizeof *running);
  int k, i;

  for (k = 0; k < n_nodes; k++) {
    if (nodes[k].should_run && g->count[k] == 0) {
      p->create[p->n_create++] = k;
    } else if (nodes[k].should_continue) {
      if (running != NULL)
        node_keep(&nodes[k], k, pods, g, surge, running, p);
    } else {
      for (i = 0; i < g->count[k]; i++) {
        int j = g->idx[g->first[k] + i];

        if (!pods[j].deleting)
          p->del[p->n_del++] = j;
      }
    }
  }
  /* Unscheduled pods aimed at a node that no longer exists. */
  for (i = 0; i < n_pods; i++)
    if (pods[i].node < 0 && !pods[i].scheduled && !pods[i].deleting)
      p->del[p->n_del++] = i;
  free(running);
}

void ds_plan_status(const struct ds_node *nodes, int n_nodes,
                    const struct ds_pod *pods, const struct ds_groups *g,
                    struct ds_status *st) {
  int k;

  memset(st, 0, sizeof *st);
  for (k = 0; k < n_nodes; k++) {
    const struct ds_pod *pod;

    if (!nodes[k].should_run) {
      if (g->count[k] > 0)
        st->misscheduled++;
      continue;
    }
    st->desired++;
    if (g->count[k] == 0)
      continue;
    st->current++;
    pod = &pods[g->idx[g->first[k]]]; /* the oldest */
    if (pod->ready) {
      st->ready++;
      if (pod->available)
        st->available++;
    }
    if (pod->updated)
      st->updated++;
  }
}
