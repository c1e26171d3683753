/*
 * service_endpoint - a Service to a ready endpoint. See
 * service_endpoint.h.
 */
#include "apiserver/service_endpoint.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"

/* Stored object ns/name of core or discovery type; NULL when absent. */
static json_object *read_one(struct cp_api_ctx *ctx, const char *group,
                             const char *resource, const char *ns,
                             const char *name) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, group, "v1", resource);
  char *key = t ? cp_api_key(t, ns, name) : NULL;
  cp_store_kv kv;
  json_object *o = NULL;

  memset(&kv, 0, sizeof kv);
  if (key != NULL &&
      cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL) == CPLANE_OK)
    o = cp_api_parse_stored(NULL, &kv);
  cp_store_kv_free(&kv);
  free(key);
  return o;
}

/* The name of the Service port numbered port ("" when unnamed), or
 * NULL when there is none. */
static const char *service_port_name(json_object *svc, int port) {
  json_object *ports = cp_plat_get(cp_plat_get(svc, "spec", json_type_object),
                                   "ports", json_type_array);
  size_t i;

  for (i = 0; ports != NULL && i < json_object_array_length(ports); i++) {
    json_object *p = json_object_array_get_idx(ports, i);
    long long n = 0;

    if (cp_plat_int(p, "port", &n) && n == port)
      return cp_plat_str0(p, "name");
  }
  return NULL;
}

/* The number of the port named pname in a list of EndpointPorts, or 0. */
static int port_named(json_object *ports, const char *pname) {
  size_t i;

  for (i = 0; ports != NULL && i < json_object_array_length(ports); i++) {
    json_object *p = json_object_array_get_idx(ports, i);
    long long n = 0;

    if (strcmp(cp_plat_str0(p, "name"), pname) == 0 &&
        cp_plat_int(p, "port", &n) && n > 0 && n < 65536)
      return (int)n;
  }
  return 0;
}

static int copy_ip(const char *s, char *ip, size_t ip_len) {
  if (s == NULL || s[0] == '\0' || strlen(s) >= ip_len)
    return 0;
  memcpy(ip, s, strlen(s) + 1);
  return 1;
}

/* The first ready endpoint of one EndpointSlice serving pname. */
static int from_slice(json_object *slice, const char *pname, char *ip,
                      size_t ip_len, int *ip_port) {
  json_object *eps = cp_plat_get(slice, "endpoints", json_type_array);
  int port = port_named(cp_plat_get(slice, "ports", json_type_array), pname);
  size_t i;

  for (i = 0; port > 0 && eps != NULL && i < json_object_array_length(eps);
       i++) {
    json_object *ep = json_object_array_get_idx(eps, i);
    json_object *addrs = cp_plat_get(ep, "addresses", json_type_array);
    json_object *cond = cp_plat_get(ep, "conditions", json_type_object);

    /* kube counts an endpoint without the condition as ready. */
    if (!cp_plat_bool(cond, "ready", 1) || addrs == NULL ||
        json_object_array_length(addrs) == 0)
      continue;
    if (copy_ip(json_object_get_string(json_object_array_get_idx(addrs, 0)),
                ip, ip_len)) {
      *ip_port = port;
      return 1;
    }
  }
  return 0;
}

static int from_slices(struct cp_api_ctx *ctx, const char *ns,
                       const char *name, const char *pname, char *ip,
                       size_t ip_len, int *ip_port) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, "discovery.k8s.io", "v1",
                        "endpointslices");
  char *prefix = t ? cp_api_key(t, ns, NULL) : NULL;
  cp_store_list_result res;
  size_t i;
  int found = 0;

  memset(&res, 0, sizeof res);
  if (prefix == NULL || cp_store_list(ctx->store, prefix, strlen(prefix),
                                      NULL, 0, 0, 0, &res) != CPLANE_OK)
    goto out;
  for (i = 0; !found && i < res.count; i++) {
    json_object *s = cp_api_parse_stored(NULL, &res.kvs[i]);
    json_object *labels = cp_plat_get(
        cp_plat_get(s, "metadata", json_type_object), "labels",
        json_type_object);

    if (strcmp(cp_plat_str0(labels, "kubernetes.io/service-name"), name) ==
        0)
      found = from_slice(s, pname, ip, ip_len, ip_port);
    json_object_put(s);
  }
out:
  cp_store_list_result_free(&res);
  free(prefix);
  return found;
}

/* The v1 Endpoints object's first ready address serving pname. */
static int from_endpoints(struct cp_api_ctx *ctx, const char *ns,
                          const char *name, const char *pname, char *ip,
                          size_t ip_len, int *ip_port) {
  json_object *eps = read_one(ctx, "", "endpoints", ns, name);
  json_object *subsets = cp_plat_get(eps, "subsets", json_type_array);
  size_t i;
  int found = 0;

  for (i = 0; !found && subsets != NULL &&
              i < json_object_array_length(subsets);
       i++) {
    json_object *ss = json_object_array_get_idx(subsets, i);
    json_object *addrs = cp_plat_get(ss, "addresses", json_type_array);
    int port = port_named(cp_plat_get(ss, "ports", json_type_array), pname);

    if (port > 0 && addrs != NULL && json_object_array_length(addrs) > 0 &&
        copy_ip(cp_plat_str(json_object_array_get_idx(addrs, 0), "ip"), ip,
                ip_len)) {
      *ip_port = port;
      found = 1;
    }
  }
  json_object_put(eps);
  return found;
}

enum cp_service_endpoint_result
cp_service_endpoint(struct cp_api_ctx *ctx, const char *ns, const char *name,
                    int port, struct cp_service_endpoint *out) {
  json_object *svc = read_one(ctx, "", "services", ns, name);
  enum cp_service_endpoint_result rc = CP_SERVICE_ENDPOINT_NO_PORT;
  const char *pname;

  memset(out, 0, sizeof *out);
  if (svc == NULL)
    return CP_SERVICE_ENDPOINT_NO_SERVICE;
  if ((pname = service_port_name(svc, port)) == NULL ||
      strlen(pname) >= sizeof out->port_name)
    goto out;
  memcpy(out->port_name, pname, strlen(pname) + 1);
  rc = from_slices(ctx, ns, name, pname, out->ip, sizeof out->ip,
                   &out->port) ||
               from_endpoints(ctx, ns, name, pname, out->ip, sizeof out->ip,
                              &out->port)
           ? CP_SERVICE_ENDPOINT_OK
           : CP_SERVICE_ENDPOINT_NO_ENDPOINTS;
out:
  json_object_put(svc);
  return rc;
}
