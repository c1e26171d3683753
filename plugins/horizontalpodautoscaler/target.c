/*
 * target - see target.h.
 */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_resource podmetrics_res =
    CPLANE_RESOURCE("metrics.k8s.io", "v1beta1", "pods");

/* The kinds with a scale subresource, by group and kind. */
static const struct {
  const char *group, *kind;
  struct cplane_resource res;
} scalables[] = {
    {"apps", "Deployment", CPLANE_RESOURCE("apps", "v1", "deployments")},
    {"apps", "ReplicaSet", CPLANE_RESOURCE("apps", "v1", "replicasets")},
    {"apps", "StatefulSet", CPLANE_RESOURCE("apps", "v1", "statefulsets")},
    {"", "ReplicationController",
     CPLANE_RESOURCE("", "v1", "replicationcontrollers")},
};

/* The group of "apps/v1" ("apps"), of "v1" (""), into buf. */
static void group_of(const char *api_version, char *buf, size_t len) {
  const char *slash = api_version ? strchr(api_version, '/') : NULL;

  if (slash == NULL || (size_t)(slash - api_version) >= len)
    buf[0] = '\0';
  else
    snprintf(buf, len, "%.*s", (int)(slash - api_version), api_version);
}

int hpa_scale_get(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const struct hpa_spec *spec, const char *ns,
                  struct hpa_scale *out, char *err, size_t errlen) {
  char group[128], path[1024], *body = NULL;
  size_t i, len = 0;
  int64_t replicas = 0;
  int code;

  memset(out, 0, sizeof *out);
  group_of(spec->target_api_version, group, sizeof group);
  for (i = 0; i < sizeof scalables / sizeof scalables[0]; i++)
    if (strcmp(scalables[i].group, group) == 0 &&
        strcmp(scalables[i].kind, spec->target_kind) == 0)
      out->res = &scalables[i].res;
  if (out->res == NULL) {
    snprintf(err, errlen, "no matches for kind \"%s\" in group \"%s\"",
             spec->target_kind, group);
    return -1;
  }
  /* A name that would not stay one path segment (the API server's
   * validation refuses these; a stored one is not requested). */
  if (strpbrk(spec->target_name, "/?#%") != NULL ||
      strcmp(spec->target_name, ".") == 0 ||
      strcmp(spec->target_name, "..") == 0) {
    snprintf(err, errlen, "invalid scaleTargetRef name \"%.200s\"",
             spec->target_name);
    return -1;
  }
  snprintf(path, sizeof path, "/%s%s/%s/namespaces/%s/%s/%s/scale",
           group[0] ? "apis/" : "api", group, out->res->version, ns,
           out->res->resource, spec->target_name);
  code = api->request(ctx, "GET", path, NULL, &body, &len);
  if (code == 200 && body != NULL &&
      api->object_parse(body, len, &out->obj, NULL) == CPLANE_OK) {
    api->object_int(out->obj, "spec.replicas", &replicas);
    out->replicas =
        replicas < 0 || replicas > INT32_MAX ? 0 : (int32_t)replicas;
    out->selector = api->object_string(out->obj, "status.selector");
    api->free(body);
    return 0;
  }
  if (code == 404)
    snprintf(err, errlen, "%s%s%s \"%s\" not found", out->res->resource,
             group[0] ? "." : "", group, spec->target_name);
  else
    snprintf(err, errlen, "the server answered %d", code);
  api->free(body);
  return -1;
}

int hpa_scale_set(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const struct hpa_spec *spec, const char *ns,
                  const struct hpa_scale *sc, int32_t replicas, char **msg) {
  char *patch = api->json_format(
      "{'metadata':{'resourceVersion':%s},'spec':{'replicas':%d}}",
      api->object_resource_version(sc->obj), (int)replicas);
  int code;

  if (patch == NULL)
    return CPLANE_ENOMEM;
  code = api->patch_subresource(ctx, sc->res, ns, spec->target_name, "scale",
                                CPLANE_PATCH_MERGE, patch, NULL, msg);
  api->free(patch);
  return code;
}

void hpa_scale_free(const struct cplane_host_api *api, struct hpa_scale *sc) {
  api->object_release(sc->obj);
  sc->obj = NULL;
}

/* ---- pods and their metrics ---- */

static int phase_of(const char *phase) {
  if (phase == NULL || strcmp(phase, "Pending") == 0)
    return HPA_POD_PENDING;
  if (strcmp(phase, "Running") == 0)
    return HPA_POD_RUNNING;
  if (strcmp(phase, "Failed") == 0)
    return HPA_POD_FAILED;
  return HPA_POD_OTHER;
}

static int64_t time_ms(const char *ts) {
  int64_t ms;

  return ts != NULL && cplane_time_parse(ts, &ms) == CPLANE_OK ? ms : -1;
}

static void fill_pod(const struct cplane_host_api *api,
                     const cplane_object *pod, struct hpa_pod *p) {
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  const char *st;

  memset(p, 0, sizeof *p);
  p->name = api->object_name(pod);
  p->phase = phase_of(api->object_string(pod, "status.phase"));
  p->deleting = api->object_deletion_timestamp(pod) != NULL;
  p->start_ms = time_ms(api->object_string(pod, "status.startTime"));
  p->ready = -1;
  p->ready_since_ms = -1;
  if (i >= 0) {
    st = cplane_array_string(api, pod, "status.conditions", i, "status");
    p->ready = st != NULL && strcmp(st, "False") == 0 ? 0 : 1;
    p->ready_since_ms = time_ms(cplane_array_string(
        api, pod, "status.conditions", i, "lastTransitionTime"));
  }
}

