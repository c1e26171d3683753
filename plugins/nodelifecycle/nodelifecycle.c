/*
 * nodelifecycle - marks nodes whose kubelet went silent and evicts their
 * pods, as kube-controller-manager's node lifecycle controller does.
 *
 * A node is unreachable when its Lease in kube-node-lease was last renewed
 * more than `grace_period` ago (or, with no Lease, it was created that long
 * ago). Then its Ready condition becomes Unknown and it gets the NoExecute
 * taint node.kubernetes.io/unreachable (and its NoSchedule twin, so the
 * scheduler sends no new pod there). Pods on it that do not tolerate
 * the taint are deleted once their toleration (tolerationSeconds, else
 * `default_toleration_seconds`) counted from the taint's timeAdded runs
 * out, at most `eviction_rate` per second. A renewed Lease lifts the taint.
 *
 * Work keys:
 *   node/NAME   check NAME's Lease; mark, unmark, find pods due for
 *               eviction; then again after check_interval (sooner when
 *               the Lease runs out or a pod's toleration ends before that)
 *   evict       delete pods from the eviction FIFO, rate-limited
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue. reconcile() runs on the workers, never for one key on two at
 * once. The eviction FIFO and its token bucket are shared by every node
 * key and guarded by one mutex, held only for list operations.
 */
#include <cplane/cplane.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEASE_NS "kube-node-lease"
#define TAINT_KEY "node.kubernetes.io/unreachable"
/* A 409 means our cache is behind the server: look again shortly. */
#define CONFLICT_RETRY_MS 100u
#define CONDS "status.conditions"

static const struct cplane_host_api *api;

static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("", "v1", "nodes"),
    {sizeof(struct cplane_resource), 0, "coordination.k8s.io", "v1",
     "leases", NULL, "metadata.namespace=" LEASE_NS},
    CPLANE_RESOURCE("", "v1", "pods"),
};
#define NODES 0
#define LEASES 1
#define PODS 2

/* One pod waiting in the eviction FIFO; its key is also in the set
 * `queued`, so that a pod found due on every node check is queued once. */
struct evictee {
  struct evictee *next_in_fifo;
  char key[];
};

struct lifecycle {
  cplane_plugin_ctx *ctx; /* ours, for the clock */
  uint32_t grace_ms, check_ms;
  int64_t default_toleration_s;
  double eviction_rate; /* pods per second */
  double burst;         /* most evictions back to back */
  double started;       /* grace starts no earlier than our start */

  pthread_mutex_t mu; /* guards everything below */
  struct evictee *head, *tail;
  struct cplane_sset queued; /* the keys in the FIFO */
  double tokens, refilled_at;
};

/* ---- small helpers ---- */

static uint32_t ms_until(double t, double now) {
  double ms = (t - now) * 1000 + 1;

  return ms < 1 ? 1 : ms > 3.6e6 ? 3600000u : (uint32_t)ms;
}

static struct lifecycle *state(cplane_plugin_ctx *ctx) {
  return api->get_userdata(ctx);
}

/* The index of our unreachable taint with that effect in spec.taints,
 * or -1. */
static int find_taint_effect(const cplane_object *node, const char *effect) {
  int n = api->object_len(node, "spec.taints"), i;

  for (i = 0; i < n; i++) {
    const char *k = cplane_array_string(api, node, "spec.taints", i, "key");
    const char *e = cplane_array_string(api, node, "spec.taints", i, "effect");

    if (k != NULL && e != NULL && strcmp(k, TAINT_KEY) == 0 &&
        strcmp(e, effect) == 0)
      return i;
  }
  return -1;
}

/* The index of our unreachable NoExecute taint in spec.taints, or -1. */
static int find_taint(const cplane_object *node) {
  return find_taint_effect(node, "NoExecute");
}

/* When the taint went on (its timeAdded), or `fallback`. */
static double taint_time(const cplane_object *node, int t, double fallback) {
  return cplane_time_parse_s(
      cplane_array_string(api, node, "spec.taints", t, "timeAdded"), fallback);
}

