/* nodeinfo - see nodeinfo.h. */
#include "nodeinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sched_reason_text[SCHED_N_REASONS] = {
    [SCHED_FIT] = "fit",
    [SCHED_R_UNSCHEDULABLE] = "node(s) were unschedulable",
    [SCHED_R_CPU] = "Insufficient cpu",
    [SCHED_R_MEMORY] = "Insufficient memory",
    [SCHED_R_PODS] = "Too many pods",
    [SCHED_R_AFFINITY] = "node(s) didn't match Pod's node affinity/selector",
    [SCHED_R_TAINT] = "node(s) had untolerated taint(s)",
    [SCHED_R_PORTS] = "node(s) didn't have free ports for the requested pod "
                      "ports",
    [SCHED_R_SPREAD] = "node(s) didn't match pod topology spread constraints",
    [SCHED_R_SPREAD_LABEL] = "node(s) didn't match pod topology spread "
                             "constraints (missing required label)",
    [SCHED_R_NOT_READY] = "node(s) had untolerated taint "
                          "{node.kubernetes.io/not-ready: }",
};

static int effect_of(const char *s) {
  if (s == NULL)
    return -1;
  if (strcmp(s, "NoSchedule") == 0)
    return SCHED_EFFECT_NO_SCHEDULE;
  if (strcmp(s, "PreferNoSchedule") == 0)
    return SCHED_EFFECT_PREFER_NO_SCHEDULE;
  if (strcmp(s, "NoExecute") == 0)
    return SCHED_EFFECT_NO_EXECUTE;
  return -1;
}

static void free_taints(struct sched_node *n) {
  int i;

  for (i = 0; i < n->n_taints; i++) {
    free(n->taints[i].key);
    free(n->taints[i].value);
  }
  free(n->taints);
  n->taints = NULL;
  n->n_taints = 0;
}

static int taints_equal(const struct sched_taint *a, int na,
                        const struct sched_taint *b, int nb) {
  int i;

  if (na != nb)
    return 0;
  for (i = 0; i < na; i++)
    if (a[i].effect != b[i].effect || strcmp(a[i].key, b[i].key) != 0 ||
        strcmp(a[i].value, b[i].value) != 0)
      return 0;
  return 1;
}

/* Parses spec.taints into a new array. Unknown effects are skipped. */
static int parse_taints(const struct cplane_host_api *api,
                        const cplane_object *obj, struct sched_taint **out,
                        int *n_out) {
  int n = api->object_len(obj, "spec.taints"), i, k = 0;
  struct sched_taint *t;

  *out = NULL;
  *n_out = 0;
  if (n <= 0)
    return CPLANE_OK;
  if ((t = calloc((size_t)n, sizeof *t)) == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < n; i++) {
    const char *key = cplane_array_string(api, obj, "spec.taints", i, "key");
    const char *value =
        cplane_array_string(api, obj, "spec.taints", i, "value");
    int effect =
        effect_of(cplane_array_string(api, obj, "spec.taints", i, "effect"));
    if (key == NULL || effect < 0)
      continue;
    t[k].key = strdup(key);
    t[k].value = strdup(value ? value : "");
    t[k].effect = effect;
    if (t[k].key == NULL || t[k].value == NULL) {
      free(t[k].key);
      free(t[k].value);
      goto nomem;
    }
    k++;
  }
  *out = t;
  *n_out = k;
  return CPLANE_OK;
nomem:
  while (k-- > 0) {
    free(t[k].key);
    free(t[k].value);
  }
  free(t);
  return CPLANE_ENOMEM;
}

static int64_t quantity_at(const struct cplane_host_api *api,
                           const cplane_object *obj, const char *path,
                           int scale10) {
  const char *s = api->object_string(obj, path);
  int64_t v = 0;

  if (s == NULL || cplane_quantity_parse_scaled(s, scale10, &v, NULL) != 0 ||
      v < 0)
    return 0;
  return v;
}

