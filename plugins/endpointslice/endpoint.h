/*
 * endpoint - one EndpointSlice endpoint, read from a pod (what it should
 * be) or from an existing slice (what it is), and written as JSON in one
 * fixed form, so that the two compare as text (ports: endpoints.h's
 * cplane_service_ports_json() and cplane_endpoint_ports_json()).
 *
 * An endpoint's identity (its id) is what kube hashes it by: address,
 * hostname and the pod's namespace/name; everything else (conditions,
 * node, zone, pod uid) is what changes about it.
 *
 * Ownership: the struct's strings are borrowed from the objects read;
 * the texts returned are owned (free()).
 * Threading: none inside; any thread.
 */
#ifndef ES_ENDPOINT_H
#define ES_ENDPOINT_H

#include <cplane/cplane.h>

struct es_endpoint {
  const char *address;
  int ready, serving, terminating;
  const char *node, *zone, *hostname; /* NULL: absent */
  const char *pod_ns, *pod_name, *pod_uid;
};

/* The endpoint for pod behind svc, as kube's podToEndpoint makes it;
 * node (NULL: unknown) gives the zone. 0, or -1 when the pod has no IPv4
 * address. */
int es_endpoint_from_pod(const struct cplane_host_api *api,
                         const cplane_object *pod, const cplane_object *node,
                         const cplane_object *svc, struct es_endpoint *ep);
/* Element i of slice's endpoints. 0, or -1 when it has no address. */
int es_endpoint_from_slice(const struct cplane_host_api *api,
                           const cplane_object *slice, int i,
                           struct es_endpoint *ep);
/* The endpoint as JSON ({"addresses":[...],"conditions":{...},...}) and
 * its id; owned (free()), NULL when out of memory. */
char *es_endpoint_json(const struct es_endpoint *ep);
char *es_endpoint_id(const struct es_endpoint *ep);

#endif