/* How long pod tolerates the unreachable taint: -1 for ever, else
 * seconds. The shortest of several matching tolerations wins, as in
 * Kubernetes; a pod with none gets the default. */
static int64_t toleration_s(const struct lifecycle *lc,
                            const cplane_object *pod) {
  int n = api->object_len(pod, "spec.tolerations"), i;
  int64_t best = -2;
  char path[80];

  for (i = 0; i < n; i++) {
    const char *key, *op, *effect, *value;
    int64_t secs;
    int exists;

    key = cplane_array_string(api, pod, "spec.tolerations", i, "key");
    op = cplane_array_string(api, pod, "spec.tolerations", i, "operator");
    effect = cplane_array_string(api, pod, "spec.tolerations", i, "effect");
    value = cplane_array_string(api, pod, "spec.tolerations", i, "value");
    exists = op != NULL && strcmp(op, "Exists") == 0;
    if (key == NULL || key[0] == '\0') {
      if (!exists) /* an empty key only means "all" with Exists */
        continue;
    } else if (strcmp(key, TAINT_KEY) != 0 ||
               (!exists && value != NULL && value[0] != '\0')) {
      continue; /* the taint has no value: Equal needs an empty one */
    }
    if (effect != NULL && effect[0] != '\0' &&
        strcmp(effect, "NoExecute") != 0)
      continue;
    snprintf(path, sizeof path, "spec.tolerations[%d].tolerationSeconds", i);
    if (api->object_int(pod, path, &secs) != CPLANE_OK)
      return -1;
    if (secs < 0)
      secs = 0;
    if (best < 0 || secs < best)
      best = secs;
  }
  return best == -2 ? lc->default_toleration_s : best;
}

/* ---- the eviction FIFO ---- */

/* Queues pod `key` for eviction unless it is queued already. Returns 1
 * when it was added. */
static int evict_push(struct lifecycle *lc, const char *key) {
  struct evictee *e;
  size_t len = strlen(key);
  int added = 0;

  pthread_mutex_lock(&lc->mu);
  /* Out of memory either way: the next node check finds it again. */
  if (cplane_sset_add(&lc->queued, key) != 1)
    goto out;
  if ((e = malloc(sizeof *e + len + 1)) == NULL) {
    cplane_sset_del(&lc->queued, key);
    goto out;
  }
  memcpy(e->key, key, len + 1);
  e->next_in_fifo = NULL;
  if (lc->tail != NULL)
    lc->tail->next_in_fifo = e;
  else
    lc->head = e;
  lc->tail = e;
  added = 1;
out:
  pthread_mutex_unlock(&lc->mu);
  return added;
}

/* Takes the oldest entry if a token is there for it; the caller frees it.
 * Else sets *wait_ms to when to look again (0: the FIFO is empty). */
static struct evictee *evict_pop(struct lifecycle *lc, uint32_t *wait_ms) {
  struct evictee *e = NULL;
  double now = cplane_now_s(api, lc->ctx);

  *wait_ms = 0;
  pthread_mutex_lock(&lc->mu);
  lc->tokens += (now - lc->refilled_at) * lc->eviction_rate;
  if (lc->tokens > lc->burst)
    lc->tokens = lc->burst;
  lc->refilled_at = now;
  if (lc->head == NULL)
    goto out;
  if (lc->tokens < 1) {
    *wait_ms = ms_until(now + (1 - lc->tokens) / lc->eviction_rate, now);
    goto out;
  }
  e = lc->head;
  if ((lc->head = e->next_in_fifo) == NULL)
    lc->tail = NULL;
  cplane_sset_del(&lc->queued, e->key);
out:
  pthread_mutex_unlock(&lc->mu);
  return e;
}

/* An eviction was sent: it used up a token. */
static void evict_spent(struct lifecycle *lc) {
  pthread_mutex_lock(&lc->mu);
  lc->tokens -= 1;
  pthread_mutex_unlock(&lc->mu);
}

