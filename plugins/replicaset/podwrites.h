/*
 * podwrites - a ReplicaSet's writes: pods created from its template in
 * "slow start" batches of 1, 2, 4... (each batch in parallel, at most 16
 * calls at once; the first failing batch ends the round, so a quota or
 * an invalid template costs one call, not n), extra pods deleted least
 * valuable first, each batch recorded as an expectation; and its status.
 *
 * Threading: blocking writes; a reconcile's worker only (create starts
 * and joins threads of its own).
 */
#ifndef RS_PODWRITES_H
#define RS_PODWRITES_H

#include <cplane/expectations.h>
#include "rs.h"

/* Creates n pods controlled by rs. 0, or -1 after a failure (logged). */
int rs_create_pods(const struct cplane_host_api *api, struct cplane_expectations *x,
                   cplane_plugin_ctx *ctx, const cplane_object *rs,
                   const char *key, int n);
/* Deletes n of the n_pods pods, least valuable first; the deleted ones
 * become NULL in pods. 0, or -1 after a failure (logged). */
int rs_delete_pods(const struct cplane_host_api *api, struct cplane_expectations *x,
                   cplane_plugin_ctx *ctx, const char *key,
                   const cplane_object **pods, int n_pods, int n);
/* Writes rs's status when it differs. Best effort: a failure is left to
 * the next reconcile. */
void rs_update_status(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      const cplane_object *rs, int replicas, int ready,
                      int available);

#endif
