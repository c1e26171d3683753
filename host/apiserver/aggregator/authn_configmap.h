/*
 * authn_configmap - kube-system/extension-apiserver-authentication, as
 * kube-apiserver's cluster-authentication-trust-controller keeps it:
 * extension API servers (metrics-server and the like) read from it whom
 * to trust for client certificates (client-ca-file) and for the
 * aggregator's front-proxy requests (requestheader-client-ca-file,
 * -allowed-names, -username/group-headers, -extra-headers-prefix).
 *
 * Threading: any thread (requests through the handlers).
 * Ownership: paths borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_AUTHN_CONFIGMAP_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_AUTHN_CONFIGMAP_H

#include "apiserver/request.h"

/* Creates or updates the ConfigMap from the two CA files (either may be
 * NULL: its key is left out). 0, or -1 (logged) when it could not be
 * written; the aggregator tries again on its next pass. */
int cp_authn_configmap_publish(struct cp_api_ctx *ctx, const char *client_ca,
                               const char *front_proxy_ca);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_AUTHN_CONFIGMAP_H */
