/*
 * cplane/quota.h - what an object costs a ResourceQuota, as kube's quota
 * evaluators count it (pkg/quota/v1/evaluator/core: pods, services,
 * persistentvolumeclaims, and the object count of any other kind), and
 * whether a quota's scopes select it (Terminating, NotTerminating,
 * BestEffort, NotBestEffort, PriorityClass).
 *
 * Shared by the API server's ResourceQuota admission (which charges a
 * create to the quota before it is stored) and the resourcequota plugin
 * (which recounts what exists): both must count alike, or a quota's
 * status would swing between their answers.
 *
 * A usage is a small list of resource names ("pods", "requests.cpu",
 * "count/deployments.apps") with amounts in thousandths (milli-units:
 * exact for every cpu value; memory up to 9 PB) and the quantity format
 * the first amount was written in, so they print back as kube's
 * Quantity.String() does ("128Mi", "500m", "2").
 *
 * Header-only: nothing here is in the host table or the ABI.
 * Threading: pure functions over the caller's objects; any thread.
 * Ownership: lists are the caller's (plain structs, no allocation).
 */
#ifndef CPLANE_QUOTA_H
#define CPLANE_QUOTA_H

#include <cplane/host_api.h>
#include <cplane/objects.h>
#include <cplane/quantity.h>
#include <cplane/time.h>

#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds: a name as long as kube's qualified resource names get, and
 * more distinct resources than any pod or quota names. Past them an
 * entry is dropped and `overflow` set. */
#define CPLANE_QUOTA_NAME_LEN 256
#define CPLANE_QUOTA_ITEMS 48
/* Containers looked at per list (kube allows far fewer in practice). */
#define CPLANE_QUOTA_MAX_CONTAINERS 256

struct cplane_quota_item {
  char name[CPLANE_QUOTA_NAME_LEN];
  int64_t milli;
  int format; /* CPLANE_QUANTITY_* */
};

struct cplane_quota_list {
  size_t n;
  int overflow;
  struct cplane_quota_item items[CPLANE_QUOTA_ITEMS];
};

/* Empties l. Only the count is reset: entries are written as they are
 * added, and a list is 13 KB, so zeroing it cost more than the
 * evaluators' work. */
static inline void cplane_quota_clear(struct cplane_quota_list *l) {
  l->n = 0;
  l->overflow = 0;
}

/* The entry called name, or NULL. */
static inline struct cplane_quota_item *
cplane_quota_find(struct cplane_quota_list *l, const char *name) {
  size_t i;

  for (i = 0; i < l->n; i++)
    if (strcmp(l->items[i].name, name) == 0)
      return &l->items[i];
  return NULL;
}

/* a + b, held at the int64 bounds instead of wrapping. */
static inline int64_t cplane_quota__add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

/* The entry called name, made (0, format) when missing; NULL when the
 * name is too long or the list is full (overflow set). */
static inline struct cplane_quota_item *
cplane_quota__entry(struct cplane_quota_list *l, const char *name,
                    int format) {
  struct cplane_quota_item *it = cplane_quota_find(l, name);

  if (it != NULL)
    return it;
  if (l->n >= CPLANE_QUOTA_ITEMS || strlen(name) >= CPLANE_QUOTA_NAME_LEN) {
    l->overflow = 1;
    return NULL;
  }
  it = &l->items[l->n++];
  snprintf(it->name, sizeof it->name, "%s", name);
  it->milli = 0;
  it->format = format;
  return it;
}

/* Adds milli to name (Quantity.Add: a zero amount takes the format of
 * what is added to it). */
static inline void cplane_quota_add(struct cplane_quota_list *l,
                                    const char *name, int64_t milli,
                                    int format) {
  struct cplane_quota_item *it = cplane_quota__entry(l, name, format);

  if (it == NULL)
    return;
  if (it->milli == 0)
    it->format = format;
  it->milli = cplane_quota__add(it->milli, milli);
}

/* Sets name to milli (replacing any amount). */
static inline void cplane_quota_set(struct cplane_quota_list *l,
                                    const char *name, int64_t milli,
                                    int format) {
  struct cplane_quota_item *it = cplane_quota__entry(l, name, format);

  if (it != NULL) {
    it->milli = milli;
    it->format = format;
  }
}

