/*
 * replicaset - keeps the pods a ReplicaSet controls (ownerReferences with
 * controller: true) at spec.replicas, and its status true.
 *
 * Creates and deletes happen in bounded batches, and each batch is
 * remembered as an expectation (creates and deletes still to be seen in
 * the cache) so that a cache that lags behind never causes a second batch:
 * the ReplicaSet is not acted on again until the events arrive or five
 * minutes pass. Extra pods go least valuable first: unscheduled, then not
 * running, then the rest.
 *
 * Pods that match the selector and have no controller are adopted; owned
 * pods whose labels stop matching are released (both by a strategic merge
 * patch of ownerReferences guarded by the pod's resourceVersion).
 *
 * Threading: callbacks run on the host's dispatch thread and only enqueue
 * and count expectations; reconcile runs on the workers, never for one
 * key on two at once. The expectation table has its own mutex.
 */
#include <cplane/cplane.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 500 /* creates or deletes per round, as Kubernetes' burst */
#define CREATE_THREADS 16
#define EXPECTATION_TTL_S 300

static const struct cplane_host_api *api;


static const struct cplane_resource resources[] = {
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("", "v1", "pods"),
};
#define RS 0
#define PODS 1

/* ---- expectations ---- */

struct expectation {
  int creates, deletes;
  time_t set_at;
};

/* ReplicaSet key -> malloc'd struct expectation; guarded by expect_mu. A
 * map, not a fixed table: a full table would drop expectations and let a
 * slow cache cause double creation. */
static struct cplane_smap expect;
static pthread_mutex_t expect_mu = PTHREAD_MUTEX_INITIALIZER;

static void expect_set(cplane_plugin_ctx *ctx, const char *key, int creates,
                       int deletes) {
  struct expectation *e;

  pthread_mutex_lock(&expect_mu);
  e = cplane_smap_get(&expect, key);
  if (e == NULL && (e = calloc(1, sizeof *e)) != NULL &&
      cplane_smap_put(&expect, key, e, NULL) != 0) {
    free(e);
    e = NULL;
  }
  if (e != NULL) {
    e->creates = creates;
    e->deletes = deletes;
    e->set_at = time(NULL);
  } else {
    /* Out of memory: without the expectation the next reconcile may act
     * on a stale cache; say so rather than fail silently. */
    api->log(ctx, CPLANE_LOG_WARN, "%s: out of memory recording "
                                    "expectations", key);
  }
  pthread_mutex_unlock(&expect_mu);
}

static void expect_observed(const char *key, int created, int deleted) {
  struct expectation *e;

  pthread_mutex_lock(&expect_mu);
  if ((e = cplane_smap_get(&expect, key)) != NULL) {
    e->creates -= created;
    e->deletes -= deleted;
  }
  pthread_mutex_unlock(&expect_mu);
}

static int expect_satisfied(const char *key) {
  struct expectation *e;
  int ok = 1;

  pthread_mutex_lock(&expect_mu);
  if ((e = cplane_smap_get(&expect, key)) != NULL) {
    ok = (e->creates <= 0 && e->deletes <= 0) ||
         time(NULL) - e->set_at > EXPECTATION_TTL_S;
    if (ok)
      free(cplane_smap_del(&expect, key));
  }
  pthread_mutex_unlock(&expect_mu);
  return ok;
}

static void expect_forget(const char *key) {
  pthread_mutex_lock(&expect_mu);
  free(cplane_smap_del(&expect, key));
  pthread_mutex_unlock(&expect_mu);
}

static void free_value(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  free(val);
}

/* ---- ReplicaSets to scan for orphans ---- */

/* Looking for orphans means listing every pod the selector matches; doing
 * it on each reconcile (every pod update) made a ReplicaSet of 3,000 pods
 * quadratic. So it runs only when a ReplicaSet is first seen and when an
 * orphan that it matches shows up: the keys to scan are in scan_set. */
static struct cplane_sset scan_set; /* guarded by scan_mu */
static pthread_mutex_t scan_mu = PTHREAD_MUTEX_INITIALIZER;

/* Asks for a scan of key. Returns -1 when out of memory (the orphan is
 * then adopted on a later event that asks again). */
static int scan_want(const char *key) {
  int rc;

  pthread_mutex_lock(&scan_mu);
  rc = cplane_sset_add(&scan_set, key) < 0 ? -1 : 0;
  pthread_mutex_unlock(&scan_mu);
  return rc;
}

/* 1 when a scan of key was asked for (and takes the request). */
static int scan_take(const char *key) {
  int found;

  pthread_mutex_lock(&scan_mu);
  found = cplane_sset_del(&scan_set, key);
  pthread_mutex_unlock(&scan_mu);
  return found;
}

