/*
 * verbs_metrics - metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics,
 * served as metrics-server serves them: computed on every read from the
 * pods and nodes the store holds (metrics_usage.h), never stored. get
 * and list only (namespaced or across namespaces, labelSelector and
 * fieldSelector on metadata, matched on the pod or node itself since the
 * metrics carry its name, namespace and labels); a watch or any write is
 * kube's 405.
 *
 * Cost: a PodMetrics list reads the pods it covers once and each of
 * their nodes once; a NodeMetrics list reads every node once, then every
 * pod once, grouped by spec.nodeName through a map: nothing is read once
 * per node.
 *
 * Threading: the calling request worker; per-request state only.
 * Ownership: everything made here is freed before returning; the body
 * goes to rs.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cplane/smap.h>

#include "apiserver/metrics_usage.h"
#include "apiserver/status.h"
#include "apiserver/store_each.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/verbs.h"
#include "object/json_buf.h"

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- refusals */

/* What metrics-server's router answers for a method no route has (every
 * write), through kube's serviceErrorHandler. */
static void method_not_allowed(struct cp_api_response *rs) {
  struct cp_status_cause cause = {"UnexpectedServerResponse",
                                  "405: Method Not Allowed", NULL};
  struct cp_status_details d = {.causes = &cause, .n_causes = 1};

  cp_api_respond_status(rs, 405,
                        cp_status_failure(405, "MethodNotAllowed",
                                          "the server does not allow this "
                                          "method on the requested resource",
                                          &d));
}

/* kube's NewMethodNotSupported: a watch of storage with no Watcher. */
static void watch_not_supported(struct cp_api_response *rs,
                                const struct cp_resource_type *t) {
  struct cp_status_details d = {.group = t->group, .kind = t->resource};
  char what[300], msg[400];

  cp_verbs_qualified_resource(t, what, sizeof what);
  snprintf(msg, sizeof msg,
           "watch is not supported on resources of kind "
           "\"%s\"",
           what);
  cp_api_respond_status(rs, 405,
                        cp_status_failure(405, "MethodNotAllowed", msg, &d));
}

/* The lister's own 404 for a pod or node that does not exist, passed on
 * as metrics-server does: client-go names the resource "pods" for its
 * generic pod lister and "node" for the typed node lister. */
static void object_not_found(struct cp_api_response *rs, const char *resource,
                             const char *name) {
  struct cp_status_details d = {.name = name, .kind = resource};
  char msg[600];

  snprintf(msg, sizeof msg, "%s \"%.500s\" not found", resource, name);
  cp_api_respond_status(rs, 404, cp_status_failure(404, "NotFound", msg, &d));
}

/* ---------------------------------------------------------- reading */

static const struct cp_resource_type *core_type(struct cp_api_ctx *ctx,
                                                const char *resource) {
  return cp_resources_find(ctx->resources, "", "v1", resource);
}

/* The stored object t/ns/name: 1 and *out, 0 when absent, -1 having
 * responded (store failure, out of memory). */
