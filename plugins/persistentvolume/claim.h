/*
 * claim - one claim's sync, as kube's PV controller's syncClaim: an
 * unbound claim gets its best matching volume, or a volume from the
 * simulated provisioner, or an event saying why it waits (no class, an
 * external provisioner, WaitForFirstConsumer); a claim of a
 * WaitForFirstConsumer class waits until a pod using it is scheduled and
 * then gets the volume.kubernetes.io/selected-node annotation, as the
 * scheduler's volume binder sets it; a bound claim keeps both sides in
 * line, and is Lost when its volume is gone.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef PV_CLAIM_H
#define PV_CLAIM_H

#include "pv.h"

/* Syncs the claim "ns/name". Returns a CPLANE_RECONCILE_* value. */
int pv_sync_claim(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const char *key);

#endif