/* Adds every entry of b to a. */
static inline void cplane_quota_add_all(struct cplane_quota_list *a,
                                        const struct cplane_quota_list *b) {
  size_t i;

  for (i = 0; i < b->n; i++)
    cplane_quota_add(a, b->items[i].name, b->items[i].milli,
                     b->items[i].format);
}

/* A's entries raised to b's where b's are larger (quota.Max). */
static inline void cplane_quota_max(struct cplane_quota_list *a,
                                    const struct cplane_quota_list *b) {
  size_t i;

  for (i = 0; i < b->n; i++) {
    struct cplane_quota_item *it = cplane_quota_find(a, b->items[i].name);

    if (it == NULL)
      cplane_quota_add(a, b->items[i].name, b->items[i].milli,
                       b->items[i].format);
    else if (b->items[i].milli > it->milli)
      it->milli = b->items[i].milli;
  }
}

/* Kube's Quantity.String() of milli in format into buf
 * (CPLANE_QUANTITY_LEN bytes). */
static inline void cplane_quota_format(int64_t milli, int format, char *buf,
                                       size_t len) {
  if (cplane_quantity_format(milli, format, buf, len) != CPLANE_OK)
    snprintf(buf, len, "%lld", (long long)(milli / 1000));
}

/* Parses a quantity value (a JSON string, or a number as text) into
 * milli and format. CPLANE_OK or CPLANE_EINVAL/CPLANE_ERANGE. */
static inline int cplane_quota_parse(const char *s, int64_t *milli,
                                     int *format) {
  return cplane_quantity_parse_milli(s, milli, format);
}

/* Writes path + "." + key with '.', '[' and '\' in key escaped. 0, or
 * -1 when it does not fit. */
static inline int cplane_quota__key_path(char *buf, size_t len,
                                         const char *path, const char *key) {
  size_t n = (size_t)snprintf(buf, len, "%s.", path);

  if (n >= len)
    return -1;
  for (; *key != '\0'; key++) {
    if (*key == '.' || *key == '[' || *key == '\\') {
      if (n + 1 >= len)
        return -1;
      buf[n++] = '\\';
    }
    if (n + 1 >= len)
      return -1;
    buf[n++] = *key;
  }
  buf[n] = '\0';
  return 0;
}

/* Collects a ResourceList (name -> quantity) at a path. */
struct cplane_quota__collect {
  const struct cplane_host_api *api;
  const cplane_object *obj;
  const char *path;
  struct cplane_quota_list *out;
};

static inline int cplane_quota__collect_one(void *u, const char *key,
                                            const char *str) {
  struct cplane_quota__collect *c = (struct cplane_quota__collect *)u;
  char p[CPLANE_PATH_MAX];
  char *text = NULL;
  int64_t milli;
  int format;

  if (str == NULL) { /* a number: kube accepts 2 as "2" */
    if (cplane_quota__key_path(p, sizeof p, c->path, key) != 0)
      return 0;
    if (c->api->object_type(c->obj, p) != CPLANE_TYPE_INT &&
        c->api->object_type(c->obj, p) != CPLANE_TYPE_DOUBLE)
      return 0;
    str = text = c->api->object_json(c->obj, p);
  }
  if (str != NULL && cplane_quota_parse(str, &milli, &format) == CPLANE_OK)
    cplane_quota_add(c->out, key, milli, format);
  c->api->free(text);
  return 0;
}

/* Adds the ResourceList at path of obj (e.g. a container's
 * "resources.requests") to out; values that are not quantities are
 * skipped (validation refuses them on write). */
static inline void cplane_quota_resource_list(const struct cplane_host_api *api,
                                              const cplane_object *obj,
                                              const char *path,
                                              struct cplane_quota_list *out) {
  struct cplane_quota__collect c = {api, obj, path, out};

  if (api->object_type(obj, path) == CPLANE_TYPE_OBJECT)
    api->object_foreach(obj, path, cplane_quota__collect_one, &c);
}

/* What a pod asks for (which "requests" or "limits"), as kube's
 * resourcehelper.PodRequests/PodLimits: the sum over its containers,
 * raised to any one init container's, plus spec.overhead (for limits
 * only where a limit exists). */
