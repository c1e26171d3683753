/*
 * recheck - is a ReplicaSet still live as the API server holds it, read
 * past the cache, before pods are created for it.
 *
 * The caches of ReplicaSets and pods are fed by two watches that need not
 * agree in time: when a ReplicaSet is deleted with the orphan policy, the
 * garbage collector releases its pods, and the pod watch may deliver a
 * released pod before the ReplicaSet watch delivers its deletionTimestamp.
 * The cached ReplicaSet then looks live and short of pods, and a
 * replacement would be created for an owner that is going away (seen: 26
 * ms before the orphan finalizer went). Kubernetes re-reads the owner
 * for the same reason before adopting (RecheckDeletionTimestamp); one GET
 * per create batch is cheap next to the creates.
 *
 * Threading: one blocking GET; a reconcile's worker only.
 */
#ifndef RS_RECHECK_H
#define RS_RECHECK_H

#include "rs.h"

/* 1 when the API server holds rs (same uid) with no deletionTimestamp;
 * 0 when it is gone, replaced or being deleted; -1 when the read failed
 * (the caller retries). */
int rs_live(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
            const cplane_object *rs);

#endif
