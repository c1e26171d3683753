/*
 * watch_hub.c - ring of recent events plus one dispatcher thread.
 *
 * Only the dispatcher thread touches the active watcher array, so it can
 * walk it without the lock while a callback runs. Other threads hand it
 * new watchers through a pending list and ask for removal by flagging a
 * watcher cancelled and waiting until the dispatcher has let go of it.
 */
#include "store/watch_hub.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/clock.h"
#include "clock/deadline.h"
#include "log/log.h"

#define BACKFILL_BATCH 1000

struct cp_store_watcher {
  struct cp_store_watch_base base;
  cp_watch_hub *hub;
  uint8_t *prefix;
  size_t prefix_len;
  cp_store_watch_cb cb;
  void *userdata;
  int64_t next_rev;     /* dispatcher only, after activation */
  int64_t last_msg_ms;  /* dispatcher only */
  int done;             /* dispatcher only: ended by COMPACTED/ERROR */
  int64_t start_compacted; /* > 0: started below this compaction */
  int cancelled;        /* under hub lock */
  int free_by_dispatcher; /* under hub lock */
  int removed;          /* under hub lock */
  struct cp_store_watcher *next_pending;
};

struct cp_watch_hub {
  pthread_mutex_t mu;
  pthread_cond_t wake;    /* dispatcher waits here */
  pthread_cond_t removed; /* cancellers wait here */
  pthread_t thread;
  int stop;
  uint64_t seq; /* bumped on every change the dispatcher must look at */

  cp_hub_event **ring;
  size_t ring_cap;
  size_t ring_bytes_max;
  size_t ring_bytes; /* of the buffers the ring's events keep alive */
  /* Each key's latest event in the ring: an update's previous value is
   * that event's value, not a copy. */
  struct cp_event_index index;
  int64_t ring_first; /* revision of the oldest event held */
  int64_t head;       /* revision of the newest event published */
  int64_t compact_rev;

  cp_store_watcher *pending;
  cp_store_watcher **active;
  size_t active_len, active_cap;

  int64_t progress_ms;
  cp_hub_backfill_fn backfill;
  void *backfill_ctx;
  cp_store *store;
};

static int64_t now_ms(void) { return cp_now_ms(); }

static int has_prefix(const cp_store_kv *kv, const uint8_t *p, size_t n) {
  return kv->key_len >= n && (n == 0 || memcmp(kv->key, p, n) == 0);
}

/* ---- Events ----------------------------------------------------------- */

cp_hub_event *cp_hub_event_new(int type, const cp_store_kv *kv,
                               const cp_store_kv *prev) {
  return cp_shared_event_new(type, kv, prev);
}

static void event_ref(cp_hub_event *e) { (void)cp_shared_event_ref(e); }

void cp_hub_event_unref(cp_hub_event *e) { cp_shared_event_unref(e); }

void cp_hub_events_free(cp_store_event *events, size_t count) {
  size_t i;

  for (i = 0; i < count; i++) {
    cp_store_kv_free(&events[i].kv);
    cp_store_kv_free(&events[i].prev);
  }
  free(events);
}

/* ---- Ring (under mu) -------------------------------------------------- */

static cp_hub_event **ring_slot(cp_watch_hub *hub, int64_t rev) {
  return &hub->ring[(uint64_t)rev % hub->ring_cap];
}

static size_t ring_len(const cp_watch_hub *hub) {
  return (size_t)(hub->head - hub->ring_first + 1);
}

static void ring_evict_oldest(cp_watch_hub *hub) {
  cp_hub_event **slot = ring_slot(hub, hub->ring_first);

  cp_event_index_forget(&hub->index, *slot);
  cp_shared_event_release(*slot, CP_SHARED_HUB, &hub->ring_bytes);
  cp_hub_event_unref(*slot);
  *slot = NULL;
  hub->ring_first++;
}

void cp_watch_hub_publish(cp_watch_hub *hub, cp_hub_event **events,
                          size_t count) {
  size_t i;

  pthread_mutex_lock(&hub->mu);
  for (i = 0; i < count; i++) {
    if (ring_len(hub) == hub->ring_cap)
      ring_evict_oldest(hub);
    /* Still the caller's alone: its previous value may yet become the
     * ring's copy. */
    cp_event_index_add(&hub->index, events[i]);
    hub->head = events[i]->ev.kv.mod_revision;
    *ring_slot(hub, hub->head) = events[i];
    cp_shared_event_hold(events[i], CP_SHARED_HUB, &hub->ring_bytes);
    while (hub->ring_bytes > hub->ring_bytes_max && ring_len(hub) > 1)
      ring_evict_oldest(hub);
  }
  hub->seq++;
  pthread_cond_signal(&hub->wake);
  pthread_mutex_unlock(&hub->mu);
}