static inline void cplane_quota_pod_resources(const struct cplane_host_api *api,
                                              const cplane_object *pod,
                                              const char *which,
                                              struct cplane_quota_list *out) {
  static const char *const lists[] = {"spec.containers", "spec.initContainers"};
  char p[CPLANE_PATH_MAX], field[32];
  struct cplane_quota_list one, overhead;
  int i, n, k;
  size_t j;

  cplane_quota_clear(out);
  snprintf(field, sizeof field, "resources.%s", which);
  for (k = 0; k < 2; k++) {
    n = api->object_len(pod, lists[k]);
    for (i = 0; i < n && i < CPLANE_QUOTA_MAX_CONTAINERS; i++) {
      if (cplane_element_path(p, sizeof p, lists[k], i, field) != 0)
        continue;
      if (k == 0) {
        cplane_quota_resource_list(api, pod, p, out);
        continue;
      }
      cplane_quota_clear(&one);
      cplane_quota_resource_list(api, pod, p, &one);
      cplane_quota_max(out, &one);
    }
  }
  cplane_quota_clear(&overhead);
  cplane_quota_resource_list(api, pod, "spec.overhead", &overhead);
  for (j = 0; j < overhead.n; j++)
    if (strcmp(which, "requests") == 0 ||
        cplane_quota_find(out, overhead.items[j].name) != NULL)
      cplane_quota_add(out, overhead.items[j].name, overhead.items[j].milli,
                       overhead.items[j].format);
}

/* kube's helper.IsExtendedResourceName: a name with a domain that is
 * not kubernetes.io's, not already "requests."-prefixed. */
static inline int cplane_quota__extended(const char *name) {
  const char *slash = strchr(name, '/');

  if (slash == NULL || strncmp(name, "requests.", 9) == 0)
    return 0;
  if (strstr(name, "kubernetes.io/") != NULL &&
      (size_t)(strstr(name, "kubernetes.io/") - name) + 13 ==
          (size_t)(slash - name))
    return 0;
  return 1;
}

/* Copies requests/limits entry `from` of src to name `to` of out. */
static inline void cplane_quota__copy(struct cplane_quota_list *out,
                                      struct cplane_quota_list *src,
                                      const char *from, const char *to) {
  struct cplane_quota_item *it = cplane_quota_find(src, from);

  if (it != NULL)
    cplane_quota_add(out, to, it->milli, it->format);
}

/* kube's QuotaV1Pod: a pod that finished, or whose deletion grace period
 * is over, no longer uses compute resources. */
static inline int cplane_quota_pod_counts(const struct cplane_host_api *api,
                                          const cplane_object *pod,
                                          int64_t now_ms) {
  int64_t del_ms, grace;

  if (cplane_pod_is_terminal(api, pod))
    return 0;
  if (cplane_time_parse(api->object_deletion_timestamp(pod), &del_ms) ==
          CPLANE_OK &&
      api->object_int(pod, "metadata.deletionGracePeriodSeconds", &grace) ==
          CPLANE_OK &&
      now_ms > del_ms + grace * 1000)
    return 0;
  return 1;
}

/* A pod's usage (kube's PodUsageFunc): count/pods always; while the pod
 * counts, pods, cpu/memory/ephemeral-storage = requests.*, limits.*,
 * hugepages and requests.<extended>. */
