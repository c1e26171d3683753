/*
 * rolling - a DaemonSet's RollingUpdate step, as kube's rollingUpdate()
 * counts it, once manage() has nothing left to do:
 *
 *   - without surge, old pods are deleted (the manage step then creates
 *     their replacements) while the unavailable nodes stay within
 *     maxUnavailable; an old pod that is not available goes at once;
 *   - with surge, a new pod is created beside each old one on up to
 *     maxSurge nodes at a time (at once where the old pod is not
 *     available), and the old pod goes when the new one is available.
 *
 * maxUnavailable and maxSurge are scaled from percentages of the desired
 * nodes rounding up; both 0 means maxUnavailable 1 (ds_rolling_limits).
 *
 * Threading: pure; any thread.
 */
#ifndef DS_ROLLING_H
#define DS_ROLLING_H

#include "plan.h"

/* maxUnavailable and maxSurge of ds for `desired` nodes (0 for a
 * strategy other than RollingUpdate). */
void ds_rolling_limits(const struct cplane_host_api *api,
                       const cplane_object *ds, int desired,
                       int *max_unavailable, int *max_surge);

/* Adds the rolling step's deletes and creates to p (whose lists must be
 * empty). */
void ds_rolling_plan(const struct ds_node *nodes, int n_nodes,
                     const struct ds_pod *pods, const struct ds_groups *g,
                     int max_unavailable, int max_surge, int desired,
                     struct ds_plan *p);

#endif