void cp_watch_hub_set_compacted(cp_watch_hub *hub, int64_t rev) {
  pthread_mutex_lock(&hub->mu);
  if (rev > hub->compact_rev)
    hub->compact_rev = rev;
  pthread_mutex_unlock(&hub->mu);
}

/* ---- Delivery (dispatcher thread) ------------------------------------- */

/* Runs w's callback with the lock released. */
static void deliver(cp_watch_hub *hub, cp_store_watcher *w,
                    const cp_store_watch_msg *msg) {
  pthread_mutex_unlock(&hub->mu);
  w->cb(w->userdata, msg);
  pthread_mutex_lock(&hub->mu);
  w->last_msg_ms = now_ms();
}

static void deliver_end(cp_watch_hub *hub, cp_store_watcher *w, int kind,
                        int64_t rev, int status) {
  cp_store_watch_msg msg = {.kind = kind, .revision = rev, .status = status};

  w->done = 1;
  deliver(hub, w, &msg);
}

/* Delivers w's events from the ring, from w->next_rev to the head. */
static void deliver_ring(cp_watch_hub *hub, cp_store_watcher *w,
                         cp_hub_event ***scratch, size_t *scratch_cap) {
  int64_t rev, head = hub->head;
  size_t n = 0, i;
  cp_store_event *evs;
  cp_store_watch_msg msg = {.kind = CP_STORE_WATCH_EVENTS};

  if (*scratch_cap < ring_len(hub)) {
    cp_hub_event **g = realloc(*scratch, ring_len(hub) * sizeof *g);

    if (g == NULL) {
      deliver_end(hub, w, CP_STORE_WATCH_ERROR, 0, CPLANE_ENOMEM);
      return;
    }
    *scratch = g;
    *scratch_cap = ring_len(hub);
  }
  for (rev = w->next_rev; rev <= head; rev++) {
    cp_hub_event *e = *ring_slot(hub, rev);

    if (has_prefix(&e->ev.kv, w->prefix, w->prefix_len)) {
      event_ref(e);
      (*scratch)[n++] = e;
    }
  }
  w->next_rev = head + 1;
  if (n == 0)
    return;
  evs = malloc(n * sizeof *evs);
  if (evs == NULL) {
    for (i = 0; i < n; i++)
      cp_hub_event_unref((*scratch)[i]);
    deliver_end(hub, w, CP_STORE_WATCH_ERROR, 0, CPLANE_ENOMEM);
    return;
  }
  for (i = 0; i < n; i++)
    evs[i] = (*scratch)[i]->ev;
  msg.events = evs;
  msg.shared = (cp_shared_event *const *)*scratch;
  msg.count = n;
  msg.revision = evs[n - 1].kv.mod_revision;
  deliver(hub, w, &msg);
  free(evs);
  for (i = 0; i < n; i++)
    cp_hub_event_unref((*scratch)[i]);
}

/* Catches w up from durable history, one batch, for revisions older than
 * the ring. */
static void deliver_backfill(cp_watch_hub *hub, cp_store_watcher *w) {
  int64_t from = w->next_rev, to = hub->ring_first - 1, covered = 0, crev = 0;
  cp_store_event *evs = NULL;
  size_t n = 0;
  int rc;
  cp_store_watch_msg msg = {.kind = CP_STORE_WATCH_EVENTS};

  pthread_mutex_unlock(&hub->mu);
  rc = hub->backfill(hub->backfill_ctx, w->prefix, w->prefix_len, from, to,
                     BACKFILL_BATCH, &evs, &n, &covered, &crev);
  pthread_mutex_lock(&hub->mu);
  if (rc == CP_STORE_ECOMPACTED) {
    deliver_end(hub, w, CP_STORE_WATCH_COMPACTED, crev, 0);
    return;
  }
  if (rc != CPLANE_OK) {
    cp_log_error("store", "watch backfill from revision %lld failed: %s",
                 (long long)from, cp_store_strerror(rc));
    deliver_end(hub, w, CP_STORE_WATCH_ERROR, 0, rc);
    return;
  }
  w->next_rev = covered + 1;
  if (n > 0) {
    msg.events = evs;
    msg.count = n;
    msg.revision = evs[n - 1].kv.mod_revision;
    deliver(hub, w, &msg);
  }
  cp_hub_events_free(evs, n);
}

