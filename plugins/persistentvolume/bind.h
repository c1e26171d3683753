/*
 * bind - the writes that bind a claim and a volume, in kube's PV
 * controller's order: the volume's claimRef (pv.kubernetes.io/
 * bound-by-controller when this controller chose it), the volume's phase,
 * the claim's volumeName with pv.kubernetes.io/bind-completed, then the
 * claim's phase, access modes and capacity. Each write is guarded by the
 * object's resourceVersion, so a stale cache costs a 409 and a retry,
 * never a double binding.
 *
 * Every function returns 0 when the write was made or not needed, -1 when
 * it failed (logged; the caller retries).
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef PV_BIND_H
#define PV_BIND_H

#include "pv.h"

/* Points pv's claimRef at claim (uid and all). */
int pv_bind_volume(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *pv, const cplane_object *claim);
/* Sets status.phase of pv ("Available", "Bound", "Released"). */
int pv_volume_phase(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const cplane_object *pv, const char *phase);
/* Sets claim's spec.volumeName to pv and its bind annotations. */
int pv_bind_claim(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const cplane_object *claim, const cplane_object *pv);
/* Sets claim's status: phase, and for Bound the volume's access modes and
 * capacity (pv NULL: phase alone). */
int pv_claim_phase(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *claim, const cplane_object *pv,
                   const char *phase);

#endif
