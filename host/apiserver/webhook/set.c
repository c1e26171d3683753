/*
 * set - the webhook configurations, loaded and watched (set.h).
 */
#include "apiserver/webhook/set.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/webhook/call.h"
#include "clock/deadline.h"
#include "log/log.h"

/* The least time between two reloads after a failure. */
#define RETRY_MS 1000

static const char *const prefixes[2] = {"validatingwebhookconfigurations/",
                                        "mutatingwebhookconfigurations/"};

struct cp_webhooks {
  struct cp_api_ctx *ctx; /* borrowed; outlives the set */
  struct cp_webhook_caller *caller;
  pthread_t thread;
  int has_thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  /* Under mu: [0] validating, [1] mutating. */
  struct cp_webhook_snapshot *cur[2];
  cp_store_watcher *sw[2];
  int dirty;   /* something changed: read them all again */
  int rewatch; /* a watch ended (or never started): watch anew */
  int stopping;
  /* cur[k]->n, read without the lock: the cost of a request when there
   * are no webhooks. */
  atomic_size_t count[2];
};

/* ------------------------------------------------------------ snapshots */

static int by_name(const void *a, const void *b) {
  json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;

  return strcmp(cp_plat_str0(cp_plat_get(x, "metadata", json_type_object),
                             "name"),
                cp_plat_str0(cp_plat_get(y, "metadata", json_type_object),
                             "name"));
}

void cp_webhook_snapshot_free(struct cp_webhook_snapshot *s) {
  size_t i;

  if (s == NULL)
    return;
  for (i = 0; i < s->n; i++)
    cp_webhook_clear(&s->hooks[i]);
  free(s->hooks);
  free(s);
}

/* Appends the webhooks of one configuration; -1 out of memory. */
static int add_config(struct cp_webhook_snapshot *s, json_object *cfg,
                      int mutating, size_t *cap) {
  json_object *md = cp_plat_get(cfg, "metadata", json_type_object);
  json_object *hooks = cp_plat_get(cfg, "webhooks", json_type_array);
  size_t i;

  for (i = 0; hooks != NULL && i < json_object_array_length(hooks); i++) {
    if (s->n == *cap) {
      size_t ncap = *cap ? *cap * 2 : 8;
      struct cp_webhook *nh = realloc(s->hooks, ncap * sizeof *nh);

      if (nh == NULL)
        return -1;
      s->hooks = nh;
      *cap = ncap;
    }
    /* A webhook without a name (never valid) is skipped. */
    if (cp_webhook_parse(json_object_array_get_idx(hooks, i),
                         cp_plat_str(md, "name"), cp_plat_str(md, "uid"), i,
                         mutating, &s->hooks[s->n]) == 0)
      s->n++;
  }
  return 0;
}

struct cp_webhook_snapshot *
cp_webhook_snapshot_build(json_object *const *configs, size_t n,
                          int mutating) {
  struct cp_webhook_snapshot *s = calloc(1, sizeof *s);
  json_object **sorted = calloc(n ? n : 1, sizeof *sorted);
  size_t i, cap = 0;

  if (s == NULL || sorted == NULL)
    goto fail;
  memcpy(sorted, configs, n * sizeof *sorted);
  /* kube calls the configurations in name order. */
  qsort(sorted, n, sizeof *sorted, by_name);
  for (i = 0; i < n; i++)
    if (add_config(s, sorted[i], mutating, &cap) < 0)
      goto fail;
  free(sorted);
  return s;
fail:
  free(sorted);
  cp_webhook_snapshot_free(s);
  return NULL;
}

struct cp_webhook_snapshot *cp_webhooks_acquire(struct cp_webhooks *w,
                                                int mutating) {
  struct cp_webhook_snapshot *s;

  if (w == NULL || atomic_load(&w->count[mutating != 0]) == 0)
    return NULL;
  pthread_mutex_lock(&w->mu);
  s = w->cur[mutating != 0];
  if (s != NULL)
    s->refs++;
  pthread_mutex_unlock(&w->mu);
  return s;
}

void cp_webhooks_release(struct cp_webhooks *w,
                         struct cp_webhook_snapshot *s) {
  int last;

  if (s == NULL)
    return;
  pthread_mutex_lock(&w->mu);
  last = --s->refs == 0;
  pthread_mutex_unlock(&w->mu);
  if (last)
    cp_webhook_snapshot_free(s);
}

struct cp_webhook_caller *cp_webhooks_caller(struct cp_webhooks *w) {
  return w->caller;
}

/* Makes s the current snapshot of kind k (the set holds one reference). */
static void install(struct cp_webhooks *w, int k,
                    struct cp_webhook_snapshot *s) {
  struct cp_webhook_snapshot *old;
  int last = 0;

  s->refs = 1;
  pthread_mutex_lock(&w->mu);
  old = w->cur[k];
  w->cur[k] = s;
  atomic_store(&w->count[k], s->n);
  if (old != NULL)
    last = --old->refs == 0;
  pthread_mutex_unlock(&w->mu);
  if (last)
    cp_webhook_snapshot_free(old);
}

/* ------------------------------------------------------------ loading */

/* Reads the configurations of kind k into a new snapshot; *rev is the
 * revision read at. Returns 0 or a store error. */
