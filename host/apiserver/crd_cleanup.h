/*
 * crd_cleanup - what kube's apiextensions server does for the
 * customresourcecleanup.apiextensions.k8s.io finalizer: a definition
 * being deleted (deletionTimestamp set, the finalizer still on it) has
 * every custom resource of its group and plural deleted through the
 * ordinary DELETE path (so their own finalizers hold them), and once none
 * is left the finalizer is taken off the definition through an ordinary
 * update, which removes it; its types stop being served then.
 *
 * One loop runs in every API server; several on one store may work on
 * one definition at once: a delete of something already gone, or a
 * conflict on the definition, is skipped and the next pass looks again.
 *
 * Threading: a thread of its own; cp_crd_cleanup_kick from any thread.
 * Ownership: ctx is borrowed and must outlive the cleanup.
 */
#ifndef CPLANE_HOST_APISERVER_CRD_CLEANUP_H
#define CPLANE_HOST_APISERVER_CRD_CLEANUP_H

#include "apiserver/request.h"

/* The finalizer every definition gets when it is created. */
#define CP_CRD_CLEANUP_FINALIZER "customresourcecleanup.apiextensions.k8s.io"

struct cp_crd_cleanup;

/* Starts the loop on ctx: a pass at once, then one a second, and one
 * soon after each kick. Sets ctx->crd_terminating so that the handlers
 * and the definitions' sync kick it; call it before threads that use ctx
 * start, or before they can see a definition terminating. Returns the
 * loop (owned; cp_crd_cleanup_stop) or NULL when out of memory or
 * threads. */
struct cp_crd_cleanup *cp_crd_cleanup_start(struct cp_api_ctx *ctx);
/* Asks for a pass soon (a definition started terminating). */
void cp_crd_cleanup_kick(void *cleanup);
/* Ends the loop (a pass under way finishes first) and frees c (NULL is
 * ignored). Nothing may kick c any more: stop the sync and the request
 * workers first. */
void cp_crd_cleanup_stop(struct cp_crd_cleanup *c);

#endif /* CPLANE_HOST_APISERVER_CRD_CLEANUP_H */
