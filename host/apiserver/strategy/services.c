/*
 * services - core/v1 Service, as kube's pkg/registry/core/service:
 * defaults (SetDefaults_Service), ValidateService, the ClusterIP and
 * NodePort allocation of its REST storage (alloc/service_alloc.h) and the
 * columns `kubectl get svc` prints.
 */
#include "apiserver/strategy/core_kinds.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/alloc/service_alloc.h"
#include "apiserver/status.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

#define MAX_PORTS 256 /* bounds the per-port work; kube has no smaller */

static const char *type_of(json_object *o) {
  const char *t = cp_field_str(o, "spec.type");

  return t != NULL ? t : "ClusterIP";
}

static int needs_node_ports(const char *type) {
  return strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0;
}

static json_object *ports_of(json_object *o) {
  return cp_field_typed(o, "spec.ports", json_type_array);
}

/* The clusterIP the client asked for: clusterIPs[0], else clusterIP. */
static const char *wanted_ip(json_object *o) {
  json_object *ips = cp_field_typed(o, "spec.clusterIPs", json_type_array);
  json_object *first = ips != NULL && json_object_array_length(ips) > 0
                           ? json_object_array_get_idx(ips, 0)
                           : NULL;

  if (first != NULL && json_object_is_type(first, json_type_string))
    return json_object_get_string(first);
  return cp_field_str(o, "spec.clusterIP");
}

static void set_ip(json_object *o, const char *ip) {
  json_object *ips = json_object_new_array();

  json_object_array_add(ips, json_object_new_string(ip));
  cp_field_set(o, "spec.clusterIP", json_object_new_string(ip));
  cp_field_set(o, "spec.clusterIPs", ips);
}

static void clear_ip(json_object *o) {
  json_object *spec = cp_field_typed(o, "spec", json_type_object);

  if (spec != NULL) {
    json_object_object_del(spec, "clusterIP");
    json_object_object_del(spec, "clusterIPs");
  }
}

/* ------------------------------------------------------------ prepare */

/* SetDefaults_Service and what the REST storage sets on create. */
static void defaults(json_object *o) {
  const char *type = type_of(o), *ip;
  json_object *ports = ports_of(o);
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;
  int external_name = strcmp(type, "ExternalName") == 0;

  cp_field_default(o, "spec.type", json_object_new_string("ClusterIP"));
  cp_field_default(o, "spec.sessionAffinity", json_object_new_string("None"));
  for (i = 0; i < n && i < MAX_PORTS; i++) {
    json_object *p = json_object_array_get_idx(ports, i), *port;

    if (json_object_is_type(p, json_type_object) &&
        !json_object_object_get_ex(p, "targetPort", NULL) &&
        json_object_object_get_ex(p, "port", &port) &&
        json_object_is_type(port, json_type_int))
      json_object_object_add(p, "targetPort",
                             json_object_new_int(json_object_get_int(port)));
  }
  if (needs_node_ports(type)) {
    cp_field_default(o, "spec.externalTrafficPolicy",
                     json_object_new_string("Cluster"));
  }
  if (strcmp(type, "LoadBalancer") == 0)
    cp_field_default(o, "spec.allocateLoadBalancerNodePorts",
                     json_object_new_boolean(1));
  if (!external_name) {
    json_object *fams = json_object_new_array();

    cp_field_default(o, "spec.internalTrafficPolicy",
                     json_object_new_string("Cluster"));
    cp_field_default(o, "spec.ipFamilyPolicy",
                     json_object_new_string("SingleStack"));
    if (fams != NULL)
      json_object_array_add(fams, json_object_new_string("IPv4"));
    cp_field_default(o, "spec.ipFamilies", fams);
    /* clusterIP and clusterIPs[0] say the same. */
    ip = wanted_ip(o);
    if (ip != NULL && ip[0] != '\0') {
      char *copy = strdup(ip);

      if (copy != NULL)
        set_ip(o, copy);
      free(copy);
    }
  }
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  json_object *st = json_object_new_object();

  (void)w;
  defaults(o);
  if (st != NULL)
    json_object_object_add(st, "loadBalancer", json_object_new_object());
  cp_field_set(o, "status", st);
}

