/*
 * eps - the names the endpointslice plugin's modules share: its
 * resources and the labels kube's EndpointSlice controller writes.
 */
#ifndef ES_EPS_H
#define ES_EPS_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource es_resources[4];
#define ES_SERVICES 0
#define ES_PODS 1
#define ES_SLICES 2
#define ES_NODES 3

#define ES_LABEL_SERVICE "kubernetes.io/service-name"
#define ES_LABEL_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define ES_CONTROLLER "endpointslice-controller.k8s.io"
#define ES_LABEL_HEADLESS "service.kubernetes.io/headless"
#define ES_ANNOTATION_TRIGGER "endpoints.kubernetes.io/last-change-trigger-time"
#define ES_LABEL_ZONE "topology.kubernetes.io/zone"

#endif