/* ---- events ---- */

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[300];

  if (res == PODS)
    return; /* read through the index; node checks find them */
  if (res == LEASES) {
    const char *ns = api->object_namespace(obj);

    if (ns == NULL || strcmp(ns, LEASE_NS) != 0)
      return;
  }
  snprintf(key, sizeof key, "node/%s", api->object_name(obj));
  api->enqueue(ctx, key);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  (void)old_obj;
  on_add(ctx, res, new_obj);
}

/* A deleted Lease makes its node look silent: check it. */
static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  if (res == LEASES)
    on_add(ctx, res, obj);
}

/* ---- writing the node ---- */

struct status_copy {
  const cplane_object *node;
  struct cplane_strbuf *b;
  int first;
};

/* object_foreach callback: copies one member of status, except the
 * conditions, which the caller writes itself. */
static int copy_status_member(void *userdata, const char *key,
                              const char *str) {
  struct status_copy *c = userdata;
  struct cplane_strbuf path = {0};
  const char *k;
  char *p;

  (void)str;
  if (strcmp(key, "conditions") == 0)
    return 0;
  cplane_strbuf_add(&path, "status.");
  for (k = key; *k != '\0'; k++) {
    char one[3] = {'\\', *k, '\0'};

    cplane_strbuf_add(&path,
                      (*k == '.' || *k == '[' || *k == '\\') ? one : one + 1);
  }
  if ((p = cplane_strbuf_finish(&path)) == NULL) {
    c->b->failed = 1;
    return 1;
  }
  cplane_strbuf_add(c->b, c->first ? "" : ",");
  cplane_strbuf_take(c->b, api, api->json_format("%s", key));
  cplane_strbuf_add(c->b, ":");
  cplane_strbuf_take(c->b, api, api->object_json(c->node, p));
  c->first = 0;
  free(p);
  return 0;
}

/* Sets the Ready condition to `status` (Unknown or True), keeping every
 * other condition and status field. Returns the HTTP code or < 0; on 200
 * *out is the node as stored. */
static int write_ready(cplane_plugin_ctx *ctx, const cplane_object *node,
                       const char *status, const char *reason,
                       const char *message, const cplane_object **out) {
  int n = api->object_len(node, "status.conditions"), i, found = 0, code;
  struct cplane_strbuf b = {0};
  struct status_copy copy = {node, &b, 1};
  char now[40], path[64], *st = NULL, *body = NULL, *msg = NULL;
  const char *hb;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  cplane_strbuf_add(&b, "{");
  if (api->object_type(node, "status") == CPLANE_TYPE_OBJECT)
    api->object_foreach(node, "status", copy_status_member, &copy);
  cplane_strbuf_add(&b, copy.first ? "\"conditions\":[" : ",\"conditions\":[");
  for (i = 0; i < n; i++) {
    const char *t = cplane_array_string(api, node, CONDS, i, "type");

    cplane_strbuf_add(&b, i > 0 ? "," : "");
    if (t == NULL || strcmp(t, "Ready") != 0) {
      snprintf(path, sizeof path, CONDS "[%d]", i);
      cplane_strbuf_take(&b, api, api->object_json(node, path));
      continue;
    }
    /* The heartbeat stays what the kubelet last wrote. */
    hb = cplane_array_string(api, node, CONDS, i, "lastHeartbeatTime");
    cplane_strbuf_take(&b, api,
                       api->json_format("{'type':'Ready','status':%s,"
                                        "'reason':%s,'message':%s,"
                                        "'lastHeartbeatTime':%s,"
                                        "'lastTransitionTime':%s}",
                                        status, reason, message, hb ? hb : now,
                                        now));
    found = 1;
  }
  if (!found)
    cplane_strbuf_take(&b, api,
                       api->json_format("%s{'type':'Ready','status':%s,"
                                        "'reason':%s,'message':%s,"
                                        "'lastHeartbeatTime':%s,"
                                        "'lastTransitionTime':%s}",
                                        n > 0 ? "," : "", status, reason,
                                        message, now, now));
  cplane_strbuf_add(&b, "]}");
  code = CPLANE_ENOMEM;
  if ((st = cplane_strbuf_finish(&b)) == NULL)
    goto out;
  body = api->json_format("{'apiVersion':'v1','kind':'Node','metadata':{"
                          "'name':%s,'resourceVersion':%s},'status':%j}",
                          api->object_name(node),
                          api->object_resource_version(node), st);
  if (body == NULL)
    goto out;
  code = api->update_status(ctx, &resources[NODES], NULL,
                            api->object_name(node), body, out, &msg);
  if (code != 200 && code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "node %s: setting Ready=%s failed: %d %s",
             api->object_name(node), status, code, msg ? msg : "");
out:
  free(st);
  api->free(body);
  api->free(msg);
  return code;
}

