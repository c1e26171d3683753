/*
 * plan - what a DaemonSet's pods should become, node by node, as kube's
 * manage() and podsShouldBeOnNode() decide it, and its status counts as
 * updateDaemonSetStatus() makes them. Pure: arrays in, decisions out.
 *
 *   - a node that should run a pod and has none gets one;
 *   - on a node where a pod may stay: failed and succeeded pods are
 *     reported (the caller deletes them after a per-node back-off); without
 *     surge, all running pods but the oldest go; with surge, an old and a
 *     new pod stay together only while the new one is not yet available
 *     and the old one is ready;
 *   - a node where no pod may stay loses its pods;
 *   - an unscheduled pod aimed at a node that no longer exists goes.
 *
 * Pods being deleted count as present (no second pod while one
 * terminates) but are never deleted again.
 *
 * Ownership: the plan's and the groups' arrays are theirs (ds_plan_free,
 * ds_groups_free).
 * Threading: pure; any thread.
 */
#ifndef DS_PLAN_H
#define DS_PLAN_H

#include "ds.h"

/* The pods of each node, oldest first with scheduled pods before
 * unscheduled ones (kube's podByCreationTimestampAndPhase): node k's are
 * idx[first[k]] .. idx[first[k] + count[k] - 1]. */
struct ds_groups {
  int *idx, *first, *count;
};

struct ds_plan {
  int *create;
  int n_create; /* node indexes needing a pod */
  int *del;
  int n_del; /* pod indexes to delete now */
  int *failed;
  int n_failed; /* failed or succeeded pods: delete after the back-off */
};

struct ds_status {
  int desired, current, misscheduled, ready, available, updated;
};

/* 0, or -1 when out of memory. */
int ds_groups_build(const struct ds_pod *pods, int n_pods, int n_nodes,
                    struct ds_groups *g);
void ds_groups_free(struct ds_groups *g);

/* Room for every node and pod; 0, or -1 when out of memory. */
int ds_plan_init(struct ds_plan *p, int n_nodes, int n_pods);
void ds_plan_free(struct ds_plan *p);

/* kube's manage(): fills p. surge: the update strategy allows surge. */
void ds_plan_manage(const struct ds_node *nodes, int n_nodes,
                    const struct ds_pod *pods, int n_pods,
                    const struct ds_groups *g, int surge, struct ds_plan *p);

void ds_plan_status(const struct ds_node *nodes, int n_nodes,
                    const struct ds_pod *pods, const struct ds_groups *g,
                    struct ds_status *st);

#endif
