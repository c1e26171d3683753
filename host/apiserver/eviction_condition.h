/*
 * eviction_condition - the DisruptionTarget condition an eviction puts on
 * its pod before deleting it, as kube's eviction REST does
 * (addConditionAndDeletePod): type DisruptionTarget, status True, reason
 * EvictionByEvictionAPI, message "Eviction API: evicting", written to
 * the pod's status by a compare-and-swap update of the latest pod, so
 * that the pod's controllers and watchers learn why it goes.
 *
 * Threading: runs on the calling request worker; the store's CAS is the
 * only synchronisation.
 * Ownership: borrows everything; opts stays the caller's.
 */
#ifndef CPLANE_HOST_APISERVER_EVICTION_CONDITION_H
#define CPLANE_HOST_APISERVER_EVICTION_CONDITION_H

#include <json-c/json.h>

#include "apiserver/request.h"

/* Marks pod rq->name (rq is the eviction request: pods, rq->ns) with the
 * condition. opts are the DeleteOptions the delete will use: their
 * preconditions (uid, resourceVersion) are checked against the latest
 * pod first (409 as kube words it), and a resourceVersion precondition
 * is moved to the revision this write made, so that the delete after it
 * still holds. Not for a dry run. Returns 0, or -1 having set rs. */
int cp_eviction_mark_disruption(struct cp_api_ctx *ctx,
                                const struct cp_api_request *rq,
                                json_object *opts,
                                struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_EVICTION_CONDITION_H */
