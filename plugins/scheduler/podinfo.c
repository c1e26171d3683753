/* podinfo - see podinfo.h. */
#include "podinfo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 320

static const char *str_at(const struct cplane_host_api *api,
                          const cplane_object *o, char *path, size_t len,
                          const char *fmt, ...) CPLANE_PRINTF(5, 6);

/* object_string() of a formatted path; NULL when absent or too long. */
static const char *str_at(const struct cplane_host_api *api,
                          const cplane_object *o, char *path, size_t len,
                          const char *fmt, ...) {
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(path, len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= len)
    return NULL;
  return api->object_string(o, path);
}

static int len_at(const struct cplane_host_api *api, const cplane_object *o,
                  const char *path) {
  int n = api->object_len(o, path);

  return n < 0 ? 0 : n;
}

static int effect_of(const char *s) {
  if (s == NULL || *s == '\0')
    return SCHED_EFFECT_ALL;
  if (strcmp(s, "NoSchedule") == 0)
    return SCHED_EFFECT_NO_SCHEDULE;
  if (strcmp(s, "PreferNoSchedule") == 0)
    return SCHED_EFFECT_PREFER_NO_SCHEDULE;
  if (strcmp(s, "NoExecute") == 0)
    return SCHED_EFFECT_NO_EXECUTE;
  return -1;
}

static int op_of(const char *s) {
  static const char *names[] = {"In", "NotIn", "Exists", "DoesNotExist",
                                "Gt", "Lt"};
  int i;

  for (i = 0; s != NULL && i < 6; i++)
    if (strcmp(s, names[i]) == 0)
      return i + 1;
  return -1;
}

/* ---- requests ---- */

/* A request of s scaled by 10^scale10 (3: millicores, 0: bytes), rounded
 * up. 0, or -1 when s is not a quantity or is negative. */
static int request_qty(const char *s, int scale10, int64_t *v) {
  return cplane_quantity_parse_scaled(s, scale10, v, NULL) == CPLANE_OK &&
                 *v >= 0
             ? 0
             : -1;
}

/* Adds the cpu and memory requests of the containers in `list` into
 * cpu/mem (sum) and their non-zero forms into nz_*. */
static int sum_requests(const struct cplane_host_api *api,
                        const cplane_object *pod, const char *list,
                        int64_t *cpu, int64_t *mem, int64_t *nz_cpu,
                        int64_t *nz_mem) {
  char path[PATH_MAX_LEN];
  int n = len_at(api, pod, list), i;

  *cpu = *mem = *nz_cpu = *nz_mem = 0;
  for (i = 0; i < n; i++) {
    const char *c = str_at(api, pod, path, sizeof path,
                           "%s[%d].resources.requests.cpu", list, i);
    const char *m = str_at(api, pod, path, sizeof path,
                           "%s[%d].resources.requests.memory", list, i);
    int64_t v;

    if (c != NULL) {
      if (request_qty(c, 3, &v) != 0)
        return -1;
      *cpu += v;
      *nz_cpu += v;
    } else {
      *nz_cpu += SCHED_DEFAULT_CPU;
    }
    if (m != NULL) {
      if (request_qty(m, 0, &v) != 0)
        return -1;
      *mem += v;
      *nz_mem += v;
    } else {
      *nz_mem += SCHED_DEFAULT_MEM;
    }
  }
  return 0;
}

/* A pod needs the larger of its init containers (run one at a time) and
 * its containers (run together), plus its overhead. */
static int parse_requests(const struct cplane_host_api *api,
                          const cplane_object *pod, struct sched_pod *p) {
  int64_t c, m, nc, nm, ic, im, inc, inm, v;
  const char *s;

  if (sum_requests(api, pod, "spec.containers", &c, &m, &nc, &nm) != 0)
    return -1;
  if (len_at(api, pod, "spec.initContainers") > 0) {
    int n = len_at(api, pod, "spec.initContainers"), i;
    char path[PATH_MAX_LEN];

    for (i = 0; i < n; i++) {
      const char *cs = str_at(api, pod, path, sizeof path,
                              "spec.initContainers[%d].resources.requests.cpu",
                              i);
      const char *ms = str_at(
          api, pod, path, sizeof path,
          "spec.initContainers[%d].resources.requests.memory", i);

      ic = im = 0;
      if (cs != NULL && request_qty(cs, 3, &ic) != 0)
        return -1;
      if (ms != NULL && request_qty(ms, 0, &im) != 0)
        return -1;
      inc = cs != NULL ? ic : SCHED_DEFAULT_CPU;
      inm = ms != NULL ? im : SCHED_DEFAULT_MEM;
      c = ic > c ? ic : c;
      m = im > m ? im : m;
      nc = inc > nc ? inc : nc;
      nm = inm > nm ? inm : nm;
    }
  }
  if ((s = api->object_string(pod, "spec.overhead.cpu")) != NULL) {
    if (request_qty(s, 3, &v) != 0)
      return -1;
    c += v;
    nc += v;
  }
  if ((s = api->object_string(pod, "spec.overhead.memory")) != NULL) {
    if (request_qty(s, 0, &v) != 0)
      return -1;
    m += v;
    nm += v;
  }
  p->cpu = c;
  p->mem = m;
  p->nz_cpu = nc;
  p->nz_mem = nm;
  return 0;
}