static int read_object(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                       const char *ns, const char *name, json_object **out,
                       struct cp_api_response *rs) {
  char *key = t != NULL ? cp_api_key(t, ns, name) : NULL;
  cp_store_kv kv;
  int rc, found = -1;

  memset(&kv, 0, sizeof kv);
  *out = NULL;
  if (key == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  if (rc == CPLANE_ENOENT) {
    found = 0;
  } else if (rc != CPLANE_OK) {
    cp_verbs_store_error(rs, rc);
  } else if ((*out = cp_api_parse_stored(NULL, &kv)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
  } else {
    found = 1;
  }
  cp_store_kv_free(&kv);
  free(key);
  return found;
}

/* The nodes' declared models, each read once per request. */
struct node_models {
  struct cp_api_ctx *ctx;
  const struct cp_resource_type *nodes;
  struct cplane_smap map; /* name -> struct cp_usage_model *, or &none */
};

static struct cp_usage_model none_declared;

static void free_model(void *ud, const char *name, void *model) {
  (void)ud;
  (void)name;
  if (model != &none_declared)
    free(model);
}

static void node_models_free(struct node_models *nm) {
  cplane_smap_foreach(&nm->map, free_model, NULL);
  cplane_smap_free(&nm->map);
}

/* Node name's model, NULL when it declares none; *err set on a store
 * failure or out of memory. */
static const struct cp_usage_model *model_of(struct node_models *nm,
                                             const char *name, int *err) {
  struct cp_usage_model m, *copy = &none_declared;
  struct cp_api_response scratch;
  json_object *node = NULL;
  void *v = cplane_smap_get(&nm->map, name);

  if (v != NULL)
    return v != &none_declared ? v : NULL;
  memset(&scratch, 0, sizeof scratch);
  if (read_object(nm->ctx, nm->nodes, NULL, name, &node, &scratch) < 0) {
    free(scratch.body);
    *err = 1;
    return NULL;
  }
  if (node != NULL && cp_usage_model_of(node, &m) &&
      (copy = malloc(sizeof *copy)) != NULL)
    *copy = m;
  json_object_put(node);
  if (copy == NULL || cplane_smap_put(&nm->map, name, copy, NULL) != 0) {
    if (copy != &none_declared)
      free(copy);
    *err = 1;
    return NULL;
  }
  return copy != &none_declared ? copy : NULL;
}

/* ---------------------------------------------------------- replies */

/* A list's items, printed as they are made. */
struct items {
  struct cp_json_buf buf;
  size_t n;
  int nomem;
};

static void items_add(struct items *it, json_object *o) {
  char *text = o != NULL ? cp_api_to_text(o) : NULL;

  if (text == NULL) {
    it->nomem = 1;
    return;
  }
  if (it->n++ > 0)
    cp_json_buf_put(&it->buf, ",", 1);
  cp_json_buf_puts(&it->buf, text);
  free(text);
}

/* metrics-server's lists carry no resourceVersion: nothing is stored. */
static void respond_list(struct cp_api_response *rs,
                         const struct cp_resource_type *t, struct items *it) {
  struct cp_json_buf out = CP_JSON_BUF_INIT;

  cp_json_buf_puts(&out, "{\"kind\":\"");
  cp_json_buf_puts(&out, t->list_kind);
  cp_json_buf_puts(&out, "\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
                         "\"metadata\":{},\"items\":[");
  if (it->buf.data != NULL)
    cp_json_buf_put(&out, it->buf.data, it->buf.len);
  cp_json_buf_puts(&out, "]}");
  cp_verbs_respond_text(
      rs, 200, it->nomem || it->buf.nomem ? NULL : cp_json_buf_take(&out));
  cp_json_buf_reset(&out);
}

static void respond_object(struct cp_api_response *rs, json_object *o) {
  cp_verbs_respond_text(rs, 200, o != NULL ? cp_api_to_text(o) : NULL);
}

/* ---------------------------------------------------------- pods */

static void get_pod_metrics(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            struct cp_api_response *rs,
                            struct node_models *nm) {
  json_object *pod = NULL, *pm = NULL;
  const struct cp_usage_model *m = NULL;
  const char *node;
  int found, err = 0, nomem = 0;
  char what[600];

  found = read_object(ctx, core_type(ctx, "pods"), rq->ns, rq->name, &pod, rs);
  if (found < 0)
    return;
  if (found == 0) {
    object_not_found(rs, "pods", rq->name);
    return;
  }
  if ((node = cp_field_str(pod, "spec.nodeName")) != NULL)
    m = model_of(nm, node, &err);
  if (m != NULL)
    pm = cp_usage_pod_metrics(pod, m, now_ms(), &nomem);
  if (err || nomem) {
    cp_api_respond_status(rs, 500, NULL);
  } else if (pm == NULL) {
    snprintf(what, sizeof what, "%s/%s", rq->ns, rq->name);
    cp_verbs_not_found(rs, rq->type, what);
  } else {
    respond_object(rs, pm);
  }
  json_object_put(pm);
  json_object_put(pod);
}

struct pod_walk {
  struct node_models *nm;
  struct cp_api_selectors *sel;
  int64_t now_ms;
  struct items items;
  int err;
};

static int on_pod(json_object *pod, void *arg) {
  struct pod_walk *w = arg;
  const char *phase = cp_field_str(pod, "status.phase");
  const char *node = cp_field_str(pod, "spec.nodeName");
  const struct cp_usage_model *m;
  json_object *pm;
  int nomem = 0;

  /* Only Running pods are reported: skip the rest before any lookup. */
  if (phase == NULL || strcmp(phase, "Running") != 0 || node == NULL ||
      !cp_api_selectors_match(w->sel, pod))
    return 0;
  if ((m = model_of(w->nm, node, &w->err)) == NULL)
    return w->err;
  pm = cp_usage_pod_metrics(pod, m, w->now_ms, &nomem);
  if (pm != NULL)
    items_add(&w->items, pm);
  json_object_put(pm);
  w->err |= nomem;
  return w->err;
}

static void list_pod_metrics(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                             struct cp_api_response *rs,
                             struct node_models *nm) {
  struct pod_walk w = {
      .nm = nm, .now_ms = now_ms(), .items = {.buf = CP_JSON_BUF_INIT}};
  const struct cp_resource_type *pods = core_type(ctx, "pods");

  if (cp_api_selectors_parse(rq, &w.sel, rs) < 0)
    return;
  if (pods == NULL || cp_store_each_in(ctx, pods, rq->ns, on_pod, &w) < 0 ||
      w.err)
    cp_api_respond_status(rs, 500, NULL);
  else
    respond_list(rs, rq->type, &w.items);
  cp_json_buf_reset(&w.items.buf);
  cp_api_selectors_free(w.sel);
}

/* ---------------------------------------------------------- nodes */

/* One node being summed: what its NodeMetrics needs. */
struct node_sum {
  json_object *node; /* name and labels only */
  struct cp_usage_model m;
  struct cp_usage pods;
};

struct node_walk {
  struct cp_api_selectors *sel;
  const char *only; /* a get: this node's pods alone */
  struct node_sum *sums;
  size_t n, cap;
  struct cplane_smap by_name; /* name -> struct node_sum * (index + 1) */
  int64_t now_ms;
  int err;
};

/* {metadata: {name, labels}}: a node's metrics need no more of it. */
static json_object *slim_node(json_object *node) {
  json_object *o = json_object_new_object(), *md = json_object_new_object();
  json_object *labels =
      cp_field_typed(node, "metadata.labels", json_type_object);

  if (o == NULL || md == NULL) {
    json_object_put(o);
    json_object_put(md);
    return NULL;
  }
  json_object_object_add(o, "metadata", md);
  json_object_object_add(
      md, "name", json_object_new_string(cp_field_str(node, "metadata.name")));
  if (labels != NULL)
    json_object_object_add(md, "labels", json_object_get(labels));
  return o;
}

static int on_node(json_object *node, void *arg) {
  struct node_walk *w = arg;
  const char *name = cp_field_str(node, "metadata.name");
  struct cp_usage_model m;
  struct node_sum *s;

  if (name == NULL || !cp_usage_model_of(node, &m) ||
      !cp_api_selectors_match(w->sel, node))
    return 0;
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    struct node_sum *grown = realloc(w->sums, cap * sizeof *grown);

    if (grown == NULL)
      return w->err = 1;
    w->sums = grown;
    w->cap = cap;
  }
  s = &w->sums[w->n];
  memset(s, 0, sizeof *s);
  s->m = m;
  if ((s->node = slim_node(node)) == NULL)
    return w->err = 1;
  w->n++;
  /* Indexes, not pointers: the array may move as it grows. */
  if (cplane_smap_put(&w->by_name, name, (void *)(uintptr_t)w->n, NULL) != 0)
    return w->err = 1;
  return 0;
}

static int on_node_pod(json_object *pod, void *arg) {
  struct node_walk *w = arg;
  const char *phase = cp_field_str(pod, "status.phase");
  const char *node = cp_field_str(pod, "spec.nodeName");
  struct cp_usage u;
  struct node_sum *s;
  uintptr_t i;

  if (phase == NULL || strcmp(phase, "Running") != 0 || node == NULL ||
      (w->only != NULL && strcmp(node, w->only) != 0) ||
      (i = (uintptr_t)cplane_smap_get(&w->by_name, node)) == 0)
    return 0;
  s = &w->sums[i - 1];
  if (!cp_usage_pod_total(pod, &s->m, w->now_ms, &u))
    return 0;
  s->pods.cpu_m =
      s->pods.cpu_m > INT64_MAX - u.cpu_m ? INT64_MAX : s->pods.cpu_m + u.cpu_m;
  s->pods.memory = s->pods.memory > INT64_MAX - u.memory
                       ? INT64_MAX
                       : s->pods.memory + u.memory;
  return 0;
}

static void node_walk_free(struct node_walk *w) {
  size_t i;

  for (i = 0; i < w->n; i++)
    json_object_put(w->sums[i].node);
  free(w->sums);
  cplane_smap_free(&w->by_name);
  cp_api_selectors_free(w->sel);
}

/* Sums every reported pod into the nodes gathered; 0, or -1. */
static int sum_pods(struct cp_api_ctx *ctx, struct node_walk *w) {
  const struct cp_resource_type *pods = core_type(ctx, "pods");

  if (w->n == 0)
    return 0;
  if (pods == NULL || cp_store_each_in(ctx, pods, NULL, on_node_pod, w) < 0)
    return -1;
  return w->err ? -1 : 0;
}

static void get_node_metrics(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                             struct cp_api_response *rs, struct node_walk *w) {
  json_object *node = NULL, *nm = NULL;
  int found;

  found = read_object(ctx, core_type(ctx, "nodes"), NULL, rq->name, &node, rs);
  if (found < 0)
    return;
  if (found == 0) {
    object_not_found(rs, "node", rq->name);
    return;
  }
  w->only = rq->name;
  on_node(node, w);
  json_object_put(node);
  if (w->err || sum_pods(ctx, w) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  if (w->n == 0) {
    cp_verbs_not_found(rs, rq->type, rq->name);
    return;
  }
  nm = cp_usage_node_metrics(w->sums[0].node, &w->sums[0].m, &w->sums[0].pods,
                             w->now_ms);
  respond_object(rs, nm);
  json_object_put(nm);
}

static void list_node_metrics(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                              struct cp_api_response *rs, struct node_walk *w) {
  const struct cp_resource_type *nodes = core_type(ctx, "nodes");
  struct items it = {.buf = CP_JSON_BUF_INIT};
  size_t i;

  if (cp_api_selectors_parse(rq, &w->sel, rs) < 0)
    return;
  if (nodes == NULL || cp_store_each_in(ctx, nodes, NULL, on_node, w) < 0 ||
      w->err || sum_pods(ctx, w) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  for (i = 0; i < w->n && !it.nomem; i++) {
    json_object *nm = cp_usage_node_metrics(w->sums[i].node, &w->sums[i].m,
                                            &w->sums[i].pods, w->now_ms);

    items_add(&it, nm);
    json_object_put(nm);
  }
  respond_list(rs, rq->type, &it);
  cp_json_buf_reset(&it.buf);
}

/* ---------------------------------------------------------- dispatch */

static void serve_pods(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                       struct cp_api_response *rs) {
  struct node_models nm = {.ctx = ctx, .nodes = core_type(ctx, "nodes")};

  if (nm.nodes == NULL || cplane_smap_init(&nm.map) != 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  if (rq->name != NULL)
    get_pod_metrics(ctx, rq, rs, &nm);
  else
    list_pod_metrics(ctx, rq, rs, &nm);
  node_models_free(&nm);
}

static void serve_nodes(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        struct cp_api_response *rs) {
  struct node_walk w = {.now_ms = now_ms()};

  if (cplane_smap_init(&w.by_name) != 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  if (rq->name != NULL)
    get_node_metrics(ctx, rq, rs, &w);
  else
    list_node_metrics(ctx, rq, rs, &w);
  node_walk_free(&w);
}

void cp_verb_metrics(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                     struct cp_api_response *rs) {
  if (rq->method != CP_API_GET) {
    method_not_allowed(rs);
    return;
  }
  if (rq->name == NULL && cp_query_bool(&rq->query, "watch")) {
    watch_not_supported(rs, rq->type);
    return;
  }
  if (strcmp(rq->type->resource, "pods") == 0)
    serve_pods(ctx, rq, rs);
  else
    serve_nodes(ctx, rq, rs);
}
