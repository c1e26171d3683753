/*
 * resolve - see resolve.h.
 */
#include "apiserver/aggregator/resolve.h"

#include <stdio.h>

#include "apiserver/service_endpoint.h"

int cp_agg_resolve(struct cp_api_ctx *ctx, const char *ns, const char *name,
                   int port, struct cp_agg_endpoint *ep, const char **reason,
                   char *msg, size_t msg_len) {
  struct cp_service_endpoint se;

  switch (cp_service_endpoint(ctx, ns, name, port, &se)) {
  case CP_SERVICE_ENDPOINT_OK:
    break;
  case CP_SERVICE_ENDPOINT_NO_SERVICE:
    *reason = "ServiceNotFound";
    snprintf(msg, msg_len, "service/%s in \"%s\" is not present", name, ns);
    return -1;
  case CP_SERVICE_ENDPOINT_NO_PORT:
    *reason = "ServicePortError";
    snprintf(msg, msg_len, "service/%s in \"%s\" is not listening on port "
                           "%d", name, ns, port);
    return -1;
  default:
    *reason = "MissingEndpoints";
    snprintf(msg, msg_len, "endpoints for service/%s in \"%s\" have no "
                           "addresses with port name \"%s\"", name, ns,
             se.port_name);
    return -1;
  }
  snprintf(ep->host, sizeof ep->host, "%s", se.ip);
  ep->port = se.port;
  return 0;
}