static inline void cplane_quota_pod_usage(const struct cplane_host_api *api,
                                          const cplane_object *pod,
                                          int64_t now_ms,
                                          struct cplane_quota_list *out) {
  static const char *const native[] = {"cpu", "memory", "ephemeral-storage"};
  struct cplane_quota_list req, lim;
  char name[CPLANE_QUOTA_NAME_LEN];
  size_t i;

  cplane_quota_clear(out);
  cplane_quota_add(out, "count/pods", 1000, CPLANE_QUANTITY_DECIMAL_SI);
  if (!cplane_quota_pod_counts(api, pod, now_ms))
    return;
  cplane_quota_pod_resources(api, pod, "requests", &req);
  cplane_quota_pod_resources(api, pod, "limits", &lim);
  cplane_quota_add(out, "pods", 1000, CPLANE_QUANTITY_DECIMAL_SI);
  for (i = 0; i < 3; i++) {
    snprintf(name, sizeof name, "requests.%s", native[i]);
    cplane_quota__copy(out, &req, native[i], native[i]);
    cplane_quota__copy(out, &req, native[i], name);
    snprintf(name, sizeof name, "limits.%s", native[i]);
    cplane_quota__copy(out, &lim, native[i], name);
  }
  for (i = 0; i < req.n; i++) {
    const char *r = req.items[i].name;

    if (strncmp(r, "hugepages-", 10) == 0)
      cplane_quota__copy(out, &req, r, r);
    if (strncmp(r, "hugepages-", 10) == 0 || cplane_quota__extended(r)) {
      snprintf(name, sizeof name, "requests.%s", r);
      cplane_quota__copy(out, &req, r, name);
    }
  }
  out->overflow |= req.overflow | lim.overflow;
}

/* A Service's usage: services, count/services; a NodePort one its ports
 * as services.nodeports; a LoadBalancer one services.loadbalancers and
 * its ports (or, with allocateLoadBalancerNodePorts false, those with
 * an explicit nodePort). */
static inline void cplane_quota_service_usage(const struct cplane_host_api *api,
                                              const cplane_object *svc,
                                              struct cplane_quota_list *out) {
  const char *type = api->object_string(svc, "spec.type");
  int ports = api->object_len(svc, "spec.ports"), alloc = 1, i, with = 0;
  char p[CPLANE_PATH_MAX];

  cplane_quota_clear(out);
  cplane_quota_add(out, "services", 1000, CPLANE_QUANTITY_DECIMAL_SI);
  cplane_quota_add(out, "count/services", 1000, CPLANE_QUANTITY_DECIMAL_SI);
  if (ports < 0)
    ports = 0;
  if (type != NULL && strcmp(type, "NodePort") == 0)
    cplane_quota_add(out, "services.nodeports", (int64_t)ports * 1000,
                     CPLANE_QUANTITY_DECIMAL_SI);
  if (type == NULL || strcmp(type, "LoadBalancer") != 0)
    return;
  api->object_bool(svc, "spec.allocateLoadBalancerNodePorts", &alloc);
  for (i = 0; !alloc && i < ports && i < 1024; i++) {
    int64_t np = 0;

    if (cplane_element_path(p, sizeof p, "spec.ports", i, "nodePort") == 0 &&
        api->object_int(svc, p, &np) == CPLANE_OK && np != 0)
      with++;
  }
  cplane_quota_add(out, "services.nodeports",
                   (int64_t)(alloc ? ports : with) * 1000,
                   CPLANE_QUANTITY_DECIMAL_SI);
  cplane_quota_add(out, "services.loadbalancers", 1000,
                   CPLANE_QUANTITY_DECIMAL_SI);
}

/* A PersistentVolumeClaim's usage: persistentvolumeclaims,
 * count/persistentvolumeclaims, requests.storage (the larger of the
 * request and status.allocatedResources), and both per storage class as
 * <class>.storageclass.storage.k8s.io/... */
static inline void cplane_quota_pvc_usage(const struct cplane_host_api *api,
                                          const cplane_object *pvc,
                                          struct cplane_quota_list *out) {
  const char *cls = api->object_string(pvc, "spec.storageClassName");
  struct cplane_quota_list req, alloc;
  struct cplane_quota_item *st;
  char name[CPLANE_QUOTA_NAME_LEN];

  cplane_quota_clear(out);
  if (cls == NULL)
    cls = api->object_annotation(pvc, "volume.beta.kubernetes.io/"
                                      "storage-class");
  cplane_quota_add(out, "persistentvolumeclaims", 1000,
                   CPLANE_QUANTITY_DECIMAL_SI);
  cplane_quota_add(out, "count/persistentvolumeclaims", 1000,
                   CPLANE_QUANTITY_DECIMAL_SI);
  cplane_quota_clear(&req);
  cplane_quota_clear(&alloc);
  cplane_quota_resource_list(api, pvc, "spec.resources.requests", &req);
  cplane_quota_resource_list(api, pvc, "status.allocatedResources", &alloc);
  cplane_quota_max(&req, &alloc);
  st = cplane_quota_find(&req, "storage");
  if (st != NULL)
    cplane_quota_add(out, "requests.storage", st->milli, st->format);
  if (cls == NULL || cls[0] == '\0')
    return;
  snprintf(name, sizeof name,
           "%s.storageclass.storage.k8s.io/persistentvolumeclaims", cls);
  cplane_quota_add(out, name, 1000, CPLANE_QUANTITY_DECIMAL_SI);
  if (st == NULL)
    return;
  snprintf(name, sizeof name, "%s.storageclass.storage.k8s.io/requests.storage",
           cls);
  cplane_quota_add(out, name, st->milli, st->format);
}

