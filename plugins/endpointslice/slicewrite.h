/*
 * slicewrite - carries out a placement plan for one Service: each write
 * as a whole EndpointSlice (a create with generateName "<service>-", or
 * an update of the existing slice at its resourceVersion), then the
 * deletes.
 *
 * Ownership: everything passed is borrowed for the call.
 * Threading: blocks on the API server: call from reconcile only.
 */
#ifndef ES_SLICEWRITE_H
#define ES_SLICEWRITE_H

#include "placement.h"

#include <cplane/cplane.h>

struct es_target {
  const cplane_object *svc;
  const char *labels;         /* es_labels_json() */
  int64_t trigger_ms;         /* 0: no trigger-time annotation */
  const cplane_object **have; /* the existing slices the plan indexes */
};

/* The JSON body of write w (an update when w->slice >= 0). Owned
 * (api->free); NULL when out of memory. */
char *es_slice_body(const struct cplane_host_api *api,
                    const struct es_target *t, const struct es_write *w);
/* Writes and deletes; 0 when all succeeded (a 404 on a delete counts),
 * else -1 (the first failure is logged; the rest still run). */
int es_plan_apply(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const struct es_target *t, const struct es_plan *plan);

#endif