/* Writes spec.taints with our taint added (`add`) or removed, as a merge
 * patch of the whole list guarded by the resourceVersion we read, so a
 * taint someone else added meanwhile is never lost. Returns the HTTP code
 * or < 0. */
static int write_taint(cplane_plugin_ctx *ctx, const cplane_object *node,
                       int add) {
  int n = api->object_len(node, "spec.taints"), i, mine = find_taint(node);
  int mine_ns = find_taint_effect(node, "NoSchedule");
  int code = CPLANE_ENOMEM, first = 1;
  struct cplane_strbuf b = {0};
  char now[40], path[48], *list = NULL, *body = NULL, *msg = NULL;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    if (i == mine || i == mine_ns)
      continue;
    snprintf(path, sizeof path, "spec.taints[%d]", i);
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(&b, api, api->object_json(node, path));
    first = 0;
  }
  if (add) {
    /* NoSchedule as well, as kube's TaintNodesByCondition: every pod
     * tolerates the NoExecute one for a while (the API server's
     * DefaultTolerationSeconds), and must still not be scheduled here. */
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(
        &b, api,
        api->json_format("{'key':%s,'effect':'NoSchedule'}", TAINT_KEY));
    cplane_strbuf_add(&b, ",");
    cplane_strbuf_take(&b, api,
                       api->json_format("{'key':%s,'effect':'NoExecute',"
                                        "'timeAdded':%s}",
                                        TAINT_KEY, now));
    first = 0;
  }
  cplane_strbuf_add(&b, "]");
  if ((list = cplane_strbuf_finish(&b)) == NULL)
    goto out;
  /* An empty list removes the field, as kubectl taint leaves it. */
  body = api->json_format("{'metadata':{'resourceVersion':%s},'spec':{"
                          "'taints':%j}}",
                          api->object_resource_version(node),
                          first ? "null" : list);
  if (body == NULL)
    goto out;
  code = api->patch(ctx, &resources[NODES], NULL, api->object_name(node),
                    CPLANE_PATCH_MERGE, body, NULL, &msg);
  if (code != 200 && code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "node %s: %s the %s taint failed: %d %s",
             api->object_name(node), add ? "adding" : "removing", TAINT_KEY,
             code, msg ? msg : "");
out:
  free(list);
  api->free(body);
  api->free(msg);
  return code;
}

/* ---- reconcile ---- */

/* When the node's kubelet was last heard of: the Lease's renewTime, else
 * the node's creation; never before we started, so that a restart of the
 * control plane does not find every node silent at once. */
static double last_heard(cplane_plugin_ctx *ctx, const struct lifecycle *lc,
                         const cplane_object *node) {
  const cplane_object *lease = NULL;
  char key[300];
  double t = 0;

  snprintf(key, sizeof key, "%s/%s", LEASE_NS, api->object_name(node));
  t = cplane_time_parse_s(
      api->object_string(node, "metadata.creationTimestamp"), 0);
  if (api->cache_get(ctx, LEASES, key, &lease) == CPLANE_OK)
    t = cplane_time_parse_s(api->object_string(lease, "spec.renewTime"), t);
  api->object_release(lease);
  return t > lc->started ? t : lc->started;
}

