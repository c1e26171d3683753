/*
 * controller - see controller.h.
 */
#include "plugin/controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/clock.h"
#include "informer/informer.h"
#include "log/assert.h"
#include "log/log.h"
#include "object/object.h"
#include "plugin/dispatch_guard.h"
#include "plugin/event_recorder.h"
#include "workqueue/workqueue.h"

struct cp_dispatch {
  struct cplane_plugin_ctx *plugin;
  uint32_t resource;
  struct cp_inflight *call; /* this resource's dispatch thread's slot */
};

struct cp_worker {
  pthread_t thread;
  struct cplane_plugin_ctx *plugin;
  struct cp_inflight *call;
};

/* The bound of one call of each kind (inflight.h). */
static uint64_t reconcile_bound_ns(const struct cplane_plugin_ctx *p) {
  if (p->config != NULL && p->config->reconcile_deadline_ms != 0)
    return p->config->reconcile_deadline_ms * 1000000u;
  return CP_RECONCILE_STUCK_DEFAULT_NS;
}

static uint64_t now_ns(void) { return cp_now_ns(); }

/* Runs before each on_*: the owner mapping of api->enqueue_owner
 * (owner_map.h), then the dispatch-thread mark that lets a blocking call
 * made from the callback be noticed (dispatch_guard.h). */
static void dispatch_begin(struct cp_dispatch *d, const char *callback,
                           const cplane_object *obj) {
  struct cplane_plugin_ctx *p = d->plugin;

  cp_inflight_begin(&p->inflight, d->call, callback, cp_object_key(obj),
                    CP_DISPATCH_STUCK_NS);
  cp_dispatch_guard_enter(p, callback);
}

static void dispatch_end(struct cp_dispatch *d) {
  cp_dispatch_guard_leave();
  cp_inflight_end(&d->plugin->inflight, d->call);
}

static void dispatch_add(void *userdata, const cplane_object *obj,
                         int is_initial_list) {
  struct cp_dispatch *d = userdata;
  struct cplane_plugin_ctx *p = d->plugin;

  cp_owner_map_enqueue(&p->owners, d->resource, obj, p->queue);
  if (p->desc.on_add == NULL)
    return;
  dispatch_begin(d, "on_add", obj);
  p->desc.on_add(p, d->resource, obj);
  dispatch_end(d);
}

static void dispatch_update(void *userdata, const cplane_object *old_obj,
                            const cplane_object *new_obj) {
  struct cp_dispatch *d = userdata;
  struct cplane_plugin_ctx *p = d->plugin;

  /* Both: an owner the dependent left must hear of it too. */
  if (old_obj != new_obj)
    cp_owner_map_enqueue(&p->owners, d->resource, old_obj, p->queue);
  cp_owner_map_enqueue(&p->owners, d->resource, new_obj, p->queue);
  if (p->desc.on_update == NULL)
    return;
  dispatch_begin(d, "on_update", new_obj);
  p->desc.on_update(p, d->resource, old_obj, new_obj);
  dispatch_end(d);
}

static void dispatch_delete(void *userdata, const cplane_object *obj) {
  struct cp_dispatch *d = userdata;
  struct cplane_plugin_ctx *p = d->plugin;

  cp_owner_map_enqueue(&p->owners, d->resource, obj, p->queue);
  if (p->desc.on_delete == NULL)
    return;
  dispatch_begin(d, "on_delete", obj);
  p->desc.on_delete(p, d->resource, obj);
  dispatch_end(d);
}

static const struct cp_informer_handler_ops dispatch_ops = {
    .on_add = dispatch_add,
    .on_update = dispatch_update,
    .on_delete = dispatch_delete,
};

/* REQUEUE_AFTER with a delay under the floor: re-added at once, it would
 * spin a worker on one key (20,000 reconciles in 5 ms). It goes through
 * the rate limiter instead, as controller-runtime's Requeue: true does,
 * and says so once per plugin; later ones are only counted. */
static void requeue_now(struct cplane_plugin_ctx *p, const char *key) {
  if (atomic_fetch_add(&p->reconcile_requeues_now, 1) == 0)
    cp_log_warn(p->name, "reconcile %s returned REQUEUE_AFTER with a delay "
                         "of 0 ms: rate-limited as a RETRY instead of "
                         "spinning (counted in controller_runtime_"
                         "reconcile_total{result=\"requeue\"}; this is "
                         "said once)", key);
  cp_workqueue_add_rate_limited(p->queue, key);
}

