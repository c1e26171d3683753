/*
 * view - a DaemonSet's nodes, pods and revisions from the caches. See
 * view.h.
 */
#include "view.h"

#include "nodefit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TERM0                                                                  \
  "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"  \
  ".nodeSelectorTerms"

int ds_view_load(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 const cplane_object *ds, struct ds_view *v) {
  const char *gen = api->object_annotation(ds, DS_GENERATION_ANNOTATION);
  cplane_object_list *revs = NULL;
  size_t i;

  memset(v, 0, sizeof *v);
  v->ds = ds;
  v->generation = -1;
  if (gen != NULL) {
    char *end;
    long long g = strtoll(gen, &end, 10);

    if (end != gen && *end == '\0' && g >= 0)
      v->generation = g;
  }
  if (api->cache_list(ctx, DS_NODES, NULL, NULL, &v->nodes) != CPLANE_OK ||
      api->cache_list_by_index(ctx, DS_REVISIONS, "owner-uid",
                               api->object_uid(ds), NULL, &revs) != CPLANE_OK)
    return -1;
  v->revs = revs;
  v->n_nodes = (int)api->list_len(v->nodes);
  if ((v->node = calloc((size_t)v->n_nodes + 1, sizeof *v->node)) == NULL)
    return -1;
  for (i = 0; i < (size_t)v->n_nodes; i++) {
    const cplane_object *n = api->list_at(v->nodes, i);

    v->node[i].name = api->object_name(n);
    ds_node_fit(api, ds, n, &v->node[i]);
  }
  return 0;
}

/* The node a pod is for: spec.nodeName, or the single value of its first
 * `metadata.name In` field requirement. */
static const char *target_node(const struct cplane_host_api *api,
                               const cplane_object *pod) {
  const char *n = api->object_string(pod, "spec.nodeName");
  char p[CPLANE_PATH_MAX];
  int terms, t, f, nf;

  if (n != NULL && *n != '\0')
    return n;
  terms = api->object_len(pod, TERM0);
  for (t = 0; t < terms; t++) {
    snprintf(p, sizeof p, TERM0 "[%d].matchFields", t);
    nf = api->object_len(pod, p);
    for (f = 0; f < nf; f++) {
      const char *key, *op;

      snprintf(p, sizeof p, TERM0 "[%d].matchFields[%d].key", t, f);
      key = api->object_string(pod, p);
      snprintf(p, sizeof p, TERM0 "[%d].matchFields[%d].operator", t, f);
      op = api->object_string(pod, p);
      snprintf(p, sizeof p, TERM0 "[%d].matchFields[%d].values", t, f);
      if (key != NULL && op != NULL && strcmp(key, "metadata.name") == 0 &&
          strcmp(op, "In") == 0 && api->object_len(pod, p) == 1) {
        snprintf(p, sizeof p, TERM0 "[%d].matchFields[%d].values[0]", t, f);
        return api->object_string(pod, p);
      }
    }
  }
  return NULL;
}

/* Ready, and available after min_ready seconds; *wait_ms is how long
 * until a ready pod becomes available (0: it is, or is not ready). */
static void judge_ready(const struct cplane_host_api *api,
                        const cplane_object *pod, int64_t min_ready,
                        int64_t now_ms, struct ds_pod *r, int64_t *wait_ms) {
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  const char *st =
      i >= 0 ? cplane_array_string(api, pod, "status.conditions", i, "status")
             : NULL;
  int64_t since = 0;

  *wait_ms = 0;
  r->ready = st != NULL && strcmp(st, "True") == 0;
  r->available = r->ready;
  if (!r->ready || min_ready <= 0 ||
      cplane_time_parse(cplane_array_string(api, pod, "status.conditions", i,
                                            "lastTransitionTime"),
                        &since) != 0)
    return;
  if (since + min_ready * 1000 > now_ms) {
    r->available = 0;
    *wait_ms = since + min_ready * 1000 - now_ms;
  }
}

static int node_index(const struct cplane_smap *by_name, const char *name) {
  void *v = name != NULL ? cplane_smap_get(by_name, name) : NULL;

  return v != NULL ? (int)(intptr_t)v - 1 : -1;
}