/* ---- events ---- */

/* "ns/name" of the ReplicaSet controlling pod, into buf; 0 if none. */
static int owner_key(const cplane_object *pod, char *buf, size_t len) {
  return cplane_controller_key(api, pod, "ReplicaSet", buf, len);
}

/* An orphan pod: queue every ReplicaSet in its namespace whose selector
 * matches it, to adopt it. A cache read, so fine on the dispatch thread;
 * orphans are rare. */
static void enqueue_adopters(cplane_plugin_ctx *ctx, const cplane_object *pod) {
  cplane_object_list *list = NULL;
  size_t i;

  if (api->object_controller_uid(pod) != NULL ||
      api->object_deletion_timestamp(pod) != NULL ||
      api->cache_list(ctx, RS, api->object_namespace(pod), NULL, &list) !=
          CPLANE_OK)
    return;
  for (i = 0; i < api->list_len(list); i++) {
    const cplane_object *rs = api->list_at(list, i);
    char *sel = api->label_selector_text(rs, "spec.selector");

    if (sel != NULL && sel[0] != '\0' &&
        api->object_labels_match(pod, sel) == 1) {
      scan_want(api->object_key(rs));
      api->enqueue(ctx, api->object_key(rs));
    }
    api->free(sel);
  }
  api->list_free(list);
}

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  char key[300];

  if (res == RS) {
    scan_want(api->object_key(obj)); /* first seen: look for orphans */
    api->enqueue(ctx, api->object_key(obj));
  } else if (owner_key(obj, key, sizeof key)) {
    expect_observed(key, 1, 0);
    api->enqueue(ctx, key);
  } else {
    enqueue_adopters(ctx, obj);
  }
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  char key[300];

  (void)old_obj;
  if (res == RS)
    api->enqueue(ctx, api->object_key(new_obj));
  else if (owner_key(new_obj, key, sizeof key))
    api->enqueue(ctx, key);
  else
    enqueue_adopters(ctx, new_obj);
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  char key[300];

  if (res == RS) {
    expect_forget(api->object_key(obj));
    scan_take(api->object_key(obj));
  } else if (owner_key(obj, key, sizeof key)) {
    expect_observed(key, 0, 1);
    api->enqueue(ctx, key);
  }
}

/* ---- reconcile ---- */

/* 1 when pod is Ready; *since (if not NULL) is when it became so, or 0
 * when the condition has no transition time. */
static int pod_ready_since(const cplane_object *pod, double *since) {
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  const char *s =
      i >= 0 ? cplane_array_string(api, pod, "status.conditions", i, "status")
             : NULL;

  if (since != NULL)
    *since = 0;
  if (s == NULL || strcmp(s, "True") != 0)
    return 0;
  if (since != NULL)
    *since =
        cplane_time_parse_s(cplane_array_string(api, pod, "status.conditions",
                                                i, "lastTransitionTime"),
                            0);
  return 1;
}

static int pod_ready(const cplane_object *pod) {
  return pod_ready_since(pod, NULL);
}

/* Counts the ready pods, and the available ones: ready for at least
 * min_ready seconds (a pod without a transition time counts at once).
 * *next_ms is when the next ready pod becomes available (0: none waits). */
static void count_ready(const cplane_object *const *pods, int n,
                        int64_t min_ready, double now, int *ready,
                        int *available, uint32_t *next_ms) {
  double since, wait, soonest = 0;
  int i;

  *ready = *available = 0;
  for (i = 0; i < n; i++) {
    if (!pod_ready_since(pods[i], &since))
      continue;
    (*ready)++;
    wait = since + (double)min_ready - now;
    if (min_ready <= 0 || since == 0 || wait <= 0) {
      (*available)++;
      continue;
    }
    if (soonest == 0 || wait < soonest)
      soonest = wait;
  }
  /* A little late rather than early, so the pod is available then. */
  *next_ms = soonest > 0 ? (uint32_t)(soonest * 1000) + 50 : 0;
}

/* Lower is deleted first: unscheduled, then not running, then ready
 * last. */
static int pod_value(const cplane_object *pod) {
  const char *node = api->object_string(pod, "spec.nodeName");
  const char *phase = api->object_string(pod, "status.phase");

  if (node == NULL || node[0] == '\0')
    return 0;
  if (phase == NULL || strcmp(phase, "Running") != 0)
    return 1;
  return pod_ready(pod) ? 3 : 2;
}

/* One thread's share of a batch of creates. */
struct creator {
  cplane_plugin_ctx *ctx;
  const char *ns, *body;
  int todo, made, code;
  char *msg; /* the first failure's message; owned (api->free) */
};

