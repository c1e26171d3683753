/*
 * addrs - Endpoints addresses from pods and from Endpoints objects. See
 * addrs.h.
 */
#include "addrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names, IPs and protocols are validated by the API server; one holding
 * a quote or backslash is left out rather than written as broken JSON. */
static int plain(const char *s) {
  return s != NULL && s[0] != '\0' && strpbrk(s, "\"\\") == NULL;
}

static void add_opt(struct cplane_strbuf *b, const char *key, const char *v) {
  if (plain(v))
    cplane_strbuf_addf(b, ",\"%s\":\"%s\"", key, v);
}

/* An EndpointAddress, kube's fields in kube's order. */
static char *address_json(const char *ip, const char *hostname,
                          const char *node, const char *ns, const char *name,
                          const char *uid) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  if (!plain(ip))
    return NULL;
  cplane_strbuf_addf(&b, "{\"ip\":\"%s\"", ip);
  add_opt(&b, "hostname", hostname);
  add_opt(&b, "nodeName", node);
  if (plain(name)) {
    cplane_strbuf_add(&b, ",\"targetRef\":{\"kind\":\"Pod\"");
    add_opt(&b, "namespace", ns);
    add_opt(&b, "name", name);
    add_opt(&b, "uid", uid);
    cplane_strbuf_add(&b, "}");
  }
  cplane_strbuf_add(&b, "}");
  return cplane_strbuf_finish(&b);
}

/* Appends an address (json and ports taken); 0 or -1. */
static int push(struct ep_addrs *l, const char *ip, char *json, char *ports,
                int ready) {
  if (json == NULL || ports == NULL)
    goto fail;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct ep_addr *a = realloc(l->a, cap * sizeof *a);

    if (a == NULL)
      goto fail;
    l->a = a;
    l->cap = cap;
  }
  l->a[l->n].ip = ip;
  l->a[l->n].json = json;
  l->a[l->n].ports = ports;
  l->a[l->n].ready = ready;
  l->n++;
  return 0;
fail:
  free(json);
  free(ports);
  return -1;
}

int ep_addrs_add_pod(const struct cplane_host_api *api, struct ep_addrs *l,
                     const cplane_object *svc, const cplane_object *pod) {
  int publish = 0;
  const char *ip;
  char *ports;

  api->object_bool(svc, "spec.publishNotReadyAddresses", &publish);
  if (!cplane_pod_in_endpoints(api, pod, publish) ||
      (ip = cplane_pod_address(api, pod, 0)) == NULL)
    return 0;
  if ((ports = cplane_service_ports_json(api, svc, pod, 0)) == NULL)
    return -1;
  /* A pod with none of the ports is in no subset; a Service without
   * ports lists its pods only when headless. */
  if (strcmp(ports, "[]") == 0 && (api->object_len(svc, "spec.ports") > 0 ||
                                   !cplane_service_is_headless(api, svc))) {
    free(ports);
    return 0;
  }
  return push(l, ip,
              address_json(ip, cplane_endpoint_hostname(api, pod, svc),
                           api->object_string(pod, "spec.nodeName"),
                           api->object_namespace(pod), api->object_name(pod),
                           api->object_uid(pod)),
              ports, publish || cplane_pod_is_ready(api, pod));
}

/* The addresses of one list (addresses or notReadyAddresses) of subset i. */
static int add_list(const struct cplane_host_api *api, struct ep_addrs *l,
                    const cplane_object *eps, int i, const char *list,
                    const char *ports, int ready) {
  char path[80];
  int n, j;

  snprintf(path, sizeof path, "subsets[%d].%s", i, list);
  n = api->object_len(eps, path);
  for (j = 0; j < n && j < 10000; j++) {
    const char *ip = cplane_array_string(api, eps, path, j, "ip");
    char *copy;

    if (ip == NULL)
      continue;
    if ((copy = strdup(ports)) == NULL)
      return -1;
    if (push(l, ip,
             address_json(
                 ip, cplane_array_string(api, eps, path, j, "hostname"),
                 cplane_array_string(api, eps, path, j, "nodeName"),
                 cplane_array_string(api, eps, path, j, "targetRef.namespace"),
                 cplane_array_string(api, eps, path, j, "targetRef.name"),
                 cplane_array_string(api, eps, path, j, "targetRef.uid")),
             copy, ready) != 0)
      return -1;
  }
  return 0;
}

int ep_addrs_add_endpoints(const struct cplane_host_api *api,
                           struct ep_addrs *l, const cplane_object *eps) {
  int n = api->object_len(eps, "subsets"), i, rc = 0;

  for (i = 0; i < n && i < 1000 && rc == 0; i++) {
    char path[64], *ports;

    snprintf(path, sizeof path, "subsets[%d].ports", i);
    ports = cplane_endpoint_ports_json(api, eps, path, 0);

    if (ports == NULL)
      return -1;
    rc = add_list(api, l, eps, i, "addresses", ports, 1);
    if (rc == 0)
      rc = add_list(api, l, eps, i, "notReadyAddresses", ports, 0);
    free(ports);
  }
  return rc;
}

void ep_addrs_free(struct ep_addrs *l) {
  size_t i;

  for (i = 0; i < l->n; i++) {
    free((char *)l->a[i].json);
    free((char *)l->a[i].ports);
  }
  free(l->a);
  memset(l, 0, sizeof *l);
}
