/*
 * scan - the collector's view of the kinds it found through discovery
 * (dyn.h), which no cache holds:
 *
 *  - "discover" reads /api/v1, /apis and each group's preferred version
 *    and adds every kind to cover (discovery.h) to the table; it runs at
 *    start, whenever a CustomResourceDefinition is added or changes (so a
 *    new custom resource is covered without a restart), and every
 *    discovery interval (30 s, as kube's collector re-reads discovery).
 *  - "scan" lists every kind of the table and acts on what changed since
 *    the last list as on a watch's events: an object being deleted with
 *    the orphan or foregroundDeletion finalizer queues "owner/...", an
 *    object new or with changed ownerReferences queues "check/...", an
 *    object that left the list (without the orphan finalizer) queues
 *    "gone/<uid>", and so does an object a dependent's check read from the
 *    API server (dyn.h's seen) that is in neither list: created and
 *    deleted between two lists. It runs every `scan_interval`.
 *
 * Threading: blocking reads; a reconcile's worker only (one key never
 * runs on two workers at once, so scans never overlap).
 */
#ifndef GC_SCAN_H
#define GC_SCAN_H

#include "dyn.h"

/* Reconciles "discover": a CPLANE_RECONCILE_* code; requeues itself
 * after discovery_ms. */
int gc_discover(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                struct gc_dyntable *t, uint32_t discovery_ms,
                uint32_t *requeue_after_ms);

/* Reconciles "scan": requeues itself after scan_ms. */
int gc_scan(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
            struct gc_dyntable *t, uint32_t scan_ms,
            uint32_t *requeue_after_ms);

/* Queues, for one kind listed again, the keys its changes make (see
 * above): old is the previous list (NULL the first time), cur the new
 * one, seen the uids read from the API server before cur was asked for
 * (dyn.h; NULL for none): one in neither list went too. 0, or -1 when out
 * of memory. */
int gc_scan_diff(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 uint32_t res, cplane_object_list *old,
                 cplane_object_list *cur, const struct cplane_sset *seen);

#endif
