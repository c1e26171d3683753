/*
 * aggregator - kube-aggregator inside the API server: an APIService with
 * spec.service routes /apis/<group>/<version>/... to that Service's
 * server (proxy_call.h), discovery lists its group and resources, and its
 * Available condition says whether it answers, with kube's reasons:
 *
 *   ServiceNotFound       service/<name> in "<ns>" is not present
 *   ServicePortError      the Service has no such port
 *   MissingEndpoints      no ready endpoint with the Service port's name
 *   FailedDiscoveryCheck  GET /apis/<group>/<version> failed (message)
 *   Passed                all checks passed
 *   Local                 no service: served here
 *
 * There is no cluster network, so the Service resolves to a ready
 * endpoint of its EndpointSlices (kube's --enable-aggregator-routing),
 * with TLS server name <service>.<namespace>.svc. A loop (every
 * CHECK_MS, in every API server) reads the APIServices, resolves and
 * checks each, caches its resource list for discovery and keeps the
 * condition. A group/version whose service is unavailable answers 503
 * "service unavailable", as kube-aggregator does; a registered
 * APIService takes precedence over a group served locally
 * (metrics.k8s.io), which is served again once it goes.
 *
 * Threading: the loop is a thread of its own; every other function may
 * be called from any thread (one mutex over the routing table), but
 * cp_aggregator_stop only once the server's event loop has stopped (it
 * ends the aggregated watches' responses).
 * Ownership: ctx is borrowed and outlives the aggregator; returned text
 * is malloc'd.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_AGGREGATOR_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_AGGREGATOR_H

#include "apiserver/request.h"

struct cp_aggregator;

/* What the aggregator shows and publishes (paths; each may be NULL). */
struct cp_aggregator_config {
  const char *client_cert, *client_key; /* front-proxy client */
  const char *front_proxy_ca;           /* its CA */
  const char *client_ca;                /* the API server's client CA */
};

/* Starts the loop (the config's paths are copied); it also keeps
 * kube-system/extension-apiserver-authentication (authn_configmap.h).
 * NULL when out of memory or threads. */
struct cp_aggregator *cp_aggregator_start(
    struct cp_api_ctx *ctx, const struct cp_aggregator_config *cfg);
void cp_aggregator_stop(struct cp_aggregator *a);

/* 1 when the (decoded) path is /apis/<group>/<version> or below it and
 * an APIService with a service is registered for that group/version. */
int cp_aggregator_owns(struct cp_aggregator *a, const char *path);
/* Proxies rq (its raw uri: path and query as sent) to the group/version's
 * service and fills rs; runs on a request worker, bounded in time. A
 * watch returns a stream instead (rs holds its status and Content-Type,
 * no body): the loop starts it with cp_proxy_stream_start, which then
 * relays the body as it comes without a deadline (proxy_stream.h). */
struct cp_proxy_stream;
struct cp_proxy_stream *cp_aggregator_proxy(struct cp_aggregator *a,
                                            const struct cp_api_request *rq,
                                            const char *uri,
                                            struct cp_api_response *rs);

/* Discovery: these take the local document (malloc'd JSON, may be NULL)
 * and return it with the remote groups merged in (the same pointer when
 * there is nothing to add or on failure). */
char *cp_aggregator_merge_group_list(struct cp_aggregator *a, char *json);
char *cp_aggregator_merge_aggregated(struct cp_aggregator *a, char *json);
/* /apis/<group> for a group only remote APIServices serve, else NULL. */
char *cp_aggregator_group(struct cp_aggregator *a, const char *group);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_AGGREGATOR_H */
