/*
 * resolve - where a webhook's Service is reached. There is no cluster
 * network, so a Service is resolved as kube-apiserver does with
 * --enable-aggregator-routing: to a ready endpoint of the Service port
 * the webhook names, read from the Service's EndpointSlices (label
 * kubernetes.io/service-name), or from its Endpoints object when it has
 * no slices. The TLS name stays the Service's, <name>.<namespace>.svc.
 * A selector-less Service with a manual EndpointSlice reaches a process
 * on any address, 127.0.0.1 included.
 *
 * Threading: any worker thread (reads the store). Ownership: *err is
 * malloc'd, the caller's.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_RESOLVE_H
#define CPLANE_HOST_APISERVER_WEBHOOK_RESOLVE_H

#include <stddef.h>

#include "apiserver/request.h"

/* The address (ip, at most ip_len bytes with the NUL) and port of a
 * ready endpoint behind Service ns/name's port `port`. Returns 0, or -1
 * with *err as kube words it ("service \"x\" not found", "no service
 * port 443 found for service \"x\"", "no endpoints available for
 * service \"x\""). */
int cp_webhook_resolve(struct cp_api_ctx *ctx, const char *ns,
                       const char *name, int port, char *ip, size_t ip_len,
                       int *ip_port, char **err);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_RESOLVE_H */
