/*
 * objects - small readings of Kubernetes objects that several in-tree
 * plugins make (compiled into each; not part of the SDK).
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef PLUGINS_COMMON_OBJECTS_H
#define PLUGINS_COMMON_OBJECTS_H

#include <cplane/cplane.h>

/* "namespace/name" of obj's controller (the ownerReference with
 * controller: true) into buf when that controller is of `kind`. Returns 1,
 * or 0 when there is none, it is another kind, or buf is too short. */
int controller_owner_key(const struct cplane_host_api *api,
                         const cplane_object *obj, const char *kind,
                         char *buf, size_t len);

/* 1 when a pod has finished (phase Succeeded or Failed). */
int pod_is_terminal(const struct cplane_host_api *api,
                    const cplane_object *pod);

#endif
