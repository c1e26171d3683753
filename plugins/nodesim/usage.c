/*
 * usage - see usage.h.
 */
#include "usage.h"

#include "node.h"

#include <cplane/cplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_resource podmetrics_res =
    CPLANE_RESOURCE("metrics.k8s.io", "v1beta1", "pods");
static const struct cplane_resource nodemetrics_res =
    CPLANE_RESOURCE("metrics.k8s.io", "v1beta1", "nodes");

#define USAGE_MAX_CONTAINERS 64
#define USAGE_FRACTION_MAX_PERMILLE 10000u /* 10x the requests */

/* ---- configuration ---- */

static const char *cfg(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *key,
                       const char *def) {
  const char *v = api->config_get(ctx, key);

  return v != NULL && v[0] != '\0' ? v : def;
}

const char *nsim_usage_configure(const struct cplane_host_api *api,
                                 cplane_plugin_ctx *ctx, struct nodesim *st) {
  struct nsim_usage *u = calloc(1, sizeof *u);
  const char *v;
  int64_t permille, ms;
  int i;

  if (u == NULL)
    return "out of memory";
  st->usage = u;
  v = cfg(api, ctx, "usage", "true");
  if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
    return "usage: true or false";
  u->enabled = strcmp(v, "true") == 0;
  /* A fraction read as a quantity in thousandths: "0.5" is 500. */
  if (cplane_quantity_parse_milli(cfg(api, ctx, "usage_fraction", "0.5"),
                                  &permille, NULL) != CPLANE_OK ||
      permille < 0 || permille > USAGE_FRACTION_MAX_PERMILLE)
    return "usage_fraction: a number from 0 to 10, such as 0.5";
  u->fraction_permille = (uint32_t)permille;
  if (cplane_duration_parse_ms(cfg(api, ctx, "usage_interval", "15s"),
                               CPLANE_DURATION_BARE_SECONDS, 3600000,
                               &ms) != CPLANE_OK ||
      ms < 100)
    return "usage_interval: a duration from 100ms to 1h, such as 15s";
  u->interval_ms = (uint32_t)ms;
  if ((u->nodes = calloc((size_t)(st->count ? st->count : 1),
                         sizeof *u->nodes)) == NULL)
    return "out of memory";
  for (i = 0; i < st->count; i++)
    u->nodes[i].cpu_m = u->nodes[i].memory = -1;
  return NULL;
}

void nsim_usage_free(struct nsim_usage *u) {
  if (u == NULL)
    return;
  free(u->nodes);
  free(u);
}

/* ---- what a pod uses ---- */

/* The annotation as a quantity (scale10 3: milli, 0: units), else
 * fraction of container i's request of `res`, else 0. */
static int64_t container_value(const struct cplane_host_api *api,
                               const struct nsim_usage *u,
                               const cplane_object *pod, int i,
                               const char *annotation, const char *res,
                               int scale10) {
  char path[96];
  int64_t v;

  if (cplane_quantity_parse_scaled(api->object_annotation(pod, annotation),
                                   scale10, &v, NULL) == CPLANE_OK &&
      v >= 0)
    return v;
  snprintf(path, sizeof path, "spec.containers[%d].resources.requests.%s", i,
           res);
  if (cplane_quantity_parse_scaled(api->object_string(pod, path), scale10, &v,
                                   NULL) != CPLANE_OK ||
      v <= 0)
    return 0;
  /* Bounded: requests past 2^53 would overflow the product. */
  if (v > INT64_MAX / USAGE_FRACTION_MAX_PERMILLE)
    return v;
  return v * (int64_t)u->fraction_permille / 1000;
}

void nsim_usage_container(const struct cplane_host_api *api,
                          const struct nsim_usage *u, const cplane_object *pod,
                          int i, int64_t *cpu_m, int64_t *memory) {
  *cpu_m = container_value(api, u, pod, i, USAGE_CPU_ANNOTATION, "cpu", 3);
  *memory =
      container_value(api, u, pod, i, USAGE_MEMORY_ANNOTATION, "memory", 0);
}

static int n_containers(const struct cplane_host_api *api,
                        const cplane_object *pod) {
  int n = api->object_len(pod, "spec.containers");

  return n < 0 ? 0 : n > USAGE_MAX_CONTAINERS ? USAGE_MAX_CONTAINERS : n;
}

