/*
 * service_endpoint - where the API server reaches a Service (a webhook's,
 * an APIService's). There is no cluster network, so a Service resolves
 * as kube-apiserver's --enable-aggregator-routing resolves it: the
 * Service port with the given number names a port; the first ready
 * endpoint serving that port name in the Service's EndpointSlices (label
 * kubernetes.io/service-name), or in its Endpoints object when no slice
 * has one, gives address and port. A selector-less Service with a manual
 * EndpointSlice reaches a process on any address, 127.0.0.1 included.
 * The TLS name stays the Service's, <name>.<namespace>.svc.
 *
 * Threading: any thread (store reads only). Ownership: out is the
 * caller's.
 */
#ifndef CPLANE_HOST_APISERVER_SERVICE_ENDPOINT_H
#define CPLANE_HOST_APISERVER_SERVICE_ENDPOINT_H

#include <stddef.h>

#include "apiserver/request.h"

enum cp_service_endpoint_result {
  CP_SERVICE_ENDPOINT_OK = 0,
  CP_SERVICE_ENDPOINT_NO_SERVICE,   /* no such Service */
  CP_SERVICE_ENDPOINT_NO_PORT,      /* the Service has no such port */
  CP_SERVICE_ENDPOINT_NO_ENDPOINTS, /* no ready endpoint serves it */
};

struct cp_service_endpoint {
  char ip[64];
  int port;
  char port_name[128]; /* the Service port's name ("" when unnamed) */
};

/* Resolves Service ns/name's port `port` into *out (port_name is filled
 * from NO_ENDPOINTS on; ip and port only on OK). */
enum cp_service_endpoint_result
cp_service_endpoint(struct cp_api_ctx *ctx, const char *ns, const char *name,
                    int port, struct cp_service_endpoint *out);

#endif /* CPLANE_HOST_APISERVER_SERVICE_ENDPOINT_H */