static int parse_ports(const struct cplane_host_api *api,
                       const cplane_object *pod, struct sched_pod *p) {
  char path[PATH_MAX_LEN];
  int n = len_at(api, pod, "spec.containers"), i, j, total = 0;

  for (i = 0; i < n; i++) {
    snprintf(path, sizeof path, "spec.containers[%d].ports", i);
    total += len_at(api, pod, path);
  }
  if (total == 0)
    return CPLANE_OK;
  if ((p->ports = calloc((size_t)total, sizeof *p->ports)) == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < n; i++) {
    int np;

    snprintf(path, sizeof path, "spec.containers[%d].ports", i);
    np = len_at(api, pod, path);
    for (j = 0; j < np; j++) {
      int64_t hp = 0;
      const char *proto;

      snprintf(path, sizeof path, "spec.containers[%d].ports[%d].hostPort",
               i, j);
      if (api->object_int(pod, path, &hp) != CPLANE_OK || hp <= 0 ||
          hp > 65535)
        continue;
      proto = str_at(api, pod, path, sizeof path,
                     "spec.containers[%d].ports[%d].protocol", i, j);
      p->ports[p->n_ports].port = (int)hp;
      p->ports[p->n_ports].proto =
          proto == NULL || strcmp(proto, "TCP") == 0   ? 0
          : strcmp(proto, "UDP") == 0                  ? 1
                                                       : 2;
      p->n_ports++;
    }
  }
  return CPLANE_OK;
}

static int parse_tolerations(const struct cplane_host_api *api,
                             const cplane_object *pod, struct sched_pod *p,
                             const char **why) {
  char path[PATH_MAX_LEN];
  int n = len_at(api, pod, "spec.tolerations"), i;

  if (n == 0)
    return CPLANE_OK;
  if ((p->tols = calloc((size_t)n, sizeof *p->tols)) == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < n; i++) {
    struct sched_toleration *t = &p->tols[p->n_tols];
    const char *op = str_at(api, pod, path, sizeof path,
                            "spec.tolerations[%d].operator", i);

    t->key = str_at(api, pod, path, sizeof path, "spec.tolerations[%d].key",
                    i);
    t->value = str_at(api, pod, path, sizeof path,
                      "spec.tolerations[%d].value", i);
    t->exists = op != NULL && strcmp(op, "Exists") == 0;
    t->effect = effect_of(
        str_at(api, pod, path, sizeof path, "spec.tolerations[%d].effect", i));
    if (t->effect < 0 || (op != NULL && !t->exists && strcmp(op, "Equal"))) {
      *why = "a toleration has an unknown operator or effect";
      return CPLANE_EINVAL;
    }
    p->n_tols++;
  }
  return CPLANE_OK;
}

int podinfo_tolerates(const struct sched_toleration *t, const char *key,
                      const char *value, int effect) {
  if (t->effect != SCHED_EFFECT_ALL && t->effect != effect)
    return 0;
  if (t->exists)
    return t->key == NULL || t->key[0] == '\0' ||
           (key != NULL && strcmp(t->key, key) == 0);
  if (t->key == NULL || key == NULL || strcmp(t->key, key) != 0)
    return 0;
  return strcmp(t->value ? t->value : "", value ? value : "") == 0;
}

/* ---- node selector and affinity ---- */

struct collect {
  struct sched_pod *p;
  const struct cplane_host_api *api;
  const cplane_object *pod;
  int failed;
};

