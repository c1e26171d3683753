/*
 * namespaces - what the rest of the server needs of the namespace
 * strategy (namespaces.c): the system namespaces every cluster has and
 * keeps, as kube-apiserver's system namespaces controller does.
 *
 * Threading: cp_namespace_ensure runs a request like any worker (the
 * store and registry are thread-safe).
 * Ownership: ctx is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_NAMESPACES_H
#define CPLANE_HOST_APISERVER_STRATEGY_NAMESPACES_H

#include "apiserver/request.h"

/* default, kube-system, kube-public, kube-node-lease; NULL-terminated. */
extern const char *const cp_system_namespaces[];

/* Creates namespace `name` (Active) unless it exists; a failure is
 * logged. */
void cp_namespace_ensure(struct cp_api_ctx *ctx, const char *name);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_NAMESPACES_H */
