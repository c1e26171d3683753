/*
 * defaultclass - the StorageClass `standard` (default, simulated
 * provisioner, WaitForFirstConsumer), created once the cache of classes
 * is complete and holds no default class, so that claims with no class
 * get one from the API server's DefaultStorageClass admission.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef PV_DEFAULTCLASS_H
#define PV_DEFAULTCLASS_H

#include "pv.h"

/* Returns a CPLANE_RECONCILE_* value; REQUEUE_AFTER with *after_ms while
 * the cache is not yet synced. */
int pv_sync_default_class(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, uint32_t *after_ms);

#endif
