/*
 * groups - a Service's endpoints gathered for placement.h: the desired
 * ones from its pods, grouped by ports array, and the existing ones, one
 * group per slice.
 *
 * Ownership: a set owns every string and array it holds
 * (es_groups_free()); the objects read are only borrowed for each call.
 * Threading: none inside; one set belongs to one thread.
 */
#ifndef ES_GROUPS_H
#define ES_GROUPS_H

#include "placement.h"

#include <cplane/cplane.h>

struct es_groups {
  struct es_group *g;
  size_t n, cap;
};

/* Adds pod's endpoint behind svc to the group of its ports (node: NULL
 * when unknown). 0; 1 when the pod has no endpoint; -1 out of memory. */
int es_groups_add_pod(const struct cplane_host_api *api, struct es_groups *s,
                      const cplane_object *svc, const cplane_object *pod,
                      const cplane_object *node);
/* Adds an existing slice as a group of its own; stale when its metadata
 * needs rewriting. 0, or -1 when out of memory. */
int es_groups_add_slice(const struct cplane_host_api *api, struct es_groups *s,
                        const cplane_object *slice, int stale);
void es_groups_free(struct es_groups *s);

#endif
