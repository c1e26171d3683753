/*
 * ep - the names the endpoints plugin's modules share: its resources
 * and the annotations kube's Endpoints controller writes.
 */
#ifndef EP_EP_H
#define EP_EP_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource ep_resources[3];
#define EP_SERVICES 0
#define EP_PODS 1
#define EP_ENDPOINTS 2

#define EP_MAX_CAPACITY 1000 /* addresses an Endpoints object holds */
#define EP_ANNOTATION_CAPACITY "endpoints.kubernetes.io/over-capacity"
#define EP_ANNOTATION_TRIGGER "endpoints.kubernetes.io/last-change-trigger-time"

#endif
