/*
 * adopt - ReplicaSets without a controller that a Deployment's selector
 * picks: adopted (Kubernetes' ClaimReplicaSets), and the Deployments that
 * may adopt one found when it changes.
 *
 * Threading: dp_adopt_orphans blocks (a reconcile's worker only);
 * dp_enqueue_adopters only reads the cache and enqueues, so dispatch
 * callbacks may call it.
 */
#ifndef DEPLOY_ADOPT_H
#define DEPLOY_ADOPT_H

#include "deploy.h"

/* How many were adopted, or -1 after a failed write. */
int dp_adopt_orphans(struct deploy *d);
/* Enqueues every Deployment of rs's namespace selecting rs, when rs has
 * no controller and is not being deleted. */
void dp_enqueue_adopters(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *rs);

#endif
