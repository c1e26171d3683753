/*
 * resolve - an APIService's Service to one address (service_endpoint.h,
 * as kube-aggregator's ResolveEndpoint with --enable-aggregator-routing),
 * or the reason and message of its Available condition when it has none.
 *
 * Threading: any thread (store reads only). Ownership: all borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_RESOLVE_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_RESOLVE_H

#include <stddef.h>

#include "apiserver/request.h"

struct cp_agg_endpoint {
  char host[64];
  int port;
};

/* 0 with *ep; or -1 with reason (kube's condition reason, static) and
 * msg (its message). */
int cp_agg_resolve(struct cp_api_ctx *ctx, const char *ns, const char *name,
                   int port, struct cp_agg_endpoint *ep, const char **reason,
                   char *msg, size_t msg_len);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_RESOLVE_H */