static void *creator_main(void *arg) {
  struct creator *c = arg;

  for (; c->made < c->todo; c->made++) {
    c->code = api->create(c->ctx, &resources[PODS], c->ns, c->body, NULL,
                          &c->msg);
    if (c->code != 201)
      break;
  }
  return NULL;
}

/* Creates n pods from the template in "slow start" batches of 1, 2, 4...
 * as kube-controller-manager does: each batch runs in parallel (at most
 * CREATE_THREADS calls at once), and the first failing batch ends the
 * round, so a quota or an invalid template costs one call, not n. */
static int create_pods(cplane_plugin_ctx *ctx, const cplane_object *rs,
                       const char *key, int n) {
  char *labels = api->object_json(rs, "spec.template.metadata.labels");
  char *spec = api->object_json(rs, "spec.template.spec");
  char *ref = cplane_controller_ref_json(api, rs, "apps/v1", "ReplicaSet");
  char prefix[300], *body = NULL, *first_msg = NULL;
  int made = 0, batch = 1, remaining = n, failed = 0, first_code = 0, i;

  snprintf(prefix, sizeof prefix, "%s-", api->object_name(rs));
  expect_set(ctx, key, n, 0);
  /* A NULL %j would write null: without a reference there is no pod. */
  if (ref != NULL)
    body = api->json_format(
        "{'apiVersion':'v1','kind':'Pod','metadata':{'generateName':%s,"
        "'namespace':%s,'labels':%j,'ownerReferences':[%j]},'spec':%j}",
        prefix, api->object_namespace(rs), labels, ref, spec);
  if (body == NULL) {
    failed = 1;
    first_code = CPLANE_ENOMEM;
  }
  while (remaining > 0 && !failed) {
    struct creator c[CREATE_THREADS];
    pthread_t th[CREATE_THREADS];
    int b = batch < remaining ? batch : remaining;
    int t = b < CREATE_THREADS ? b : CREATE_THREADS;

    int threaded[CREATE_THREADS] = {0};

    for (i = 0; i < t; i++)
      c[i] = (struct creator){ctx, api->object_namespace(rs), body,
                              b / t + (i < b % t), 0, 201, NULL};
    /* Shares 1.. on threads, share 0 (and any whose thread cannot start)
     * on this one. */
    for (i = 1; i < t; i++)
      threaded[i] = pthread_create(&th[i], NULL, creator_main, &c[i]) == 0;
    for (i = 0; i < t; i++)
      if (!threaded[i])
        creator_main(&c[i]);
    for (i = 0; i < t; i++) {
      if (threaded[i])
        pthread_join(th[i], NULL);
      made += c[i].made;
      if (c[i].code != 201) {
        failed = 1;
        if (first_msg == NULL) {
          first_msg = c[i].msg;
          first_code = c[i].code;
          c[i].msg = NULL;
        }
      }
      api->free(c[i].msg);
    }
    remaining -= b;
    batch *= 2;
  }
  if (failed) {
    api->log(ctx, CPLANE_LOG_WARN, "%s: creating a pod failed: %d %s", key,
             first_code, first_msg ? first_msg : "");
    /* No event will come for the ones not made. */
    expect_observed(key, n - made, 0);
  }
  api->free(first_msg);
  api->free(body);
  api->free(ref);
  api->free(labels);
  api->free(spec);
  if (made > 0)
    api->log(ctx, CPLANE_LOG_INFO, "%s: created %d pod(s)", key, made);
  return failed ? -1 : 0;
}

static int delete_pods(cplane_plugin_ctx *ctx, const char *key,
                       const cplane_object **pods, int n_pods, int n) {
  int i, v, deleted = 0, failed = 0;

  expect_set(ctx, key, 0, n);
  /* Least valuable first. */
  for (v = 0; v <= 3 && deleted + failed < n; v++) {
    for (i = 0; i < n_pods && deleted + failed < n; i++) {
      char *msg = NULL;
      int code;

      if (pods[i] == NULL || pod_value(pods[i]) != v)
        continue;
      code = api->delete_object(ctx, &resources[PODS],
                                api->object_namespace(pods[i]),
                                api->object_name(pods[i]), NULL, &msg);
      pods[i] = NULL;
      if (code == 200) {
        deleted++;
      } else {
        failed++;
        expect_observed(key, 0, 1);
        api->log(ctx, CPLANE_LOG_WARN, "%s: deleting a pod failed: %d %s",
                 key, code, msg ? msg : "");
      }
      api->free(msg);
    }
  }
  if (deleted > 0)
    api->log(ctx, CPLANE_LOG_INFO, "%s: deleted %d pod(s)", key, deleted);
  return failed == 0 ? 0 : -1;
}

