/*
 * cplane/endpoints.h - what a Service's endpoints are made of, as
 * kube's endpoint controllers judge it (pkg/api/v1/endpoints,
 * staging/src/k8s.io/endpointslice/util): which pods count, their
 * address, their port number for a Service port (a named targetPort is
 * resolved per pod), their hostname.
 *
 * Shared by the endpointslice and endpoints plugins, which must agree.
 *
 * Header-only: nothing here is in the host table or the ABI.
 * Threading: none inside; any thread. Every string returned is borrowed
 * from the object it was read from.
 */
#ifndef CPLANE_ENDPOINTS_H
#define CPLANE_ENDPOINTS_H

#include <cplane/conditions.h>
#include <cplane/host_api.h>
#include <cplane/objects.h>
#include <cplane/strbuf.h>
#include <cplane/time.h>

#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The pod's address of the family asked for (ipv6 0: IPv4), from
 * status.podIPs, or status.podIP when that is all there is; NULL when it
 * has none of that family. */
static inline const char *cplane_pod_address(const struct cplane_host_api *api,
                                             const cplane_object *pod,
                                             int ipv6) {
  int n = api->object_len(pod, "status.podIPs"), i;
  const char *ip;

  for (i = 0; i < n && i < 8; i++) {
    ip = cplane_array_string(api, pod, "status.podIPs", i, "ip");
    if (ip != NULL && ip[0] != '\0' && (strchr(ip, ':') != NULL) == ipv6)
      return ip;
  }
  ip = api->object_string(pod, "status.podIP");
  if (ip != NULL && ip[0] != '\0' && (strchr(ip, ':') != NULL) == ipv6)
    return ip;
  return NULL;
}

/* 1 when the pod's Ready condition is True (podutil.IsPodReady). */
static inline int cplane_pod_is_ready(const struct cplane_host_api *api,
                                      const cplane_object *pod) {
  return cplane_condition_is_true(api, pod, "status.conditions", "Ready");
}

/* 1 when the pod belongs in a Service's endpoints at all
 * (ShouldPodBeInEndpoints): not finished, has an IP, and, unless
 * include_terminating, not being deleted. */
static inline int cplane_pod_in_endpoints(const struct cplane_host_api *api,
                                          const cplane_object *pod,
                                          int include_terminating) {
  const char *ip = api->object_string(pod, "status.podIP");

  if (cplane_pod_is_terminal(api, pod))
    return 0;
  if ((ip == NULL || ip[0] == '\0') &&
      api->object_len(pod, "status.podIPs") <= 0)
    return 0;
  return include_terminating || api->object_deletion_timestamp(pod) == NULL;
}

/* The container port named `name` with `protocol` in pod's containers,
 * into *port; 0, or -1 when there is none (podutil.FindPort). */
static inline int cplane_pod_named_port(const struct cplane_host_api *api,
                                        const cplane_object *pod,
                                        const char *name, const char *protocol,
                                        int64_t *port) {
  int nc = api->object_len(pod, "spec.containers"), c, p, np;
  char path[128];

  for (c = 0; c < nc && c < 256; c++) {
    snprintf(path, sizeof path, "spec.containers[%d].ports", c);
    np = api->object_len(pod, path);
    for (p = 0; p < np && p < 1024; p++) {
      const char *n = cplane_array_string(api, pod, path, p, "name");
      const char *pr = cplane_array_string(api, pod, path, p, "protocol");
      char num[160];

      if (n == NULL || strcmp(n, name) != 0 ||
          strcmp(pr != NULL ? pr : "TCP", protocol) != 0)
        continue;
      snprintf(num, sizeof num, "%s[%d].containerPort", path, p);
      return api->object_int(pod, num, port) == CPLANE_OK ? 0 : -1;
    }
  }
  return -1;
}

/* The port number on `pod` that port i of `svc` (spec.ports[i]) sends
 * to: its targetPort when a number, the pod's container port of that name
 * and the port's protocol when a name, its port when there is no
 * targetPort. 0, or -1 when the pod has no such port (the pod is then
 * left out of that port, as kube does). */
