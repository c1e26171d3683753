/*
 * resources - see resources.h.
 */
#include "apiserver/resources.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/schema.h"

static const struct cp_resource_type builtins[] = {
    {"", "v1", "namespaces", "namespace", "Namespace", "NamespaceList", 0,
     {"ns"}, CP_SUB_STATUS | CP_SUB_FINALIZE, 1},
    {"", "v1", "nodes", "node", "Node", "NodeList", 0, {"no"}, CP_SUB_STATUS,
     1},
    {"", "v1", "pods", "pod", "Pod", "PodList", 1, {"po"},
     CP_SUB_STATUS | CP_SUB_BINDING | CP_SUB_EVICTION, 1},
    {"", "v1", "configmaps", "configmap", "ConfigMap", "ConfigMapList", 1,
     {"cm"}, 0, 1},
    {"", "v1", "secrets", "secret", "Secret", "SecretList", 1, {NULL}, 0, 1},
    {"", "v1", "events", "event", "Event", "EventList", 1, {"ev"}, 0, 1},
    {"apps", "v1", "deployments", "deployment", "Deployment",
     "DeploymentList", 1, {"deploy"}, CP_SUB_STATUS | CP_SUB_SCALE, 1},
    {"apps", "v1", "replicasets", "replicaset", "ReplicaSet",
     "ReplicaSetList", 1, {"rs"}, CP_SUB_STATUS | CP_SUB_SCALE, 1},
    {"coordination.k8s.io", "v1", "leases", "lease", "Lease", "LeaseList", 1,
     {NULL}, 0, 1},
    {"apiextensions.k8s.io", "v1", "customresourcedefinitions",
     "customresourcedefinition", "CustomResourceDefinition",
     "CustomResourceDefinitionList", 0, {"crd", "crds"}, CP_SUB_STATUS, 1},
    /* Workload and policy kinds (strategy/<resource>.c). */
    {"apps", "v1", "daemonsets", "daemonset", "DaemonSet", "DaemonSetList", 1,
     {"ds"}, CP_SUB_STATUS, 1},
    {"apps", "v1", "statefulsets", "statefulset", "StatefulSet",
     "StatefulSetList", 1, {"sts"}, CP_SUB_STATUS | CP_SUB_SCALE, 1},
    {"apps", "v1", "controllerrevisions", "controllerrevision",
     "ControllerRevision", "ControllerRevisionList", 1, {NULL}, 0, 1},
    {"batch", "v1", "jobs", "job", "Job", "JobList", 1, {NULL},
     CP_SUB_STATUS, 1},
    {"batch", "v1", "cronjobs", "cronjob", "CronJob", "CronJobList", 1,
     {"cj"}, CP_SUB_STATUS, 1},
    {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget",
     "PodDisruptionBudget", "PodDisruptionBudgetList", 1, {"pdb"},
     CP_SUB_STATUS, 1},
    /* Both versions over the same stored objects (one key prefix:
     * horizontalpodautoscalers/), converted by the strategy. */
    {"autoscaling", "v2", "horizontalpodautoscalers",
     "horizontalpodautoscaler", "HorizontalPodAutoscaler",
     "HorizontalPodAutoscalerList", 1, {"hpa"}, CP_SUB_STATUS, 1},
    {"autoscaling", "v1", "horizontalpodautoscalers",
     "horizontalpodautoscaler", "HorizontalPodAutoscaler",
     "HorizontalPodAutoscalerList", 1, {"hpa"}, CP_SUB_STATUS, 1},
    {"scheduling.k8s.io", "v1", "priorityclasses", "priorityclass",
     "PriorityClass", "PriorityClassList", 0, {"pc"}, 0, 1},
    {"node.k8s.io", "v1", "runtimeclasses", "runtimeclass", "RuntimeClass",
     "RuntimeClassList", 0, {NULL}, 0, 1},
    /* networking.k8s.io, rbac, storage, admission, aggregation and
     * certificates: the platform kinds (strategy/<resource>.c). */
    {"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress",
     "IngressList", 1, {"ing"}, CP_SUB_STATUS, 1},
    {"networking.k8s.io", "v1", "ingressclasses", "ingressclass",
     "IngressClass", "IngressClassList", 0, {NULL}, 0, 1},
    {"networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
     "NetworkPolicy", "NetworkPolicyList", 1, {"netpol"}, 0, 1},
    {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", "RoleList",
     1, {NULL}, 0, 1},
    {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole",
     "ClusterRole", "ClusterRoleList", 0, {NULL}, 0, 1},
    {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding",
     "RoleBinding", "RoleBindingList", 1, {NULL}, 0, 1},
    {"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
     "clusterrolebinding", "ClusterRoleBinding", "ClusterRoleBindingList", 0,
     {NULL}, 0, 1},
    {"storage.k8s.io", "v1", "storageclasses", "storageclass",
     "StorageClass", "StorageClassList", 0, {"sc"}, 0, 1},
    {"storage.k8s.io", "v1", "csidrivers", "csidriver", "CSIDriver",
     "CSIDriverList", 0, {NULL}, 0, 1},
    {"storage.k8s.io", "v1", "csinodes", "csinode", "CSINode",
     "CSINodeList", 0, {NULL}, 0, 1},
    {"storage.k8s.io", "v1", "volumeattachments", "volumeattachment",
     "VolumeAttachment", "VolumeAttachmentList", 0, {NULL}, CP_SUB_STATUS,
     1},
    {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
     "validatingwebhookconfiguration", "ValidatingWebhookConfiguration",
     "ValidatingWebhookConfigurationList", 0, {NULL}, 0, 1},
    {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
     "mutatingwebhookconfiguration", "MutatingWebhookConfiguration",
     "MutatingWebhookConfigurationList", 0, {NULL}, 0, 1},
    /* In-process CEL admission (vap/). */
    {"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies",
     "validatingadmissionpolicy", "ValidatingAdmissionPolicy",
     "ValidatingAdmissionPolicyList", 0, {NULL}, CP_SUB_STATUS, 1},
    {"admissionregistration.k8s.io", "v1",
     "validatingadmissionpolicybindings", "validatingadmissionpolicybinding",
     "ValidatingAdmissionPolicyBinding",
     "ValidatingAdmissionPolicyBindingList", 0, {NULL}, 0, 1},
    {"apiregistration.k8s.io", "v1", "apiservices", "apiservice",
     "APIService", "APIServiceList", 0, {NULL}, CP_SUB_STATUS, 1},
    {"certificates.k8s.io", "v1", "certificatesigningrequests",
     "certificatesigningrequest", "CertificateSigningRequest",
     "CertificateSigningRequestList", 0, {"csr"},
     CP_SUB_STATUS | CP_SUB_APPROVAL, 1},
    /* issue #13, core kinds (kcore) */
    {"", "v1", "services", "service", "Service", "ServiceList", 1, {"svc"},
     CP_SUB_STATUS, 1},
    {"", "v1", "endpoints", "endpoints", "Endpoints", "EndpointsList", 1,
     {"ep"}, 0, 1},
    {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount",
     "ServiceAccountList", 1, {"sa"}, CP_SUB_TOKEN, 1},
    {"", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume",
     "PersistentVolumeList", 0, {"pv"}, CP_SUB_STATUS, 1},
    {"", "v1", "persistentvolumeclaims", "persistentvolumeclaim",
     "PersistentVolumeClaim", "PersistentVolumeClaimList", 1, {"pvc"},
     CP_SUB_STATUS, 1},
    {"", "v1", "resourcequotas", "resourcequota", "ResourceQuota",
     "ResourceQuotaList", 1, {"quota"}, CP_SUB_STATUS, 1},
    {"", "v1", "limitranges", "limitrange", "LimitRange", "LimitRangeList",
     1, {"limits"}, 0, 1},
    {"", "v1", "podtemplates", "podtemplate", "PodTemplate",
     "PodTemplateList", 1, {NULL}, 0, 1},
    {"", "v1", "replicationcontrollers", "replicationcontroller",
     "ReplicationController", "ReplicationControllerList", 1, {"rc"},
     CP_SUB_STATUS | CP_SUB_SCALE, 1},
    {"discovery.k8s.io", "v1", "endpointslices", "endpointslice",
     "EndpointSlice", "EndpointSliceList", 1, {NULL}, 0, 1},
    /* The same objects as core/v1 events, under the same keys (built-in
     * keys carry no group); its strategy converts (event_convert.h). */
    {"events.k8s.io", "v1", "events", "event", "Event", "EventList", 1,
     {"ev"}, 0, 1},
    /* Usage computed from pods and the model their node declares
     * (metrics_usage.h, verbs_metrics.c), served read-only as
     * metrics-server serves it; never stored. */
    {"metrics.k8s.io", "v1beta1", "nodes", "nodemetrics", "NodeMetrics",
     "NodeMetricsList", 0, {NULL}, 0, 1},
    {"metrics.k8s.io", "v1beta1", "pods", "podmetrics", "PodMetrics",
     "PodMetricsList", 1, {NULL}, 0, 1},
    /* Token and self reviews: created and answered, never stored; the
     * POST is served by authn/reviews.c before the registry is asked. */
    {"authentication.k8s.io", "v1", "selfsubjectreviews",
     "selfsubjectreview", "SelfSubjectReview", "", 0, {NULL}, 0, 1},
    {"authentication.k8s.io", "v1", "tokenreviews", "tokenreview",
     "TokenReview", "", 0, {NULL}, 0, 1},
    /* Access reviews: created and answered, never stored
     * (rbac/reviews.c). */
    {"authorization.k8s.io", "v1", "subjectaccessreviews",
     "subjectaccessreview", "SubjectAccessReview", "", 0, {NULL}, 0, 1},
    {"authorization.k8s.io", "v1", "selfsubjectaccessreviews",
     "selfsubjectaccessreview", "SelfSubjectAccessReview", "", 0, {NULL}, 0, 1},
    {"authorization.k8s.io", "v1", "localsubjectaccessreviews",
     "localsubjectaccessreview", "LocalSubjectAccessReview", "", 1, {NULL},
     0, 1},
    {"authorization.k8s.io", "v1", "selfsubjectrulesreviews",
     "selfsubjectrulesreview", "SelfSubjectRulesReview", "", 0, {NULL}, 0, 1},
};