static int load(struct cp_webhooks *w, int k, int64_t *rev) {
  cp_store_list_result res;
  json_object **cfgs = NULL;
  struct cp_webhook_snapshot *s = NULL;
  size_t i, n = 0;
  int rc;

  memset(&res, 0, sizeof res);
  rc = cp_store_list(w->ctx->store, prefixes[k], strlen(prefixes[k]), NULL,
                     0, 0, 0, &res);
  if (rc != CPLANE_OK)
    return rc;
  if ((cfgs = calloc(res.count ? res.count : 1, sizeof *cfgs)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  for (i = 0; i < res.count; i++)
    if ((cfgs[n] = cp_api_parse_stored(NULL, &res.kvs[i])) != NULL)
      n++;
  if ((s = cp_webhook_snapshot_build(cfgs, n, k)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  if (s->n != atomic_load(&w->count[k]))
    cp_log_info("apiserver", "%zu %s admission webhook(s) in %zu "
                "configuration(s)",
                s->n, k ? "mutating" : "validating", n);
  install(w, k, s);
  *rev = res.revision;
out:
  for (i = 0; i < n; i++)
    json_object_put(cfgs[i]);
  free(cfgs);
  cp_store_list_result_free(&res);
  return rc;
}

/* Store thread: a configuration changed, or the watch ended. The work
 * is the set's thread's: a store callback must return quickly. */
static void on_watch(void *userdata, const cp_store_watch_msg *msg) {
  struct cp_webhooks *w = userdata;

  if (msg->kind == CP_STORE_WATCH_PROGRESS)
    return;
  pthread_mutex_lock(&w->mu);
  w->dirty = 1;
  if (msg->kind != CP_STORE_WATCH_EVENTS)
    w->rewatch = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  if (msg->kind == CP_STORE_WATCH_COMPACTED ||
      msg->kind == CP_STORE_WATCH_ERROR)
    cp_log_warn("apiserver", "the webhook configurations watch ended: "
                "reading them again and watching anew");
}

/* Set thread, mu not held: cancels the watches (after their end, or
 * before new ones). */
static void cancel_watches(struct cp_webhooks *w) {
  cp_store_watcher *old[2];
  int k;

  pthread_mutex_lock(&w->mu);
  old[0] = w->sw[0];
  old[1] = w->sw[1];
  w->sw[0] = w->sw[1] = NULL;
  pthread_mutex_unlock(&w->mu);
  for (k = 0; k < 2; k++)
    if (old[k] != NULL)
      cp_store_watch_cancel(old[k]);
}

/* Set thread: everything read again; with watch, the watches restarted
 * after what was read (nothing written between is missed). 0 or -1. */
static int reload(struct cp_webhooks *w, int watch) {
  int64_t rev[2] = {0, 0};
  int k, rc;

  if (watch)
    cancel_watches(w);
  for (k = 0; k < 2; k++) {
    cp_store_watcher *sw = NULL;

    if ((rc = load(w, k, &rev[k])) != CPLANE_OK) {
      cp_log_warn("apiserver", "cannot read the webhook configurations: %s; "
                  "retrying in %d ms", cp_store_strerror(rc), RETRY_MS);
      return -1;
    }
    if (!watch)
      continue;
    rc = cp_store_watch(w->ctx->store, prefixes[k], strlen(prefixes[k]),
                        rev[k] + 1, on_watch, w, &sw);
    if (rc != CPLANE_OK) {
      cp_log_warn("apiserver", "cannot watch the webhook configurations: "
                  "%s; retrying in %d ms", cp_store_strerror(rc), RETRY_MS);
      return -1;
    }
    pthread_mutex_lock(&w->mu);
    w->sw[k] = sw;
    pthread_mutex_unlock(&w->mu);
  }
  return 0;
}

static void *set_main(void *arg) {
  struct cp_webhooks *w = arg;
  struct timespec next = {0, 0}; /* no retry before it (monotonic) */
  int watch, failed = 0;

  pthread_setname_np(pthread_self(), "api-webhooks"); /* top -H */
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->dirty && !w->stopping)
      pthread_cond_wait(&w->cv, &w->mu);
    /* After a failure, one attempt a RETRY_MS. */
    while (failed && !w->stopping)
      if (pthread_cond_timedwait(&w->cv, &w->mu, &next) == ETIMEDOUT)
        break;
    if (w->stopping)
      break;
    watch = w->rewatch;
    w->dirty = w->rewatch = 0;
    pthread_mutex_unlock(&w->mu);
    failed = reload(w, watch) < 0;
    if (failed)
      cp_deadline_after_ms(CLOCK_MONOTONIC, RETRY_MS, &next);
    pthread_mutex_lock(&w->mu);
    if (failed) {
      w->dirty = 1;
      w->rewatch |= watch;
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

struct cp_webhooks *cp_webhooks_start(struct cp_api_ctx *ctx, int max_calls) {
  struct cp_webhooks *w = calloc(1, sizeof *w);
  pthread_condattr_t ca;

  if (w == NULL)
    return NULL;
  w->ctx = ctx;
  pthread_mutex_init(&w->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cv, &ca);
  pthread_condattr_destroy(&ca);
  if ((w->caller = cp_webhook_caller_new(max_calls)) == NULL) {
    cp_webhooks_stop(w);
    return NULL;
  }
  /* Read now, so that the first requests see what is stored; a failure
   * is the thread's to retry. */
  if (reload(w, 1) < 0)
    w->dirty = w->rewatch = 1;
  if (pthread_create(&w->thread, NULL, set_main, w) != 0) {
    cp_webhooks_stop(w);
    return NULL;
  }
  w->has_thread = 1;
  return w;
}

void cp_webhooks_stop(struct cp_webhooks *w) {
  int k;

  if (w == NULL)
    return;
  pthread_mutex_lock(&w->mu);
  w->stopping = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  if (w->has_thread)
    pthread_join(w->thread, NULL);
  /* The thread is gone: nothing else starts or cancels watches. */
  cancel_watches(w);
  for (k = 0; k < 2; k++)
    if (w->cur[k] != NULL && --w->cur[k]->refs == 0)
      cp_webhook_snapshot_free(w->cur[k]);
  cp_webhook_caller_free(w->caller);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  free(w);
}
