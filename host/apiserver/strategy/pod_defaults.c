/*
 * pod_defaults - see pod_defaults.h. Mirrors pkg/apis/core/v1/defaults.go,
 * pkg/apis/core/helper/qos (ComputePodQOS), the pod strategy's
 * PrepareForCreate and plugin/pkg/admission/defaulttolerationseconds.
 */
#include "apiserver/strategy/pod_defaults.h"

#include <string.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/quantity.h"

#define DEFAULT_MODE 420 /* 0644, kube's volume file mode */
#define TOLERATION_SECONDS 300

static const char *const container_lists[] = {"containers", "initContainers",
                                              "ephemeralContainers"};

static json_object *member_obj(json_object *o, const char *k) {
  return cp_field_typed(o, k, json_type_object);
}

static json_object *member_arr(json_object *o, const char *k) {
  return cp_field_typed(o, k, json_type_array);
}

/* Sets k of o to v (taken) unless o has k already. */
static void set_default(json_object *o, const char *k, json_object *v) {
  if (o == NULL || json_object_object_get_ex(o, k, NULL)) {
    json_object_put(v);
    return;
  }
  json_object_object_add(o, k, v);
}

/* SetDefaults_ObjectFieldSelector. */
static void field_ref(json_object *holder) {
  set_default(member_obj(holder, "fieldRef"), "apiVersion",
              json_object_new_string("v1"));
}

static void downward_items(json_object *dapi) {
  json_object *items = member_arr(dapi, "items");
  size_t i, n = items ? json_object_array_length(items) : 0;

  for (i = 0; i < n; i++)
    field_ref(json_object_array_get_idx(items, i));
}

/* SetDefaults_Probe and SetDefaults_HTTPGetAction. */
static void probe(json_object *p) {
  json_object *http;

  if (p == NULL)
    return;
  set_default(p, "timeoutSeconds", json_object_new_int(1));
  set_default(p, "periodSeconds", json_object_new_int(10));
  set_default(p, "successThreshold", json_object_new_int(1));
  set_default(p, "failureThreshold", json_object_new_int(3));
  if ((http = member_obj(p, "httpGet")) != NULL) {
    set_default(http, "path", json_object_new_string("/"));
    set_default(http, "scheme", json_object_new_string("HTTP"));
  }
}

static void container(json_object *c) {
  json_object *env = member_arr(c, "env");
  size_t i, n = env ? json_object_array_length(env) : 0;

  for (i = 0; i < n; i++)
    field_ref(member_obj(json_object_array_get_idx(env, i), "valueFrom"));
  probe(member_obj(c, "livenessProbe"));
  probe(member_obj(c, "readinessProbe"));
  probe(member_obj(c, "startupProbe"));
}

/* 1 when the volume names a source (kube: some pointer field set). */
static int has_source(json_object *v) {
  json_object_object_foreach(v, k, val) {
    if (strcmp(k, "name") != 0 && val != NULL)
      return 1;
  }
  return 0;
}

static void volume(json_object *v) {
  static const char *const moded[] = {"secret", "configMap", "downwardAPI",
                                      "projected"};
  json_object *proj, *sources;
  size_t i, n;

  if (!json_object_is_type(v, json_type_object))
    return;
  if (!has_source(v)) {
    json_object_object_add(v, "emptyDir", json_object_new_object());
    return;
  }
  for (i = 0; i < sizeof moded / sizeof moded[0]; i++)
    set_default(member_obj(v, moded[i]), "defaultMode",
                json_object_new_int(DEFAULT_MODE));
  downward_items(member_obj(v, "downwardAPI"));
  proj = member_obj(v, "projected");
  sources = member_arr(proj, "sources");
  n = sources ? json_object_array_length(sources) : 0;
  for (i = 0; i < n; i++)
    downward_items(
        member_obj(json_object_array_get_idx(sources, i), "downwardAPI"));
}