/* A custom type's schema: doc is read without the lock by request
 * threads (atomically), src only under the registry's lock. */
struct cp_schema_slot {
  struct cp_schema_doc *doc;
  char *src;
};

/* A type added at run time owns copies of its strings. */
#define OWNED_STRINGS 14

struct owned_type {
  struct cp_resource_type t;
  struct cp_resource_custom custom;
  char *strings[OWNED_STRINGS];
  struct cp_schema_slot slot;
  int removed; /* its CRD was deleted: not served; under the lock */
  int64_t removed_rev; /* the CRD revision of the newest delete; lock */
  /* Its CRD is being deleted: read without the lock by request threads
   * (atomically), written under it. */
  int terminating;
  int64_t terminating_rev; /* the CRD revision it was set from; lock */
};

struct cp_resources {
  pthread_mutex_t mu;
  uint64_t generation; /* bumped by every change of what is served */
  const struct cp_resource_type **types;
  struct owned_type **owned;
  size_t n, cap, n_owned;
  struct cp_schema_doc **retired; /* replaced schemas, freed last */
  size_t n_retired;
};

static int push(struct cp_resources *r, const struct cp_resource_type *t) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 32;
    const struct cp_resource_type **ts =
        realloc(r->types, cap * sizeof *ts);

    if (ts == NULL)
      return -1;
    r->types = ts;
    r->cap = cap;
  }
  r->types[r->n++] = t;
  return 0;
}

