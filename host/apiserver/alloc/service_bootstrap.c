/*
 * service_bootstrap - see service_bootstrap.h.
 */
#include "apiserver/alloc/service_bootstrap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/alloc/service_alloc.h"
#include "log/log.h"

/* POSTs body to path (a collection in default) through the verbs, so
 * that it is defaulted, validated, allocated and stored like any client's;
 * 409 means it exists already (another server, or an earlier start). */
static void create(struct cp_api_ctx *ctx, const char *group,
                   const char *resource, const char *path, char *body) {
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};

  rq.method = CP_API_POST;
  rq.type = cp_resources_find(ctx->resources, group, "v1", resource);
  rq.ns = strdup("default");
  rq.path = strdup(path);
  rq.body = body;
  if (rq.type == NULL || rq.ns == NULL || rq.path == NULL ||
      rq.body == NULL) {
    cp_log_warn("apiserver", "cannot create default/kubernetes %s: out of "
                             "memory", resource);
    goto out;
  }
  rq.body_len = strlen(rq.body);
  cp_api_handle(ctx, &rq, &rs);
  if (rs.code != 201 && rs.code != 409)
    cp_log_warn("apiserver", "cannot create default/kubernetes %s: %.*s",
                resource, (int)rs.len, rs.body ? rs.body : "");
out:
  free(rs.body);
  cp_api_request_clear(&rq);
}

static char *text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *text(const char *fmt, ...) {
  va_list ap;
  char *s = NULL;

  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

/* The kubernetes Service, and the Endpoints and EndpointSlice naming the
 * API server behind it, as kube's endpoint reconciler keeps them. */
static void kubernetes_service(struct cp_api_ctx *ctx, const char *ip,
                               int port) {
  char first[16];

  cp_svc_alloc_first_ip(ctx->svc_alloc, first);
  create(ctx, "", "services", "/api/v1/namespaces/default/services",
         text("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
              "\"name\":\"kubernetes\",\"namespace\":\"default\","
              "\"labels\":{\"component\":\"apiserver\",\"provider\":"
              "\"kubernetes\"}},\"spec\":{\"type\":\"ClusterIP\","
              "\"clusterIP\":\"%s\",\"ports\":[{\"name\":\"https\","
              "\"port\":443,\"protocol\":\"TCP\",\"targetPort\":%d}],"
              "\"sessionAffinity\":\"None\"}}",
              first, port));
  create(ctx, "", "endpoints", "/api/v1/namespaces/default/endpoints",
         text("{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\","
              "\"metadata\":{\"name\":\"kubernetes\",\"namespace\":"
              "\"default\",\"labels\":{\"endpointslice.kubernetes.io/"
              "skip-mirror\":\"true\"}},\"subsets\":[{\"addresses\":[{"
              "\"ip\":\"%s\"}],\"ports\":[{\"name\":\"https\",\"port\":%d,"
              "\"protocol\":\"TCP\"}]}]}",
              ip, port));
  create(ctx, "discovery.k8s.io", "endpointslices",
         "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
         text("{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":"
              "\"EndpointSlice\",\"metadata\":{\"name\":\"kubernetes\","
              "\"namespace\":\"default\",\"labels\":{\"kubernetes.io/"
              "service-name\":\"kubernetes\"}},\"addressType\":\"IPv4\","
              "\"endpoints\":[{\"addresses\":[\"%s\"],\"conditions\":{"
              "\"ready\":true}}],\"ports\":[{\"name\":\"https\",\"port\":"
              "%d,\"protocol\":\"TCP\"}]}",
              ip, port));
}

void cp_svc_bootstrap(struct cp_api_ctx *ctx, const char *ip, int port) {
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
  kubernetes_service(ctx, ip, port);
}
