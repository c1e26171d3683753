/*
 * scheduler - the default scheduler as a cplane scheduler plugin.
 *
 * Takes pods whose spec.nodeName is empty and whose schedulerName is ours,
 * refuses those whose PersistentVolumeClaims are missing or unbound and
 * bind Immediately (VolumeBinding's PreFilter, volumebinding.h), filters
 * the nodes (NodeUnschedulable, NodeResourcesFit, NodeAffinity,
 * TaintToleration, NodePorts, PodTopologySpread), scores the feasible ones
 * (LeastAllocated, BalancedAllocation, TaintToleration, preferred
 * NodeAffinity, soft PodTopologySpread; kube-scheduler's weights), stops
 * looking after percentageOfNodesToScore feasible nodes as kube-scheduler
 * does, assumes the pod onto the winner and binds it through
 * pods/NAME/binding. A pod that fits nowhere gets PodScheduled=False with
 * the reasons and a FailedScheduling event, and is retried with backoff
 * (1 s doubling to 10 s) and whenever a node changes in a way that could
 * make it fit, a bound pod goes away, or a claim or StorageClass changes.
 *
 * The scheduler keeps its own accounting of what is asked of each node:
 * bound pods from the pod watch, plus pods it has assumed and not yet seen
 * bound, so that two workers never both fill the last slot of a node.
 *
 * Threading: on_add/on_update/on_delete run on the host's dispatch threads
 * (pods and nodes on different ones) and reconcile on the workers. One
 * mutex guards the node table and the pod table; the filtering and scoring
 * of one pod run under it (kube-scheduler also has one scheduling cycle at
 * a time), the bind and every other API call outside it, so binds overlap.
 * Cache calls are never made under the mutex: the dispatch threads take
 * the mutex from inside the host's cache callbacks.
 */
#include <cplane/cplane.h>

#include "nodeinfo.h"
#include "podinfo.h"
#include "recorder.h"
#include "volumebinding.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PODS 0
#define NODES 1
#define CLAIMS 2
#define CLASSES 3

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 10000
#define WAKE_MIN_INTERVAL_NS 100000000LL /* wake unschedulable pods at
                                            most every 100 ms */
#define MIN_FEASIBLE 100 /* kube-scheduler's minFeasibleNodesToFind */

/* kube-scheduler's default score weights. */
#define W_TAINT 3
#define W_AFFINITY 2
#define W_SPREAD 2
#define W_FIT 1
#define W_BALANCED 1

static const struct cplane_host_api *api;
static cplane_plugin_ctx *plugin_ctx; /* for logging where no ctx is passed */

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "nodes"),
    CPLANE_RESOURCE("", "v1", "persistentvolumeclaims"),
    CPLANE_RESOURCE("storage.k8s.io", "v1", "storageclasses"),
};

struct candidate {
  int slot;
  int64_t fit, balanced, taints, affinity, spread;
};

/* What the scheduler remembers of one pod. */
struct pod_entry {
  int node;    /* index into S.nodes whose accounting has the pod; -1 */
  int assumed; /* placed by us, not yet seen bound */
  int attempts;
  int64_t cpu, mem, nz_cpu, nz_mem;
  struct sched_port *ports;
  int n_ports;
  const cplane_object *obj; /* retained while assumed: spread counts */
  char *last_msg;           /* last unschedulable message written */
};