struct cp_resources *cp_resources_new(void) {
  struct cp_resources *r = calloc(1, sizeof *r);
  size_t i;

  if (r == NULL)
    return NULL;
  pthread_mutex_init(&r->mu, NULL);
  for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (push(r, &builtins[i]) < 0) {
      cp_resources_free(r);
      return NULL;
    }
  return r;
}

void cp_resources_free(struct cp_resources *r) {
  size_t i, j;

  if (r == NULL)
    return;
  for (i = 0; i < r->n_owned; i++) {
    for (j = 0; j < OWNED_STRINGS; j++)
      free(r->owned[i]->strings[j]);
    cp_schema_doc_free(r->owned[i]->slot.doc);
    free(r->owned[i]->slot.src);
    free(r->owned[i]);
  }
  for (i = 0; i < r->n_retired; i++)
    cp_schema_doc_free(r->retired[i]);
  free(r->retired);
  free(r->owned);
  free(r->types);
  pthread_mutex_destroy(&r->mu);
  free(r);
}

/* The owned_type behind a type added at run time; NULL for a built-in. */
static struct owned_type *owned_of(const struct cp_resource_type *t) {
  const struct cp_resource_type *end =
      builtins + sizeof builtins / sizeof builtins[0];

  if (t >= builtins && t < end)
    return NULL;
  return (struct owned_type *)(void *)t;
}

