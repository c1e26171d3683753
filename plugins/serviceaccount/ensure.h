/*
 * ensure - what kube's serviceaccounts-controller decides for one
 * namespace: whether it is to hold the default ServiceAccount (an active
 * namespace; a terminating one takes no new objects), and the object to
 * create, exactly as kube creates it (a name and nothing else: the API
 * server defaults the rest).
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef SA_ENSURE_H
#define SA_ENSURE_H

#include <cplane/cplane.h>

/* The ServiceAccount every namespace gets. */
#define SA_NAME "default"

/* 1 when ns is active: not being deleted, status.phase Active (or not
 * written yet). */
int sa_namespace_active(const struct cplane_host_api *api,
                        const cplane_object *ns);

/* The ServiceAccount to create in namespace `ns` (owned: api->free), or
 * NULL when out of memory. */
char *sa_body(const struct cplane_host_api *api, const char *ns);

/* What a create's answer means: 0 done (201 created, 409 already there,
 * 403/404 the namespace is terminating or gone), -1 retry. */
int sa_create_outcome(int code);

#endif