static inline int cplane_service_target_port(const struct cplane_host_api *api,
                                             const cplane_object *svc, int i,
                                             const cplane_object *pod,
                                             int64_t *port) {
  char path[96];
  const char *name, *proto;

  snprintf(path, sizeof path, "spec.ports[%d].targetPort", i);
  if (api->object_int(svc, path, port) == CPLANE_OK)
    return *port > 0 && *port <= 65535 ? 0 : -1;
  if ((name = api->object_string(svc, path)) == NULL) {
    snprintf(path, sizeof path, "spec.ports[%d].port", i);
    return api->object_int(svc, path, port) == CPLANE_OK ? 0 : -1;
  }
  snprintf(path, sizeof path, "spec.ports[%d].protocol", i);
  proto = api->object_string(svc, path);
  return cplane_pod_named_port(api, pod, name, proto != NULL ? proto : "TCP",
                               port);
}

/* The pod's hostname when it is to be published for svc
 * (ShouldSetHostname): spec.hostname set and spec.subdomain naming the
 * Service, in its namespace. NULL otherwise. */
static inline const char *
cplane_endpoint_hostname(const struct cplane_host_api *api,
                         const cplane_object *pod, const cplane_object *svc) {
  const char *h = api->object_string(pod, "spec.hostname");
  const char *sub = api->object_string(pod, "spec.subdomain");
  const char *pns = api->object_namespace(pod),
             *sns = api->object_namespace(svc);

  if (h == NULL || h[0] == '\0' || sub == NULL || pns == NULL || sns == NULL ||
      api->object_name(svc) == NULL)
    return NULL;
  return strcmp(sub, api->object_name(svc)) == 0 && strcmp(pns, sns) == 0
             ? h
             : NULL;
}

struct cplane_selector__buf {
  struct cplane_strbuf *b;
  int bad;
};

static inline int cplane_selector__add(void *userdata, const char *key,
                                       const char *value) {
  struct cplane_selector__buf *s = (struct cplane_selector__buf *)userdata;

  if (value == NULL || strpbrk(key, ",=!() ") != NULL ||
      strpbrk(value, ",=!() ") != NULL) {
    s->bad = 1; /* the API server validates both: not a Service's */
    return 1;
  }
  cplane_strbuf_addf(s->b, "%s%s=%s", s->b->len > 0 ? "," : "", key, value);
  return 0;
}

/* The Service's spec.selector (a plain map) as selector text for
 * cache_list(): "app=web,tier=db". Owned (free()). NULL when the Service
 * has no selector or an empty one (its endpoints are then not managed:
 * kube's controllers leave them to the user), or one that is not a map
 * of label strings, or out of memory. */
static inline char *cplane_service_selector(const struct cplane_host_api *api,
                                            const cplane_object *svc) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct cplane_selector__buf s = {&b, 0};

  if (api->object_type(svc, "spec.selector") != CPLANE_TYPE_OBJECT ||
      api->object_len(svc, "spec.selector") <= 0)
    return NULL;
  api->object_foreach(svc, "spec.selector", cplane_selector__add, &s);
  if (s.bad) {
    cplane_strbuf_reset(&b);
    return NULL;
  }
  return cplane_strbuf_finish(&b);
}

/* Queues the key of each Service (resources[services] of the calling
 * plugin) in pod's namespace whose selector selects pod: what a pod's
 * add, update or delete means to an endpoints controller. A cache read,
 * allowed in on_add/on_update/on_delete. */
static inline void cplane_enqueue_services_of(const struct cplane_host_api *api,
                                              cplane_plugin_ctx *ctx,
                                              uint32_t services,
                                              const cplane_object *pod) {
  cplane_object_list *svcs = NULL;
  size_t i;

  if (api->cache_list(ctx, services, api->object_namespace(pod), NULL, &svcs) !=
      CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(svcs); i++) {
    const cplane_object *svc = api->list_at(svcs, i);
    char *sel = cplane_service_selector(api, svc);

    if (sel != NULL && api->object_labels_match(pod, sel) == 1)
      api->enqueue(ctx, api->object_key(svc));
    free(sel);
  }
  api->list_free(svcs);
}