void cp_pod_spec_defaults(json_object *spec) {
  json_object *vols, *cs;
  size_t i, j, n;

  if (!json_object_is_type(spec, json_type_object))
    return;
  set_default(spec, "securityContext", json_object_new_object());
  vols = member_arr(spec, "volumes");
  n = vols ? json_object_array_length(vols) : 0;
  for (i = 0; i < n; i++)
    volume(json_object_array_get_idx(vols, i));
  for (j = 0; j < 3; j++) {
    cs = member_arr(spec, container_lists[j]);
    n = cs ? json_object_array_length(cs) : 0;
    for (i = 0; i < n; i++)
      container(json_object_array_get_idx(cs, i));
  }
}

/* A container's requests default to its limits, resource by resource. */
static void requests_from_limits(json_object *c) {
  json_object *res = member_obj(c, "resources");
  json_object *lim = member_obj(res, "limits"), *req;

  if (lim == NULL || json_object_object_length(lim) == 0)
    return;
  if ((req = member_obj(res, "requests")) == NULL) {
    if (json_object_object_get_ex(res, "requests", NULL))
      return; /* not an object: validation reports it */
    if ((req = json_object_new_object()) == NULL)
      return;
    json_object_object_add(res, "requests", req);
  }
  json_object_object_foreach(lim, k, v) {
    if (!json_object_object_get_ex(req, k, NULL))
      json_object_object_add(req, k, json_object_get(v));
  }
}

void cp_pod_defaults(json_object *pod) {
  json_object *spec = member_obj(pod, "spec"), *cs;
  size_t i, j, n;

  if (spec == NULL)
    return;
  set_default(spec, "enableServiceLinks", json_object_new_boolean(1));
  for (j = 0; j < 2; j++) {
    cs = member_arr(spec, container_lists[j]);
    n = cs ? json_object_array_length(cs) : 0;
    for (i = 0; i < n; i++)
      requests_from_limits(json_object_array_get_idx(cs, i));
  }
}

/* ---- qos.GetPodQOS: cpu and memory only, positive quantities only. */

struct qos_sum {
  cp_quantity v[2]; /* cpu, memory */
  int has[2];
};

static int qos_resource(const char *name) {
  if (strcmp(name, "cpu") == 0)
    return 0;
  return strcmp(name, "memory") == 0 ? 1 : -1;
}

/* Adds list's cpu and memory to sum; returns the mask of those found
 * (bit 0 cpu, bit 1 memory). */
static int qos_add(struct qos_sum *sum, json_object *list) {
  int found = 0, r;
  cp_quantity q;

  if (list == NULL)
    return 0;
  json_object_object_foreach(list, k, v) {
    if ((r = qos_resource(k)) < 0 || cp_quantity_parse(v, &q) < 0 || q <= 0)
      continue;
    found |= 1 << r;
    sum->v[r] = sum->v[r] > CP_QUANTITY_MAX - q ? CP_QUANTITY_MAX
                                                : sum->v[r] + q;
    sum->has[r] = 1;
  }
  return found;
}

const char *cp_pod_qos_class(json_object *pod) {
  json_object *spec = member_obj(pod, "spec"), *cs, *res;
  struct qos_sum req = {{0, 0}, {0, 0}}, lim = {{0, 0}, {0, 0}};
  int guaranteed = 1, r;
  size_t i, j, n;

  for (j = 0; j < 2; j++) {
    cs = member_arr(spec, container_lists[j]);
    n = cs ? json_object_array_length(cs) : 0;
    for (i = 0; i < n; i++) {
      res = member_obj(json_object_array_get_idx(cs, i), "resources");
      qos_add(&req, member_obj(res, "requests"));
      if (qos_add(&lim, member_obj(res, "limits")) != 3)
        guaranteed = 0;
    }
  }
  if (!req.has[0] && !req.has[1] && !lim.has[0] && !lim.has[1])
    return "BestEffort";
  for (r = 0; r < 2; r++)
    if (req.has[r] && (!lim.has[r] || lim.v[r] != req.v[r]))
      guaranteed = 0;
  if (guaranteed && req.has[0] + req.has[1] == lim.has[0] + lim.has[1])
    return "Guaranteed";
  return "Burstable";
}

