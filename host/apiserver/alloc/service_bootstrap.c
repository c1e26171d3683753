/*
 * service_bootstrap - see service_bootstrap.h.
 */
#include "apiserver/alloc/service_bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/alloc/service_alloc.h"
#include "log/log.h"

/* Creates default/kubernetes through the verbs, so that it is allocated,
 * validated and stored like any other Service; 409 means it exists. */
static void kubernetes_service(struct cp_api_ctx *ctx, int port) {
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};
  char ip[16];

  cp_svc_alloc_first_ip(ctx->svc_alloc, ip);
  rq.method = CP_API_POST;
  rq.type = cp_resources_find(ctx->resources, "", "v1", "services");
  rq.ns = strdup("default");
  rq.path = strdup("/api/v1/namespaces/default/services");
  if (asprintf(&rq.body,
               "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
               "\"name\":\"kubernetes\",\"namespace\":\"default\","
               "\"labels\":{\"component\":\"apiserver\",\"provider\":"
               "\"kubernetes\"}},\"spec\":{\"type\":\"ClusterIP\","
               "\"clusterIP\":\"%s\",\"ports\":[{\"name\":\"https\","
               "\"port\":443,\"protocol\":\"TCP\",\"targetPort\":%d}],"
               "\"sessionAffinity\":\"None\"}}",
               ip, port) < 0)
    rq.body = NULL;
  if (rq.type == NULL || rq.ns == NULL || rq.path == NULL ||
      rq.body == NULL) {
    cp_log_warn("apiserver", "cannot create the kubernetes Service: out of "
                             "memory");
    goto out;
  }
  rq.body_len = strlen(rq.body);
  cp_api_handle(ctx, &rq, &rs);
  if (rs.code != 201 && rs.code != 409)
    cp_log_warn("apiserver", "cannot create the kubernetes Service: %.*s",
                (int)rs.len, rs.body ? rs.body : "");
out:
  free(rs.body);
  cp_api_request_clear(&rq);
}

void cp_svc_bootstrap(struct cp_api_ctx *ctx, int port) {
  int n;

  if (ctx->svc_alloc == NULL)
    return;
  n = cp_svc_alloc_repair(ctx->store, CP_SVC_REPAIR_GRACE_S);
  if (n < 0)
    cp_log_warn("apiserver", "service address repair failed (%d); leaked "
                             "addresses stay allocated until a restart",
                n);
  else if (n > 0)
    cp_log_info("apiserver", "service address repair freed %d leaked "
                             "allocation(s)",
                n);
  kubernetes_service(ctx, port);
}