static struct {
  pthread_mutex_t mu;
  struct sched_node **nodes; /* slots never move; a deleted node stays */
  int n_nodes, cap_nodes, live_nodes;
  struct cplane_smap node_idx; /* name -> slot + 1 */
  struct cplane_smap pods;     /* "ns/name" -> struct pod_entry */
  struct cplane_smap unsched;  /* "ns/name" of pods waiting to fit */
  unsigned next_start;  /* round-robin start of the next search */
  struct candidate *cand; /* scratch for one cycle, n_nodes long */
  int cap_cand;
  unsigned seed;
  int64_t last_wake_ns;
  /* configuration */
  char *name;
  int percentage;
  int scheduled_events;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- pods we are responsible for ---- */

static int is_ours(const cplane_object *pod) {
  const char *s = api->object_string(pod, "spec.schedulerName");

  if (s == NULL || s[0] == '\0')
    s = "default-scheduler";
  return strcmp(s, S.name) == 0;
}

static const char *node_name_of(const cplane_object *pod) {
  const char *n = api->object_string(pod, "spec.nodeName");

  return n != NULL && n[0] != '\0' ? n : NULL;
}

/* ---- node table (S.mu held) ---- */

/* The slot of node `name`, made (not live) when absent so that pods bound
 * to a node we have not seen yet are still counted. -1 on ENOMEM. */
static int node_slot(const char *name) {
  intptr_t v = (intptr_t)cplane_smap_get(&S.node_idx, name);
  struct sched_node *n;

  if (v > 0)
    return (int)v - 1;
  if (S.n_nodes == S.cap_nodes) {
    int cap = S.cap_nodes ? S.cap_nodes * 2 : 64;
    struct sched_node **p = realloc(S.nodes, (size_t)cap * sizeof *p);

    if (p == NULL)
      return -1;
    S.nodes = p;
    S.cap_nodes = cap;
  }
  if ((n = calloc(1, sizeof *n)) == NULL || (n->name = strdup(name)) == NULL)
    goto nomem;
  if (cplane_smap_put(&S.node_idx, name, (void *)(intptr_t)(S.n_nodes + 1),
                      NULL) != 0)
    goto nomem;
  S.nodes[S.n_nodes] = n;
  return S.n_nodes++;
nomem:
  if (n != NULL)
    free(n->name);
  free(n);
  return -1;
}

/* ---- pod accounting (S.mu held) ---- */

static void entry_free(struct pod_entry *e) {
  if (e == NULL)
    return;
  api->object_release(e->obj);
  free(e->ports);
  free(e->last_msg);
  free(e);
}

static struct pod_entry *entry_get(const char *key) {
  struct pod_entry *e = cplane_smap_get(&S.pods, key);