void cp_pod_status_on_create(json_object *pod) {
  json_object *st = json_object_new_object(), *gates, *conds, *c;

  if (st == NULL || !json_object_is_type(pod, json_type_object)) {
    json_object_put(st);
    return;
  }
  json_object_object_add(st, "phase", json_object_new_string("Pending"));
  gates = member_arr(member_obj(pod, "spec"), "schedulingGates");
  if (gates != NULL && json_object_array_length(gates) > 0 &&
      (conds = json_object_new_array()) != NULL) {
    c = json_object_new_object();
    json_object_object_add(c, "type", json_object_new_string("PodScheduled"));
    json_object_object_add(c, "status", json_object_new_string("False"));
    json_object_object_add(c, "lastProbeTime", NULL);
    json_object_object_add(c, "lastTransitionTime", NULL);
    json_object_object_add(c, "reason",
                           json_object_new_string("SchedulingGated"));
    json_object_object_add(
        c, "message",
        json_object_new_string(
            "Scheduling is blocked due to non-empty scheduling gates"));
    json_object_array_add(conds, c);
    json_object_object_add(st, "conditions", conds);
  }
  json_object_object_add(st, "qosClass",
                         json_object_new_string(cp_pod_qos_class(pod)));
  json_object_object_add(pod, "status", st);
}

/* The toleration tolerates NoExecute taints of key: its key is key or
 * empty (any), its effect NoExecute or empty (any). */
static int tolerates(json_object *t, const char *key) {
  const char *k = cp_field_str(t, "key"), *e = cp_field_str(t, "effect");

  return (k == NULL || k[0] == '\0' || strcmp(k, key) == 0) &&
         (e == NULL || e[0] == '\0' || strcmp(e, "NoExecute") == 0);
}

static void add_toleration(json_object *tols, const char *key,
                           int64_t seconds) {
  json_object *t = json_object_new_object();

  if (t == NULL)
    return;
  json_object_object_add(t, "key", json_object_new_string(key));
  json_object_object_add(t, "operator", json_object_new_string("Exists"));
  json_object_object_add(t, "effect", json_object_new_string("NoExecute"));
  json_object_object_add(t, "tolerationSeconds",
                         json_object_new_int64(seconds > 0
                                                   ? seconds
                                                   : TOLERATION_SECONDS));
  json_object_array_add(tols, t);
}

void cp_pod_default_tolerations(json_object *pod, int64_t not_ready_s,
                                int64_t unreachable_s) {
  static const char *const keys[] = {"node.kubernetes.io/not-ready",
                                     "node.kubernetes.io/unreachable"};
  json_object *spec = member_obj(pod, "spec"), *tols;
  int64_t seconds[2] = {not_ready_s, unreachable_s};
  int has[2] = {0, 0};
  size_t i, k, n;

  if (spec == NULL)
    return;
  if ((tols = member_arr(spec, "tolerations")) == NULL) {
    if (json_object_object_get_ex(spec, "tolerations", NULL) &&
        cp_field_at(spec, "tolerations") != NULL)
      return; /* not an array: validation reports it */
    if ((tols = json_object_new_array()) == NULL)
      return;
    json_object_object_add(spec, "tolerations", tols);
  }
  n = json_object_array_length(tols);
  for (i = 0; i < n; i++)
    for (k = 0; k < 2; k++)
      has[k] |= tolerates(json_object_array_get_idx(tols, i), keys[k]);
  for (k = 0; k < 2; k++)
    if (!has[k])
      add_toleration(tols, keys[k], seconds[k]);
}