int nodeinfo_set(const struct cplane_host_api *api, struct sched_node *n,
                 const cplane_object *obj) {
  struct sched_taint *taints = NULL;
  int n_taints = 0, unsched = 0, changed;
  int64_t cpu, mem, pods;
  char *labels = NULL;

  if (parse_taints(api, obj, &taints, &n_taints) != CPLANE_OK)
    return CPLANE_ENOMEM;
  labels = api->object_json(obj, "metadata.labels");
  api->object_bool(obj, "spec.unschedulable", &unsched);
  cpu = quantity_at(api, obj, "status.allocatable.cpu", 3);
  mem = quantity_at(api, obj, "status.allocatable.memory", 0);
  pods = quantity_at(api, obj, "status.allocatable.pods", 0);
  changed = !n->live || cpu != n->alloc_cpu || mem != n->alloc_mem ||
            pods != n->alloc_pods || unsched != n->unschedulable ||
            !taints_equal(taints, n_taints, n->taints, n->n_taints) ||
            (labels == NULL) != (n->labels == NULL) ||
            (labels != NULL && strcmp(labels, n->labels) != 0);
  free_taints(n);
  n->taints = taints;
  n->n_taints = n_taints;
  api->free(n->labels);
  n->labels = labels;
  n->unschedulable = unsched;
  n->alloc_cpu = cpu;
  n->alloc_mem = mem;
  n->alloc_pods = pods;
  api->object_release(n->obj);
  n->obj = api->object_retain(obj);
  n->live = 1;
  return changed;
}

void nodeinfo_free(const struct cplane_host_api *api, struct sched_node *n) {
  free_taints(n);
  api->free(n->labels);
  api->object_release(n->obj);
  free(n->ports);
  free(n->name);
  free(n);
}

int nodeinfo_account(struct sched_node *n, int sign, int64_t cpu, int64_t mem,
                     int64_t nz_cpu, int64_t nz_mem,
                     const struct sched_port *ports, int n_ports) {
  int i, k;

  n->req_cpu += sign * cpu;
  n->req_mem += sign * mem;
  n->nz_cpu += sign * nz_cpu;
  n->nz_mem += sign * nz_mem;
  n->n_pods += sign;
  for (i = 0; i < n_ports; i++) {
    if (sign > 0) {
      if (n->n_ports == n->cap_ports) {
        int cap = n->cap_ports ? n->cap_ports * 2 : 8;
        struct sched_port *p = realloc(n->ports, (size_t)cap * sizeof *p);

        if (p == NULL)
          return CPLANE_ENOMEM;
        n->ports = p;
        n->cap_ports = cap;
      }
      n->ports[n->n_ports++] = ports[i];
      continue;
    }
    for (k = 0; k < n->n_ports; k++) {
      if (n->ports[k].port == ports[i].port &&
          n->ports[k].proto == ports[i].proto) {
        n->ports[k] = n->ports[--n->n_ports];
        break;
      }
    }
  }
  return CPLANE_OK;
}

/* ---- filters ---- */

static int expr_match(const struct cplane_host_api *api,
                      const struct sched_node *n, const struct sched_expr *e) {
  const char *v = e->field ? n->name : api->object_label(n->obj, e->key);
  int i;

  switch (e->op) {
  case SCHED_OP_IN:
  case SCHED_OP_NOT_IN: {
    int found = 0;

    for (i = 0; v != NULL && i < e->n_values && !found; i++)
      found = strcmp(v, e->values[i]) == 0;
    return e->op == SCHED_OP_IN ? found : !found;
  }
  case SCHED_OP_EXISTS:
    return v != NULL;
  case SCHED_OP_DOES_NOT_EXIST:
    return v == NULL;
  case SCHED_OP_GT:
  case SCHED_OP_LT: {
    char *end;
    long long have, want;

    if (v == NULL || e->n_values != 1)
      return 0;
    have = strtoll(v, &end, 10);
    if (*end != '\0')
      return 0;
    want = strtoll(e->values[0], &end, 10);
    if (*end != '\0')
      return 0;
    return e->op == SCHED_OP_GT ? have > want : have < want;
  }
  }
  return 0;
}

static int term_match(const struct cplane_host_api *api,
                      const struct sched_node *n, const struct sched_term *t) {
  int i;

  /* An empty term matches nothing, as in Kubernetes. */
  if (t->n_exprs == 0)
    return 0;
  for (i = 0; i < t->n_exprs; i++)
    if (!expr_match(api, n, &t->exprs[i]))
      return 0;
  return 1;
}