/* The port entry of ports with the same port and protocol, or NULL. */
static json_object *same_port(json_object *ports, json_object *p) {
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;
  int64_t num, other;
  const char *proto = cp_field_str(p, "protocol");

  if (!cp_field_int(p, "port", &num))
    return NULL;
  for (i = 0; i < n && i < MAX_PORTS; i++) {
    json_object *q = json_object_array_get_idx(ports, i);
    const char *qp = cp_field_str(q, "protocol");

    if (cp_field_int(q, "port", &other) && other == num &&
        strcmp(proto ? proto : "TCP", qp ? qp : "TCP") == 0)
      return q;
  }
  return NULL;
}

/* 1 when a and b hold the same value at path (both absent counts). */
static int json_equal_at(json_object *a, json_object *b, const char *path) {
  json_object *x = cp_field_at(a, path), *y = cp_field_at(b, path);

  return x == NULL || y == NULL ? x == y : json_object_equal(x, y);
}

/* kube's PatchAllocatedValues: an update that leaves the ClusterIP or a
 * NodePort out keeps the one allocated. */
static void prepare_update(const struct cp_strategy_write *w, json_object *o,
                           json_object *old) {
  const char *ip = wanted_ip(o), *old_ip = wanted_ip(old);
  json_object *ports = ports_of(o), *old_ports = ports_of(old);
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;

  (void)w;
  if ((ip == NULL || ip[0] == '\0') && old_ip != NULL &&
      strcmp(type_of(o), "ExternalName") != 0) {
    json_object *ips = cp_field_at(old, "spec.clusterIPs");

    cp_field_set(o, "spec.clusterIP", json_object_new_string(old_ip));
    if (ips != NULL)
      cp_field_set(o, "spec.clusterIPs", json_object_get(ips));
  }
  /* kube's dropTypeDependentFields: a Service that no longer needs
   * NodePorts loses the ones it kept unchanged from before. */
  if (!needs_node_ports(type_of(o)) && needs_node_ports(type_of(old)))
    for (i = 0; i < n && i < MAX_PORTS; i++) {
      json_object *p = json_object_array_get_idx(ports, i), *q;
      int64_t np, had;

      if (cp_field_int(p, "nodePort", &np) &&
          (q = same_port(old_ports, p)) != NULL &&
          cp_field_int(q, "nodePort", &had) && had == np)
        json_object_object_del(p, "nodePort");
    }
  /* The same for the IP families of a Service turned ExternalName; its
   * ClusterIP goes in admit, and back to the range in update_done. */
  if (strcmp(type_of(o), "ExternalName") == 0 &&
      strcmp(type_of(old), "ExternalName") != 0) {
    json_object *spec = cp_field_typed(o, "spec", json_type_object);

    if (spec != NULL && json_equal_at(o, old, "spec.ipFamilies"))
      json_object_object_del(spec, "ipFamilies");
    if (spec != NULL && json_equal_at(o, old, "spec.ipFamilyPolicy"))
      json_object_object_del(spec, "ipFamilyPolicy");
  }
  if (needs_node_ports(type_of(o)))
    for (i = 0; i < n && i < MAX_PORTS; i++) {
      json_object *p = json_object_array_get_idx(ports, i), *q;
      int64_t np;

      if (json_object_is_type(p, json_type_object) &&
          !cp_field_int(p, "nodePort", &np) &&
          (q = same_port(old_ports, p)) != NULL &&
          cp_field_int(q, "nodePort", &np))
        json_object_object_add(p, "nodePort", json_object_new_int64(np));
    }
  defaults(o);
}

/* ------------------------------------------------------------ validate */

static const char *const types[] = {"ClusterIP", "ExternalName",
                                    "LoadBalancer", "NodePort", NULL};
static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
static const char *const affinities[] = {"ClientIP", "None", NULL};
static const char *const traffic[] = {"Cluster", "Local", NULL};

static int in(const char *const *list, const char *s) {
  for (; *list != NULL; list++)
    if (strcmp(*list, s) == 0)
      return 1;
  return 0;
}