static void update_status(cplane_plugin_ctx *ctx, const cplane_object *rs,
                          int replicas, int ready, int available) {
  int64_t cur_r = -1, cur_ready = -1, cur_avail = -1, cur_gen = -1;
  int64_t gen = api->object_generation(rs);
  char *body, *msg = NULL;

  api->object_int(rs, "status.replicas", &cur_r);
  api->object_int(rs, "status.readyReplicas", &cur_ready);
  api->object_int(rs, "status.availableReplicas", &cur_avail);
  api->object_int(rs, "status.observedGeneration", &cur_gen);
  if (cur_r == replicas && cur_ready == ready && cur_avail == available &&
      cur_gen == gen)
    return;
  body = api->json_format(
      "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':%s,"
      "'namespace':%s},'status':{'replicas':%d,'readyReplicas':%d,"
      "'availableReplicas':%d,'fullyLabeledReplicas':%d,"
      "'observedGeneration':%lld}}",
      api->object_name(rs), api->object_namespace(rs), replicas, ready,
      available, replicas, (long long)gen);
  if (body != NULL)
    api->update_status(ctx, &resources[RS], api->object_namespace(rs),
                       api->object_name(rs), body, NULL, &msg);
  api->free(msg);
  api->free(body);
}

/* Takes pod into rs (adopt) or lets it go (release) with a strategic
 * merge patch on ownerReferences (merged by uid), guarded by the pod's
 * resourceVersion so that two controllers never both win. Returns 1 on
 * success, 0 when the pod changed meanwhile or is gone. */
static int set_owner(cplane_plugin_ctx *ctx, const cplane_object *rs,
                     const cplane_object *pod, int adopt) {
  char *body, *msg = NULL, *ref;
  int code;

  if (adopt) {
    ref = cplane_controller_ref_json(api, rs, "apps/v1", "ReplicaSet");
    body = ref == NULL
               ? NULL
               : api->json_format("{'metadata':{'resourceVersion':%s,"
                                  "'ownerReferences':[%j]}}",
                                  api->object_resource_version(pod), ref);
    api->free(ref);
  } else {
    body = api->json_format(
        "{'metadata':{'resourceVersion':%s,'ownerReferences':[{"
        "'$patch':'delete','uid':%s}]}}",
        api->object_resource_version(pod), api->object_uid(rs));
  }
  if (body == NULL)
    return 0;
  code = api->patch(ctx, &resources[PODS], api->object_namespace(pod),
                    api->object_name(pod), CPLANE_PATCH_STRATEGIC, body, NULL,
                    &msg);
  if (code == 200)
    api->log(ctx, CPLANE_LOG_INFO, "%s/%s: %s pod %s",
             api->object_namespace(rs), api->object_name(rs),
             adopt ? "adopted" : "released", api->object_name(pod));
  else if (code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "%s/%s: %s pod %s failed: %d %s",
             api->object_namespace(rs), api->object_name(rs),
             adopt ? "adopting" : "releasing", api->object_name(pod), code,
             msg ? msg : "");
  api->free(msg);
  api->free(body);
  return code == 200;
}

/* A growable array of borrowed pods (they live in the lists). */
struct pod_set {
  const cplane_object **pods;
  int n, cap;
};

static int pod_set_add(struct pod_set *s, const cplane_object *p) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 64;
    const cplane_object **np = realloc(s->pods, (size_t)cap * sizeof *np);

    if (np == NULL)
      return -1;
    s->pods = np;
    s->cap = cap;
  }
  s->pods[s->n++] = p;
  return 0;
}

/* The live pods rs controls, after releasing those that no longer match
 * its selector and adopting matching orphans, into *out. */
static int claim_pods(cplane_plugin_ctx *ctx, const cplane_object *rs,
                      const char *selector, cplane_object_list *owned,
                      cplane_object_list *matching, struct pod_set *out) {
  const char *uid = api->object_uid(rs);
  size_t i;

  for (i = 0; i < api->list_len(owned); i++) {
    const cplane_object *p = api->list_at(owned, i);
    const char *ctl = api->object_controller_uid(p);

    if (api->object_deletion_timestamp(p) != NULL || ctl == NULL ||
        strcmp(ctl, uid) != 0)
      continue;
    if (api->object_labels_match(p, selector) != 1) {
      set_owner(ctx, rs, p, 0);
      continue;
    }
    if (pod_set_add(out, p) != 0)
      return -1;
  }
  for (i = 0; matching != NULL && i < api->list_len(matching); i++) {
    const cplane_object *p = api->list_at(matching, i);

    if (api->object_deletion_timestamp(p) != NULL ||
        api->object_controller_uid(p) != NULL || cplane_pod_is_terminal(api, p))
      continue;
    if (set_owner(ctx, rs, p, 1) && pod_set_add(out, p) != 0)
      return -1;
  }
  return 0;
}

