/*
 * watched_set - a store-fed snapshot kept on a thread (watched_set.h).
 */
#include "apiserver/watched_set.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/deadline.h"
#include "log/log.h"

struct cp_watched_set {
  struct cp_api_ctx *ctx; /* borrowed */
  const struct cp_watched_set_def *def;
  void *arg;
  size_t n_prefixes;
  pthread_t thread;
  int has_thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  /* Under mu. */
  struct cp_watched_snapshot *cur;
  cp_store_watcher *sw[CP_WATCHED_SET_MAX_PREFIXES];
  int dirty;   /* something changed (or kicked): read again */
  int rewatch; /* a watch ended (or never started): watch anew */
  int stopping;
  /* cur->weight, read without the lock: the cost of a request when the
   * set is empty. */
  atomic_size_t weight;
};

/* ------------------------------------------------------------ snapshots */

struct cp_watched_snapshot *cp_watched_set_acquire(struct cp_watched_set *s) {
  struct cp_watched_snapshot *snap;

  if (s == NULL || atomic_load(&s->weight) == 0)
    return NULL;
  pthread_mutex_lock(&s->mu);
  snap = s->cur;
  if (snap != NULL)
    snap->refs++;
  pthread_mutex_unlock(&s->mu);
  return snap;
}

void cp_watched_set_release(struct cp_watched_set *s,
                            struct cp_watched_snapshot *snap) {
  int last;

  if (snap == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  last = --snap->refs == 0;
  pthread_mutex_unlock(&s->mu);
  if (last)
    s->def->free(snap);
}

/* Makes snap (may be NULL) the current snapshot; the set holds one
 * reference. */
static void install(struct cp_watched_set *s,
                    struct cp_watched_snapshot *snap) {
  struct cp_watched_snapshot *old;
  int last = 0;

  if (snap != NULL)
    snap->refs = 1;
  pthread_mutex_lock(&s->mu);
  old = s->cur;
  s->cur = snap;
  atomic_store(&s->weight, snap != NULL ? snap->weight : 0);
  if (old != NULL)
    last = --old->refs == 0;
  pthread_mutex_unlock(&s->mu);
  if (last)
    s->def->free(old);
}

/* ------------------------------------------------------------ reading */

struct listed {
  cp_store_list_result res;
  json_object **objs;
  size_t n;
};

static void listed_free(struct listed *l) {
  size_t i;

  for (i = 0; i < l->n; i++)
    json_object_put(l->objs[i]);
  free(l->objs);
  cp_store_list_result_free(&l->res);
}

static int list_prefix(struct cp_watched_set *s, const char *prefix,
                       struct listed *l) {
  size_t i;
  int rc;

  rc = cp_store_list(s->ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0,
                     &l->res);
  if (rc != CPLANE_OK)
    return rc;
  if ((l->objs = calloc(l->res.count ? l->res.count : 1, sizeof *l->objs)) ==
      NULL)
    return CPLANE_ENOMEM;
  /* An object that does not parse (never valid) is left out. */
  for (i = 0; i < l->res.count; i++)
    if ((l->objs[l->n] = cp_api_parse_stored(NULL, &l->res.kvs[i])) != NULL)
      l->n++;
  return CPLANE_OK;
}

/* Lists every prefix and builds; rev[k] is the revision prefix k was
 * read at. Returns 0 or a store error. */
static int read_all(struct cp_watched_set *s, int64_t *rev) {
  struct listed l[CP_WATCHED_SET_MAX_PREFIXES];
  json_object **objs[CP_WATCHED_SET_MAX_PREFIXES];
  size_t n[CP_WATCHED_SET_MAX_PREFIXES], k;
  struct cp_watched_snapshot *snap = NULL;
  int rc = CPLANE_OK;

  memset(l, 0, sizeof l);
  for (k = 0; k < s->n_prefixes; k++) {
    if ((rc = list_prefix(s, s->def->prefixes[k], &l[k])) != CPLANE_OK)
      goto out;
    objs[k] = l[k].objs;
    n[k] = l[k].n;
    rev[k] = l[k].res.revision;
  }
  if (s->def->build(s->arg, objs, n, atomic_load(&s->weight), &snap) < 0) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  if (s->def->free != NULL)
    install(s, snap);
out:
  for (k = 0; k < s->n_prefixes; k++)
    listed_free(&l[k]);
  return rc;
}

/* ------------------------------------------------------------ watching */

/* Store thread: something changed, or a watch ended. The work is the
 * set's thread's: a store callback must return quickly, and a new watch
 * is not started from one. */
static void on_watch(void *userdata, const cp_store_watch_msg *msg) {
  struct cp_watched_set *s = userdata;

  if (msg->kind == CP_STORE_WATCH_PROGRESS)
    return;
  if (msg->kind == CP_STORE_WATCH_EVENTS && s->def->on_events != NULL) {
    s->def->on_events(s->arg, msg);
    return;
  }
  pthread_mutex_lock(&s->mu);
  s->dirty = 1;
  if (msg->kind != CP_STORE_WATCH_EVENTS)
    s->rewatch = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (msg->kind != CP_STORE_WATCH_EVENTS)
    cp_log_warn("apiserver", "the %s watch ended (%s): reading them again "
                "and watching anew",
                s->def->what,
                msg->kind == CP_STORE_WATCH_COMPACTED
                    ? "history compacted"
                    : cp_store_strerror(msg->status));
}

/* Set thread (or start/stop), mu not held: cancels the watches (after
 * their end message too: a handle must still be cancelled; from here the
 * call waits for a running callback to return). */
static void cancel_watches(struct cp_watched_set *s) {
  cp_store_watcher *old[CP_WATCHED_SET_MAX_PREFIXES];
  size_t k;

  pthread_mutex_lock(&s->mu);
  for (k = 0; k < s->n_prefixes; k++) {
    old[k] = s->sw[k];
    s->sw[k] = NULL;
  }
  pthread_mutex_unlock(&s->mu);
  for (k = 0; k < s->n_prefixes; k++)
    if (old[k] != NULL)
      cp_store_watch_cancel(old[k]);
}

/* Watches every prefix after the revision it was read at (nothing
 * written between is missed). 0, or -1 (logged). */
static int watch_all(struct cp_watched_set *s, const int64_t *rev) {
  size_t k;

  for (k = 0; k < s->n_prefixes; k++) {
    const char *p = s->def->prefixes[k];
    cp_store_watcher *sw = NULL;
    int rc = cp_store_watch(s->ctx->store, p, strlen(p), rev[k] + 1,
                            on_watch, s, &sw);

    if (rc != CPLANE_OK) {
      cp_log_warn("apiserver", "cannot watch %s: %s; retrying in %d ms",
                  s->def->what, cp_store_strerror(rc),
                  CP_WATCHED_SET_RETRY_MS);
      return -1;
    }
    pthread_mutex_lock(&s->mu);
    s->sw[k] = sw;
    pthread_mutex_unlock(&s->mu);
  }
  return 0;
}

/* Everything read again; with watch, the watches restarted after what
 * was read. 0, or -1 (logged). */
static int reload(struct cp_watched_set *s, int watch) {
  int64_t rev[CP_WATCHED_SET_MAX_PREFIXES] = {0};
  int rc;

  if (watch)
    cancel_watches(s);
  if ((rc = read_all(s, rev)) != CPLANE_OK) {
    cp_log_warn("apiserver", "cannot read %s: %s; retrying in %d ms",
                s->def->what, cp_store_strerror(rc), CP_WATCHED_SET_RETRY_MS);
    return -1;
  }
  return watch ? watch_all(s, rev) : 0;
}

/* ------------------------------------------------------------ thread */

/* Waits, mu held, until there is work or the set stops: a change, a
 * kick, or (period_ms) the next periodic read. */
static void wait_for_work(struct cp_watched_set *s,
                          const struct timespec *next_period) {
  while (!s->dirty && !s->stopping) {
    if (s->def->period_ms <= 0)
      pthread_cond_wait(&s->cv, &s->mu);
    else if (pthread_cond_timedwait(&s->cv, &s->mu, next_period) ==
             ETIMEDOUT)
      s->dirty = 1;
  }
}

static void *set_main(void *arg) {
  struct cp_watched_set *s = arg;
  /* No retry before next_retry; a periodic read at next_period (both
   * monotonic). */
  struct timespec next_retry = {0, 0}, next_period = {0, 0};
  int watch, failed = 0;

  pthread_setname_np(pthread_self(), s->def->thread); /* top -H */
  pthread_mutex_lock(&s->mu);
  for (;;) {
    wait_for_work(s, &next_period);
    /* After a failure or an ended watch, one attempt a RETRY_MS: a store
     * that is down, or a watch that keeps ending, is no busy loop. */
    while ((failed || s->rewatch) && !s->stopping)
      if (pthread_cond_timedwait(&s->cv, &s->mu, &next_retry) == ETIMEDOUT)
        break;
    if (s->stopping)
      break;
    watch = s->rewatch;
    s->dirty = s->rewatch = 0;
    pthread_mutex_unlock(&s->mu);
    failed = reload(s, watch) < 0;
    if (failed || watch)
      cp_deadline_after_ms(CLOCK_MONOTONIC, CP_WATCHED_SET_RETRY_MS,
                           &next_retry);
    if (s->def->period_ms > 0)
      cp_deadline_after_ms(CLOCK_MONOTONIC, s->def->period_ms, &next_period);
    pthread_mutex_lock(&s->mu);
    if (failed) {
      s->dirty = 1;
      s->rewatch |= watch;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

void cp_watched_set_kick(struct cp_watched_set *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  s->dirty = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

struct cp_watched_set *cp_watched_set_start(struct cp_api_ctx *ctx,
                                            const struct cp_watched_set_def *def,
                                            void *arg, int64_t loaded_rev) {
  struct cp_watched_set *s = calloc(1, sizeof *s);
  int64_t rev[CP_WATCHED_SET_MAX_PREFIXES];
  pthread_condattr_t ca;
  size_t k;

  if (s == NULL)
    return NULL;
  s->ctx = ctx;
  s->def = def;
  s->arg = arg;
  while (def->prefixes[s->n_prefixes] != NULL &&
         s->n_prefixes < CP_WATCHED_SET_MAX_PREFIXES)
    s->n_prefixes++;
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  for (k = 0; k < s->n_prefixes; k++)
    rev[k] = loaded_rev;
  if (!def->watch)
    /* A loop without watches makes its first read on its thread. */
    s->dirty = 1;
  else if (loaded_rev > 0 ? watch_all(s, rev) < 0 : reload(s, 1) < 0)
    /* Read now, so that the first requests see what is stored; a
     * failure is the thread's to retry. */
    s->dirty = s->rewatch = 1;
  if (pthread_create(&s->thread, NULL, set_main, s) != 0) {
    cp_watched_set_stop(s);
    return NULL;
  }
  s->has_thread = 1;
  return s;
}

void cp_watched_set_stop(struct cp_watched_set *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->has_thread)
    pthread_join(s->thread, NULL);
  /* The thread is gone: nothing else starts or cancels watches. */
  cancel_watches(s);
  if (s->cur != NULL && --s->cur->refs == 0)
    s->def->free(s->cur);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}