static void pod_total(const struct cplane_host_api *api,
                      const struct nsim_usage *u, const cplane_object *pod,
                      int64_t *cpu_m, int64_t *memory) {
  int i, n = n_containers(api, pod);
  int64_t c, m;

  *cpu_m = *memory = 0;
  for (i = 0; i < n; i++) {
    nsim_usage_container(api, u, pod, i, &c, &m);
    *cpu_m += c;
    *memory += m;
  }
}

static void add_usage(struct cplane_strbuf *b, int64_t cpu_m,
                      int64_t memory) {
  char cpu[CPLANE_QUANTITY_LEN], mem[CPLANE_QUANTITY_LEN];

  cplane_quantity_format(cpu_m, CPLANE_QUANTITY_DECIMAL_SI, cpu, sizeof cpu);
  /* memory is in bytes; format() takes thousandths. */
  if (memory > INT64_MAX / 1000 ||
      cplane_quantity_format(memory * 1000, CPLANE_QUANTITY_BINARY_SI, mem,
                             sizeof mem) != CPLANE_OK)
    snprintf(mem, sizeof mem, "%lld", (long long)memory);
  cplane_strbuf_addf(b, "{\"cpu\":\"%s\",\"memory\":\"%s\"}", cpu, mem);
}

/* The timestamp and window every metrics object carries. */
static void stamp(const struct nsim_usage *u, int64_t now_ms, char *now,
                  size_t now_len, char *win, size_t win_len) {
  cplane_time_format(now_ms, now, now_len);
  cplane_duration_format((int64_t)u->interval_ms * CPLANE_NS_PER_MS, win,
                         win_len);
}

char *nsim_usage_pod_json(const struct cplane_host_api *api,
                          const struct nsim_usage *u, const cplane_object *pod,
                          int64_t now_ms) {
  struct cplane_strbuf b = {0};
  char now[40], win[32], *containers, *labels = NULL, *body = NULL;
  int i, n = n_containers(api, pod);
  int64_t c, m;

  if (api->object_name(pod) == NULL || api->object_uid(pod) == NULL)
    return NULL;
  /* metrics-server copies the pod's labels: `kubectl top pods -l` and the
   * autoscaler select on them. */
  if (api->object_type(pod, "metadata.labels") == CPLANE_TYPE_OBJECT &&
      (labels = api->object_json(pod, "metadata.labels")) == NULL)
    return NULL;
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    char path[64];
    char *name;

    snprintf(path, sizeof path, "spec.containers[%d].name", i);
    nsim_usage_container(api, u, pod, i, &c, &m);
    /* The name escaped by json_format, the usage our own digits. */
    name = api->json_format("%s", api->object_string(pod, path));
    cplane_strbuf_addf(&b, "%s{\"name\":%s,\"usage\":", i ? "," : "",
                       name ? name : "\"\"");
    api->free(name);
    add_usage(&b, c, m);
    cplane_strbuf_add(&b, "}");
  }
  cplane_strbuf_add(&b, "]");
  if ((containers = cplane_strbuf_finish(&b)) == NULL) {
    api->free(labels);
    return NULL;
  }
  stamp(u, now_ms, now, sizeof now, win, sizeof win);
  body = api->json_format(
      "{'apiVersion':'metrics.k8s.io/v1beta1','kind':'PodMetrics',"
      "'metadata':{'name':%s,'namespace':%s,'labels':%j,"
      "'ownerReferences':[{'apiVersion':'v1','kind':'Pod','name':%s,"
      "'uid':%s}]},'timestamp':%s,'window':%s,'containers':%j}",
      api->object_name(pod), api->object_namespace(pod),
      labels ? labels : "{}", api->object_name(pod), api->object_uid(pod),
      now, win, containers);
  free(containers);
  api->free(labels);
  return body;
}