static void apply_result(struct cplane_plugin_ctx *p, const char *key,
                         int result, uint32_t after_ms) {
  switch (result) {
  case CPLANE_RECONCILE_DONE:
    cp_workqueue_forget(p->queue, key);
    break;
  case CPLANE_RECONCILE_REQUEUE_AFTER:
    if (after_ms < CP_REQUEUE_AFTER_FLOOR_MS) {
      requeue_now(p, key);
      break;
    }
    atomic_fetch_add(&p->reconcile_requeues, 1);
    cp_workqueue_forget(p->queue, key);
    cp_workqueue_add_after(p->queue, key, (uint64_t)after_ms * 1000000u);
    break;
  case CPLANE_RECONCILE_TERMINAL:
    atomic_fetch_add(&p->reconcile_terminal, 1);
    cp_workqueue_forget(p->queue, key);
    cp_log_warn(p->name, "reconcile %s: terminal error, not retried", key);
    break;
  default:
    if (result != CPLANE_RECONCILE_RETRY)
      cp_log_warn(p->name, "reconcile %s returned unknown result %d: "
                           "retrying with backoff", key, result);
    atomic_fetch_add(&p->reconcile_errors, 1);
    cp_workqueue_add_rate_limited(p->queue, key);
    cp_log_debug(p->name, "reconcile %s failed: retry %d with backoff", key,
                 cp_workqueue_num_requeues(p->queue, key));
    break;
  }
}

static void *worker_main(void *arg) {
  struct cp_worker *w = arg;
  struct cplane_plugin_ctx *p = w->plugin;
  uint64_t deadline_ns = p->config != NULL
                             ? p->config->reconcile_deadline_ms * 1000000u
                             : 0;
  uint64_t bound_ns = reconcile_bound_ns(p);
  const char *key;

  pthread_setname_np(pthread_self(), "ctl-worker"); /* top -H, perf */
  while ((key = cp_workqueue_get(p->queue)) != NULL) {
    uint32_t after_ms = 0;
    uint64_t t0 = now_ns(), took;
    int result = CPLANE_RECONCILE_DONE;

    if (p->desc.reconcile != NULL) {
      cp_inflight_begin(&p->inflight, w->call, "reconcile", key, bound_ns);
      result = p->desc.reconcile(p, key, &after_ms);
      cp_inflight_end(&p->inflight, w->call);
    }
    took = now_ns() - t0;
    atomic_fetch_add(&p->reconciles, 1);
    if (deadline_ns != 0 && took > deadline_ns) {
      atomic_fetch_add(&p->deadline_overruns, 1);
      cp_log_warn(p->name, "reconcile %s took %.3f s, past the deadline of "
                           "%.3f s", key, took / 1e9, deadline_ns / 1e9);
    }
    apply_result(p, key, result, after_ms);
    cp_workqueue_done(p->queue, key);
  }
  return NULL;
}

static int start_handlers(struct cplane_plugin_ctx *p,
                          struct cp_informer **informers, char **errmsg) {
  uint32_t n = p->desc.n_resources, i;
  uint64_t resync_ns =
      p->config != NULL ? p->config->resync_ms * 1000000u : 0;

  if (n == 0)
    return 0;
  /* The registry may already have attached the informers (for init's
   * cache_add_index); a test may pass its own. */
  if (p->informers == NULL &&
      (p->informers = calloc(n, sizeof *p->informers)) == NULL)
    goto nomem;
  if (p->informers != informers)
    memcpy(p->informers, informers, n * sizeof *informers);
  /* A plugin restarted by a reload had these from its first start. */
  free(p->handlers);
  free(p->dispatch);
  p->handlers = calloc(n, sizeof *p->handlers);
  p->dispatch = calloc(n, sizeof *p->dispatch);
  if (p->handlers == NULL || p->dispatch == NULL)
    goto nomem;
  for (i = 0; i < n; i++) {
    p->dispatch[i].plugin = p;
    p->dispatch[i].resource = i;
    p->dispatch[i].call = cp_inflight_slot(&p->inflight, i);
  }
  for (i = 0; i < n; i++) {
    p->handlers[i] =
        cp_informer_add_handler(p->informers[i], &dispatch_ops, &p->dispatch[i],
                                CP_CONTROLLER_BUFFER, resync_ns);
    if (p->handlers[i] == NULL)
      goto nomem;
  }
  return 0;
nomem:
  if (asprintf(errmsg, "plugin %s: out of memory starting handlers",
               p->name) < 0)
    *errmsg = NULL;
  return -1;
}

static int start_workers(struct cplane_plugin_ctx *p, char **errmsg) {
  int n = p->config != NULL && p->config->workers > 0 ? p->config->workers
                                                      : 1;
  int i;

  free(p->workers);
  p->workers = calloc((size_t)n, sizeof *p->workers);
  if (p->workers == NULL)
    goto fail;
  for (i = 0; i < n; i++) {
    struct cp_worker *w = &p->workers[i];

    w->plugin = p;
    w->call = cp_inflight_slot(&p->inflight,
                               (size_t)p->desc.n_resources + (size_t)i);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
      goto fail;
    p->n_workers++;
  }
  return 0;
fail:
  if (asprintf(errmsg, "plugin %s: cannot start worker %d of %d", p->name,
               p->n_workers + 1, n) < 0)
    *errmsg = NULL;
  return -1;
}