static int removed_locked(const struct cp_resource_type *t) {
  struct owned_type *o = owned_of(t);

  return o != NULL && o->removed;
}

/* The type serving group/version/resource; a removed one only when
 * with_removed. Newest first: a definition that changed a type's shape
 * retired the old one (removed) and added another. */
static const struct cp_resource_type *
lookup_locked(struct cp_resources *r, const char *group, const char *version,
              const char *resource, int with_removed) {
  size_t i;

  for (i = r->n; i-- > 0;) {
    const struct cp_resource_type *t = r->types[i];

    if (strcmp(t->resource, resource) == 0 &&
        strcmp(t->group, group) == 0 && strcmp(t->version, version) == 0 &&
        (with_removed || !removed_locked(t)))
      return t;
  }
  return NULL;
}

static const struct cp_resource_type *
any_locked(struct cp_resources *r, const char *group, const char *version,
           const char *resource) {
  return lookup_locked(r, group, version, resource, 1);
}

static const struct cp_resource_type *
find_locked(struct cp_resources *r, const char *group, const char *version,
            const char *resource) {
  return lookup_locked(r, group, version, resource, 0);
}

const struct cp_resource_type *cp_resources_find(struct cp_resources *r,
                                                 const char *group,
                                                 const char *version,
                                                 const char *resource) {
  const struct cp_resource_type *t;

  pthread_mutex_lock(&r->mu);
  t = find_locked(r, group, version, resource);
  pthread_mutex_unlock(&r->mu);
  return t;
}

/* Copies s into the type's string slot i; NULL stays NULL. */
static const char *own(struct owned_type *o, int i, const char *s) {
  if (s == NULL)
    return NULL;
  o->strings[i] = strdup(s);
  return o->strings[i];
}

