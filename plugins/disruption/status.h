/*
 * status - a PodDisruptionBudget's status as kube's disruption controller
 * writes it: the figures, disruptedPods, observedGeneration and the
 * DisruptionAllowed condition (SufficientPods when a disruption is
 * allowed, else InsufficientPods; SyncFailed with the error, and no
 * disruption allowed, when the figures cannot be computed: failSafe).
 *
 * The result is a JSON merge patch of the status subresource carrying
 * the budget's resourceVersion, so that an eviction that spent a
 * disruption in between makes the write a 409 rather than undoing it.
 *
 * Ownership: *patch is owned (api->free).
 * Threading: none inside; any thread.
 */
#ifndef DIS_STATUS_H
#define DIS_STATUS_H

#include <cplane/cplane.h>

struct dis_figures {
  int64_t healthy, desired, expected;
  const char *disrupted; /* the disruptedPods map, JSON text */
};

/* The patch bringing pdb's status to f (fail_msg NULL) or to kube's
 * failSafe status (fail_msg: why), or *patch NULL when it already is.
 * 0, or -1 when out of memory. */
int dis_status_patch(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *pdb, const struct dis_figures *f,
                     const char *fail_msg, char **patch);

#endif