/* Starts p on `queue` (adopted, paused by cp_controller_detach()) or on a
 * new queue when it is NULL. */
static int start_on(struct cplane_plugin_ctx *p, struct cp_informer **informers,
                    struct cp_workqueue *queue, char **errmsg) {
  *errmsg = NULL;
  if (p->state != CP_PLUGIN_READY && p->state != CP_PLUGIN_STOPPED) {
    if (asprintf(errmsg, "plugin %s: cannot start from state %d", p->name,
                 (int)p->state) < 0)
      *errmsg = NULL;
    return -1;
  }
  p->queue = queue != NULL ? queue : cp_workqueue_new(p->name, NULL);
  if (p->queue == NULL) {
    if (asprintf(errmsg, "plugin %s: out of memory creating its queue",
                 p->name) < 0)
      *errmsg = NULL;
    return -1;
  }
  cp_workqueue_pause(p->queue, 0);
  /* Workers first: the first events may enqueue at once. */
  if (start_workers(p, errmsg) < 0 ||
      start_handlers(p, informers, errmsg) < 0) {
    p->state = CP_PLUGIN_RUNNING;
    cp_controller_stop(p);
    return -1;
  }
  CP_ASSERT(p->n_workers > 0 && p->queue != NULL);
  p->state = CP_PLUGIN_RUNNING;
  cp_log_info(p->name, "started: %d worker(s), %u resource(s)",
              p->n_workers, p->desc.n_resources);
  return 0;
}

int cp_controller_start(struct cplane_plugin_ctx *p,
                        struct cp_informer **informers, char **errmsg) {
  return start_on(p, informers, NULL, errmsg);
}

int cp_controller_start_on(struct cplane_plugin_ctx *p,
                           struct cp_informer **informers,
                           struct cp_workqueue *queue, char **errmsg) {
  CP_ASSERT(queue != NULL);
  return start_on(p, informers, queue, errmsg);
}

/* Unregisters p's informer handlers: no on_* runs after this. */
static void remove_handlers(struct cplane_plugin_ctx *p) {
  uint32_t i;

  for (i = 0; p->handlers != NULL && i < p->desc.n_resources; i++) {
    if (p->handlers[i] != NULL)
      cp_informer_remove_handler(p->informers[i], p->handlers[i]);
    p->handlers[i] = NULL;
  }
}

static void join_workers(struct cplane_plugin_ctx *p) {
  int w;

  for (w = 0; w < p->n_workers; w++)
    pthread_join(p->workers[w].thread, NULL);
  /* No callback runs any more: send what they recorded (bounded). */
  cp_event_recorder_stop(p);
  p->n_workers = 0;
}

/* Clears p->queue under the registry's lock, so the metrics thread never
 * writes a queue being freed; returns it. Workers are joined already. */
static struct cp_workqueue *unpublish_queue(struct cplane_plugin_ctx *p) {
  struct cp_workqueue *q;

  if (p->runtime_mu != NULL)
    pthread_mutex_lock(p->runtime_mu);
  q = p->queue;
  p->queue = NULL;
  if (p->runtime_mu != NULL)
    pthread_mutex_unlock(p->runtime_mu);
  return q;
}

void cp_controller_stop(struct cplane_plugin_ctx *p) {
  if (p == NULL || p->state != CP_PLUGIN_RUNNING)
    return;
  CP_ASSERT(p->queue != NULL);
  /* Handlers first, so nothing new is enqueued while workers drain. */
  remove_handlers(p);
  cp_workqueue_shutdown(p->queue);
  join_workers(p);
  cp_workqueue_free(unpublish_queue(p));
  p->state = CP_PLUGIN_STOPPED;
  cp_log_info(p->name, "stopped after %llu reconcile(s)",
              (unsigned long long)atomic_load(&p->reconciles));
}

struct cp_workqueue *cp_controller_detach(struct cplane_plugin_ctx *p) {
  struct cp_workqueue *q;

  if (p == NULL || p->state != CP_PLUGIN_RUNNING)
    return NULL;
  CP_ASSERT(p->queue != NULL);
  remove_handlers(p);
  /* Each worker finishes the key it runs (its requeue or retry lands in
   * the queue as usual), then finds the queue paused and returns. */
  cp_workqueue_pause(p->queue, 1);
  join_workers(p);
  q = unpublish_queue(p);
  p->state = CP_PLUGIN_STOPPED;
  return q;
}
