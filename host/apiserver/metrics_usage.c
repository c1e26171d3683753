/*
 * metrics_usage - usage computed from pods and their node's declared
 * model. See metrics_usage.h.
 */
#include "apiserver/metrics_usage.h"

#include <stdio.h>
#include <string.h>

#include <cplane/quantity.h>
#include <cplane/time.h>

#include "apiserver/strategy/fields.h"

/* A pod with more is reported on its first ones, and a container's
 * status is looked for among the first statuses: every size is bounded. */
#define MAX_CONTAINERS 256
#define MAX_STATUSES 512

static int64_t sat_add(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* ---- the node's model ---- */

static const char *annotation(json_object *o, const char *key) {
  json_object *a = cp_field_typed(o, "metadata.annotations", json_type_object);
  json_object *v = NULL;

  if (a == NULL || !json_object_object_get_ex(a, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

int cp_usage_model_of(json_object *node, struct cp_usage_model *m) {
  const char *interval = annotation(node, CP_USAGE_INTERVAL_ANNOTATION);
  const char *fraction = annotation(node, CP_USAGE_FRACTION_ANNOTATION);
  const char *stopped = annotation(node, CP_USAGE_STOPPED_ANNOTATION);
  int64_t ms, permille = 0;

  /* A stopped machine cannot be scraped. */
  if (interval == NULL || (stopped != NULL && strcmp(stopped, "true") == 0))
    return 0;
  if (cplane_duration_parse_ms(interval, CPLANE_DURATION_BARE_SECONDS,
                               CP_USAGE_INTERVAL_MAX_MS, &ms) != CPLANE_OK ||
      ms < CP_USAGE_INTERVAL_MIN_MS)
    return 0;
  if (fraction != NULL &&
      (cplane_quantity_parse_milli(fraction, &permille, NULL) != CPLANE_OK ||
       permille < 0 || permille > CP_USAGE_FRACTION_MAX_PERMILLE))
    return 0;
  m->interval_ms = ms;
  m->fraction_permille = (uint32_t)permille;
  return 1;
}

/* ---- one container ---- */

/* The pod-wide annotation as a quantity scaled by 10^scale10, or -1
 * when absent or not a non-negative quantity (the requests apply). */
static int64_t annotated(json_object *pod, const char *key, int scale10) {
  int64_t v;

  if (cplane_quantity_parse_scaled(annotation(pod, key), scale10, &v, NULL) !=
          CPLANE_OK ||
      v < 0)
    return -1;
  return v;
}

/* The fraction of container c's request of `res`, or 0 without one. */
static int64_t share_of_request(json_object *c, const char *res, int scale10,
                                const struct cp_usage_model *m) {
  json_object *req = cp_field_typed(c, "resources.requests", json_type_object);
  json_object *q = NULL;
  int64_t v;

  /* A quantity is a string, or a number as YAML gives `cpu: 1`. */
  if (req == NULL || !json_object_object_get_ex(req, res, &q) ||
      !(json_object_is_type(q, json_type_string) ||
        json_object_is_type(q, json_type_int) ||
        json_object_is_type(q, json_type_double)) ||
      cplane_quantity_parse_scaled(json_object_get_string(q), scale10, &v,
                                   NULL) != CPLANE_OK ||
      v <= 0)
    return 0;
  /* Bounded: the product must not overflow. */
  if (v > INT64_MAX / CP_USAGE_FRACTION_MAX_PERMILLE)
    return v;
  return v * (int64_t)m->fraction_permille / 1000;
}

/* When the container named `name` started running: its status's
 * state.running.startedAt, or without any container status the pod's
 * startTime. -1 when it is not running or the time does not parse. */
static int64_t started_ms(json_object *pod, const char *name) {
  json_object *sts =
      cp_field_typed(pod, "status.containerStatuses", json_type_array);
  size_t i, n;
  int64_t at;

  if (sts == NULL)
    return cplane_time_parse(cp_field_str(pod, "status.startTime"), &at) ==
                   CPLANE_OK
               ? at
               : -1;
  n = json_object_array_length(sts);
  if (n > MAX_STATUSES)
    n = MAX_STATUSES;
  for (i = 0; i < n; i++) {
    json_object *s = json_object_array_get_idx(sts, i);
    const char *sn = cp_field_str(s, "name");

    if (sn == NULL || strcmp(sn, name) != 0)
      continue;
    return cplane_time_parse(cp_field_str(s, "state.running.startedAt"), &at) ==
                   CPLANE_OK
               ? at
               : -1;
  }
  return -1;
}

/* ---- formatting ---- */

void cp_usage_format(const struct cp_usage *u, char *cpu, char *memory) {
  if (cplane_quantity_format(u->cpu_m, CPLANE_QUANTITY_DECIMAL_SI, cpu,
                             CP_USAGE_QUANTITY_LEN) != CPLANE_OK)
    snprintf(cpu, CP_USAGE_QUANTITY_LEN, "%lldm", (long long)u->cpu_m);
  /* Memory is in bytes; format() takes thousandths. */
  if (u->memory > INT64_MAX / 1000 ||
      cplane_quantity_format(u->memory * 1000, CPLANE_QUANTITY_BINARY_SI,
                             memory, CP_USAGE_QUANTITY_LEN) != CPLANE_OK)
    snprintf(memory, CP_USAGE_QUANTITY_LEN, "%lld", (long long)u->memory);
}

void cp_usage_add_parsed(json_object *usage, struct cp_usage *sum) {
  int64_t v;

  if (cplane_quantity_parse_milli(cp_field_str(usage, "cpu"), &v, NULL) ==
          CPLANE_OK &&
      v > 0)
    sum->cpu_m = sat_add(sum->cpu_m, v);
  if (cplane_quantity_parse_value(cp_field_str(usage, "memory"), &v, NULL) ==
          CPLANE_OK &&
      v > 0)
    sum->memory = sat_add(sum->memory, v);
}

static json_object *usage_object(const struct cp_usage *u) {
  char cpu[CP_USAGE_QUANTITY_LEN], mem[CP_USAGE_QUANTITY_LEN];
  json_object *o = json_object_new_object();

  if (o == NULL)
    return NULL;
  cp_usage_format(u, cpu, mem);
  if (json_object_object_add(o, "cpu", json_object_new_string(cpu)) != 0 ||
      json_object_object_add(o, "memory", json_object_new_string(mem)) != 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

/* kind, apiVersion, metadata (name, namespace when not NULL, labels of
 * `from`, creationTimestamp now), timestamp and window. */
static json_object *metrics_head(const char *kind, json_object *from,
                                 const struct cp_usage_model *m,
                                 int64_t now_ms) {
  json_object *o = json_object_new_object(), *md = json_object_new_object();
  json_object *labels =
      cp_field_typed(from, "metadata.labels", json_type_object);
  const char *name = cp_field_str(from, "metadata.name");
  const char *ns = cp_field_str(from, "metadata.namespace");
  char now[40], stamp[40], window[40];

  if (o == NULL || md == NULL || name == NULL) {
    json_object_put(o);
    json_object_put(md);
    return NULL;
  }
  cplane_time_format(now_ms, now, sizeof now);
  cplane_time_format(m->interval_ms > 0 ? now_ms - now_ms % m->interval_ms
                                        : now_ms,
                     stamp, sizeof stamp);
  cplane_duration_format(m->interval_ms * CPLANE_NS_PER_MS, window,
                         sizeof window);
  json_object_object_add(o, "kind", json_object_new_string(kind));
  json_object_object_add(o, "apiVersion",
                         json_object_new_string("metrics.k8s.io/v1beta1"));
  json_object_object_add(o, "metadata", md);
  json_object_object_add(md, "name", json_object_new_string(name));
  if (ns != NULL)
    json_object_object_add(md, "namespace", json_object_new_string(ns));
  /* metrics-server copies the labels: `kubectl top -l` and the
   * autoscaler select on them. Shared, not copied: from outlives o's
   * serialization in every caller. */
  if (labels != NULL)
    json_object_object_add(md, "labels", json_object_get(labels));
  json_object_object_add(md, "creationTimestamp", json_object_new_string(now));
  json_object_object_add(o, "timestamp", json_object_new_string(stamp));
  json_object_object_add(o, "window", json_object_new_string(window));
  return o;
}

/* ---- pods ---- */

/* Sums the pod's reported containers into *total and, when out is not
 * NULL, appends each as {name, usage} to it. How many were reported, or
 * -1 when out of memory. */
static int pod_usage(json_object *pod, const struct cp_usage_model *m,
                     int64_t now_ms, struct cp_usage *total, json_object *out) {
  json_object *cs = cp_field_typed(pod, "spec.containers", json_type_array);
  const char *phase = cp_field_str(pod, "status.phase");
  int64_t cpu_ann, mem_ann;
  size_t i, n;
  int reported = 0;

  total->cpu_m = total->memory = 0;
  if (cs == NULL || phase == NULL || strcmp(phase, "Running") != 0)
    return 0;
  cpu_ann = annotated(pod, CP_USAGE_CPU_ANNOTATION, 3);
  mem_ann = annotated(pod, CP_USAGE_MEMORY_ANNOTATION, 0);
  n = json_object_array_length(cs);
  if (n > MAX_CONTAINERS)
    n = MAX_CONTAINERS;
  for (i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(cs, i), *e, *u;
    const char *name = cp_field_str(c, "name");
    int64_t at = name != NULL ? started_ms(pod, name) : -1;
    struct cp_usage cu;

    /* metrics-server's first figure needs a second scrape. */
    if (at < 0 || at > now_ms - m->interval_ms)
      continue;
    cu.cpu_m = cpu_ann >= 0 ? cpu_ann : share_of_request(c, "cpu", 3, m);
    cu.memory = mem_ann >= 0 ? mem_ann : share_of_request(c, "memory", 0, m);
    total->cpu_m = sat_add(total->cpu_m, cu.cpu_m);
    total->memory = sat_add(total->memory, cu.memory);
    reported++;
    if (out == NULL)
      continue;
    if ((e = json_object_new_object()) == NULL ||
        (u = usage_object(&cu)) == NULL) {
      json_object_put(e);
      return -1;
    }
    json_object_object_add(e, "name", json_object_new_string(name));
    json_object_object_add(e, "usage", u);
    if (json_object_array_add(out, e) != 0) {
      json_object_put(e);
      return -1;
    }
  }
  return reported;
}

int cp_usage_pod_total(json_object *pod, const struct cp_usage_model *m,
                       int64_t now_ms, struct cp_usage *total) {
  return pod_usage(pod, m, now_ms, total, NULL) > 0;
}

json_object *cp_usage_pod_metrics(json_object *pod,
                                  const struct cp_usage_model *m,
                                  int64_t now_ms, int *nomem) {
  json_object *containers = json_object_new_array(), *o = NULL;
  struct cp_usage total;
  int n;

  if (nomem != NULL)
    *nomem = 0;
  if (cp_field_str(pod, "metadata.name") == NULL ||
      cp_field_str(pod, "metadata.namespace") == NULL) {
    json_object_put(containers);
    return NULL;
  }
  if (containers == NULL)
    goto nomem;
  n = pod_usage(pod, m, now_ms, &total, containers);
  if (n < 0)
    goto nomem;
  if (n == 0) {
    json_object_put(containers);
    return NULL;
  }
  if ((o = metrics_head("PodMetrics", pod, m, now_ms)) == NULL)
    goto nomem;
  json_object_object_add(o, "containers", containers);
  return o;
nomem:
  json_object_put(containers);
  if (nomem != NULL)
    *nomem = 1;
  return NULL;
}

/* ---- nodes ---- */

json_object *cp_usage_node_metrics(json_object *node,
                                   const struct cp_usage_model *m,
                                   const struct cp_usage *pods,
                                   int64_t now_ms) {
  struct cp_usage u = {sat_add(pods->cpu_m, CP_USAGE_NODE_IDLE_CPU_M),
                       sat_add(pods->memory, CP_USAGE_NODE_IDLE_MEMORY)};
  json_object *o = metrics_head("NodeMetrics", node, m, now_ms), *usage;

  if (o == NULL)
    return NULL;
  if ((usage = usage_object(&u)) == NULL) {
    json_object_put(o);
    return NULL;
  }
  json_object_object_add(o, "usage", usage);
  return o;
}