  if (e != NULL)
    return e;
  if ((e = calloc(1, sizeof *e)) == NULL)
    return NULL;
  e->node = -1;
  if (cplane_smap_put(&S.pods, key, e, NULL) != 0) {
    free(e);
    return NULL;
  }
  return e;
}

/* Copies a pod's requests into e, for accounting. */
static int entry_requests(struct pod_entry *e, const struct sched_pod *p) {
  e->cpu = p->cpu;
  e->mem = p->mem;
  e->nz_cpu = p->nz_cpu;
  e->nz_mem = p->nz_mem;
  free(e->ports);
  e->ports = NULL;
  e->n_ports = 0;
  if (p->n_ports == 0)
    return CPLANE_OK;
  if ((e->ports = malloc((size_t)p->n_ports * sizeof *e->ports)) == NULL)
    return CPLANE_ENOMEM;
  memcpy(e->ports, p->ports, (size_t)p->n_ports * sizeof *e->ports);
  e->n_ports = p->n_ports;
  return CPLANE_OK;
}

static void entry_place(struct pod_entry *e, int slot) {
  if (e->node >= 0)
    nodeinfo_account(S.nodes[e->node], -1, e->cpu, e->mem, e->nz_cpu,
                     e->nz_mem, e->ports, e->n_ports);
  e->node = slot;
  if (slot >= 0 &&
      nodeinfo_account(S.nodes[slot], 1, e->cpu, e->mem, e->nz_cpu,
                       e->nz_mem, e->ports, e->n_ports) != CPLANE_OK)
    api->log(plugin_ctx, CPLANE_LOG_WARN,
             "out of memory counting the host ports of node %s",
             S.nodes[slot]->name);
}

static void wake_one(void *ud, const char *key, void *val) {
  (void)val;
  api->enqueue(ud, key);
}

/* Gives every pod waiting to fit another try now: something changed. */
static void wake_unschedulable(cplane_plugin_ctx *ctx) {
  int64_t t = now_ns();

  if (S.unsched.count == 0 || t - S.last_wake_ns < WAKE_MIN_INTERVAL_NS)
    return;
  S.last_wake_ns = t;
  cplane_smap_foreach(&S.unsched, wake_one, ctx);
}

static void forget_pod(cplane_plugin_ctx *ctx, const char *key) {
  struct pod_entry *e = cplane_smap_del(&S.pods, key);

  cplane_smap_del(&S.unsched, key);
  if (e == NULL)
    return;
  if (e->node >= 0) {
    entry_place(e, -1);
    wake_unschedulable(ctx);
  }
  entry_free(e);
}

/* ---- events (dispatch threads) ---- */

/* A pod seen bound to a node: count it there (once). */
static void pod_bound(cplane_plugin_ctx *ctx, const cplane_object *pod,
                      const char *key, const char *node) {
  struct pod_entry *e = cplane_smap_get(&S.pods, key);
  struct sched_pod p;
  const char *why;
  int slot;

  cplane_smap_del(&S.unsched, key);
  if ((slot = node_slot(node)) < 0)
    return;
  if (e != NULL && e->node == slot) {
    if (e->assumed) {
      e->assumed = 0;
      api->object_release(e->obj);
      e->obj = NULL;
    }
    return;
  }
  if (e == NULL && (e = entry_get(key)) == NULL)
    return;
  if (podinfo_parse(api, pod, &p, &why) == CPLANE_OK)
    entry_requests(e, &p);
  podinfo_free(&p);
  e->assumed = 0;
  api->object_release(e->obj);
  e->obj = NULL;
  entry_place(e, slot);
  (void)ctx;
}

static void pod_event(cplane_plugin_ctx *ctx, const cplane_object *pod,
                      int is_add) {
  const char *key = api->object_key(pod), *node = node_name_of(pod);
  struct pod_entry *e;

  pthread_mutex_lock(&S.mu);
  if (node != NULL && !cplane_pod_is_terminal(api, pod)) {
    pod_bound(ctx, pod, key, node);
  } else if (node != NULL) {
    forget_pod(ctx, key); /* finished: its resources are free again */
  } else if (is_ours(pod) && api->object_deletion_timestamp(pod) == NULL) {
    e = cplane_smap_get(&S.pods, key);
    /* A pod waiting out its backoff is woken by the timer or a change. */
    if ((e == NULL || !e->assumed) &&
        (is_add || cplane_smap_get(&S.unsched, key) == NULL))
      api->enqueue(ctx, key);
  }
  pthread_mutex_unlock(&S.mu);
}

static void node_event(cplane_plugin_ctx *ctx, const cplane_object *obj) {
  int slot, changed;

  pthread_mutex_lock(&S.mu);
  if ((slot = node_slot(api->object_name(obj))) >= 0) {
    int was_live = S.nodes[slot]->live;

    changed = nodeinfo_set(api, S.nodes[slot], obj);
    if (!was_live && S.nodes[slot]->live)
      S.live_nodes++;
    if (changed > 0)
      wake_unschedulable(ctx);
  }
  pthread_mutex_unlock(&S.mu);
}

/* A claim or class changed: a pod waiting for its claims may fit now. */
static void storage_event(cplane_plugin_ctx *ctx) {
  pthread_mutex_lock(&S.mu);
  wake_unschedulable(ctx);
  pthread_mutex_unlock(&S.mu);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == PODS)
    pod_event(ctx, obj, 1);
  else if (res == NODES)
    node_event(ctx, obj);
  else
    storage_event(ctx);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  if (res == PODS)
    pod_event(ctx, new_obj, 0);
  else if (res == NODES)
    node_event(ctx, new_obj);
  else if (old_obj != new_obj)
    storage_event(ctx);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res == CLAIMS || res == CLASSES)
    return;
  pthread_mutex_lock(&S.mu);
  if (res == PODS) {
    forget_pod(ctx, api->object_key(obj));
  } else {
    intptr_t v = (intptr_t)cplane_smap_get(&S.node_idx, api->object_name(obj));

    /* The slot stays (pods may still name the node); it just stops
     * being a candidate. */
    if (v > 0 && S.nodes[v - 1]->live) {
      S.nodes[v - 1]->live = 0;
      S.live_nodes--;
    }
  }
  pthread_mutex_unlock(&S.mu);
}

/* ---- topology spread ---- */

/* Matching pods per topology domain for one constraint: domain value ->
 * count + 1 (so that a present domain is never NULL). */
struct spread_counts {
  struct cplane_smap domains;
  int64_t min; /* over every eligible domain */
  int eligible;
};

/* Pods in the pod's namespace matching each constraint's selector, read
 * from the cache before S.mu is taken. lists[i] is owned. */
static int spread_lists(cplane_plugin_ctx *ctx, const struct sched_pod *p,
                        cplane_object_list **lists) {
  int i;

  for (i = 0; i < p->n_spreads; i++)
    if (api->cache_list(ctx, PODS, api->object_namespace(p->obj),
                        p->spreads[i].selector, &lists[i]) != CPLANE_OK)
      return CPLANE_EINVAL;
  return CPLANE_OK;
}

