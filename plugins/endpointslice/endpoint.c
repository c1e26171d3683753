/*
 * endpoint - EndpointSlice endpoints and ports in one textual form. See
 * endpoint.h.
 */
#include "endpoint.h"

#include "eps.h"

#include <stdio.h>
#include <string.h>

int es_endpoint_from_pod(const struct cplane_host_api *api,
                         const cplane_object *pod, const cplane_object *node,
                         const cplane_object *svc, struct es_endpoint *ep) {
  int publish = 0;

  memset(ep, 0, sizeof *ep);
  if ((ep->address = cplane_pod_address(api, pod, 0)) == NULL)
    return -1;
  api->object_bool(svc, "spec.publishNotReadyAddresses", &publish);
  ep->serving = cplane_pod_is_ready(api, pod);
  ep->terminating = api->object_deletion_timestamp(pod) != NULL;
  /* Never ready while terminating, unless the Service publishes pods
   * that are not (kube keeps this for compatibility). */
  ep->ready = publish || (ep->serving && !ep->terminating);
  ep->node = api->object_string(pod, "spec.nodeName");
  if (ep->node != NULL && ep->node[0] == '\0')
    ep->node = NULL;
  if (node != NULL) {
    ep->zone = api->object_label(node, ES_LABEL_ZONE);
    if (ep->zone != NULL && ep->zone[0] == '\0')
      ep->zone = NULL;
  }
  ep->hostname = cplane_endpoint_hostname(api, pod, svc);
  ep->pod_ns = api->object_namespace(pod);
  ep->pod_name = api->object_name(pod);
  ep->pod_uid = api->object_uid(pod);
  return 0;
}

/* The boolean at path of slice, 0 when absent. */
static int flag(const struct cplane_host_api *api, const cplane_object *slice,
                int i, const char *field) {
  char path[96];
  int v = 0;

  snprintf(path, sizeof path, "endpoints[%d].conditions.%s", i, field);
  api->object_bool(slice, path, &v);
  return v;
}

int es_endpoint_from_slice(const struct cplane_host_api *api,
                           const cplane_object *slice, int i,
                           struct es_endpoint *ep) {
  char path[96];

  memset(ep, 0, sizeof *ep);
  snprintf(path, sizeof path, "endpoints[%d].addresses[0]", i);
  if ((ep->address = api->object_string(slice, path)) == NULL)
    return -1;
  ep->ready = flag(api, slice, i, "ready");
  ep->serving = flag(api, slice, i, "serving");
  ep->terminating = flag(api, slice, i, "terminating");
  ep->node = cplane_array_string(api, slice, "endpoints", i, "nodeName");
  ep->zone = cplane_array_string(api, slice, "endpoints", i, "zone");
  ep->hostname = cplane_array_string(api, slice, "endpoints", i, "hostname");
  ep->pod_ns =
      cplane_array_string(api, slice, "endpoints", i, "targetRef.namespace");
  ep->pod_name =
      cplane_array_string(api, slice, "endpoints", i, "targetRef.name");
  ep->pod_uid =
      cplane_array_string(api, slice, "endpoints", i, "targetRef.uid");
  return 0;
}

/* Appends ,"key":"value" when value is set. Names and addresses are
 * validated by the API server (DNS labels, IPs), so they need no
 * escaping; a value with a quote or backslash is dropped rather than
 * written as broken JSON. */
static void add_opt(struct cplane_strbuf *b, const char *key, const char *v) {
  if (v == NULL || strpbrk(v, "\"\\") != NULL)
    return;
  cplane_strbuf_addf(b, ",\"%s\":\"%s\"", key, v);
}

char *es_endpoint_json(const struct es_endpoint *ep) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  if (strpbrk(ep->address, "\"\\") != NULL)
    return NULL;
  cplane_strbuf_addf(&b,
                     "{\"addresses\":[\"%s\"],\"conditions\":{\"ready\":%s,"
                     "\"serving\":%s,\"terminating\":%s}",
                     ep->address, ep->ready ? "true" : "false",
                     ep->serving ? "true" : "false",
                     ep->terminating ? "true" : "false");
  add_opt(&b, "hostname", ep->hostname);
  if (ep->pod_name != NULL) {
    cplane_strbuf_add(&b, ",\"targetRef\":{\"kind\":\"Pod\"");
    add_opt(&b, "namespace", ep->pod_ns);
    add_opt(&b, "name", ep->pod_name);
    add_opt(&b, "uid", ep->pod_uid);
    cplane_strbuf_add(&b, "}");
  }
  add_opt(&b, "nodeName", ep->node);
  add_opt(&b, "zone", ep->zone);
  cplane_strbuf_add(&b, "}");
  return cplane_strbuf_finish(&b);
}

char *es_endpoint_id(const struct es_endpoint *ep) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  cplane_strbuf_addf(
      &b, "%s|%s|%s/%s", ep->address, ep->hostname ? ep->hostname : "",
      ep->pod_ns ? ep->pod_ns : "", ep->pod_name ? ep->pod_name : "");
  return cplane_strbuf_finish(&b);
}