static int add_selector_entry(void *ud, const char *key, const char *str) {
  struct collect *c = ud;
  struct sched_expr *e;
  char path[PATH_MAX_LEN], *esc = NULL;
  size_t i, j = 0, n = strlen(key);

  if (c->p->n_node_selector >= c->p->cap_node_selector)
    return 1;
  e = &c->p->node_selector[c->p->n_node_selector];

  /* The value by a path that survives the call: the key with '.', '[' and
   * '\' escaped. */
  if (str == NULL || (esc = malloc(2 * n + 1)) == NULL) {
    c->failed = 1;
    return 1;
  }
  for (i = 0; i < n; i++) {
    if (key[i] == '.' || key[i] == '[' || key[i] == '\\')
      esc[j++] = '\\';
    esc[j++] = key[i];
  }
  esc[j] = '\0';
  snprintf(path, sizeof path, "spec.nodeSelector.%s", esc);
  free(esc);
  e->values = malloc(sizeof *e->values);
  e->key = NULL;
  if (e->values == NULL) {
    c->failed = 1;
    return 1;
  }
  e->values[0] = c->api->object_string(c->pod, path);
  /* foreach's key is only borrowed for the call: keep a copy. */
  e->key = strdup(key);
  if (e->key == NULL || e->values[0] == NULL) {
    c->failed = 1;
    return 1;
  }
  e->n_values = 1;
  e->op = SCHED_OP_IN;
  e->field = 0;
  c->p->n_node_selector++;
  return 0;
}

static int parse_node_selector(const struct cplane_host_api *api,
                               const cplane_object *pod, struct sched_pod *p) {
  int n = len_at(api, pod, "spec.nodeSelector");
  struct collect c = {p, api, pod, 0};

  if (n == 0)
    return CPLANE_OK;
  if ((p->node_selector = calloc((size_t)n, sizeof *p->node_selector)) ==
      NULL)
    return CPLANE_ENOMEM;
  p->cap_node_selector = n;
  api->object_foreach(pod, "spec.nodeSelector", add_selector_entry, &c);
  return c.failed ? CPLANE_ENOMEM : CPLANE_OK;
}

/* Parses the requirements at base.matchExpressions and base.matchFields
 * into t. */
static int parse_term(const struct cplane_host_api *api,
                      const cplane_object *pod, const char *base,
                      struct sched_term *t, const char **why) {
  static const char *lists[] = {"matchExpressions", "matchFields"};
  char path[PATH_MAX_LEN * 2], list[PATH_MAX_LEN];
  int total = 0, l, i, k;

  for (l = 0; l < 2; l++) {
    snprintf(list, sizeof list, "%s.%s", base, lists[l]);
    total += len_at(api, pod, list);
  }
  if (total == 0)
    return CPLANE_OK;
  if ((t->exprs = calloc((size_t)total, sizeof *t->exprs)) == NULL)
    return CPLANE_ENOMEM;
  t->cap_exprs = total;
  for (l = 0; l < 2; l++) {
    int n;

    snprintf(list, sizeof list, "%s.%s", base, lists[l]);
    n = len_at(api, pod, list);
    for (i = 0; i < n; i++) {
      struct sched_expr *e = &t->exprs[t->n_exprs];
      int nv;

      e->key = str_at(api, pod, path, sizeof path, "%s[%d].key", list, i);
      e->op = op_of(
          str_at(api, pod, path, sizeof path, "%s[%d].operator", list, i));
      e->field = l;
      if (e->key == NULL || e->op < 0 ||
          (l == 1 && strcmp(e->key, "metadata.name") != 0)) {
        *why = "a node affinity requirement is malformed";
        return CPLANE_EINVAL;
      }
      snprintf(path, sizeof path, "%s[%d].values", list, i);
      nv = len_at(api, pod, path);
      if (nv > 0 && (e->values = calloc((size_t)nv, sizeof *e->values)) ==
                        NULL)
        return CPLANE_ENOMEM;
      for (k = 0; k < nv; k++) {
        const char *v = str_at(api, pod, path, sizeof path,
                               "%s[%d].values[%d]", list, i, k);

        if (v != NULL)
          e->values[e->n_values++] = v;
      }
      t->n_exprs++;
    }
  }
  return CPLANE_OK;
}

