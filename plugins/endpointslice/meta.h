/*
 * meta - the metadata kube's EndpointSlice controller gives a Service's
 * slices: the Service's labels plus kubernetes.io/service-name,
 * endpointslice.kubernetes.io/managed-by and, for a headless Service,
 * service.kubernetes.io/headless.
 *
 * Ownership: texts and objects returned are owned (named frees).
 * Threading: none inside; any thread.
 */
#ifndef ES_META_H
#define ES_META_H

#include <cplane/cplane.h>

/* The labels object every slice of svc carries, as JSON text (owned:
 * free()), or NULL when out of memory. */
char *es_labels_json(const struct cplane_host_api *api,
                     const cplane_object *svc);
#endif