static void judge_pod(const struct cplane_host_api *api,
                      const struct ds_view *v, const cplane_object *pod,
                      const char *hash, int64_t min_ready, int64_t now_ms,
                      struct ds_pod *r, int64_t *wait_ms) {
  const char *phase = api->object_string(pod, "status.phase");
  const char *h = api->object_label(pod, CPLANE_POD_REVISION_LABEL);
  const char *g = api->object_label(pod, DS_GENERATION_LABEL);
  const char *node = api->object_string(pod, "spec.nodeName");
  char gen[32];

  r->name = api->object_name(pod);
  r->scheduled = node != NULL && *node != '\0';
  r->deleting = api->object_deletion_timestamp(pod) != NULL;
  r->phase = phase == NULL                     ? DS_PHASE_ACTIVE
             : strcmp(phase, "Failed") == 0    ? DS_PHASE_FAILED
             : strcmp(phase, "Succeeded") == 0 ? DS_PHASE_SUCCEEDED
                                               : DS_PHASE_ACTIVE;
  snprintf(gen, sizeof gen, "%" PRId64, v->generation);
  /* kube's IsPodUpdated: the hash, or the template generation. */
  r->updated = (hash[0] != '\0' && h != NULL && strcmp(h, hash) == 0) ||
               (v->generation >= 0 && g != NULL && strcmp(g, gen) == 0);
  if (cplane_time_parse(api->object_string(pod, "metadata.creationTimestamp"),
                        &r->created_ms) != 0)
    r->created_ms = 0;
  judge_ready(api, pod, min_ready, now_ms, r, wait_ms);
}

int ds_view_load_pods(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      struct ds_view *v, const char *hash, int64_t now_ms) {
  struct cplane_smap by_name;
  int64_t min_ready = 0, wait, soonest = 0;
  size_t i, n;
  int rc = -1;

  if (cplane_smap_init(&by_name) != 0)
    return -1;
  for (i = 0; i < (size_t)v->n_nodes; i++)
    if (v->node[i].name != NULL &&
        cplane_smap_put(&by_name, v->node[i].name, (void *)(intptr_t)(i + 1),
                        NULL) != 0)
      goto out;
  if (api->cache_list_by_index(ctx, DS_PODS, "owner-uid",
                               api->object_uid(v->ds), NULL,
                               &v->pods) != CPLANE_OK)
    goto out;
  n = api->list_len(v->pods);
  v->pod = calloc(n + 1, sizeof *v->pod);
  v->pod_obj = calloc(n + 1, sizeof *v->pod_obj);
  if (v->pod == NULL || v->pod_obj == NULL)
    goto out;
  api->object_int(v->ds, "spec.minReadySeconds", &min_ready);
  for (i = 0; i < n; i++) {
    const cplane_object *pod = api->list_at(v->pods, i);
    struct ds_pod *r = &v->pod[v->n_pods];
    const char *target;

    if (!cplane_is_controlled_by(api, pod, api->object_uid(v->ds)) ||
        (cplane_pod_is_terminal(api, pod) &&
         api->object_deletion_timestamp(pod) != NULL))
      continue;
    if ((target = target_node(api, pod)) == NULL)
      continue; /* not a pod this controller placed */
    judge_pod(api, v, pod, hash, min_ready, now_ms, r, &wait);
    r->node = node_index(&by_name, target);
    if (wait > 0 && (soonest == 0 || wait < soonest))
      soonest = wait;
    v->pod_obj[v->n_pods++] = pod;
  }
  /* A little late rather than early, so the pod is available then. */
  v->next_available_ms = soonest > 0 ? (uint32_t)soonest + 50 : 0;
  rc = ds_groups_build(v->pod, v->n_pods, v->n_nodes, &v->g);
out:
  cplane_smap_free(&by_name);
  return rc;
}

void ds_view_free(const struct cplane_host_api *api, struct ds_view *v) {
  ds_groups_free(&v->g);
  free(v->node);
  free(v->pod);
  free(v->pod_obj);
  api->list_free(v->nodes);
  api->list_free(v->pods);
  api->list_free(v->revs);
  memset(v, 0, sizeof *v);
}