static void count_min(void *ud, const char *key, void *val) {
  struct spread_counts *c = ud;
  int64_t v = (int64_t)(intptr_t)val - 1;

  (void)key;
  if (!c->eligible || v < c->min)
    c->min = v;
  c->eligible = 1;
}

/* Counts, under S.mu, the matching pods per domain of constraint s over
 * the nodes that pass the pod's node affinity. */
static int spread_count(const struct sched_pod *p,
                        const struct sched_spread *s,
                        const cplane_object_list *list,
                        struct spread_counts *c) {
  size_t i, n = api->list_len(list);
  int k;

  if (cplane_smap_init(&c->domains) != 0)
    return CPLANE_ENOMEM;
  c->min = 0;
  c->eligible = 0;
  for (k = 0; k < S.n_nodes; k++) {
    const struct sched_node *node = S.nodes[k];
    const char *v;

    if (!node->live || !nodeinfo_affinity_match(api, node, p) ||
        (v = api->object_label(node->obj, s->topology_key)) == NULL)
      continue;
    if (cplane_smap_get(&c->domains, v) == NULL &&
        cplane_smap_put(&c->domains, v, (void *)(intptr_t)1, NULL) != 0)
      return CPLANE_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(list, i);
    const char *name = node_name_of(o), *v;
    struct pod_entry *e;
    intptr_t cur;
    int slot = -1;

    if (name != NULL) {
      intptr_t idx = (intptr_t)cplane_smap_get(&S.node_idx, name);

      slot = idx > 0 ? (int)idx - 1 : -1;
    } else if ((e = cplane_smap_get(&S.pods, api->object_key(o))) != NULL &&
               e->assumed) {
      slot = e->node; /* bound by us a moment ago; the cache lags */
    }
    if (slot < 0 || cplane_pod_is_terminal(api, o) ||
        (v = api->object_label(S.nodes[slot]->obj, s->topology_key)) == NULL ||
        (cur = (intptr_t)cplane_smap_get(&c->domains, v)) == 0)
      continue;
    cplane_smap_put(&c->domains, v, (void *)(cur + 1), NULL);
  }
  cplane_smap_foreach(&c->domains, count_min, c);
  return CPLANE_OK;
}

/* The count for node n's domain, or -1 when the node lacks the label. */
static int64_t spread_domain_count(const struct sched_node *n,
                                   const struct sched_spread *s,
                                   const struct spread_counts *c) {
  const char *v = api->object_label(n->obj, s->topology_key);
  intptr_t cur;

  if (v == NULL || (cur = (intptr_t)cplane_smap_get(&c->domains, v)) == 0)
    return -1;
  return (int64_t)cur - 1;
}

static int spread_filter(const struct sched_node *n, const struct sched_pod *p,
                         const struct spread_counts *c) {
  int i;

  for (i = 0; i < p->n_spreads; i++) {
    const struct sched_spread *s = &p->spreads[i];
    int64_t cnt;

    if (!s->hard)
      continue;
    if ((cnt = spread_domain_count(n, s, &c[i])) < 0)
      return SCHED_R_SPREAD_LABEL;
    if (cnt + s->self_match - c[i].min > s->max_skew)
      return SCHED_R_SPREAD;
  }
  return SCHED_FIT;
}

static int64_t spread_soft_raw(const struct sched_node *n,
                               const struct sched_pod *p,
                               const struct spread_counts *c) {
  int64_t sum = 0, cnt;
  int i;

  for (i = 0; i < p->n_spreads; i++)
    if (!p->spreads[i].hard &&
        (cnt = spread_domain_count(n, &p->spreads[i], &c[i])) > 0)
      sum += cnt;
  return sum;
}

/* ---- one scheduling cycle (S.mu held) ---- */


/* How many feasible nodes to find before scoring (kube-scheduler's
 * numFeasibleNodesToFind). */
static int feasible_wanted(int live) {
  int pct = S.percentage;

  if (live < MIN_FEASIBLE || pct >= 100)
    return live;
  if (pct <= 0) {
    pct = 50 - live / 125;
    if (pct < 5)
      pct = 5;
  }
  return live * pct / 100 < MIN_FEASIBLE ? MIN_FEASIBLE : live * pct / 100;
}

/* Picks the best node for p, or -1 with reasons[] counting why each
 * visited node failed. */
