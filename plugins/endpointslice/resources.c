/*
 * resources - what the endpointslice plugin watches: Services, pods,
 * EndpointSlices and nodes (for their zone).
 */
#include "eps.h"

const struct cplane_resource es_resources[4] = {
    CPLANE_RESOURCE("", "v1", "services"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("discovery.k8s.io", "v1", "endpointslices"),
    CPLANE_RESOURCE("", "v1", "nodes"),
};