/* Queues the pods on a tainted node whose toleration has run out and
 * returns when the next one will (0: none). */
static double queue_due_pods(cplane_plugin_ctx *ctx, struct lifecycle *lc,
                             const cplane_object *node, double tainted_at) {
  cplane_object_list *list = NULL;
  double next = 0, now = cplane_now_s(api, ctx);
  size_t k, n;
  int queued = 0;

  if (api->cache_list_by_index(ctx, PODS, "node", api->object_name(node),
                               NULL, &list) != CPLANE_OK)
    return 0;
  n = api->list_len(list);
  for (k = 0; k < n; k++) {
    const cplane_object *pod = api->list_at(list, k);
    int64_t tol;
    double due;

    if (api->object_deletion_timestamp(pod) != NULL ||
        (tol = toleration_s(lc, pod)) < 0)
      continue;
    due = tainted_at + (double)tol;
    if (due <= now)
      queued |= evict_push(lc, api->object_key(pod));
    else if (next == 0 || due < next)
      next = due;
  }
  api->list_free(list);
  if (queued)
    api->enqueue(ctx, "evict");
  return next;
}

static int reconcile_node(cplane_plugin_ctx *ctx, const char *name,
                          uint32_t *requeue_ms) {
  struct lifecycle *lc = state(ctx);
  const cplane_object *node = NULL, *updated = NULL;
  double now = cplane_now_s(api, ctx), heard, next_check, due;
  const char *ready_status;
  int taint, code, rc = CPLANE_RECONCILE_REQUEUE_AFTER;

  if (api->cache_get(ctx, NODES, name, &node) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  heard = last_heard(ctx, lc, node);
  ready_status = cplane_condition_status(api, node, CONDS, "Ready");
  taint = find_taint(node);
  next_check = now + lc->check_ms / 1000.0;
  *requeue_ms = CONFLICT_RETRY_MS;
  if (now - heard > lc->grace_ms / 1000.0) {
    if (ready_status == NULL || strcmp(ready_status, "Unknown") != 0) {
      code = write_ready(ctx, node, "Unknown", "NodeStatusUnknown",
                         "Kubelet stopped posting node status.", &updated);
      if (code != 200)
        goto written;
      api->log(ctx, CPLANE_LOG_WARN,
               "node %s is unreachable: no heartbeat for %.1f s", name,
               now - heard);
    }
    if (taint < 0) {
      /* Guarded by the version the status write just produced. */
      code = write_taint(ctx, updated ? updated : node, 1);
      goto written;
    }
    due = queue_due_pods(ctx, lc, node, taint_time(node, taint, now));
    if (due > 0 && due < next_check)
      next_check = due;
  } else {
    if (taint >= 0) {
      code = write_taint(ctx, node, 0);
      if (code != 200)
        goto written;
      api->log(ctx, CPLANE_LOG_INFO, "node %s is reachable again", name);
      goto out; /* the update event brings us back for Ready */
    }
    if (ready_status != NULL && strcmp(ready_status, "Unknown") == 0) {
      code = write_ready(ctx, node, "True", "KubeletReady",
                         "kubelet is posting ready status", NULL);
      goto written;
    }
    /* Look again just after the Lease would run out. */
    if (heard + lc->grace_ms / 1000.0 < next_check)
      next_check = heard + lc->grace_ms / 1000.0 + 0.01;
  }
  *requeue_ms = ms_until(next_check, now);
  goto out;
written:
  /* 200: our own update event checks again; 409/404: the cache is
   * behind; anything else: back off. */
  if (code == 200 || code == 409 || code == 404)
    *requeue_ms = code == 200 ? lc->check_ms : CONFLICT_RETRY_MS;
  else
    rc = CPLANE_RECONCILE_RETRY;
out:
  api->object_release(updated);
  api->object_release(node);
  return rc;
}

/* Deletes one pod from the FIFO if it is still due: on a node that still
 * has our taint, not tolerating it any longer, not already going.
 * Returns 1 when a delete was sent. */
static int evict_one(cplane_plugin_ctx *ctx, struct lifecycle *lc,
                     const char *key) {
  const cplane_object *pod = NULL, *node = NULL;
  const char *node_name;
  char *opts = NULL, *msg = NULL;
  int64_t tol = 0;
  int taint = -1, code, sent = 0;

  if (api->cache_get(ctx, PODS, key, &pod) != CPLANE_OK ||
      api->object_deletion_timestamp(pod) != NULL)
    goto out;
  node_name = api->object_string(pod, "spec.nodeName");
  if (node_name == NULL ||
      api->cache_get(ctx, NODES, node_name, &node) != CPLANE_OK ||
      (taint = find_taint(node)) < 0 || (tol = toleration_s(lc, pod)) < 0 ||
      taint_time(node, taint, cplane_now_s(api, ctx)) + (double)tol >
          cplane_now_s(api, ctx))
    goto out;
  /* The uid precondition spares a new pod that took the same name. */
  opts = api->json_format("{'kind':'DeleteOptions','apiVersion':'v1',"
                          "'preconditions':{'uid':%s}}",
                          api->object_uid(pod));
  if (opts == NULL)
    goto out;
  api->log(ctx, CPLANE_LOG_INFO, "evicting pod %s from unreachable node %s",
           key, node_name);
  sent = 1;
  code = api->delete_object(ctx, &resources[PODS], api->object_namespace(pod),
                            api->object_name(pod), opts, &msg);
  if (code != 200 && code != 202 && code != 404 && code != 409)
    api->log(ctx, CPLANE_LOG_WARN, "evicting pod %s failed: %d %s", key,
             code, msg ? msg : "");
out:
  api->free(opts);
  api->free(msg);
  api->object_release(node);
  api->object_release(pod);
  return sent;
}

static int reconcile_evict(cplane_plugin_ctx *ctx, uint32_t *requeue_ms) {
  struct lifecycle *lc = state(ctx);
  struct evictee *e;
  uint32_t wait_ms = 0;
  int i;

  /* Bounded, so one run never holds a worker for long. */
  for (i = 0; i < 1000; i++) {
    if ((e = evict_pop(lc, &wait_ms)) == NULL)
      break;
    if (evict_one(ctx, lc, e->key))
      evict_spent(lc);
    free(e);
  }
  if (i == 1000 || wait_ms > 0) {
    *requeue_ms = wait_ms > 0 ? wait_ms : 1;
    return CPLANE_RECONCILE_REQUEUE_AFTER;
  }
  return CPLANE_RECONCILE_DONE;
}

static int lc_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  if (strncmp(key, "node/", 5) == 0)
    return reconcile_node(ctx, key + 5, requeue_after_ms);
  if (strcmp(key, "evict") == 0)
    return reconcile_evict(ctx, requeue_after_ms);
  return CPLANE_RECONCILE_TERMINAL;
}