static int choose(const struct sched_pod *p, const struct spread_counts *c,
                  int reasons[SCHED_N_REASONS], struct candidate *cand) {
  int want = feasible_wanted(S.live_nodes), found = 0, i, best = -1;
  int64_t max_taints = 0, max_aff = 0, max_spread = 0, best_score = -1;
  unsigned start = S.n_nodes ? S.next_start % (unsigned)S.n_nodes : 0;
  int ties = 0;

  for (i = 0; i < S.n_nodes && found < want; i++) {
    int slot = (int)((start + (unsigned)i) % (unsigned)S.n_nodes);
    const struct sched_node *n = S.nodes[slot];
    int r;

    if (!n->live)
      continue;
    r = nodeinfo_filter(api, n, p);
    if (r == SCHED_FIT && p->n_spreads > 0)
      r = spread_filter(n, p, c);
    if (r != SCHED_FIT) {
      reasons[r]++;
      continue;
    }
    cand[found].slot = slot;
    cand[found].fit = nodeinfo_least_allocated(n, p);
    cand[found].balanced = nodeinfo_balanced(n, p);
    cand[found].taints = nodeinfo_prefer_taints(n, p);
    cand[found].affinity =
        p->n_preferred ? nodeinfo_preferred_affinity(api, n, p) : 0;
    cand[found].spread = p->n_spreads ? spread_soft_raw(n, p, c) : 0;
    if (cand[found].taints > max_taints)
      max_taints = cand[found].taints;
    if (cand[found].affinity > max_aff)
      max_aff = cand[found].affinity;
    if (cand[found].spread > max_spread)
      max_spread = cand[found].spread;
    found++;
  }
  S.next_start = S.n_nodes ? (start + (unsigned)i) % (unsigned)S.n_nodes : 0;
  for (i = 0; i < found; i++) {
    const struct candidate *k = &cand[i];
    int64_t score =
        W_FIT * k->fit + W_BALANCED * k->balanced +
        W_TAINT * (max_taints ? (max_taints - k->taints) * 100 / max_taints
                              : 100) +
        W_AFFINITY * (max_aff ? k->affinity * 100 / max_aff : 0) +
        W_SPREAD * (max_spread ? (max_spread - k->spread) * 100 / max_spread
                               : 100);

    /* Equal scores: each of them equally likely, as kube-scheduler. */
    if (score > best_score) {
      best_score = score;
      best = k->slot;
      ties = 1;
    } else if (score == best_score && rand_r(&S.seed) % ++ties == 0) {
      best = k->slot;
    }
  }
  return best;
}

/* "0/5 nodes are available: 2 Insufficient cpu, 3 Too many pods." */
static char *unschedulable_message(const int reasons[SCHED_N_REASONS],
                                   int live) {
  char buf[1024];
  size_t len;
  int r, first = 1;

  if (live == 0)
    return strdup("no nodes available to schedule pods");
  len = (size_t)snprintf(buf, sizeof buf, "0/%d nodes are available: ",
                         live);
  for (r = 1; r < SCHED_N_REASONS && len < sizeof buf; r++) {
    if (reasons[r] == 0)
      continue;
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d %s",
                            first ? "" : ", ", reasons[r],
                            sched_reason_text[r]);
    first = 0;
  }
  if (len < sizeof buf - 1)
    snprintf(buf + len, sizeof buf - len, ".");
  return strdup(buf);
}

/* "0/5 nodes are available: <why>." for a pod a PreFilter refused: no
 * node was looked at, as kube's FitError words it. */
static char *prefilter_message(const char *why, int live) {
  char buf[1024];

  snprintf(buf, sizeof buf, "0/%d nodes are available: %s.", live, why);
  return strdup(buf);
}

/* ---- writes (outside S.mu) ---- */

static void write_event(cplane_plugin_ctx *ctx, const cplane_object *pod,
                        const char *type, const char *reason,
                        const char *msg) {
  char now[CPLANE_TIME_LEN], prefix[300], *body;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  snprintf(prefix, sizeof prefix, "%.250s.", api->object_name(pod));
  body = api->json_format(
      "{'apiVersion':'v1','kind':'Event','metadata':{'generateName':%s,"
      "'namespace':%s},'involvedObject':{'apiVersion':'v1','kind':'Pod',"
      "'name':%s,'namespace':%s,'uid':%s},'reason':%s,'message':%s,"
      "'type':%s,'source':{'component':%s},'reportingComponent':%s,"
      "'firstTimestamp':%s,'lastTimestamp':%s,'count':1}",
      prefix, api->object_namespace(pod), api->object_name(pod),
      api->object_namespace(pod), api->object_uid(pod), reason, msg, type,
      S.name, S.name, now, now);
  if (body != NULL)
    recorder_post(api->object_namespace(pod), body);
}