int nodeinfo_affinity_match(const struct cplane_host_api *api,
                            const struct sched_node *n,
                            const struct sched_pod *p) {
  int i;

  for (i = 0; i < p->n_node_selector; i++)
    if (!expr_match(api, n, &p->node_selector[i]))
      return 0;
  if (p->n_required == 0)
    return 1;
  for (i = 0; i < p->n_required; i++)
    if (term_match(api, n, &p->required[i]))
      return 1;
  return 0;
}

static int tolerated(const struct sched_pod *p, const char *key,
                     const char *value, int effect) {
  int i;

  for (i = 0; i < p->n_tols; i++)
    if (podinfo_tolerates(&p->tols[i], key, value, effect))
      return 1;
  return 0;
}

int nodeinfo_filter(const struct cplane_host_api *api,
                    const struct sched_node *n, const struct sched_pod *p) {
  int i, k;

  if (!n->live)
    return SCHED_R_UNSCHEDULABLE;
  if (n->unschedulable &&
      !tolerated(p, "node.kubernetes.io/unschedulable", "",
                 SCHED_EFFECT_NO_SCHEDULE))
    return SCHED_R_UNSCHEDULABLE;
  if (n->n_pods + 1 > n->alloc_pods)
    return SCHED_R_PODS;
  if (p->cpu > 0 && n->req_cpu + p->cpu > n->alloc_cpu)
    return SCHED_R_CPU;
  if (p->mem > 0 && n->req_mem + p->mem > n->alloc_mem)
    return SCHED_R_MEMORY;
  if (!nodeinfo_affinity_match(api, n, p))
    return SCHED_R_AFFINITY;
  for (i = 0; i < n->n_taints; i++) {
    const struct sched_taint *t = &n->taints[i];

    if (t->effect == SCHED_EFFECT_PREFER_NO_SCHEDULE ||
        tolerated(p, t->key, t->value, t->effect))
      continue;
    return strcmp(t->key, "node.kubernetes.io/not-ready") == 0
               ? SCHED_R_NOT_READY
               : SCHED_R_TAINT;
  }
  for (i = 0; i < p->n_ports; i++)
    for (k = 0; k < n->n_ports; k++)
      if (n->ports[k].port == p->ports[i].port &&
          n->ports[k].proto == p->ports[i].proto)
        return SCHED_R_PORTS;
  return SCHED_FIT;
}

/* ---- scores ---- */

static double used_fraction(int64_t used, int64_t cap) {
  if (cap <= 0)
    return 1.0;
  if (used >= cap)
    return 1.0;
  return (double)used / (double)cap;
}

int nodeinfo_least_allocated(const struct sched_node *n,
                             const struct sched_pod *p) {
  double c = used_fraction(n->nz_cpu + p->nz_cpu, n->alloc_cpu);
  double m = used_fraction(n->nz_mem + p->nz_mem, n->alloc_mem);

  return (int)(((1.0 - c) * 100.0 + (1.0 - m) * 100.0) / 2.0);
}

int nodeinfo_balanced(const struct sched_node *n, const struct sched_pod *p) {
  double c = used_fraction(n->req_cpu + p->cpu, n->alloc_cpu);
  double m = used_fraction(n->req_mem + p->mem, n->alloc_mem);
  double d = c > m ? c - m : m - c;

  /* Two resources: the standard deviation is half their difference. */
  return (int)((1.0 - d / 2.0) * 100.0);
}

int nodeinfo_prefer_taints(const struct sched_node *n,
                           const struct sched_pod *p) {
  int i, count = 0;

  for (i = 0; i < n->n_taints; i++)
    if (n->taints[i].effect == SCHED_EFFECT_PREFER_NO_SCHEDULE &&
        !tolerated(p, n->taints[i].key, n->taints[i].value,
                   SCHED_EFFECT_PREFER_NO_SCHEDULE))
      count++;
  return count;
}

int nodeinfo_preferred_affinity(const struct cplane_host_api *api,
                                const struct sched_node *n,
                                const struct sched_pod *p) {
  int i, sum = 0;

  for (i = 0; i < p->n_preferred; i++)
    if (term_match(api, n, &p->preferred[i]))
      sum += p->preferred[i].weight;
  return sum;
}
