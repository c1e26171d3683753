/*
 * propagate - the three propagation policies over an owner's dependents:
 *
 *  - Background: the owner left the store; each dependent is deleted, or,
 *    when another of its owners still exists, only loses the reference to
 *    the gone one.
 *  - Foreground: the owner is being deleted and holds foregroundDeletion;
 *    its dependents are deleted in the foreground too (so the cascade runs
 *    bottom up), and once none with blockOwnerDeletion is left the
 *    finalizer goes, which lets the owner go.
 *  - Orphan: the owner holds the orphan finalizer; the reference is
 *    removed from each dependent, then the finalizer.
 *
 * Threading: blocks on writes (a reconcile's worker only).
 */
#ifndef GC_PROPAGATE_H
#define GC_PROPAGATE_H

#include "gc.h"

enum gc_mode { GC_BACKGROUND, GC_FOREGROUND, GC_ORPHAN };

/* Handles every dependent of uid for one policy. Returns how many
 * dependents still block the owner's deletion (Foreground), or -1 when a
 * write failed. */
int gc_handle_dependents(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const char *uid,
                         enum gc_mode mode);

/* Reconciles an owner being deleted ("owner/<res>/<key>"): its orphan or
 * foregroundDeletion finalizer's work. A CPLANE_RECONCILE_* code;
 * *requeue_after_ms is set with CPLANE_RECONCILE_REQUEUE_AFTER. */
int gc_reconcile_owner(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, uint32_t res, const char *key,
                       uint32_t *requeue_after_ms);

#endif
