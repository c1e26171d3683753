/*
 * resolve - see resolve.h.
 */
#include "apiserver/aggregator/resolve.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"

/* The stored object at key, or NULL. */
static json_object *read_object(struct cp_api_ctx *ctx, const char *key) {
  cp_store_kv kv;
  json_object *o;

  memset(&kv, 0, sizeof kv);
  if (cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL) != CPLANE_OK)
    return NULL;
  o = cp_api_parse_stored(NULL, &kv);
  cp_store_kv_free(&kv);
  return o;
}

/* The name of the Service's port numbered port; 0 when it has none. */
static int port_name(json_object *svc, int port, char *name, size_t len) {
  json_object *ps = cp_plat_get(cp_plat_get(svc, "spec", json_type_object),
                                "ports", json_type_array);
  size_t i;

  for (i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
    json_object *p = json_object_array_get_idx(ps, i);
    long long n;

    if (cp_plat_int(p, "port", &n) && n == port) {
      snprintf(name, len, "%s", cp_plat_str0(p, "name"));
      return 1;
    }
  }
  return 0;
}

/* A slice's port number for the port name, or 0. */
static int slice_port(json_object *slice, const char *name) {
  json_object *ps = cp_plat_get(slice, "ports", json_type_array);
  size_t i;

  for (i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
    json_object *p = json_object_array_get_idx(ps, i);
    long long n;

    if (strcmp(cp_plat_str0(p, "name"), name) == 0 &&
        cp_plat_int(p, "port", &n) && n > 0 && n < 65536)
      return (int)n;
  }
  return 0;
}

/* The slice's first ready endpoint address (ready unset counts as
 * ready, as kube's EndpointSlice API says). */
static const char *ready_address(json_object *slice) {
  json_object *es = cp_plat_get(slice, "endpoints", json_type_array);
  size_t i;

  for (i = 0; es != NULL && i < json_object_array_length(es); i++) {
    json_object *e = json_object_array_get_idx(es, i);
    json_object *a = cp_plat_get(e, "addresses", json_type_array);
    json_object *first = a != NULL ? json_object_array_get_idx(a, 0) : NULL;

    if (cp_plat_bool(cp_plat_get(e, "conditions", json_type_object),
                     "ready", 1) &&
        first != NULL && json_object_is_type(first, json_type_string))
      return json_object_get_string(first);
  }
  return NULL;
}

/* Looks through the Service's slices for a ready endpoint. */
static int from_slices(struct cp_api_ctx *ctx, const char *ns,
                       const char *name, const char *pname,
                       struct cp_agg_endpoint *ep) {
  cp_store_list_result res;
  char prefix[400];
  size_t i;
  int found = 0;

  snprintf(prefix, sizeof prefix, "endpointslices/%s/", ns);
  memset(&res, 0, sizeof res);
  if (cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0,
                    &res) != CPLANE_OK)
    return 0;
  for (i = 0; !found && i < res.count; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[i]);
    json_object *labels = cp_plat_get(
        cp_plat_get(o, "metadata", json_type_object), "labels",
        json_type_object);
    const char *addr;
    int port;

    if (strcmp(cp_plat_str0(labels, "kubernetes.io/service-name"), name) ==
            0 &&
        (port = slice_port(o, pname)) > 0 &&
        (addr = ready_address(o)) != NULL && strlen(addr) < sizeof ep->host) {
      snprintf(ep->host, sizeof ep->host, "%s", addr);
      ep->port = port;
      found = 1;
    }
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  return found;
}

int cp_agg_resolve(struct cp_api_ctx *ctx, const char *ns, const char *name,
                   int port, struct cp_agg_endpoint *ep, const char **reason,
                   char *msg, size_t msg_len) {
  char key[600], pname[128];
  json_object *svc;
  int has;

  snprintf(key, sizeof key, "services/%s/%s", ns, name);
  if ((svc = read_object(ctx, key)) == NULL) {
    *reason = "ServiceNotFound";
    snprintf(msg, msg_len, "service/%s in \"%s\" is not present", name, ns);
    return -1;
  }
  has = port_name(svc, port, pname, sizeof pname);
  json_object_put(svc);
  if (!has) {
    *reason = "ServicePortError";
    snprintf(msg, msg_len, "service/%s in \"%s\" is not listening on port "
                           "%d", name, ns, port);
    return -1;
  }
  if (!from_slices(ctx, ns, name, pname, ep)) {
    *reason = "MissingEndpoints";
    snprintf(msg, msg_len, "endpoints for service/%s in \"%s\" have no "
                           "addresses with port name \"%s\"", name, ns,
             pname);
    return -1;
  }
  return 0;
}