char *nsim_usage_node_json(const struct cplane_host_api *api,
                           const struct nsim_usage *u, const char *name,
                           int64_t cpu_m, int64_t memory, int64_t now_ms) {
  struct cplane_strbuf b = {0};
  char now[40], win[32], *usage, *body;

  add_usage(&b, cpu_m, memory);
  if ((usage = cplane_strbuf_finish(&b)) == NULL)
    return NULL;
  stamp(u, now_ms, now, sizeof now, win, sizeof win);
  body = api->json_format(
      "{'apiVersion':'metrics.k8s.io/v1beta1','kind':'NodeMetrics',"
      "'metadata':{'name':%s},'timestamp':%s,'window':%s,'usage':%j}",
      name, now, win, usage);
  free(usage);
  return body;
}

/* ---- events ---- */

static int running_here(const struct cplane_host_api *api,
                        const struct nodesim *st, const cplane_object *pod) {
  const char *phase = api->object_string(pod, "status.phase");

  return pod != NULL && phase != NULL && strcmp(phase, "Running") == 0 &&
         api->object_deletion_timestamp(pod) == NULL &&
         nsim_node_index(st, api->object_string(pod, "spec.nodeName")) >= 0;
}

static int same_str(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void enqueue_usage(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, const char *kind,
                          const char *name, uint32_t delay_ms) {
  char key[600];
  int n = snprintf(key, sizeof key, "%s/%s", kind, name);

  if (n > 0 && (size_t)n < sizeof key)
    api->enqueue_after(ctx, key, delay_ms);
}

void nsim_usage_pod_event(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, const struct nodesim *st,
                          const cplane_object *old_pod,
                          const cplane_object *pod) {
  int was, is;

  if (st->usage == NULL || !st->usage->enabled)
    return;
  was = old_pod != NULL && running_here(api, st, old_pod);
  is = running_here(api, st, pod);
  /* A pod that starts running is first reported one usage_interval
   * later, as metrics-server's first scrape of it comes a resolution
   * after it started (and its write stays off the path of pods still
   * starting). A pod seen for the first time running (a restart) is
   * written again, which costs a request that finds it there. A resync
   * (old == new) changes nothing. */
  if (!was && is)
    enqueue_usage(api, ctx, "usage", api->object_key(pod),
                  st->usage->interval_ms);
  else if (was != is ||
           (is &&
            (!same_str(api->object_annotation(old_pod, USAGE_CPU_ANNOTATION),
                       api->object_annotation(pod, USAGE_CPU_ANNOTATION)) ||
             !same_str(
                 api->object_annotation(old_pod, USAGE_MEMORY_ANNOTATION),
                 api->object_annotation(pod, USAGE_MEMORY_ANNOTATION)))))
    enqueue_usage(api, ctx, "usage", api->object_key(pod), 0);
}

void nsim_usage_start(const struct cplane_host_api *api,
                      cplane_plugin_ctx *ctx, const struct nodesim *st) {
  char name[96];
  int i;

  if (st->usage == NULL || !st->usage->enabled)
    return;
  for (i = 0; i < st->count; i++) {
    snprintf(name, sizeof name, "%s%d", st->prefix, i);
    enqueue_usage(api, ctx, "usage-node", name, 0);
  }
}

int nsim_usage_key(const char *key) {
  return strncmp(key, "usage/", 6) == 0 || strncmp(key, "usage-node/", 11) == 0;
}

/* ---- writes ---- */

static int written(int code) {
  return code == 200 || code == 201 || code == 404;
}

/* Creates the pod's metrics, or replaces them when they exist. */
static int write_pod_metrics(const struct cplane_host_api *api,
                             cplane_plugin_ctx *ctx, const struct nodesim *st,
                             const cplane_object *pod, int replace) {
  char *body = nsim_usage_pod_json(api, st->usage, pod, api->now_ms(ctx));
  char *msg = NULL;
  int code, rc = CPLANE_RECONCILE_RETRY;

  if (body == NULL)
    return CPLANE_RECONCILE_RETRY;
  code = replace ? 409
                 : api->create(ctx, &podmetrics_res, api->object_namespace(pod),
                               body, NULL, &msg);
  if (code == 409) {
    api->free(msg);
    msg = NULL;
    code = api->update(ctx, &podmetrics_res, api->object_namespace(pod),
                       api->object_name(pod), body, NULL, &msg);
    if (code == 404) /* removed meanwhile: create it */
      code = api->create(ctx, &podmetrics_res, api->object_namespace(pod),
                         body, NULL, NULL);
  }
  if (written(code))
    rc = CPLANE_RECONCILE_DONE;
  else
    api->log(ctx, CPLANE_LOG_WARN, "pod metrics of %s: %d %s",
             api->object_key(pod), code, msg ? msg : "");
  api->free(msg);
  api->free(body);
  return rc;
}

static int reconcile_pod_usage(const struct cplane_host_api *api,
                               cplane_plugin_ctx *ctx, struct nodesim *st,
                               uint32_t pods, const char *key) {
  const cplane_object *pod = NULL;
  const char *slash = strchr(key, '/');
  char ns[256];
  int code, rc;

  if (api->cache_get(ctx, pods, key, &pod) == CPLANE_OK &&
      running_here(api, st, pod)) {
    /* Annotations set: a change, replace. Else, most likely the start:
     * one create. */
    rc = write_pod_metrics(
        api, ctx, st, pod,
        api->object_annotation(pod, USAGE_CPU_ANNOTATION) != NULL ||
            api->object_annotation(pod, USAGE_MEMORY_ANNOTATION) != NULL);
    api->object_release(pod);
    return rc;
  }
  api->object_release(pod);
  /* Stopped running (or gone): metrics-server reports it no more. */
  if (slash == NULL || (size_t)(slash - key) >= sizeof ns)
    return CPLANE_RECONCILE_DONE;
  snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
  code = api->delete_object(ctx, &podmetrics_res, ns, slash + 1, NULL, NULL);
  return code == 200 || code == 202 || code == 404
             ? CPLANE_RECONCILE_DONE
             : CPLANE_RECONCILE_RETRY;
}

/* Sums what node `name`'s Running pods use, plus the idle base. */
static void node_total(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const struct nodesim *st,
                       uint32_t pods, const char *name, int64_t *cpu_m,
                       int64_t *memory) {
  cplane_object_list *list = NULL;
  size_t k, n;
  int64_t c, m;

  *cpu_m = USAGE_NODE_IDLE_CPU_M;
  *memory = USAGE_NODE_IDLE_MEMORY;
  if (api->cache_list_by_index(ctx, pods, "node", name, NULL, &list) !=
      CPLANE_OK)
    return;
  n = api->list_len(list);
  for (k = 0; k < n; k++) {
    const cplane_object *pod = api->list_at(list, k);

    if (!running_here(api, st, pod))
      continue;
    pod_total(api, st->usage, pod, &c, &m);
    *cpu_m += c;
    *memory += m;
  }
  api->list_free(list);
}

static int reconcile_node_usage(const struct cplane_host_api *api,
                                cplane_plugin_ctx *ctx, struct nodesim *st,
                                uint32_t pods, const char *name,
                                uint32_t *requeue_ms) {
  struct nsim_usage *u = st->usage;
  int i = nsim_node_index(st, name), code;
  int64_t cpu_m, memory;
  char *body;

  if (i < 0)
    return CPLANE_RECONCILE_DONE;
  *requeue_ms = u->interval_ms;
  node_total(api, ctx, st, pods, name, &cpu_m, &memory);
  if (cpu_m == u->nodes[i].cpu_m && memory == u->nodes[i].memory)
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  if ((body = nsim_usage_node_json(api, u, name, cpu_m, memory,
                                   api->now_ms(ctx))) == NULL)
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  code = api->update(ctx, &nodemetrics_res, NULL, name, body, NULL, NULL);
  if (code == 404)
    code = api->create(ctx, &nodemetrics_res, NULL, body, NULL, NULL);
  if (code == 200 || code == 201) {
    u->nodes[i].cpu_m = cpu_m;
    u->nodes[i].memory = memory;
  }
  api->free(body);
  return CPLANE_RECONCILE_REQUEUE_AFTER;
}

int nsim_usage_reconcile(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, struct nodesim *st,
                         uint32_t pods, const char *key,
                         uint32_t *requeue_ms) {
  if (st->usage == NULL || !st->usage->enabled)
    return CPLANE_RECONCILE_DONE;
  if (strncmp(key, "usage-node/", 11) == 0)
    return reconcile_node_usage(api, ctx, st, pods, key + 11, requeue_ms);
  return reconcile_pod_usage(api, ctx, st, pods, key + 6);
}