static void write_unschedulable(cplane_plugin_ctx *ctx,
                                const cplane_object *pod, const char *msg) {
  char now[CPLANE_TIME_LEN], *body, *err = NULL;
  int code;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  body = api->json_format(
      "{'apiVersion':'v1','kind':'Pod','metadata':{'name':%s,'namespace':%s},"
      "'status':{'phase':'Pending','conditions':[{'type':'PodScheduled',"
      "'status':'False','reason':'Unschedulable','message':%s,"
      "'lastProbeTime':null,'lastTransitionTime':%s}]}}",
      api->object_name(pod), api->object_namespace(pod), msg, now);
  if (body == NULL)
    return;
  code = api->update_status(ctx, &resources[PODS], api->object_namespace(pod),
                            api->object_name(pod), body, NULL, &err);
  if (code != 200 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN,
             "%s: setting PodScheduled=False failed: %d %s",
             api->object_key(pod), code, err ? err : "");
  api->free(err);
  api->free(body);
  write_event(ctx, pod, "Warning", "FailedScheduling", msg);
}

static int bind(cplane_plugin_ctx *ctx, const cplane_object *pod,
                const char *node, char **err) {
  char *body = api->json_format(
      "{'apiVersion':'v1','kind':'Binding','metadata':{'name':%s,"
      "'namespace':%s},'target':{'apiVersion':'v1','kind':'Node',"
      "'name':%s}}",
      api->object_name(pod), api->object_namespace(pod), node);
  int code;

  if (body == NULL)
    return CPLANE_ENOMEM;
  code = api->write_subresource(ctx, &resources[PODS], CPLANE_WRITE_CREATE,
                                api->object_namespace(pod),
                                api->object_name(pod), "binding", body, NULL,
                                err);
  api->free(body);
  return code;
}

/* Undoes an assumption whose bind did not happen. */
static void unassume(const char *key) {
  struct pod_entry *e;

  pthread_mutex_lock(&S.mu);
  if ((e = cplane_smap_get(&S.pods, key)) != NULL && e->assumed) {
    entry_place(e, -1);
    e->assumed = 0;
    api->object_release(e->obj);
    e->obj = NULL;
  }
  pthread_mutex_unlock(&S.mu);
}

/* ---- reconcile ---- */

/* Places the pod under S.mu: the winning node's name into node (or "" when
 * none fits, with *msg owned) and the pod assumed onto it. refused, when
 * not NULL, is a PreFilter's reason: no node is tried. */
