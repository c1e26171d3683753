/*
 * service_bootstrap - what an API server does for Services at start, as
 * kube-apiserver's repair controllers and its `kubernetes` Service
 * reconciler do: free the ClusterIPs and NodePorts no stored Service
 * holds (left by a server that died between allocating and writing, or
 * before releasing), then make sure `default/kubernetes` exists, holding
 * the range's first address, port 443 (https) to the server's port, with
 * its Endpoints and EndpointSlice (created once: a second server on the
 * same store leaves the first one's).
 *
 * Threading: call once, from the thread starting the server, after
 * ctx's store, registry and svc_alloc are set and the default namespace
 * exists. Ownership: ctx is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_ALLOC_SERVICE_BOOTSTRAP_H
#define CPLANE_HOST_APISERVER_ALLOC_SERVICE_BOOTSTRAP_H

#include "apiserver/request.h"

/* Allocations younger than this may belong to a create under way on
 * another API server: the repair leaves them (kube's repair only frees an
 * address found leaked on several passes in a row). */
#define CP_SVC_REPAIR_GRACE_S 60

/* ip:port is where this server listens (the Endpoints behind the
 * kubernetes Service). */
void cp_svc_bootstrap(struct cp_api_ctx *ctx, const char *ip, int port);

#endif /* CPLANE_HOST_APISERVER_ALLOC_SERVICE_BOOTSTRAP_H */