/* Moves pending watchers in and drops cancelled ones. Returns 1 if any
 * watcher was added. */
static int sync_watchers(cp_watch_hub *hub) {
  size_t i, j = 0;
  int added = 0;

  while (hub->pending != NULL) {
    cp_store_watcher *w = hub->pending;

    if (hub->active_len == hub->active_cap) {
      size_t cap = hub->active_cap ? hub->active_cap * 2 : 16;
      cp_store_watcher **a = realloc(hub->active, cap * sizeof *a);

      if (a == NULL)
        break; /* retried on the next round */
      hub->active = a;
      hub->active_cap = cap;
    }
    hub->pending = w->next_pending;
    hub->active[hub->active_len++] = w;
    added = 1;
  }
  for (i = 0; i < hub->active_len; i++) {
    cp_store_watcher *w = hub->active[i];

    if (!w->cancelled) {
      hub->active[j++] = w;
      continue;
    }
    if (w->free_by_dispatcher) {
      free(w->prefix);
      free(w);
    } else {
      w->removed = 1;
    }
  }
  if (j != hub->active_len)
    pthread_cond_broadcast(&hub->removed);
  hub->active_len = j;
  return added;
}

/* One pass over every watcher. Returns 1 if it did any work, so the
 * dispatcher looks again before sleeping. */
static int dispatch_round(cp_watch_hub *hub, cp_hub_event ***scratch,
                          size_t *scratch_cap) {
  size_t i;
  int worked = sync_watchers(hub);
  int64_t now = now_ms();

  /* The array is only changed by this thread, so indexes stay valid while
   * deliver() drops the lock. */
  for (i = 0; i < hub->active_len; i++) {
    cp_store_watcher *w = hub->active[i];

    if (w->cancelled || w->done)
      continue;
    if (w->start_compacted > 0) {
      deliver_end(hub, w, CP_STORE_WATCH_COMPACTED, w->start_compacted, 0);
      continue;
    }
    if (w->next_rev > hub->head) {
      if (hub->progress_ms > 0 && now - w->last_msg_ms >= hub->progress_ms) {
        cp_store_watch_msg msg = {.kind = CP_STORE_WATCH_PROGRESS,
                                  .revision = hub->head};
        deliver(hub, w, &msg);
      }
      continue;
    }
    worked = 1;
    if (w->next_rev < hub->ring_first)
      deliver_backfill(hub, w);
    else
      deliver_ring(hub, w, scratch, scratch_cap);
  }
  return worked;
}

static void wait_for_work(cp_watch_hub *hub, uint64_t seen) {
  struct timespec ts;
  int64_t wait_ms = hub->progress_ms > 0 ? hub->progress_ms / 2 : 1000;

  if (wait_ms < 10)
    wait_ms = 10;
  cp_deadline_after_ms(CLOCK_MONOTONIC, wait_ms, &ts);
  while (!hub->stop && hub->seq == seen) {
    if (pthread_cond_timedwait(&hub->wake, &hub->mu, &ts) == ETIMEDOUT)
      break;
  }
}

static void *dispatcher_main(void *arg) {
  cp_watch_hub *hub = arg;
  cp_hub_event **scratch = NULL;
  size_t scratch_cap = 0;

  pthread_setname_np(pthread_self(), "watch-hub"); /* top -H, perf */
  pthread_mutex_lock(&hub->mu);
  while (!hub->stop) {
    uint64_t seen = hub->seq;

    if (dispatch_round(hub, &scratch, &scratch_cap))
      continue;
    wait_for_work(hub, seen);
  }
  pthread_mutex_unlock(&hub->mu);
  free(scratch);
  return NULL;
}

/* ---- Watchers --------------------------------------------------------- */

