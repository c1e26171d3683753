/*
 * meta - the metadata kube's EndpointSlice controller gives a Service's
 * slices: the Service's labels plus kubernetes.io/service-name,
 * endpointslice.kubernetes.io/managed-by and, for a headless Service,
 * service.kubernetes.io/headless; and the time of the last change behind
 * them (endpoints.kubernetes.io/last-change-trigger-time).
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
/* 1 when slice's labels differ from `labels` (a parsed es_labels_json()). */
int es_labels_stale(const struct cplane_host_api *api,
                    const cplane_object *slice, const cplane_object *labels);
/* The latest change of pod that its endpoint shows, in ms since the
 * epoch (creation, deletion, Ready transition); 0 when none is known. */
int64_t es_pod_change_ms(const struct cplane_host_api *api,
                         const cplane_object *pod);

#endif