static int same_str(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const struct cp_resource_custom no_custom;

/* 1 when t (with c) would serve just as a (with ac) does. */
static int same_shape(const struct cp_resource_type *a,
                      const struct cp_resource_custom *ac,
                      const struct cp_resource_type *t,
                      const struct cp_resource_custom *c) {
  int i;

  if (!same_str(ac->storage_version, c->storage_version) ||
      !same_str(ac->scale_spec_path, c->scale_spec_path) ||
      !same_str(ac->scale_status_path, c->scale_status_path) ||
      !same_str(ac->scale_selector_path, c->scale_selector_path))
    return 0;
  if (a->namespaced != t->namespaced || a->subresources != t->subresources ||
      !same_str(a->kind, t->kind) || !same_str(a->list_kind, t->list_kind) ||
      !same_str(a->singular, t->singular))
    return 0;
  for (i = 0; i < 3; i++)
    if (!same_str(a->short_names[i], t->short_names[i]))
      return 0;
  return 1;
}

enum { REVIVED, KNOWN, ADD_NEW, FENCED };

/* What adding t finds, lock held: the same type removed (its CRD
 * re-created: served again, REVIVED), or served already (KNOWN), or none
 * (ADD_NEW). Readers hold type pointers without the lock, so a type is
 * never changed in place: one whose definition changed its shape (scope
 * across a delete and re-create, subresources or names in an update) is
 * retired, removed but still valid for them, and ADD_NEW adds its
 * successor. A removed type's definition at or before the revision of
 * its delete is stale (FENCED): it revives nothing, adds nothing. */
static int revive_locked(struct cp_resources *r,
                         const struct cp_resource_type *t,
                         const struct cp_resource_custom *c) {
  const struct cp_resource_type *old =
      any_locked(r, t->group, t->version, t->resource);
  struct owned_type *o = old != NULL ? owned_of(old) : NULL;

  if (o == NULL)
    return ADD_NEW;
  if (o->removed && c->crd_rev > 0 && c->crd_rev <= o->removed_rev)
    return FENCED;
  if (!same_shape(&o->t, &o->custom, t, c)) {
    o->removed = 1;
    return ADD_NEW;
  }
  if (!o->removed)
    return KNOWN;
  /* Defined again: a definition re-created after its deletion. One still
   * terminating (a late watch event) sets the flag again at once. */
  __atomic_store_n(&o->terminating, 0, __ATOMIC_RELEASE);
  o->removed = 0;
  return REVIVED;
}

int cp_resources_remove(struct cp_resources *r, const char *group,
                        const char *version, const char *resource) {
  return cp_resources_remove_at(r, group, version, resource, 0);
}

int cp_resources_remove_at(struct cp_resources *r, const char *group,
                           const char *version, const char *resource,
                           int64_t rev) {
  const struct cp_resource_type *t;
  struct owned_type *o;
  int rc = -1;

  pthread_mutex_lock(&r->mu);
  t = find_locked(r, group, version, resource);
  if (t != NULL && (o = owned_of(t)) != NULL) {
    o->removed = 1;
    if (rev > o->removed_rev)
      o->removed_rev = rev;
    r->generation++;
    rc = 0;
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

int cp_resources_add(struct cp_resources *r,
                     const struct cp_resource_type *t) {
  return cp_resources_add_custom(r, t, NULL);
}

const struct cp_resource_custom *
cp_resources_custom(const struct cp_resource_type *t) {
  struct owned_type *o = owned_of(t);

  return o != NULL ? &o->custom : NULL;
}

/* Copies c's strings into o (slots 10..13); 0, or -1 out of memory. */
static int own_custom(struct owned_type *o,
                      const struct cp_resource_custom *c) {
  o->custom.storage_version = own(o, 10, c->storage_version);
  o->custom.scale_spec_path = own(o, 11, c->scale_spec_path);
  o->custom.scale_status_path = own(o, 12, c->scale_status_path);
  o->custom.scale_selector_path = own(o, 13, c->scale_selector_path);
  return (c->storage_version && !o->custom.storage_version) ||
                 (c->scale_spec_path && !o->custom.scale_spec_path) ||
                 (c->scale_status_path && !o->custom.scale_status_path) ||
                 (c->scale_selector_path && !o->custom.scale_selector_path)
             ? -1
             : 0;
}

int cp_resources_add_custom(struct cp_resources *r,
                            const struct cp_resource_type *t,
                            const struct cp_resource_custom *c) {
  struct owned_type *o, **owned;
  int i, rc = -1;

  if (c == NULL)
    c = &no_custom;
  pthread_mutex_lock(&r->mu);
  rc = revive_locked(r, t, c);
  if (rc == REVIVED)
    r->generation++;
  pthread_mutex_unlock(&r->mu);
  if (rc != ADD_NEW)
    return rc == REVIVED ? 0 : -1;
  rc = -1;
  if ((o = calloc(1, sizeof *o)) == NULL)
    return -1;
  o->t = *t;
  o->t.group = own(o, 0, t->group);
  o->t.version = own(o, 1, t->version);
  o->t.resource = own(o, 2, t->resource);
  o->t.singular = own(o, 3, t->singular);
  o->t.kind = own(o, 4, t->kind);
  o->t.list_kind = own(o, 5, t->list_kind);
  for (i = 0; i < 3 && t->short_names[i] != NULL; i++)
    o->t.short_names[i] = own(o, 6 + i, t->short_names[i]);
  o->t.short_names[i] = NULL;
  if (own_custom(o, c) < 0)
    goto fail;
  pthread_mutex_lock(&r->mu);
  if (o->t.group == NULL || o->t.version == NULL || o->t.resource == NULL ||
      o->t.kind == NULL || o->t.list_kind == NULL || o->t.singular == NULL ||
      find_locked(r, t->group, t->version, t->resource) != NULL)
    goto out; /* added meanwhile by another thread */
  owned = realloc(r->owned, (r->n_owned + 1) * sizeof *owned);
  if (owned == NULL)
    goto out;
  r->owned = owned;
  if (push(r, &o->t) < 0)
    goto out;
  r->owned[r->n_owned++] = o;
  r->generation++;
  o = NULL;
  rc = 0;
out:
  pthread_mutex_unlock(&r->mu);
fail:
  if (o != NULL) {
    for (i = 0; i < OWNED_STRINGS; i++)
      free(o->strings[i]);
    free(o);
  }
  return rc;
}

size_t cp_resources_list(struct cp_resources *r,
                         const struct cp_resource_type **out, size_t max) {
  size_t i, n = 0;

  pthread_mutex_lock(&r->mu);
  for (i = 0; i < r->n; i++) {
    if (removed_locked(r->types[i]))
      continue;
    if (n < max)
      out[n] = r->types[i];
    n++;
  }
  pthread_mutex_unlock(&r->mu);
  return n;
}

int cp_resources_terminating(struct cp_resources *r,
                             const struct cp_resource_type *t) {
  struct owned_type *o = owned_of(t);

  (void)r;
  return o != NULL && __atomic_load_n(&o->terminating, __ATOMIC_ACQUIRE);
}

void cp_resources_set_terminating(struct cp_resources *r,
                                  const struct cp_resource_type *t,
                                  int terminating, int64_t rev) {
  struct owned_type *o = owned_of(t);

  if (o == NULL)
    return;
  pthread_mutex_lock(&r->mu);
  if (rev <= 0 || rev >= o->terminating_rev) {
    if (rev > 0)
      o->terminating_rev = rev;
    __atomic_store_n(&o->terminating, terminating != 0, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&r->mu);
}

/* The schema slot of a type added at run time; NULL for the static
 * built-ins. Every other type the registry hands out is an owned_type. */
static struct cp_schema_slot *slot_of(const struct cp_resource_type *t) {
  struct owned_type *o = owned_of(t);

  return o != NULL ? &o->slot : NULL;
}

int cp_resources_set_schema(struct cp_resources *r,
                            const struct cp_resource_type *t,
                            struct cp_schema_doc *doc, const char *src) {
  struct cp_schema_slot *slot = slot_of(t);
  struct cp_schema_doc *old, **retired;
  char *copy;
  int rc = -1;

  if (slot == NULL)
    return -1;
  pthread_mutex_lock(&r->mu);
  if (slot->src != NULL && src != NULL && strcmp(slot->src, src) == 0) {
    rc = 0;
    goto out;
  }
  copy = src != NULL ? strdup(src) : NULL;
  retired = realloc(r->retired, (r->n_retired + 1) * sizeof *retired);
  if ((src != NULL && copy == NULL) || retired == NULL) {
    free(copy);
    if (retired != NULL)
      r->retired = retired;
    goto out;
  }
  r->retired = retired;
  old = __atomic_exchange_n(&slot->doc, doc, __ATOMIC_ACQ_REL);
  if (old != NULL)
    r->retired[r->n_retired++] = old;
  free(slot->src);
  slot->src = copy;
  r->generation++;
  rc = 1;
out:
  pthread_mutex_unlock(&r->mu);
  return rc;
}

int cp_resources_schema_is(struct cp_resources *r,
                           const struct cp_resource_type *t,
                           const char *src) {
  struct cp_schema_slot *slot = slot_of(t);
  int same;

  if (slot == NULL)
    return 0;
  pthread_mutex_lock(&r->mu);
  same = slot->src != NULL && src != NULL && strcmp(slot->src, src) == 0;
  pthread_mutex_unlock(&r->mu);
  return same;
}

char *cp_resources_schema_text(struct cp_resources *r,
                               const struct cp_resource_type *t) {
  struct cp_schema_slot *slot = slot_of(t);
  char *copy = NULL;

  if (slot == NULL)
    return NULL;
  pthread_mutex_lock(&r->mu);
  if (slot->src != NULL)
    copy = strdup(slot->src);
  pthread_mutex_unlock(&r->mu);
  return copy;
}

const struct cp_schema *cp_resources_schema(struct cp_resources *r,
                                            const struct cp_resource_type *t) {
  struct cp_schema_slot *slot = slot_of(t);

  (void)r;
  if (slot == NULL)
    return NULL;
  return cp_schema_doc_root(__atomic_load_n(&slot->doc, __ATOMIC_ACQUIRE));
}

const char *cp_resource_group_version(const struct cp_resource_type *t,
                                      char *buf, size_t len) {
  if (t->group[0] == '\0')
    snprintf(buf, len, "%s", t->version);
  else
    snprintf(buf, len, "%s/%s", t->group, t->version);
  return buf;
}

uint64_t cp_resources_generation(struct cp_resources *r) {
  uint64_t g;

  pthread_mutex_lock(&r->mu);
  g = r->generation;
  pthread_mutex_unlock(&r->mu);
  return g;
}

int cp_resource_read_only(const struct cp_resource_type *t) {
  return t->builtin && strcmp(t->group, "metrics.k8s.io") == 0;
}

int cp_resource_create_only(const struct cp_resource_type *t) {
  return t->builtin && (strcmp(t->group, "authorization.k8s.io") == 0 ||
                        strcmp(t->group, "authentication.k8s.io") == 0);
}
