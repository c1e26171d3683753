/*
 * budget - a PodDisruptionBudget's figures as kube's disruption
 * controller computes them (getExpectedPodCount, updatePdbStatus):
 * desiredHealthy from minAvailable or maxUnavailable, an int or a
 * percentage of the expected pods rounded up, and disruptionsAllowed.
 *
 * Threading: none inside; any thread.
 */
#ifndef DIS_BUDGET_H
#define DIS_BUDGET_H

#include <cplane/cplane.h>

/* How the budget counts its expected pods. */
enum dis_mode {
  DIS_NONE,       /* neither field: nothing desired */
  DIS_MIN_INT,    /* minAvailable N: expected = the selected pods */
  DIS_FROM_SCALE, /* a percentage or maxUnavailable: the controllers' scale */
};

/* The mode of pdb's spec. */
enum dis_mode dis_budget_mode(const struct cplane_host_api *api,
                              const cplane_object *pdb);
/* desiredHealthy for `expected` pods. 0, or -1 with *why (static text)
 * for a value that is neither an int nor "N%". */
int dis_budget_desired(const struct cplane_host_api *api,
                       const cplane_object *pdb, int64_t expected,
                       int64_t *desired, const char **why);
/* kube's disruptionsAllowed: healthy - desired, never below 0, and 0
 * when no pod is expected. */
int64_t dis_budget_allowed(int64_t healthy, int64_t desired, int64_t expected);
/* An int-or-percent value at path of obj scaled against total, rounding
 * up as intstr.GetScaledValueFromIntOrPercent(.., true). 0, or -1. */
int dis_scaled(const struct cplane_host_api *api, const cplane_object *obj,
               const char *path, int64_t total, int64_t *out);

#endif