/* Names, protocols and appProtocols are validated by the API server; one
 * holding a quote or backslash is not written (as broken JSON). */
static inline int cplane_endpoints__plain(const char *s) {
  return s != NULL && s[0] != '\0' && strpbrk(s, "\"\\") == NULL;
}

/* Appends one port {"name","port","protocol","appProtocol"} in kube's
 * order. An empty name is written as "" when keep_empty_name (an
 * EndpointSlice's port names are pointers), else left out (an Endpoints
 * port's omitempty). */
static inline void cplane_endpoints__port(struct cplane_strbuf *b,
                                          const char *name, int64_t port,
                                          const char *proto, const char *app,
                                          int keep_empty_name) {
  cplane_strbuf_add(b, b->len > 1 ? ",{" : "{");
  if (cplane_endpoints__plain(name))
    cplane_strbuf_addf(b, "\"name\":\"%s\",", name);
  else if (keep_empty_name)
    cplane_strbuf_add(b, "\"name\":\"\",");
  cplane_strbuf_addf(b, "\"port\":%lld,\"protocol\":\"%s\"", (long long)port,
                     cplane_endpoints__plain(proto) ? proto : "TCP");
  if (cplane_endpoints__plain(app))
    cplane_strbuf_addf(b, ",\"appProtocol\":\"%s\"", app);
  cplane_strbuf_add(b, "}");
}

/* The ports of svc that pod has (each Service port whose target the pod
 * has, with the pod's number), as the JSON array an endpoints object
 * lists them in; "[]" when none. Owned (free()); NULL when out of
 * memory. */
static inline char *cplane_service_ports_json(const struct cplane_host_api *api,
                                              const cplane_object *svc,
                                              const cplane_object *pod,
                                              int keep_empty_name) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int n = api->object_len(svc, "spec.ports"), i;

  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n && i < 256; i++) {
    int64_t port;

    if (cplane_service_target_port(api, svc, i, pod, &port) != 0)
      continue; /* the pod has no such port: left out of this one */
    cplane_endpoints__port(
        &b, cplane_array_string(api, svc, "spec.ports", i, "name"), port,
        cplane_array_string(api, svc, "spec.ports", i, "protocol"),
        cplane_array_string(api, svc, "spec.ports", i, "appProtocol"),
        keep_empty_name);
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}

/* The ports array at `path` of an existing EndpointSlice or Endpoints
 * subset, written as cplane_service_ports_json() writes it, so the two
 * compare as text. Owned (free()); NULL when out of memory. */
static inline char *
cplane_endpoint_ports_json(const struct cplane_host_api *api,
                           const cplane_object *obj, const char *path,
                           int keep_empty_name) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int n = api->object_len(obj, path), i;
  char p[CPLANE_PATH_MAX];

  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n && i < 256; i++) {
    int64_t port = 0;

    if (cplane_element_path(p, sizeof p, path, i, "port") == 0)
      api->object_int(obj, p, &port);
    cplane_endpoints__port(
        &b, cplane_array_string(api, obj, path, i, "name"), port,
        cplane_array_string(api, obj, path, i, "protocol"),
        cplane_array_string(api, obj, path, i, "appProtocol"), keep_empty_name);
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}

/* 1 when the Service has no cluster IP (clusterIP "None"): its endpoints
 * carry the service.kubernetes.io/headless label. */
static inline int cplane_service_is_headless(const struct cplane_host_api *api,
                                             const cplane_object *svc) {
  const char *ip = api->object_string(svc, "spec.clusterIP");

  return ip != NULL && strcmp(ip, "None") == 0;
}

/* max(*ms, the time at path of obj). */
static inline void cplane_endpoints__later(const struct cplane_host_api *api,
                                           const cplane_object *obj,
                                           const char *path, int64_t *ms) {
  const char *s = api->object_string(obj, path);
  int64_t t;

  if (s != NULL && cplane_time_parse(s, &t) == 0 && t > *ms)
    *ms = t;
}

