/*
 * health - which selected pods a budget counts healthy, and which of its
 * disruptedPods it keeps (kube's buildDisruptedPodMap and
 * countHealthyPods): a pod being deleted is not healthy; a pod an
 * eviction let go (in disruptedPods) is not healthy for two minutes,
 * waiting for its deletion to show, then it is dropped from the map (and
 * a NotDeleted warning recorded about it); the rest count when Ready.
 *
 * Ownership: the result's map text is owned (free()).
 * Threading: none inside but event_record; reconcile only.
 */
#ifndef DIS_HEALTH_H
#define DIS_HEALTH_H

#include <cplane/cplane.h>

struct dis_health {
  int64_t healthy;
  char *disrupted;     /* the disruptedPods map to write, JSON text */
  uint32_t recheck_ms; /* when the next entry times out; 0: none */
};

/* Judges pods[0..n) (those pdb selects) at now_ms. ctx may be NULL (no
 * events). 0, or -1 when out of memory. */
int dis_health(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               const cplane_object *pdb, const cplane_object *const *pods,
               size_t n, int64_t now_ms, struct dis_health *out);

#endif
