/*
 * conditions - a terminating namespace's status.conditions, written as
 * kube's namespace controller writes them after each pass: one condition
 * of each type NamespaceDeletionDiscoveryFailure,
 * NamespaceDeletionGroupVersionParsingFailure,
 * NamespaceDeletionContentFailure, NamespaceContentRemaining and
 * NamespaceFinalizersRemaining, True with what went wrong or False with
 * kube's all-clear reason and message. lastTransitionTime moves only when
 * a condition's status flips; the status is written only when something
 * changed, so a namespace waiting on finalizers is not rewritten on every
 * pass.
 *
 * Threading: one call belongs to one reconcile run; no shared state.
 */
#ifndef PLUGINS_NAMESPACE_CONDITIONS_H
#define PLUGINS_NAMESPACE_CONDITIONS_H

#include <cplane/cplane.h>

#include "content.h"

/* Writes nsobj's conditions for the pass that found *c, through
 * PUT namespaces/NAME/status, when they changed. Returns the HTTP status,
 * 0 when nothing changed, or a negative status (CPLANE_ENOMEM). A 409
 * means a newer namespace: the next pass writes again. */
int ns_update_conditions(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx,
                         const struct cplane_resource *namespaces,
                         const cplane_object *nsobj,
                         const struct ns_content *c);

#endif /* PLUGINS_NAMESPACE_CONDITIONS_H */
