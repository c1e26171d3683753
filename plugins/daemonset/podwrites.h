/*
 * podwrites - a DaemonSet's writes to its pods and its status, as kube's
 * syncNodes() and storeDaemonSetStatus() make them: at most
 * DS_BURST creates and DS_BURST deletes per round, creates in "slow
 * start" batches of 1, 2, 4... (the first failing batch ends the round,
 * so a quota or a bad template costs one call, not hundreds), each batch
 * run on up to DS_WRITERS threads and counted as an expectation first;
 * events SuccessfulCreate / FailedCreate / SuccessfulDelete /
 * FailedDelete on the DaemonSet, worded as kube's.
 *
 * Threading: blocking writes from a reconcile's worker (which starts and
 * joins threads of its own).
 */
#ifndef DS_PODWRITES_H
#define DS_PODWRITES_H

#include <cplane/expectations.h>
#include "plan.h"
#include "podbody.h"

#define DS_BURST 250 /* kube's BurstReplicas for DaemonSets */
#define DS_WRITERS 16

/* Creates a pod from body on each of the n named nodes (at most
 * DS_BURST). 0, or -1 after a failure (logged, and an event). */
int ds_create_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   struct cplane_expectations *x, const cplane_object *ds,
                   const struct ds_podbody *body, const char *const *nodes,
                   int n);
/* Deletes the n named pods (at most DS_BURST). 0, or -1 after a failure
 * (logged, and an event). */
int ds_delete_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   struct cplane_expectations *x, const cplane_object *ds,
                   const char *const *pods, int n);
/* Writes ds's status when it differs (observedGeneration only with
 * observed set). Best effort: a failure is left to the next round. */
void ds_write_status(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *ds, const struct ds_status *st,
                     int observed);

#endif