static int cmp_item(const void *a, const void *b) {
  return strcmp(((const struct hpa_pod *)a)->name,
                ((const struct hpa_pod *)b)->name);
}

struct pair {
  struct hpa_pod p; /* first: sorted by cmp_item */
  const cplane_object *obj;
};

/* Fills out->items and out->objs from the pods, sorted by name, so that
 * each PodMetrics finds its pod by bsearch. 0, or -1 out of memory. */
static int fill_sorted(const struct cplane_host_api *api,
                       struct hpa_samples *out) {
  size_t i, n = api->list_len(out->pods);
  struct pair *pairs;

  if (n == 0)
    return 0;
  if ((pairs = calloc(n, sizeof *pairs)) == NULL ||
      (out->items = calloc(n, sizeof *out->items)) == NULL ||
      (out->objs = calloc(n, sizeof *out->objs)) == NULL) {
    free(pairs);
    return -1;
  }
  for (i = 0; i < n; i++) {
    pairs[i].obj = api->list_at(out->pods, i);
    fill_pod(api, pairs[i].obj, &pairs[i].p);
  }
  qsort(pairs, n, sizeof *pairs, cmp_item);
  for (i = 0; i < n; i++) {
    out->items[i] = pairs[i].p;
    out->objs[i] = pairs[i].obj;
  }
  out->n = n;
  free(pairs);
  return 0;
}

int hpa_samples_list(const struct cplane_host_api *api,
                     cplane_plugin_ctx *ctx, uint32_t pods, const char *ns,
                     const char *selector, struct hpa_samples *out,
                     char *err, size_t errlen) {
  char *msg = NULL;
  int code;

  memset(out, 0, sizeof *out);
  code = api->list(ctx, &podmetrics_res, ns, selector, NULL, &out->metrics,
                   &msg);
  if (code != 200) {
    snprintf(err, errlen,
             "unable to fetch metrics from resource metrics API: %s",
             msg ? msg : "the server could not list them");
    api->free(msg);
    return -1;
  }
  if (api->list_len(out->metrics) == 0) {
    snprintf(err, errlen, "no metrics returned from resource metrics API");
    return -1;
  }
  if (api->cache_list(ctx, pods, ns, selector, &out->pods) != CPLANE_OK) {
    snprintf(err, errlen, "unable to list the target's pods");
    return -1;
  }
  if (fill_sorted(api, out) != 0) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* The sum of the containers' `path_fmt` values of resource, in milli;
 * 0 when none. *missing (when not NULL) names the first container
 * without it. */
static int64_t sum_containers(const struct cplane_host_api *api,
                              const cplane_object *o, const char *array,
                              const char *member, const char *resource,
                              const char **missing) {
  char path[256];
  int i, n = api->object_len(o, array);
  int64_t v, sum = 0;

  for (i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s[%d].%s.%s", array, i, member, resource);
    if (cplane_quantity_parse_milli(api->object_string(o, path), &v, NULL) ==
        CPLANE_OK) {
      sum += v;
      continue;
    }
    if (missing != NULL && *missing == NULL) {
      snprintf(path, sizeof path, "%s[%d].name", array, i);
      *missing = api->object_string(o, path);
      if (*missing == NULL)
        *missing = "";
    }
  }
  return sum;
}

void hpa_samples_resource(const struct cplane_host_api *api,
                          struct hpa_samples *s, const char *resource) {
  size_t i, n = api->list_len(s->metrics);
  struct hpa_pod key;

  for (i = 0; i < s->n; i++) {
    s->items[i].missing_request = NULL;
    s->items[i].has_metric = 0;
    s->items[i].request =
        sum_containers(api, s->objs[i], "spec.containers",
                       "resources.requests", resource,
                       &s->items[i].missing_request);
  }
  for (i = 0; i < n; i++) {
    const cplane_object *m = api->list_at(s->metrics, i);
    const char *missing = NULL;
    struct hpa_pod *p;
    int64_t win_ns = 0;

    key.name = api->object_name(m);
    if (key.name == NULL || s->n == 0 ||
        (p = bsearch(&key, s->items, s->n, sizeof *s->items, cmp_item)) ==
            NULL)
      continue;
    p->metric = sum_containers(api, m, "containers", "usage", resource,
                               &missing);
    /* A container without the resource: the pod counts as missing. */
    p->has_metric = missing == NULL;
    p->metric_ts_ms = time_ms(api->object_string(m, "timestamp"));
    if (cplane_duration_parse(api->object_string(m, "window"), 0, &win_ns) !=
        CPLANE_OK)
      win_ns = 0;
    p->window_ms = win_ns / CPLANE_NS_PER_MS;
  }
}

void hpa_samples_free(const struct cplane_host_api *api,
                      struct hpa_samples *s) {
  free(s->items);
  free(s->objs);
  api->list_free(s->pods);
  api->list_free(s->metrics);
  memset(s, 0, sizeof *s);
}