/* The time of the pod's latest change that its endpoint shows (created,
 * deleted, Ready flipped) in ms since the epoch, 0 when none is known:
 * what endpoints.kubernetes.io/last-change-trigger-time reports. */
static inline int64_t cplane_pod_change_ms(const struct cplane_host_api *api,
                                           const cplane_object *pod) {
  int64_t ms = 0;
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  char path[80];

  cplane_endpoints__later(api, pod, "metadata.creationTimestamp", &ms);
  cplane_endpoints__later(api, pod, "metadata.deletionTimestamp", &ms);
  if (i >= 0) {
    snprintf(path, sizeof path, "status.conditions[%d].lastTransitionTime", i);
    cplane_endpoints__later(api, pod, path, &ms);
  }
  return ms;
}

struct cplane_labels__copy {
  struct cplane_strbuf *b;
  const char *const *skip;
};

static inline int cplane_labels__add(void *userdata, const char *key,
                                     const char *value) {
  struct cplane_labels__copy *c = (struct cplane_labels__copy *)userdata;
  const char *const *k;

  for (k = c->skip; k != NULL && *k != NULL; k++)
    if (strcmp(*k, key) == 0)
      return 0;
  /* The API server validates label keys and values: one with a quote or
   * backslash is not a Service's and is left out rather than written as
   * broken JSON. */
  if (value == NULL || strpbrk(key, "\"\\") != NULL ||
      strpbrk(value, "\"\\") != NULL)
    return 0;
  cplane_strbuf_addf(c->b, "%s\"%s\":\"%s\"", c->b->len > 1 ? "," : "", key,
                     value);
  return 0;
}

/* The labels of svc's endpoints objects as a JSON object: the Service's
 * own labels but those named in skip (NULL-terminated, or NULL), then
 * `extra` members ("\"k\":\"v\",..." or NULL), then
 * service.kubernetes.io/headless for a headless Service, as kube's
 * controllers label Endpoints and EndpointSlices. Owned (free()); NULL
 * when out of memory. */
static inline char *cplane_endpoints_labels(const struct cplane_host_api *api,
                                            const cplane_object *svc,
                                            const char *const *skip,
                                            const char *extra) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct cplane_labels__copy c = {&b, skip};

  cplane_strbuf_add(&b, "{");
  api->object_foreach(svc, "metadata.labels", cplane_labels__add, &c);
  if (extra != NULL)
    cplane_strbuf_addf(&b, "%s%s", b.len > 1 ? "," : "", extra);
  if (cplane_service_is_headless(api, svc))
    cplane_strbuf_addf(&b, "%s\"service.kubernetes.io/headless\":\"\"",
                       b.len > 1 ? "," : "");
  cplane_strbuf_add(&b, "}");
  return cplane_strbuf_finish(&b);
}

struct cplane_labels__cmp {
  const struct cplane_host_api *api;
  const cplane_object *obj;
  int differ;
};

static inline int cplane_labels__cmp1(void *userdata, const char *key,
                                      const char *value) {
  struct cplane_labels__cmp *c = (struct cplane_labels__cmp *)userdata;
  const char *have = c->api->object_label(c->obj, key);

  c->differ = have == NULL || value == NULL || strcmp(have, value) != 0;
  return c->differ;
}

/* 1 when obj's labels are not exactly `labels` (a JSON object of
 * strings, parsed), else 0. */
static inline int cplane_labels_differ(const struct cplane_host_api *api,
                                       const cplane_object *obj,
                                       const cplane_object *labels) {
  struct cplane_labels__cmp c = {api, obj, 0};
  int have = api->object_len(obj, "metadata.labels");

  if ((have < 0 ? 0 : have) != api->object_len(labels, ""))
    return 1;
  api->object_foreach(labels, "", cplane_labels__cmp1, &c);
  return c.differ;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_ENDPOINTS_H */