/* What one object of group/resource costs: the kind's evaluator for
 * pods, services and claims; else its object count, count/<resource>
 * for core kinds (with the legacy bare name for configmaps, secrets,
 * replicationcontrollers and resourcequotas), count/<resource>.<group>
 * for others. */
static inline void cplane_quota_usage(const struct cplane_host_api *api,
                                      const char *group, const char *resource,
                                      const cplane_object *obj, int64_t now_ms,
                                      struct cplane_quota_list *out) {
  static const char *const legacy[] = {"configmaps", "secrets",
                                       "replicationcontrollers",
                                       "resourcequotas"};
  char name[CPLANE_QUOTA_NAME_LEN];
  size_t i;

  cplane_quota_clear(out);
  if (group == NULL || group[0] == '\0') {
    if (strcmp(resource, "pods") == 0) {
      cplane_quota_pod_usage(api, obj, now_ms, out);
      return;
    }
    if (strcmp(resource, "services") == 0) {
      cplane_quota_service_usage(api, obj, out);
      return;
    }
    if (strcmp(resource, "persistentvolumeclaims") == 0) {
      cplane_quota_pvc_usage(api, obj, out);
      return;
    }
    for (i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
      if (strcmp(resource, legacy[i]) == 0)
        cplane_quota_add(out, resource, 1000, CPLANE_QUANTITY_DECIMAL_SI);
    snprintf(name, sizeof name, "count/%s", resource);
  } else {
    snprintf(name, sizeof name, "count/%s.%s", resource, group);
  }
  cplane_quota_add(out, name, 1000, CPLANE_QUANTITY_DECIMAL_SI);
}

/* kube's MatchingResources: whether quota resource `name` is one the
 * evaluator of group/resource counts (whatever one object uses of it). */
static inline int cplane_quota_tracks(const char *group, const char *resource,
                                      const char *name) {
  static const char *const pod[] = {"pods", "count/pods", "cpu", "memory",
                                    "ephemeral-storage"};
  static const char *const svc[] = {"services", "count/services",
                                    "services.loadbalancers",
                                    "services.nodeports"};
  static const char *const pvc[] = {"persistentvolumeclaims",
                                    "count/persistentvolumeclaims",
                                    "requests.storage"};
  char count[CPLANE_QUOTA_NAME_LEN];
  int core = group == NULL || group[0] == '\0';
  size_t i;

  if (core && strcmp(resource, "pods") == 0) {
    for (i = 0; i < sizeof pod / sizeof pod[0]; i++)
      if (strcmp(name, pod[i]) == 0)
        return 1;
    if (strncmp(name, "requests.", 9) == 0)
      name += 9;
    else if (strncmp(name, "limits.", 7) == 0)
      return strcmp(name + 7, "cpu") == 0 || strcmp(name + 7, "memory") == 0 ||
             strcmp(name + 7, "ephemeral-storage") == 0;
    else
      return strncmp(name, "hugepages-", 10) == 0;
    return strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0 ||
           strcmp(name, "ephemeral-storage") == 0 ||
           strncmp(name, "hugepages-", 10) == 0 || cplane_quota__extended(name);
  }
  if (core && strcmp(resource, "services") == 0) {
    for (i = 0; i < sizeof svc / sizeof svc[0]; i++)
      if (strcmp(name, svc[i]) == 0)
        return 1;
    return 0;
  }
  if (core && strcmp(resource, "persistentvolumeclaims") == 0) {
    for (i = 0; i < sizeof pvc / sizeof pvc[0]; i++)
      if (strcmp(name, pvc[i]) == 0)
        return 1;
    return strstr(name, ".storageclass.storage.k8s.io/") != NULL;
  }
  if (core)
    snprintf(count, sizeof count, "count/%s", resource);
  else
    snprintf(count, sizeof count, "count/%s.%s", resource, group);
  return strcmp(name, count) == 0 || (core && strcmp(name, resource) == 0);
}

/* kube's BestEffort QoS: no container asks for or limits cpu or memory. */
static inline int cplane_quota_pod_best_effort(const struct cplane_host_api *api,
                                               const cplane_object *pod) {
  struct cplane_quota_list req, lim;

  cplane_quota_pod_resources(api, pod, "requests", &req);
  cplane_quota_pod_resources(api, pod, "limits", &lim);
  return cplane_quota_find(&req, "cpu") == NULL &&
         cplane_quota_find(&req, "memory") == NULL &&
         cplane_quota_find(&lim, "cpu") == NULL &&
         cplane_quota_find(&lim, "memory") == NULL;
}

/* Whether one scope selector requirement (scopeName, operator, values
 * at vpath of quota) selects pod (NULL: the object is no pod, which no
 * scope selects, as kube's non-pod evaluators answer). */
static inline int cplane_quota__scope(const struct cplane_host_api *api,
                                      const cplane_object *quota,
                                      const char *vpath, const char *scope,
                                      const char *op,
                                      const cplane_object *pod) {
  int64_t ads;
  int match, exists = op == NULL || strcmp(op, "Exists") == 0;
  const char *pc;

  if (pod == NULL || scope == NULL)
    return 0;
  if (strcmp(scope, "Terminating") == 0 || strcmp(scope, "NotTerminating") == 0) {
    match = api->object_int(pod, "spec.activeDeadlineSeconds", &ads) ==
                CPLANE_OK &&
            ads >= 0;
    return scope[0] == 'T' ? match : !match;
  }
  if (strcmp(scope, "BestEffort") == 0 || strcmp(scope, "NotBestEffort") == 0) {
    match = cplane_quota_pod_best_effort(api, pod);
    return scope[0] == 'B' ? match : !match;
  }
  if (strcmp(scope, "PriorityClass") == 0) {
    pc = api->object_string(pod, "spec.priorityClassName");
    if (pc == NULL)
      pc = "";
    if (exists)
      return pc[0] != '\0';
    if (strcmp(op, "DoesNotExist") == 0)
      return pc[0] == '\0';
    match = vpath != NULL && cplane_string_array_contains(api, quota, vpath, pc);
    return strcmp(op, "In") == 0 ? match : !match;
  }
  if (strcmp(scope, "CrossNamespacePodAffinity") == 0)
    return !exists; /* cplane pods carry no cross-namespace terms it reads */
  return 0;
}

/* 1 when the quota's scopes (spec.scopes and
 * spec.scopeSelector.matchExpressions, all of them) select obj; pod is
 * obj when it is a pod, else NULL. A quota without scopes selects
 * everything in its namespace. */
static inline int cplane_quota_matches(const struct cplane_host_api *api,
                                       const cplane_object *quota,
                                       const cplane_object *pod) {
  const char *me = "spec.scopeSelector.matchExpressions";
  char p[CPLANE_PATH_MAX], v[CPLANE_PATH_MAX];
  int n, i;

  n = api->object_len(quota, "spec.scopes");
  for (i = 0; i < n && i < 64; i++)
    if (!cplane_quota__scope(api, quota, NULL,
                             cplane_array_string(api, quota, "spec.scopes", i,
                                                 NULL),
                             "Exists", pod))
      return 0;
  n = api->object_len(quota, me);
  for (i = 0; i < n && i < 64; i++) {
    if (cplane_element_path(p, sizeof p, me, i, "operator") != 0 ||
        cplane_element_path(v, sizeof v, me, i, "values") != 0)
      return 0;
    if (!cplane_quota__scope(api, quota, v,
                             cplane_array_string(api, quota, me, i,
                                                 "scopeName"),
                             api->object_string(quota, p), pod))
      return 0;
  }
  return 1;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_QUOTA_H */