/* DNS-1123 label: lower-case alphanumerics and '-', 63 at most. */
static int dns_label(const char *s) {
  size_t i, n = strlen(s);

  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
    return 0;
  for (i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-'))
      return 0;
  return 1;
}

/* DNS-1123 subdomain: dot-separated labels, 253 at most. */
static int dns_subdomain(const char *s) {
  char buf[254], *save = NULL, *tok;
  size_t n = strlen(s);

  if (n == 0 || n > 253 || s[n - 1] == '.' || s[0] == '.')
    return 0;
  memcpy(buf, s, n + 1);
  for (tok = strtok_r(buf, ".", &save); tok != NULL;
       tok = strtok_r(NULL, ".", &save))
    if (!dns_label(tok))
      return 0;
  return strstr(s, "..") == NULL;
}

static void check_port_number(struct cp_field_errors *errs, json_object *v,
                              const char *path) {
  int64_t n = json_object_get_int64(v);

  if (n < 1 || n > 65535)
    cp_field_invalid_int(errs, path, n, "must be between 1 and 65535, "
                                        "inclusive");
}

static void validate_port(json_object *p, size_t i, size_t n,
                          const char *type, json_object *names,
                          struct cp_field_errors *errs) {
  char path[64];
  const char *name = cp_field_str(p, "name"), *proto;
  json_object *v;

  snprintf(path, sizeof path, "spec.ports[%zu].name", i);
  if (name == NULL || name[0] == '\0') {
    if (n > 1)
      cp_field_required(errs, path, NULL);
  } else if (!dns_label(name)) {
    cp_field_invalid_str(errs, path, name,
                         "a lowercase RFC 1123 label must consist of lower "
                         "case alphanumeric characters or '-', and must "
                         "start and end with an alphanumeric character "
                         "(e.g. 'my-name',  or '123-abc', regex used for "
                         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  } else if (json_object_object_get_ex(names, name, NULL)) {
    char q[80];

    snprintf(q, sizeof q, "\"%.70s\"", name);
    cp_field_errors_add(errs, CP_FIELD_DUPLICATE, path, q, NULL);
  } else {
    json_object_object_add(names, name, NULL);
  }
  snprintf(path, sizeof path, "spec.ports[%zu].port", i);
  if (json_object_object_get_ex(p, "port", &v) &&
      json_object_is_type(v, json_type_int))
    check_port_number(errs, v, path);
  snprintf(path, sizeof path, "spec.ports[%zu].protocol", i);
  proto = cp_field_str(p, "protocol");
  if (proto != NULL && !in(protocols, proto))
    cp_field_not_supported(errs, path, proto, protocols);
  snprintf(path, sizeof path, "spec.ports[%zu].targetPort", i);
  if (json_object_object_get_ex(p, "targetPort", &v) &&
      json_object_is_type(v, json_type_int))
    check_port_number(errs, v, path);
  snprintf(path, sizeof path, "spec.ports[%zu].nodePort", i);
  if (json_object_object_get_ex(p, "nodePort", &v) &&
      json_object_is_type(v, json_type_int) && json_object_get_int64(v) != 0) {
    if (!needs_node_ports(type)) {
      char d[80];

      snprintf(d, sizeof d, "may not be used when `type` is '%s'", type);
      cp_field_forbidden(errs, path, d);
    } else {
      check_port_number(errs, v, path);
    }
  }
}

static void validate_cluster_ip(json_object *o, json_object *old,
                                struct cp_field_errors *errs) {
  const char *ip = cp_field_str(o, "spec.clusterIP");
  const char *old_ip = old != NULL ? cp_field_str(old, "spec.clusterIP")
                                   : NULL;
  struct in_addr a;

  if (ip == NULL || ip[0] == '\0' || strcmp(ip, "None") == 0) {
    if (ip != NULL && strcmp(ip, "None") == 0 &&
        strcmp(type_of(o), "ClusterIP") != 0 &&
        strcmp(type_of(o), "ExternalName") != 0) {
      char d[80];

      snprintf(d, sizeof d, "may not be set to 'None' for %s services",
               type_of(o));
      cp_field_invalid_str(errs, "spec.clusterIPs[0]", ip, d);
    }
  } else if (inet_pton(AF_INET, ip, &a) != 1) {
    cp_field_invalid_str(errs, "spec.clusterIPs[0]", ip,
                         "must be a valid IP address, (e.g. 10.9.8.7 or "
                         "2001:db8::ffff)");
    return;
  }
  if (old_ip != NULL && old_ip[0] != '\0' &&
      strcmp(type_of(old), "ExternalName") != 0 &&
      strcmp(type_of(o), "ExternalName") != 0 &&
      (ip == NULL || strcmp(ip, old_ip) != 0))
    cp_field_invalid_str(errs, "spec.clusterIPs[0]", ip ? ip : "",
                         "may not change once set");
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  const char *type = cp_field_str(o, "spec.type"), *v;
  json_object *ports = ports_of(o), *names = json_object_new_object();
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;
  int headless;

  (void)w;
  if (type != NULL && !in(types, type)) {
    cp_field_not_supported(errs, "spec.type", type, types);
    type = "ClusterIP";
  }
  if (type == NULL)
    type = "ClusterIP";
  v = cp_field_str(o, "spec.sessionAffinity");
  if (v != NULL && !in(affinities, v))
    cp_field_not_supported(errs, "spec.sessionAffinity", v, affinities);
  v = cp_field_str(o, "spec.externalTrafficPolicy");
  if (v != NULL && v[0] != '\0' && !in(traffic, v))
    cp_field_not_supported(errs, "spec.externalTrafficPolicy", v, traffic);
  v = cp_field_str(o, "spec.internalTrafficPolicy");
  if (v != NULL && !in(traffic, v))
    cp_field_not_supported(errs, "spec.internalTrafficPolicy", v, traffic);
  if (strcmp(type, "ExternalName") == 0) {
    v = cp_field_str(o, "spec.externalName");
    if (v == NULL || v[0] == '\0')
      cp_field_required(errs, "spec.externalName", NULL);
    else if (!dns_subdomain(v))
      cp_field_invalid_str(errs, "spec.externalName", v,
                           "a lowercase RFC 1123 subdomain must consist of "
                           "lower case alphanumeric characters, '-' or '.', "
                           "and must start and end with an alphanumeric "
                           "character (e.g. 'example.com', regex used for "
                           "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                           "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  } else {
    validate_cluster_ip(o, old, errs);
  }
  v = cp_field_str(o, "spec.clusterIP");
  headless = v != NULL && strcmp(v, "None") == 0;
  if (n == 0 && strcmp(type, "ExternalName") != 0 && !headless)
    cp_field_required(errs, "spec.ports", NULL);
  if (n > MAX_PORTS) {
    char d[64];

    snprintf(d, sizeof d, "must have at most %d items", MAX_PORTS);
    cp_field_errors_addf(errs, CP_FIELD_TOO_MANY, NULL, d, "spec.ports");
  }
  for (i = 0; i < n && i < MAX_PORTS && names != NULL; i++) {
    json_object *p = json_object_array_get_idx(ports, i);

    if (json_object_is_type(p, json_type_object))
      validate_port(p, i, n, type, names, errs);
  }
  json_object_put(names);
}

/* ------------------------------------------------------------ admit */

static void fail_ip(struct cp_field_errors *errs, struct cp_svc_alloc *a,
                    const char *ip, int rc) {
  char value[80], detail[256];

  snprintf(value, sizeof value, "[]string{\"%.40s\"}", ip);
  if (rc == CP_SVC_ETAKEN)
    snprintf(detail, sizeof detail, "failed to allocate IP %.40s: provided "
             "IP is already allocated", ip);
  else if (rc == CP_SVC_ERANGE)
    snprintf(detail, sizeof detail, "failed to allocate IP %.40s: the "
             "provided IP (%.40s) is not in the valid range. The range of "
             "valid IPs is %s", ip, ip, cp_svc_alloc_cidr(a));
  else
    snprintf(detail, sizeof detail, "failed to allocate IP %.40s: not a "
             "valid IP", ip);
  cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.clusterIPs", value,
                      detail);
}

static void fail_port(struct cp_field_errors *errs, struct cp_svc_alloc *a,
                      size_t i, int port, int rc) {
  char path[48], detail[160];

  snprintf(path, sizeof path, "spec.ports[%zu].nodePort", i);
  if (rc == CP_SVC_ETAKEN)
    snprintf(detail, sizeof detail, "provided port is already allocated");
  else
    snprintf(detail, sizeof detail, "provided port is not in the valid "
             "range. The range of valid ports is %s", cp_svc_alloc_ports(a));
  cp_field_invalid_int(errs, path, port, detail);
}

/* What one admit took, to hand back on failure or dry run. */
struct taken {
  char ip[16];
  int ports[MAX_PORTS];
  size_t n_ports;
};

static void give_back(cp_store *s, const struct taken *t) {
  size_t i;

  if (t->ip[0] != '\0')
    cp_svc_release_ip(s, t->ip);
  for (i = 0; i < t->n_ports; i++)
    cp_svc_release_port(s, t->ports[i]);
}

/* kube's 500 when a range is full: an InternalError whose one cause is
 * the allocator's error. */
static void respond_full(struct cp_api_response *rs, const char *what) {
  char msg[128], full[160];
  struct cp_status_cause cause = {NULL, msg, NULL};
  struct cp_status_details d = {0};

  snprintf(msg, sizeof msg, "failed to allocate a %s: range is full", what);
  snprintf(full, sizeof full, "Internal error occurred: %s", msg);
  d.causes = &cause;
  d.n_causes = 1;
  cp_api_respond_status(rs, 500, cp_status_failure(500, "InternalError",
                                                    full, &d));
}

/* The ClusterIP: one to allocate when the Service needs one it does not
 * hold yet (old's, if any, is kept by prepare_update). */
static int admit_ip(struct cp_svc_alloc *a, cp_store *s, json_object *o,
                    json_object *old, const char *ns, const char *name,
                    int dry, struct taken *t, struct cp_field_errors *errs) {
  const char *want = wanted_ip(o), *old_ip = old ? wanted_ip(old) : NULL;
  char got[16];
  int rc;

  if (strcmp(type_of(o), "ExternalName") == 0) {
    clear_ip(o);
    return 0;
  }
  if (want != NULL && strcmp(want, "None") == 0)
    return 0;
  if (want != NULL && old_ip != NULL && strcmp(want, old_ip) == 0)
    return 0;
  rc = dry ? cp_svc_alloc_ip_dry(a, s, want, got)
           : cp_svc_alloc_ip(a, s, want, ns, name, got);
  if (rc != 0 && rc != CP_SVC_ETAKEN && rc != CP_SVC_ERANGE &&
      rc != CP_SVC_EINVAL)
    return rc; /* full, or the store failed */
  if (rc != 0) {
    fail_ip(errs, a, want ? want : "", rc);
    return rc;
  }
  snprintf(t->ip, sizeof t->ip, "%s", got);
  set_ip(o, got);
  return 0;
}

static int admit_ports(struct cp_svc_alloc *a, cp_store *s, json_object *o,
                       json_object *old, const char *ns, const char *name,
                       int dry, struct taken *t,
                       struct cp_field_errors *errs) {
  json_object *ports = ports_of(o), *old_ports = old ? ports_of(old) : NULL;
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;
  int rc = 0;

  json_object *lb = cp_field_typed(o, "spec.allocateLoadBalancerNodePorts",
                                   json_type_boolean);

  if (!needs_node_ports(type_of(o)) ||
      (strcmp(type_of(o), "LoadBalancer") == 0 && lb != NULL &&
       !json_object_get_boolean(lb)))
    return 0;
  for (i = 0; i < n && i < MAX_PORTS; i++) {
    json_object *p = json_object_array_get_idx(ports, i), *q;
    int64_t want = 0, had;
    int got;

    if (!json_object_is_type(p, json_type_object))
      continue;
    cp_field_int(p, "nodePort", &want);
    if (want != 0 && (q = same_port(old_ports, p)) != NULL &&
        cp_field_int(q, "nodePort", &had) && had == want)
      continue; /* held already */
    rc = dry ? cp_svc_alloc_port_dry(a, s, (int)want, &got)
             : cp_svc_alloc_port(a, s, (int)want, ns, name, &got);
    if (rc != 0 && rc != CP_SVC_ETAKEN && rc != CP_SVC_ERANGE)
      return rc; /* full, or the store failed */
    if (rc != 0) {
      fail_port(errs, a, i, (int)want, rc);
      continue;
    }
    t->ports[t->n_ports++] = got;
    json_object_object_add(p, "nodePort", json_object_new_int(got));
  }
  return cp_field_errors_any(errs) ? -1 : 0;
}

static int admit(const struct cp_strategy_write *w, json_object *o,
                 json_object *old, struct cp_api_response *rs) {
  struct cp_svc_alloc *a = w->ctx != NULL ? w->ctx->svc_alloc : NULL;
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;
  struct taken *t;
  const char *full = NULL;
  const char *ns = cp_field_str(o, "metadata.namespace");
  const char *name = cp_field_str(o, "metadata.name");
  int rc;

  if (a == NULL || w->subresource != NULL)
    return 0;
  if ((t = calloc(1, sizeof *t)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  ns = ns ? ns : "";
  name = name ? name : "";
  rc = admit_ip(a, w->ctx->store, o, old, ns, name, w->dry_run, t, &errs);
  if (rc == CP_SVC_EFULL)
    full = "serviceIP";
  else if (rc == 0 &&
           (rc = admit_ports(a, w->ctx->store, o, old, ns, name, w->dry_run,
                             t, &errs)) == CP_SVC_EFULL)
    full = "nodePort";
  if (full != NULL)
    respond_full(rs, full);
  else if (cp_field_errors_any(&errs))
    cp_field_errors_respond(&errs, w->rq != NULL ? w->rq->type : NULL, name,
                            rs);
  else if (rc != 0) /* the store failed */
    cp_api_respond_status(rs, 500,
                          cp_status_failuref(500, "Internal error occurred: "
                                                  "cannot allocate the "
                                                  "Service's addresses: "
                                                  "store error %d", rc));
  /* Dry run took nothing (it only looked); a refusal hands back what it
   * took. */
  if ((rc != 0 || cp_field_errors_any(&errs)) && !w->dry_run)
    give_back(w->ctx->store, t);
  rc = rc != 0 || cp_field_errors_any(&errs) ? -1 : 0;
  cp_field_errors_clear(&errs);
  free(t);
  return rc;
}

/* 1 when o (NULL: none) holds ClusterIP ip. */
static int holds_ip(json_object *o, const char *ip) {
  json_object *ips = cp_field_typed(o, "spec.clusterIPs", json_type_array);
  size_t i, n = ips != NULL ? json_object_array_length(ips) : 0;

  for (i = 0; i < n && i < 2; i++) {
    json_object *v = json_object_array_get_idx(ips, i);

    if (json_object_is_type(v, json_type_string) &&
        strcmp(json_object_get_string(v), ip) == 0)
      return 1;
  }
  return 0;
}

/* 1 when one of o's ports (o NULL: none) holds NodePort np. */
static int holds_port(json_object *o, int64_t np) {
  json_object *ports = ports_of(o);
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;
  int64_t v;

  for (i = 0; i < n && i < MAX_PORTS; i++)
    if (cp_field_int(json_object_array_get_idx(ports, i), "nodePort", &v) &&
        v == np)
      return 1;
  return 0;
}

/* Releases every address `from` holds that `keep` (NULL: nothing) does
 * not. */
static void release_unheld(cp_store *s, json_object *from, json_object *keep) {
  json_object *ips = cp_field_typed(from, "spec.clusterIPs", json_type_array);
  json_object *ports = ports_of(from);
  size_t i, n;
  int64_t np;

  n = ips != NULL ? json_object_array_length(ips) : 0;
  for (i = 0; i < n && i < 2; i++) {
    json_object *ip = json_object_array_get_idx(ips, i);
    const char *text;

    if (!json_object_is_type(ip, json_type_string))
      continue;
    text = json_object_get_string(ip);
    if (strcmp(text, "None") != 0 && !holds_ip(keep, text))
      cp_svc_release_ip(s, text);
  }
  n = ports != NULL ? json_object_array_length(ports) : 0;
  for (i = 0; i < n && i < MAX_PORTS; i++)
    if (cp_field_int(json_object_array_get_idx(ports, i), "nodePort", &np) &&
        np > 0 && !holds_port(keep, np))
      cp_svc_release_port(s, (int)np);
}

static void deleted(struct cp_api_ctx *ctx, json_object *o) {
  release_unheld(ctx->store, o, NULL);
}

/* kube's service REST update, after the write: the stored Service keeps
 * what it holds and the other side's extra addresses go back to the
 * ranges (the old ClusterIP of a Service turned ExternalName, the
 * NodePorts of one turned ClusterIP or of a removed port; or, when the
 * write failed, what admit took for o). */
static void update_done(struct cp_api_ctx *ctx, json_object *o,
                        json_object *old, int stored) {
  if (stored)
    release_unheld(ctx->store, old, o);
  else
    release_unheld(ctx->store, o, old);
}

/* ------------------------------------------------------------ table */

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Type", "string", "", 0, "The type of the service."},
    {"Cluster-IP", "string", "", 0, "The cluster IP of the service."},
    {"External-IP", "string", "", 0, "The external IP of the service."},
    {"Port(s)", "string", "", 0, "The ports of the service."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
    {"Selector", "string", "", 1, "The selector of the service."},
};

/* Appends s to buf (comma-separated). */
static void join(char *buf, size_t len, const char *s) {
  size_t used = strlen(buf);

  snprintf(buf + used, len - used, "%s%s", used ? "," : "", s);
}

/* kube's getServiceExternalIP. */
static void external_ip(json_object *o, char *buf, size_t len) {
  const char *type = type_of(o);
  json_object *ext = cp_field_typed(o, "spec.externalIPs", json_type_array);
  json_object *ing =
      cp_field_typed(o, "status.loadBalancer.ingress", json_type_array);
  size_t i, n;

  buf[0] = '\0';
  if (strcmp(type, "ExternalName") == 0) {
    const char *e = cp_field_str(o, "spec.externalName");

    snprintf(buf, len, "%s", e ? e : "<none>");
    return;
  }
  if (strcmp(type, "LoadBalancer") == 0) {
    n = ing != NULL ? json_object_array_length(ing) : 0;
    for (i = 0; i < n; i++) {
      json_object *e = json_object_array_get_idx(ing, i);
      const char *ip = cp_field_str(e, "ip");
      const char *h = cp_field_str(e, "hostname");

      if (ip != NULL && ip[0] != '\0')
        join(buf, len, ip);
      else if (h != NULL && h[0] != '\0')
        join(buf, len, h);
    }
  }
  n = ext != NULL ? json_object_array_length(ext) : 0;
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(ext, i);

    if (json_object_is_type(e, json_type_string))
      join(buf, len, json_object_get_string(e));
  }
  if (buf[0] == '\0')
    snprintf(buf, len, "%s",
             strcmp(type, "LoadBalancer") == 0 ? "<pending>" : "<none>");
}

/* kube's makePortString: 80/TCP, 80:30080/TCP, ... */
static void port_string(json_object *o, char *buf, size_t len) {
  json_object *ports = ports_of(o);
  size_t i, n = ports != NULL ? json_object_array_length(ports) : 0;

  buf[0] = '\0';
  for (i = 0; i < n; i++) {
    json_object *p = json_object_array_get_idx(ports, i);
    const char *proto = cp_field_str(p, "protocol");
    int64_t port = 0, np = 0;
    char one[40];

    cp_field_int(p, "port", &port);
    cp_field_int(p, "nodePort", &np);
    if (np != 0)
      snprintf(one, sizeof one, "%lld:%lld/%s", (long long)port,
               (long long)np, proto ? proto : "TCP");
    else
      snprintf(one, sizeof one, "%lld/%s", (long long)port,
               proto ? proto : "TCP");
    join(buf, len, one);
  }
  if (buf[0] == '\0')
    snprintf(buf, len, "<none>");
}

static void cells(json_object *o, long long now, json_object *out) {
  const char *ip = cp_field_str(o, "spec.clusterIP");
  char buf[1024];

  cp_cell_name(out, o);
  cp_cell_str(out, type_of(o));
  cp_cell_str(out, ip != NULL && ip[0] != '\0' ? ip : "<none>");
  external_ip(o, buf, sizeof buf);
  cp_cell_str(out, buf);
  port_string(o, buf, sizeof buf);
  cp_cell_str(out, buf);
  cp_cell_age(out, o, now);
  cp_cell_label_map(out, cp_field_typed(o, "spec.selector",
                                        json_type_object));
}

static const char *const categories[] = {"all", NULL};
/* kube's Service field label conversion (kube-proxy watches
 * spec.clusterIP!=None). */
static const char *const field_labels[] = {"spec.clusterIP", "spec.type",
                                           NULL};

const struct cp_strategy cp_strategy_services = {
    .group = "",
    .resource = "services",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .field_labels = field_labels,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .admit = admit,
    .deleted = deleted,
    .update_done = update_done,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