/* ---- configuration ---- */

static const char *cfg(cplane_plugin_ctx *ctx, const char *key) {
  const char *v = api->config_get(ctx, key);

  return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Reads [plugin.nodelifecycle]. Returns NULL, or what is wrong. */
static const char *configure(cplane_plugin_ctx *ctx, struct lifecycle *lc) {
  const char *v;
  char *end;
  double d;
  long n;
  int64_t ms;

  v = cfg(ctx, "grace_period");
  if (cplane_duration_parse_ms(v ? v : "40s", CPLANE_DURATION_BARE_SECONDS,
                               1000000000, &ms) != CPLANE_OK ||
      ms == 0)
    return "grace_period: a duration such as 40s";
  lc->grace_ms = (uint32_t)ms;
  v = cfg(ctx, "default_toleration_seconds");
  n = v ? strtol(v, &end, 10) : 300;
  if ((v && *end != '\0') || n < 0 || n > 86400 * 365)
    return "default_toleration_seconds: a whole number of seconds";
  lc->default_toleration_s = n;
  v = cfg(ctx, "eviction_rate");
  d = v ? strtod(v, &end) : 10;
  if ((v && *end != '\0') || !(d > 0) || d > 1e6)
    return "eviction_rate: pods per second, more than 0";
  lc->eviction_rate = d;
  /* A tenth of a second's worth at once, and at least one. */
  lc->burst = d / 10 > 1 ? d / 10 : 1;
  /* Checking a few times per grace period bounds how late we notice. */
  lc->check_ms = lc->grace_ms / 4 < 5000 ? lc->grace_ms / 4 : 5000;
  if (lc->check_ms == 0)
    lc->check_ms = 1;
  v = cfg(ctx, "check_interval");
  if (v != NULL && (cplane_duration_parse_ms(v, CPLANE_DURATION_BARE_SECONDS,
                                             1000000000, &ms) != CPLANE_OK ||
                    ms == 0))
    return "check_interval: a duration such as 5s";
  if (v != NULL)
    lc->check_ms = (uint32_t)ms;
  return NULL;
}

static void free_state(struct lifecycle *lc) {
  struct evictee *e, *next;

  if (lc == NULL)
    return;
  for (e = lc->head; e != NULL; e = next) {
    next = e->next_in_fifo;
    free(e);
  }
  cplane_sset_free(&lc->queued);
  pthread_mutex_destroy(&lc->mu);
  free(lc);
}

static int lc_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  struct lifecycle *lc;
  const char *err;
  char buf[160];

  api = host_api;
  if ((lc = calloc(1, sizeof *lc)) == NULL)
    return CPLANE_ENOMEM;
  if (cplane_sset_init(&lc->queued) != 0) {
    free(lc);
    return CPLANE_ENOMEM;
  }
  if (pthread_mutex_init(&lc->mu, NULL) != 0) {
    cplane_sset_free(&lc->queued);
    free(lc);
    return CPLANE_ERR;
  }
  lc->ctx = ctx;
  lc->started = lc->refilled_at = cplane_now_s(api, ctx);
  if ((err = configure(ctx, lc)) != NULL) {
    snprintf(buf, sizeof buf, "[plugin.%s] %s", api->plugin_name(ctx), err);
    *errmsg = api->string_dup(buf);
    free_state(lc);
    return CPLANE_EINVAL;
  }
  lc->tokens = lc->burst;
  if (api->cache_add_index(ctx, PODS, "node", "spec.nodeName") !=
      CPLANE_OK) {
    *errmsg = api->string_dup("cannot add the spec.nodeName index on pods");
    free_state(lc);
    return CPLANE_ERR;
  }
  api->set_userdata(ctx, lc);
  api->log(ctx, CPLANE_LOG_INFO,
           "grace period %ums, checks every %ums, default toleration %llds, "
           "at most %g eviction(s)/s",
           lc->grace_ms, lc->check_ms, (long long)lc->default_toleration_s,
           lc->eviction_rate);
  return CPLANE_OK;
}

static void lc_fini(cplane_plugin_ctx *ctx) {
  free_state(state(ctx));
  api->set_userdata(ctx, NULL);
}

/* The [plugin.NAME] keys this plugin reads, beside the host's own:
 * --check-config and start-up report any other as a misspelling. */
static const char *const nodelifecycle_config_keys[] = {
    "grace_period", "default_toleration_seconds", "eviction_rate",
    "check_interval", NULL};

static const struct cplane_plugin nodelifecycle_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "nodelifecycle",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 3,
    .resources = resources,
    .init = lc_init,
    .fini = lc_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = lc_reconcile,
    .config_keys = nodelifecycle_config_keys,
};

CPLANE_PLUGIN_DEFINE(nodelifecycle_plugin)