static int place(cplane_plugin_ctx *ctx, const char *key,
                 const cplane_object *pod, const struct sched_pod *p,
                 cplane_object_list **lists, const char *refused, char *node,
                 size_t node_len, char **msg, uint32_t *delay_ms,
                 int *write_msg) {
  int reasons[SCHED_N_REASONS] = {0}, best = -1, rc = CPLANE_OK, i, made = 0;
  struct spread_counts *counts = NULL;
  struct pod_entry *e;

  node[0] = '\0';
  *write_msg = 0;
  pthread_mutex_lock(&S.mu);
  if ((e = entry_get(key)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  if (e->assumed || e->node >= 0)
    goto out; /* being bound, or bound already: the cache lags */
  if (refused != NULL)
    goto unschedulable;
  if (p->n_spreads > 0) {
    if ((counts = calloc((size_t)p->n_spreads, sizeof *counts)) == NULL) {
      rc = CPLANE_ENOMEM;
      goto out;
    }
    for (made = 0; made < p->n_spreads; made++)
      if (spread_count(p, &p->spreads[made], lists[made], &counts[made]) !=
          CPLANE_OK) {
        made++;
        rc = CPLANE_ENOMEM;
        goto out;
      }
  }
  /* Kept between cycles: 5,000 nodes make it too big for malloc's heap,
   * and an mmap per pod costs more than the whole search. */
  if (S.n_nodes > S.cap_cand) {
    struct candidate *c =
        realloc(S.cand, (size_t)S.n_nodes * sizeof *S.cand);

    if (c == NULL) {
      rc = CPLANE_ENOMEM;
      goto out;
    }
    S.cand = c;
    S.cap_cand = S.n_nodes;
  }
  best = S.n_nodes > 0 ? choose(p, counts, reasons, S.cand) : -1;
  if (best >= 0) {
    if (entry_requests(e, p) != CPLANE_OK) {
      rc = CPLANE_ENOMEM;
      goto out;
    }
    entry_place(e, best);
    e->assumed = 1;
    e->obj = api->object_retain(pod);
    e->attempts = 0;
    cplane_smap_del(&S.unsched, key);
    snprintf(node, node_len, "%s", S.nodes[best]->name);
    goto out;
  }
unschedulable:
  *msg = refused != NULL ? prefilter_message(refused, S.live_nodes)
                         : unschedulable_message(reasons, S.live_nodes);
  if (*msg == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  cplane_smap_put(&S.unsched, key, (void *)1, NULL);
  *delay_ms = BACKOFF_MIN_MS << (e->attempts < 4 ? e->attempts : 4);
  if (*delay_ms > BACKOFF_MAX_MS)
    *delay_ms = BACKOFF_MAX_MS;
  e->attempts++;
  if (e->last_msg == NULL || strcmp(e->last_msg, *msg) != 0) {
    free(e->last_msg);
    e->last_msg = strdup(*msg);
    *write_msg = 1;
  }
out:
  pthread_mutex_unlock(&S.mu);
  for (i = 0; counts != NULL && i < made; i++)
    cplane_smap_free(&counts[i].domains);
  free(counts);
  (void)ctx;
  return rc;
}

static int sched_reconcile(cplane_plugin_ctx *ctx, const char *key,
                           uint32_t *requeue_after_ms) {
  const cplane_object *pod = NULL;
  cplane_object_list **lists = NULL;
  struct sched_pod p;
  char node[256], *msg = NULL, *err = NULL, why_vol[600];
  const char *why = NULL, *refused;
  int rc = CPLANE_RECONCILE_DONE, i, write_msg = 0, code;
  uint32_t delay = 0;

  memset(&p, 0, sizeof p);
  if (!api->cache_has_synced(ctx, NODES) ||
      !api->cache_has_synced(ctx, PODS) ||
      !api->cache_has_synced(ctx, CLAIMS) ||
      !api->cache_has_synced(ctx, CLASSES)) {
    *requeue_after_ms = 200;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  if (api->cache_get(ctx, PODS, key, &pod) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE; /* gone; on_delete forgot it */
  if (node_name_of(pod) != NULL || !is_ours(pod) ||
      cplane_pod_is_terminal(api, pod) ||
      api->object_deletion_timestamp(pod) != NULL)
    goto out;
  if ((code = podinfo_parse(api, pod, &p, &why)) != CPLANE_OK) {
    if (code == CPLANE_ENOMEM) {
      rc = CPLANE_RECONCILE_RETRY;
      goto out;
    }
    api->log(ctx, CPLANE_LOG_WARN, "%s: cannot schedule: %s", key, why);
    write_unschedulable(ctx, pod, why);
    rc = CPLANE_RECONCILE_TERMINAL;
    goto out;
  }
  if (p.n_spreads > 0) {
    if ((lists = calloc((size_t)p.n_spreads, sizeof *lists)) == NULL) {
      rc = CPLANE_RECONCILE_RETRY;
      goto out;
    }
    if (spread_lists(ctx, &p, lists) != CPLANE_OK) {
      write_unschedulable(ctx, pod, "a topology spread labelSelector is "
                                    "invalid");
      rc = CPLANE_RECONCILE_TERMINAL;
      goto out;
    }
  }
  refused = sched_volumes_refuse(api, ctx, pod, CLAIMS, CLASSES, why_vol,
                                 sizeof why_vol)
                ? why_vol
                : NULL;
  if (place(ctx, key, pod, &p, lists, refused, node, sizeof node, &msg,
            &delay, &write_msg) != CPLANE_OK) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  if (msg != NULL) {
    if (write_msg) {
      api->log(ctx, CPLANE_LOG_INFO, "%s: unschedulable: %s", key, msg);
      write_unschedulable(ctx, pod, msg);
    }
    *requeue_after_ms = delay;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  if (node[0] == '\0')
    goto out; /* already being bound */
  code = bind(ctx, pod, node, &err);
  if (code == 201) {
    if (api->log_enabled(ctx, CPLANE_LOG_DEBUG))
      api->log(ctx, CPLANE_LOG_DEBUG, "%s: bound to %s", key, node);
    if (S.scheduled_events) {
      char text[600];

      snprintf(text, sizeof text, "Successfully assigned %.300s to %.250s",
               key, node);
      write_event(ctx, pod, "Normal", "Scheduled", text);
    }
    goto out;
  }
  unassume(key);
  if (code == 409 || code == 404)
    goto out; /* bound elsewhere, or gone: the watch says which */
  api->log(ctx, CPLANE_LOG_WARN, "%s: binding to %s failed: %d %s", key,
           node, code, err ? err : "");
  rc = CPLANE_RECONCILE_RETRY;
out:
  for (i = 0; lists != NULL && i < p.n_spreads; i++)
    api->list_free(lists[i]);
  free(lists);
  podinfo_free(&p);
  api->free(err);
  free(msg);
  api->object_release(pod);
  return rc;
}

/* ---- init / fini ---- */

static int config_bool(const char *v, int dflt) {
  if (v == NULL)
    return dflt;
  return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
         strcmp(v, "yes") == 0 || strcmp(v, "on") == 0;
}

static int sched_init(cplane_plugin_ctx *ctx,
                      const struct cplane_host_api *host_api, char **errmsg) {
  const char *v;
  char *end;

  api = host_api;
  plugin_ctx = ctx;
  v = api->config_get(ctx, "scheduler_name");
  S.name = strdup(v != NULL && v[0] != '\0' ? v : "default-scheduler");
  v = api->config_get(ctx, "percentage_of_nodes_to_score");
  S.percentage = 0;
  if (v != NULL) {
    long pct = strtol(v, &end, 10);

    if (*end != '\0' || pct < 0 || pct > 100) {
      *errmsg = api->json_format(
          "'percentage_of_nodes_to_score = %s: expected 0 (adaptive, as "
          "kube-scheduler) to 100'",
          v);
      goto fail;
    }
    S.percentage = (int)pct;
  }
  S.scheduled_events = config_bool(api->config_get(ctx, "scheduled_events"),
                                   1);
  S.seed = (unsigned)time(NULL);
  if (S.name == NULL || cplane_smap_init(&S.node_idx) != 0 ||
      cplane_smap_init(&S.pods) != 0 || cplane_smap_init(&S.unsched) != 0)
    goto fail;
  /* Events wait in a queue of their own; 8 writers keep up with the
   * binds, and a burst beyond 16,384 pending events is dropped. */
  if (recorder_start(ctx, api, 8, 16384) != CPLANE_OK)
    goto fail;
  api->log(ctx, CPLANE_LOG_INFO,
           "scheduling pods for schedulerName %s (nodes to score: %s)",
           S.name, S.percentage ? v : "adaptive");
  return CPLANE_OK;
fail:
  cplane_smap_free(&S.node_idx);
  cplane_smap_free(&S.pods);
  cplane_smap_free(&S.unsched);
  free(S.name);
  S.name = NULL;
  return CPLANE_EINVAL;
}

static void free_entry(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  entry_free(val);
}

static void sched_fini(cplane_plugin_ctx *ctx) {
  int i;

  recorder_stop();
  if (recorder_dropped() > 0)
    api->log(ctx, CPLANE_LOG_WARN, "%lu event(s) dropped: the queue was full",
             recorder_dropped());
  cplane_smap_foreach(&S.pods, free_entry, NULL);
  cplane_smap_free(&S.pods);
  cplane_smap_free(&S.unsched);
  cplane_smap_free(&S.node_idx);
  for (i = 0; i < S.n_nodes; i++)
    nodeinfo_free(api, S.nodes[i]);
  free(S.nodes);
  S.nodes = NULL;
  free(S.cand);
  S.cand = NULL;
  S.cap_cand = 0;
  S.n_nodes = S.cap_nodes = S.live_nodes = 0;
  free(S.name);
  S.name = NULL;
}

/* The [plugin.NAME] keys this plugin reads, beside the host's own:
 * --check-config and start-up report any other as a misspelling. */
static const char *const scheduler_config_keys[] = {
    "scheduler_name", "percentage_of_nodes_to_score", "scheduled_events",
    NULL};

static const struct cplane_plugin scheduler_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "scheduler",
    .version = "0.1.0",
    .kind = CPLANE_KIND_SCHEDULER,
    .n_resources = 4,
    .resources = resources,
    .init = sched_init,
    .fini = sched_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = sched_reconcile,
    .config_keys = scheduler_config_keys,
};

CPLANE_PLUGIN_DEFINE(scheduler_plugin)