static int rs_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *rs = NULL;
  cplane_object_list *owned = NULL, *matching = NULL;
  struct pod_set set = {NULL, 0, 0};
  char *selector = NULL;
  int64_t want = 1, min_ready = 0;
  int ready = 0, available = 0, rc = CPLANE_RECONCILE_DONE;
  uint32_t next_ms = 0;

  if (api->cache_get(ctx, RS, key, &rs) != CPLANE_OK) {
    expect_forget(key);
    return CPLANE_RECONCILE_DONE;
  }
  if (api->object_deletion_timestamp(rs) != NULL)
    goto out; /* the garbage collector's turn */
  if (!expect_satisfied(key)) {
    *requeue_after_ms = 500;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
    goto out;
  }
  if ((selector = api->label_selector_text(rs, "spec.selector")) == NULL ||
      selector[0] == '\0') {
    /* The API server refuses these; one from elsewhere is left alone. */
    api->log(ctx, CPLANE_LOG_WARN, "%s: spec.selector is missing, empty or "
                                   "invalid: not managing its pods", key);
    goto out;
  }
  api->object_int(rs, "spec.replicas", &want);
  if (api->cache_list_by_index(ctx, PODS, "owner-uid", api->object_uid(rs),
                               NULL, &owned) != CPLANE_OK)
    goto out;
  if (scan_take(key) &&
      api->cache_list(ctx, PODS, api->object_namespace(rs), selector,
                      &matching) != CPLANE_OK) {
    scan_want(key);
    goto out;
  }
  if (claim_pods(ctx, rs, selector, owned, matching, &set) != 0) {
    rc = CPLANE_RECONCILE_RETRY;
    goto out;
  }
  api->object_int(rs, "spec.minReadySeconds", &min_ready);
  count_ready(set.pods, set.n, min_ready, cplane_now_s(api, ctx), &ready,
              &available, &next_ms);
  if (set.n < want) {
    int make = (int)(want - set.n) > BATCH ? BATCH : (int)(want - set.n);

    if (create_pods(ctx, rs, key, make) < 0)
      rc = CPLANE_RECONCILE_RETRY;
  } else if (set.n > want) {
    int drop = (int)(set.n - want) > BATCH ? BATCH : (int)(set.n - want);

    if (delete_pods(ctx, key, set.pods, set.n, drop) < 0)
      rc = CPLANE_RECONCILE_RETRY;
  }
  update_status(ctx, rs, set.n, ready, available);
  /* Nothing else would wake us when a pod's minReadySeconds pass. */
  if (rc == CPLANE_RECONCILE_DONE && next_ms > 0) {
    *requeue_after_ms = next_ms;
    rc = CPLANE_RECONCILE_REQUEUE_AFTER;
  }
out:
  free(set.pods);
  api->free(selector);
  api->list_free(owned);
  api->list_free(matching);
  api->object_release(rs);
  return rc;
}

static int rs_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  if (host_api->struct_size < sizeof *host_api)
    return CPLANE_EUNAVAILABLE;
  api = host_api;
  if (cplane_smap_init(&expect) != 0 || cplane_sset_init(&scan_set) != 0) {
    static const char oom[] = "out of memory for the expectation map";

    cplane_smap_free(&expect);

    if ((*errmsg = api->alloc(sizeof oom)) != NULL)
      memcpy(*errmsg, oom, sizeof oom);
    return CPLANE_ENOMEM;
  }
  api->log(ctx, CPLANE_LOG_INFO, "keeping ReplicaSets at their replicas");
  return CPLANE_OK;
}

static void rs_fini(cplane_plugin_ctx *ctx) {
  (void)ctx;
  cplane_sset_free(&scan_set);
  cplane_smap_foreach(&expect, free_value, NULL);
  cplane_smap_free(&expect);
}

/* This plugin reads no [plugin.NAME] key of its own: --check-config
 * and start-up report any key beside the host's as a misspelling. */
static const char *const replicaset_config_keys[] = {NULL};

static const struct cplane_plugin replicaset_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "replicaset",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = resources,
    .init = rs_init,
    .fini = rs_fini,
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
    .reconcile = rs_reconcile,
    .config_keys = replicaset_config_keys,
};

CPLANE_PLUGIN_DEFINE(replicaset_plugin)