static int parse_affinity(const struct cplane_host_api *api,
                          const cplane_object *pod, struct sched_pod *p,
                          const char **why) {
  static const char *req = "spec.affinity.nodeAffinity."
                           "requiredDuringSchedulingIgnoredDuringExecution."
                           "nodeSelectorTerms";
  static const char *pref = "spec.affinity.nodeAffinity."
                            "preferredDuringSchedulingIgnoredDuringExecution";
  char base[PATH_MAX_LEN];
  int n = len_at(api, pod, req), i, rc;

  if (n > 0 && (p->required = calloc((size_t)n, sizeof *p->required)) == NULL)
    return CPLANE_ENOMEM;
  p->cap_required = n;
  for (i = 0; i < n; i++) {
    snprintf(base, sizeof base, "%s[%d]", req, i);
    if ((rc = parse_term(api, pod, base, &p->required[i], why)) != CPLANE_OK)
      return rc;
    p->n_required++;
  }
  n = len_at(api, pod, pref);
  if (n > 0 &&
      (p->preferred = calloc((size_t)n, sizeof *p->preferred)) == NULL)
    return CPLANE_ENOMEM;
  p->cap_preferred = n;
  for (i = 0; i < n; i++) {
    int64_t w = 0;

    snprintf(base, sizeof base, "%s[%d].weight", pref, i);
    api->object_int(pod, base, &w);
    snprintf(base, sizeof base, "%s[%d].preference", pref, i);
    if ((rc = parse_term(api, pod, base, &p->preferred[i], why)) != CPLANE_OK)
      return rc;
    p->preferred[i].weight = (int)w;
    p->n_preferred++;
  }
  return CPLANE_OK;
}

/* ---- topology spread ---- */

static int parse_spreads(const struct cplane_host_api *api,
                         const cplane_object *pod, struct sched_pod *p,
                         const char **why) {
  char path[PATH_MAX_LEN];
  int n = len_at(api, pod, "spec.topologySpreadConstraints"), i;

  if (n == 0)
    return CPLANE_OK;
  if ((p->spreads = calloc((size_t)n, sizeof *p->spreads)) == NULL)
    return CPLANE_ENOMEM;
  p->cap_spreads = n;
  for (i = 0; i < n; i++) {
    struct sched_spread *s = &p->spreads[p->n_spreads];
    const char *when;
    int m;

    s->topology_key = str_at(api, pod, path, sizeof path,
                             "spec.topologySpreadConstraints[%d].topologyKey",
                             i);
    when = str_at(api, pod, path, sizeof path,
                  "spec.topologySpreadConstraints[%d].whenUnsatisfiable", i);
    snprintf(path, sizeof path, "spec.topologySpreadConstraints[%d].maxSkew",
             i);
    if (s->topology_key == NULL ||
        api->object_int(pod, path, &s->max_skew) != CPLANE_OK ||
        s->max_skew < 1) {
      *why = "a topology spread constraint needs topologyKey and maxSkew >= 1";
      return CPLANE_EINVAL;
    }
    s->hard = when == NULL || strcmp(when, "ScheduleAnyway") != 0;
    snprintf(path, sizeof path,
             "spec.topologySpreadConstraints[%d].labelSelector", i);
    /* No selector counts no pods, so the constraint can never bind. */
    if (api->object_type(pod, path) == CPLANE_ENOENT)
      continue;
    if ((s->selector = api->label_selector_text(pod, path)) == NULL) {
      *why = "a topology spread constraint has a malformed labelSelector";
      return CPLANE_EINVAL;
    }
    m = api->object_labels_match(pod, s->selector);
    s->self_match = m == 1;
    p->n_spreads++;
  }
  return CPLANE_OK;
}

int podinfo_parse(const struct cplane_host_api *api, const cplane_object *pod,
                  struct sched_pod *p, const char **why) {
  int rc;

  memset(p, 0, sizeof *p);
  p->api = api;
  p->obj = pod;
  *why = NULL;
  if (parse_requests(api, pod, p) != 0) {
    *why = "a resource request is not a valid quantity";
    return CPLANE_EINVAL;
  }
  if ((rc = parse_ports(api, pod, p)) != CPLANE_OK ||
      (rc = parse_tolerations(api, pod, p, why)) != CPLANE_OK ||
      (rc = parse_node_selector(api, pod, p)) != CPLANE_OK ||
      (rc = parse_affinity(api, pod, p, why)) != CPLANE_OK ||
      (rc = parse_spreads(api, pod, p, why)) != CPLANE_OK)
    return rc;
  return CPLANE_OK;
}

static void free_terms(struct sched_term *t, int cap) {
  int i, k;

  for (i = 0; t != NULL && i < cap; i++) {
    for (k = 0; k < t[i].cap_exprs; k++)
      free(t[i].exprs[k].values);
    free(t[i].exprs);
  }
  free(t);
}

void podinfo_free(struct sched_pod *p) {
  int i;

  free(p->ports);
  free(p->tols);
  for (i = 0; i < p->cap_node_selector; i++) {
    free((char *)p->node_selector[i].key);
    free(p->node_selector[i].values);
  }
  free(p->node_selector);
  free_terms(p->required, p->cap_required);
  free_terms(p->preferred, p->cap_preferred);
  for (i = 0; i < p->cap_spreads; i++)
    p->api->free(p->spreads[i].selector);
  free(p->spreads);
  memset(p, 0, sizeof *p);
}