int cp_watch_hub_add(cp_watch_hub *hub, const void *prefix, size_t prefix_len,
                     int64_t from_rev, cp_store_watch_cb cb, void *userdata,
                     cp_store_watcher **out) {
  cp_store_watcher *w = calloc(1, sizeof *w);

  if (w == NULL)
    return CPLANE_ENOMEM;
  w->prefix = malloc(prefix_len + 1);
  if (w->prefix == NULL) {
    free(w);
    return CPLANE_ENOMEM;
  }
  if (prefix_len > 0)
    memcpy(w->prefix, prefix, prefix_len);
  w->base.store = hub->store;
  w->hub = hub;
  w->prefix_len = prefix_len;
  w->cb = cb;
  w->userdata = userdata;
  w->last_msg_ms = now_ms();
  pthread_mutex_lock(&hub->mu);
  w->next_rev = from_rev == 0 ? hub->head + 1 : from_rev;
  /* Events below the compaction may still sit in the ring, but a start
   * there must fail the same way whether they do or not. */
  if (from_rev != 0 && from_rev < hub->compact_rev)
    w->start_compacted = hub->compact_rev;
  w->next_pending = hub->pending;
  hub->pending = w;
  hub->seq++;
  pthread_cond_signal(&hub->wake);
  pthread_mutex_unlock(&hub->mu);
  *out = w;
  return CPLANE_OK;
}

void cp_watch_hub_cancel(cp_store_watcher *w) {
  cp_watch_hub *hub = w->hub;

  pthread_mutex_lock(&hub->mu);
  w->cancelled = 1;
  hub->seq++;
  if (pthread_equal(pthread_self(), hub->thread)) {
    w->free_by_dispatcher = 1;
    pthread_mutex_unlock(&hub->mu);
    return;
  }
  pthread_cond_signal(&hub->wake);
  while (!w->removed && !hub->stop)
    pthread_cond_wait(&hub->removed, &hub->mu);
  pthread_mutex_unlock(&hub->mu);
  free(w->prefix);
  free(w);
}

/* ---- Life cycle ------------------------------------------------------- */

int cp_watch_hub_new(const cp_watch_hub_opts *opts, cp_watch_hub **out) {
  cp_watch_hub *hub = calloc(1, sizeof *hub);
  pthread_condattr_t ca;
  int rc = CPLANE_ENOMEM;

  *out = NULL;
  if (hub == NULL)
    return CPLANE_ENOMEM;
  hub->ring_cap = opts->ring_events > 0 ? opts->ring_events : 65536;
  hub->ring = calloc(hub->ring_cap, sizeof *hub->ring);
  if (hub->ring == NULL)
    goto out;
  hub->ring_bytes_max = opts->ring_bytes > 0 ? opts->ring_bytes : 64u << 20;
  hub->head = opts->head_rev;
  hub->ring_first = opts->head_rev + 1;
  hub->compact_rev = opts->compact_rev;
  hub->progress_ms = opts->progress_ms;
  hub->backfill = opts->backfill;
  hub->backfill_ctx = opts->backfill_ctx;
  hub->store = opts->store;
  pthread_mutex_init(&hub->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&hub->wake, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&hub->removed, NULL);
  if (pthread_create(&hub->thread, NULL, dispatcher_main, hub) != 0) {
    rc = CP_STORE_EIO;
    pthread_cond_destroy(&hub->wake);
    pthread_cond_destroy(&hub->removed);
    pthread_mutex_destroy(&hub->mu);
    goto out;
  }
  *out = hub;
  return CPLANE_OK;
out:
  free(hub->ring);
  free(hub);
  return rc;
}

static void free_watch_list(cp_store_watcher *w) {
  while (w != NULL) {
    cp_store_watcher *next = w->next_pending;

    free(w->prefix);
    free(w);
    w = next;
  }
}

void cp_watch_hub_free(cp_watch_hub *hub) {
  size_t i;

  if (hub == NULL)
    return;
  pthread_mutex_lock(&hub->mu);
  hub->stop = 1;
  pthread_cond_signal(&hub->wake);
  pthread_cond_broadcast(&hub->removed);
  pthread_mutex_unlock(&hub->mu);
  pthread_join(hub->thread, NULL);
  if (hub->active_len > 0 || hub->pending != NULL)
    cp_log_warn("store", "closing with %zu watch(es) still open",
                hub->active_len);
  for (i = 0; i < hub->active_len; i++) {
    hub->active[i]->next_pending = NULL;
    free_watch_list(hub->active[i]);
  }
  free_watch_list(hub->pending);
  free(hub->active);
  while (hub->ring_first <= hub->head)
    ring_evict_oldest(hub);
  cp_event_index_free(&hub->index);
  free(hub->ring);
  pthread_cond_destroy(&hub->wake);
  pthread_cond_destroy(&hub->removed);
  pthread_mutex_destroy(&hub->mu);
  free(hub);
}
