/*
 * volume - one volume's sync, as kube's PV controller's syncVolume: a
 * volume with no claim is Available; a volume whose claim is bound to it
 * is Bound; a volume whose claim is gone (deleted, or replaced by another
 * of the same name) is Released and then reclaimed by its policy: Delete
 * removes it, Retain keeps it Released for an administrator.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef PV_VOLUME_H
#define PV_VOLUME_H

#include "pv.h"

/* Syncs the volume `name`. Returns a CPLANE_RECONCILE_* value. */
int pv_sync_volume(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const char *name);

#endif
