/*
 * informer.c - see informer.h.
 *
 * Locks, always taken in this order:
 *   run_mu    serialises start and stop; held for the whole of either.
 *   feed_mu   serialises every change: store writes, notifications,
 *             resyncs, the handler list, the synced flag. Held while a
 *             feeder waits for buffer space, which is the backpressure.
 *   life_mu   the running flag and dispatch threads; with feed_mu, the
 *             handler list (either one is enough to walk it).
 *   rw        the store and the indexes; writers also hold feed_mu,
 *             except add_index and drop_indexes, which change indexes
 *             only.
 *   h->mu     one handler's FIFO, replay and counters.
 *   timer_mu  the resync timer's sleep.
 * run_mu and feed_mu are never held together. Stop joins the resync timer
 * (which takes feed_mu) holding run_mu only, so a feeder or add_handler
 * holding feed_mu can always finish first; it joins dispatch threads
 * under life_mu, which they never take.
 * Callbacks run on dispatch threads holding none of them.
 *
 * A change is applied to the store under rw, then, with rw released but
 * feed_mu still held, queued to each handler in list order. Since feed_mu
 * covers both steps, notifications of one key are queued in the order the
 * store took them, and a resync (which also holds feed_mu) always sees the
 * newest state and everything older already queued ahead of it.
 */
#include "informer/informer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/clock.h"
#include "informer/index.h"
#include "informer/ptab.h"
#include "log/assert.h"
#include "log/log.h"

/* The lock order above, checked under CP_ASSERTS: each thread keeps the
 * ranks of the informer locks it holds, and may take a lock only while it
 * holds none of a later rank (run_mu and feed_mu: never both). Compiled
 * out of release builds. */
enum lock_rank {
  RANK_RUN = 1u << 0,
  RANK_FEED = 1u << 1,
  RANK_LIFE = 1u << 2,
  RANK_RW = 1u << 3,
  RANK_HANDLER = 1u << 4,
  RANK_TIMER = 1u << 5,
};

static _Thread_local unsigned held_ranks;

static void rank_check(unsigned rank) {
  CP_ASSERT((held_ranks & ~((rank << 1) - 1)) == 0);
  CP_ASSERT(!(rank == RANK_FEED && (held_ranks & RANK_RUN)));
  CP_ASSERT(!(rank == RANK_RUN && (held_ranks & RANK_FEED)));
}

static void rank_lock(pthread_mutex_t *mu, unsigned rank) {
  if (CP_ASSERTS_ON)
    rank_check(rank);
  pthread_mutex_lock(mu);
  if (CP_ASSERTS_ON)
    held_ranks |= rank;
}

static void rank_unlock(pthread_mutex_t *mu, unsigned rank) {
  if (CP_ASSERTS_ON)
    held_ranks &= ~rank;
  pthread_mutex_unlock(mu);
}

static void rank_rwlock(pthread_rwlock_t *rw, int write) {
  if (CP_ASSERTS_ON)
    rank_check(RANK_RW);
  if (write)
    pthread_rwlock_wrlock(rw);
  else
    pthread_rwlock_rdlock(rw);
  if (CP_ASSERTS_ON)
    held_ranks |= RANK_RW;
}

static void rank_rwunlock(pthread_rwlock_t *rw) {
  if (CP_ASSERTS_ON)
    held_ranks &= ~RANK_RW;
  pthread_rwlock_unlock(rw);
}

#define LOG_COMPONENT "informer"
#define NS_PER_S 1000000000ull

enum note_type { NOTE_ADD, NOTE_UPDATE, NOTE_DELETE };

/* One queued notification; it holds one reference to each object. */
struct note {
  const cplane_object *old_obj; /* NOTE_UPDATE only */
  const cplane_object *obj;     /* the added, new or deleted state */
  uint8_t type;
  uint8_t initial; /* NOTE_ADD of the first list */
  uint8_t resync;
};

/* How many notifications of one key a resyncing handler has queued. The
 * entry holds a reference to an object of that key so the key string
 * stays valid. */
struct pending {
  const cplane_object *ref;
  uint32_t count;
};

struct cp_informer_handler {
  cp_informer *inf;
  struct cp_informer_handler_ops ops;
  void *userdata;
  uint64_t resync_period_ns;
  _Atomic uint64_t next_resync_ns;
  cp_informer_handler *next; /* see the lock notes above */

  pthread_t thread; /* life_mu */
  int has_thread;   /* life_mu */

  pthread_mutex_t mu;
  pthread_cond_t not_empty; /* the dispatch thread waits here */
  pthread_cond_t not_full;  /* feeders wait here */
  struct note *ring;
  size_t cap, head, count;
  const cplane_object **replay; /* the cache when h was added */
  size_t replay_n, replay_pos;
  struct cp_ptab pending; /* struct pending *, only with a resync period */
  int pending_lost;       /* an entry could not be made: skip resyncs */
  uint64_t enq_seq, done_seq, sync_target;
  int sync_known;
  uint64_t high_water, delivered, resyncs;
  int removed;  /* no more callbacks; feeders skip it */
  int stopping; /* drain until empty or drain_deadline_ns, then exit */
  uint64_t drain_deadline_ns;
};

struct cp_informer {
  char *name;
  pthread_mutex_t run_mu;
  pthread_mutex_t feed_mu;
  pthread_mutex_t life_mu;
  pthread_rwlock_t rw;

  struct cp_ptab store;       /* cplane_object *, one reference each */
  struct cp_index **indexes;  /* [0] namespace, [1] owner-uid, then added */
  size_t n_indexes;
  size_t heap;                /* bytes of store and indexes; rw */

  cp_informer_handler *handlers;
  atomic_int synced;
  atomic_int running;
  _Atomic uint64_t drain_ns;

  pthread_mutex_t timer_mu;
  pthread_cond_t timer_cond; /* CLOCK_MONOTONIC */
  int timer_kick;            /* timer_mu: a handler with a period came */
  atomic_int timer_stop;
  pthread_t timer;
  int has_timer; /* run_mu */

  _Atomic uint64_t n_adds, n_updates, n_deletes, n_stale, n_unchanged,
      n_invalid;
};

/* The handler whose callback this thread is running, to detect a handler
 * removing itself. */
static __thread cp_informer_handler *current_handler;

static uint64_t now_ns(void) { return cp_now_ns(); }

static void count(_Atomic uint64_t *c) {
  atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ---- Resource versions ------------------------------------------------ */

/* Skips leading zeros; returns NULL unless s is a non-empty decimal. */
static const char *decimal(const char *s, size_t *len) {
  const char *p;

  if (s == NULL || *s == '\0')
    return NULL;
  for (p = s; *p != '\0'; p++)
    if (*p < '0' || *p > '9')
      return NULL;
  while (*s == '0' && s[1] != '\0')
    s++;
  *len = (size_t)(p - s);
  return s;
}

/* < 0 when incoming is older than cached, 0 when the same version, > 0
 * when newer or when the two cannot be compared (then the incoming one
 * wins, as the API server's word is final). */
static int rv_order(const cplane_object *cached, const cplane_object *in) {
  const char *a = cp_object_resource_version(cached);
  const char *b = cp_object_resource_version(in);
  const char *da, *db;
  size_t la = 0, lb = 0;

  if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
    return 1;
  da = decimal(a, &la);
  db = decimal(b, &lb);
  if (da == NULL || db == NULL)
    return strcmp(a, b) == 0 ? 0 : 1;
  if (la != lb)
    return lb < la ? -1 : 1;
  return strcmp(db, da);
}

/* ---- Store and indexes (rw held for writing) ------------------------- */

/* Makes every allocation that storing obj needs, so the commit that
 * follows cannot fail. */
static int store_prepare(cp_informer *inf, const cplane_object *obj,
                         int new_key) {
  size_t i;

  if (new_key && cp_ptab_reserve(&inf->store, 1, &inf->heap) != 0)
    return CPLANE_ENOMEM;
  for (i = 0; i < inf->n_indexes; i++) {
    if (cp_index_prepare(inf->indexes[i], obj, &inf->heap) != 0) {
      while (i-- > 0)
        cp_index_sweep(inf->indexes[i], obj, &inf->heap);
      return CPLANE_ENOMEM;
    }
  }
  return CPLANE_OK;
}

/* Stores obj (taking its reference) in place of old (whose reference the
 * caller takes over). */
static void store_commit(cp_informer *inf, const cplane_object *obj,
                         const cplane_object *old) {
  size_t i;

  cp_ptab_put(&inf->store, cp_index_obj_key, (void *)obj,
              cp_ptab_hash(cp_object_key(obj)));
  for (i = 0; i < inf->n_indexes; i++) {
    cp_index_insert(inf->indexes[i], obj);
    if (old != NULL)
      cp_index_remove(inf->indexes[i], old, &inf->heap);
  }
}

/* Drops obj (stored) from the store and indexes; the caller takes over the
 * store's reference. */
static void store_remove(cp_informer *inf, const cplane_object *obj) {
  const char *key = cp_object_key(obj);
  size_t i;

  cp_ptab_del(&inf->store, cp_index_obj_key, key, cp_ptab_hash(key), obj,
              &inf->heap);
  for (i = 0; i < inf->n_indexes; i++)
    cp_index_remove(inf->indexes[i], obj, &inf->heap);
}

static const cplane_object *store_get(cp_informer *inf, const char *key) {
  return cp_ptab_get(&inf->store, cp_index_obj_key, key, cp_ptab_hash(key));
}

/* Applies an add or update of obj (named), consuming its reference.
 * Returns 1 with *note filled in (owning its references), 0 when ignored,
 * or CPLANE_ENOMEM. */
static int apply_upsert(cp_informer *inf, cplane_object *obj,
                        struct note *note) {
  const cplane_object *old = store_get(inf, cp_object_key(obj));
  int r;

  if (old != NULL) {
    int order = old == obj ? 0 : rv_order(old, obj);

    if (order <= 0) {
      count(order < 0 ? &inf->n_stale : &inf->n_unchanged);
      cp_object_release(obj);
      return 0;
    }
  }
  r = store_prepare(inf, obj, old == NULL);
  if (r != CPLANE_OK) {
    cp_log_error(LOG_COMPONENT, "%s: out of memory caching %s", inf->name,
                 cp_object_key(obj));
    cp_object_release(obj);
    return r;
  }
  store_commit(inf, obj, old);
  memset(note, 0, sizeof *note);
  note->type = old != NULL ? NOTE_UPDATE : NOTE_ADD;
  note->old_obj = old;
  note->obj = cp_object_retain(obj);
  note->initial = old == NULL && !atomic_load(&inf->synced);
  count(old != NULL ? &inf->n_updates : &inf->n_adds);
  return 1;
}

/* Deletes the stored object `old`; the note carries `final` (consumed)
 * when given, else old. */
static void apply_delete(cp_informer *inf, const cplane_object *old,
                         const cplane_object *final, struct note *note) {
  store_remove(inf, old);
  memset(note, 0, sizeof *note);
  note->type = NOTE_DELETE;
  note->obj = final != NULL ? final : old;
  if (final != NULL)
    cp_object_release(old);
  count(&inf->n_deletes);
}

/* Retains every cached object into a malloc'd array (NULL when empty). */
static int snapshot_store(cp_informer *inf, const cplane_object ***out,
                          size_t *n) {
  const cplane_object **objs = NULL;
  size_t k = 0;
  uint32_t i;
  int r = CPLANE_OK;

  rank_rwlock(&inf->rw, 0);
  if (inf->store.len > 0) {
    objs = malloc(inf->store.len * sizeof *objs);
    if (objs == NULL) {
      r = CPLANE_ENOMEM;
      goto out;
    }
    for (i = 0; i < inf->store.cap; i++)
      if (inf->store.items[i] != NULL)
        objs[k++] = cp_object_retain(inf->store.items[i]);
  }
out:
  rank_rwunlock(&inf->rw);
  *out = objs;
  *n = k;
  return r;
}

/* ---- Handler FIFOs ---------------------------------------------------- */

static const char *pending_key(const void *p) {
  return cp_object_key(((const struct pending *)p)->ref);
}

static struct pending *pending_get(cp_informer_handler *h, const char *key) {
  return cp_ptab_get(&h->pending, pending_key, key, cp_ptab_hash(key));
}

static void pending_inc(cp_informer_handler *h, const cplane_object *obj) {
  const char *key = cp_object_key(obj);
  struct pending *p = pending_get(h, key);

  if (p != NULL) {
    p->count++;
    return;
  }
  if (h->pending_lost)
    return;
  p = malloc(sizeof *p);
  if (p == NULL || cp_ptab_reserve(&h->pending, 1, NULL) != 0) {
    free(p);
    /* Without the count a resync could overtake this key: skip resyncs
     * until the buffer has been empty once. */
    h->pending_lost = 1;
    cp_log_warn(LOG_COMPONENT, "%s: out of memory tracking pending keys; "
                "resyncs paused", h->inf->name);
    return;
  }
  p->ref = cp_object_retain(obj);
  p->count = 1;
  cp_ptab_put(&h->pending, pending_key, p, cp_ptab_hash(key));
}

static void pending_dec(cp_informer_handler *h, const cplane_object *obj) {
  const char *key = cp_object_key(obj);
  struct pending *p = pending_get(h, key);

  if (p == NULL || --p->count > 0)
    return;
  cp_ptab_del(&h->pending, pending_key, key, cp_ptab_hash(key), p, NULL);
  cp_object_release(p->ref);
  free(p);
}

static void note_release(struct note *n) {
  if (n->old_obj != NULL)
    cp_object_release(n->old_obj);
  if (n->obj != NULL)
    cp_object_release(n->obj);
}

/* Appends a copy of n (with its own references). h->mu held, room
 * checked. The caller wakes the dispatch thread once it has let go of
 * h->mu (wake_dispatch). */
static void ring_push(cp_informer_handler *h, const struct note *n) {
  struct note *slot = &h->ring[(h->head + h->count) % h->cap];

  *slot = *n;
  if (slot->old_obj != NULL)
    cp_object_retain(slot->old_obj);
  cp_object_retain(slot->obj);
  h->count++;
  h->enq_seq++;
  if (h->count > h->high_water)
    h->high_water = h->count;
  if (h->resync_period_ns > 0)
    pending_inc(h, n->obj);
}

/* Wakes h's dispatch thread after a push, h->mu released: signalled with
 * the mutex held, the woken thread could find it still taken and sleep
 * again until the unlock woke it a second time, and every pod event
 * wakes each of the ~16 handlers of the pods informer (22 plugins: 1.1M
 * voluntary context switches of the dispatch threads by bench_cluster's
 * first 10k Running pods, against 0.26M with seven). No wakeup is lost: the dispatch thread looks at
 * the ring under h->mu before it waits. feed_mu is held, so h cannot be
 * freed meanwhile (removal unlinks it under feed_mu first). */
static void wake_dispatch(cp_informer_handler *h) {
  CP_ASSERT((held_ranks & RANK_FEED));
  pthread_cond_signal(&h->not_empty);
}

/* Queues n to h, waiting while h's buffer is full. Dropped when h is
 * being removed. */
static void handler_enqueue(cp_informer_handler *h, const struct note *n) {
  int pushed = 0;

  rank_lock(&h->mu, RANK_HANDLER);
  while (h->count == h->cap && !h->removed)
    pthread_cond_wait(&h->not_full, &h->mu);
  if (!h->removed) {
    ring_push(h, n);
    pushed = 1;
  }
  rank_unlock(&h->mu, RANK_HANDLER);
  if (pushed)
    wake_dispatch(h);
}

/* Queues a resync of obj to h unless something of its key is pending (or
 * the replay is still going). Returns -1 when the resync must stop: h is
 * being removed or the informer is stopping. */
static int resync_enqueue(cp_informer *inf, cp_informer_handler *h,
                          const cplane_object *obj) {
  struct note n = {obj, obj, NOTE_UPDATE, 0, 1};
  int r = 0, pushed = 0;

  rank_lock(&h->mu, RANK_HANDLER);
  if (h->pending_lost || h->replay_pos < h->replay_n ||
      pending_get(h, cp_object_key(obj)) != NULL)
    goto out;
  while (h->count == h->cap && !h->removed && !atomic_load(&inf->timer_stop))
    pthread_cond_wait(&h->not_full, &h->mu);
  if (h->removed || atomic_load(&inf->timer_stop)) {
    r = -1;
    goto out;
  }
  ring_push(h, &n);
  h->resyncs++;
  pushed = 1;
out:
  rank_unlock(&h->mu, RANK_HANDLER);
  if (pushed)
    wake_dispatch(h);
  return r;
}

/* Queues notes to every handler, then drops the notes' own references.
 * feed_mu held, rw not. */
static void deliver(cp_informer *inf, struct note *notes, size_t n) {
  cp_informer_handler *h;
  size_t i;

  CP_ASSERT((held_ranks & (RANK_FEED | RANK_RW)) == RANK_FEED);
  for (i = 0; i < n; i++)
    for (h = inf->handlers; h != NULL; h = h->next)
      handler_enqueue(h, &notes[i]);
  for (i = 0; i < n; i++)
    note_release(&notes[i]);
}

/* feed_mu held. */
static void resync_handler(cp_informer *inf, cp_informer_handler *h) {
  const cplane_object **objs;
  size_t n, i;

  CP_ASSERT((held_ranks & RANK_FEED));
  if (snapshot_store(inf, &objs, &n) != CPLANE_OK) {
    cp_log_warn(LOG_COMPONENT, "%s: out of memory; resync skipped",
                inf->name);
    return;
  }
  for (i = 0; i < n; i++)
    if (resync_enqueue(inf, h, objs[i]) < 0)
      break;
  cp_informer_list_free(objs, n);
}

/* feed_mu held. */
static void mark_synced_locked(cp_informer *inf) {
  cp_informer_handler *h;

  CP_ASSERT((held_ranks & RANK_FEED));
  if (atomic_load(&inf->synced))
    return;
  for (h = inf->handlers; h != NULL; h = h->next) {
    rank_lock(&h->mu, RANK_HANDLER);
    h->sync_known = 1;
    h->sync_target = h->enq_seq;
    rank_unlock(&h->mu, RANK_HANDLER);
  }
  atomic_store(&inf->synced, 1);
}

/* ---- Dispatch --------------------------------------------------------- */

static void call(cp_informer_handler *h, const struct note *n) {
  const struct cp_informer_handler_ops *ops = &h->ops;

  switch (n->type) {
  case NOTE_ADD:
    if (ops->on_add != NULL)
      ops->on_add(h->userdata, n->obj, n->initial);
    break;
  case NOTE_UPDATE:
    if (ops->on_update != NULL)
      ops->on_update(h->userdata, n->old_obj, n->obj);
    break;
  default:
    if (ops->on_delete != NULL)
      ops->on_delete(h->userdata, n->obj);
    break;
  }
}

/* Takes the next notification into *n; h->mu held. 0 when none. */
static int take_next(cp_informer_handler *h, struct note *n) {
  if (h->replay_pos < h->replay_n) {
    memset(n, 0, sizeof *n);
    n->type = NOTE_ADD;
    n->initial = 1;
    n->obj = h->replay[h->replay_pos];
    h->replay[h->replay_pos++] = NULL;
    if (h->replay_pos == h->replay_n) {
      free(h->replay);
      h->replay = NULL;
      h->replay_n = h->replay_pos = 0;
    }
    return 1;
  }
  if (h->count == 0)
    return 0;
  *n = h->ring[h->head];
  h->head = (h->head + 1) % h->cap;
  h->count--;
  if (h->resync_period_ns > 0)
    pending_dec(h, n->obj);
  if (h->count == 0)
    h->pending_lost = 0; /* every count is back to zero: exact again */
  pthread_cond_signal(&h->not_full);
  return 1;
}

static void *dispatch_main(void *arg) {
  cp_informer_handler *h = arg;
  struct note n;

  pthread_setname_np(pthread_self(), "informer"); /* top -H, perf */
  rank_lock(&h->mu, RANK_HANDLER);
  for (;;) {
    if (h->removed)
      break;
    if (h->stopping && now_ns() >= h->drain_deadline_ns)
      break;
    if (take_next(h, &n)) {
      rank_unlock(&h->mu, RANK_HANDLER);
      current_handler = h;
      call(h, &n);
      current_handler = NULL;
      note_release(&n);
      rank_lock(&h->mu, RANK_HANDLER);
      h->done_seq++;
      h->delivered++;
      continue;
    }
    if (h->stopping)
      break;
    pthread_cond_wait(&h->not_empty, &h->mu);
  }
  rank_unlock(&h->mu, RANK_HANDLER);
  return NULL;
}

/* life_mu held. */
static int handler_start(cp_informer_handler *h) {
  int r;

  CP_ASSERT((held_ranks & RANK_LIFE));
  rank_lock(&h->mu, RANK_HANDLER);
  h->stopping = 0;
  rank_unlock(&h->mu, RANK_HANDLER);
  r = pthread_create(&h->thread, NULL, dispatch_main, h);
  if (r != 0) {
    cp_log_error(LOG_COMPONENT, "%s: cannot start a handler thread: %s",
                 h->inf->name, strerror(r));
    return CPLANE_ERR;
  }
  h->has_thread = 1;
  return CPLANE_OK;
}

/* Drops everything still queued to h; h->mu held or h unreachable. */
static void handler_drop_queued(cp_informer_handler *h) {
  struct note n;
  uint32_t i;

  while (h->replay_pos < h->replay_n)
    cp_object_release(h->replay[h->replay_pos++]);
  free(h->replay);
  h->replay = NULL;
  h->replay_n = h->replay_pos = 0;
  while (h->count > 0) {
    n = h->ring[h->head];
    h->head = (h->head + 1) % h->cap;
    h->count--;
    note_release(&n);
  }
  for (i = 0; i < h->pending.cap; i++) {
    struct pending *p = h->pending.items[i];

    if (p != NULL) {
      cp_object_release(p->ref);
      free(p);
    }
  }
  cp_ptab_free(&h->pending, NULL);
}

static void handler_destroy(cp_informer_handler *h) {
  handler_drop_queued(h);
  free(h->ring);
  pthread_cond_destroy(&h->not_full);
  pthread_cond_destroy(&h->not_empty);
  pthread_mutex_destroy(&h->mu);
  free(h);
}

static cp_informer_handler *handler_new(
    cp_informer *inf, const struct cp_informer_handler_ops *ops,
    void *userdata, size_t cap, uint64_t period_ns) {
  cp_informer_handler *h = calloc(1, sizeof *h);

  if (h == NULL)
    return NULL;
  h->ring = calloc(cap, sizeof *h->ring);
  if (h->ring == NULL) {
    free(h);
    return NULL;
  }
  h->inf = inf;
  h->ops = *ops;
  h->userdata = userdata;
  h->cap = cap;
  h->resync_period_ns = period_ns;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->not_empty, NULL);
  pthread_cond_init(&h->not_full, NULL);
  return h;
}

/* ---- Resync timer ----------------------------------------------------- */

static void timer_kick(cp_informer *inf) {
  rank_lock(&inf->timer_mu, RANK_TIMER);
  inf->timer_kick = 1;
  pthread_cond_signal(&inf->timer_cond);
  rank_unlock(&inf->timer_mu, RANK_TIMER);
}

/* Resyncs every handler that is due; returns when the next one is due
 * (0: none has a period). */
static uint64_t run_due_resyncs(cp_informer *inf) {
  cp_informer_handler *h;
  uint64_t earliest = 0;

  rank_lock(&inf->feed_mu, RANK_FEED);
  for (h = inf->handlers; h != NULL; h = h->next) {
    uint64_t due;

    if (h->resync_period_ns == 0)
      continue;
    due = atomic_load(&h->next_resync_ns);
    if (due <= now_ns()) {
      if (!atomic_load(&inf->timer_stop))
        resync_handler(inf, h);
      due = now_ns() + h->resync_period_ns;
      atomic_store(&h->next_resync_ns, due);
    }
    if (earliest == 0 || due < earliest)
      earliest = due;
  }
  rank_unlock(&inf->feed_mu, RANK_FEED);
  return earliest;
}

static void *timer_main(void *arg) {
  cp_informer *inf = arg;
  uint64_t next = run_due_resyncs(inf);

  pthread_setname_np(pthread_self(), "informer-timer"); /* top -H, perf */
  for (;;) {
    int stop;

    rank_lock(&inf->timer_mu, RANK_TIMER);
    for (;;) {
      struct timespec ts;

      if (atomic_load(&inf->timer_stop) || inf->timer_kick)
        break;
      if (next == 0) {
        pthread_cond_wait(&inf->timer_cond, &inf->timer_mu);
        continue;
      }
      if (now_ns() >= next)
        break;
      ts.tv_sec = (time_t)(next / NS_PER_S);
      ts.tv_nsec = (long)(next % NS_PER_S);
      pthread_cond_timedwait(&inf->timer_cond, &inf->timer_mu, &ts);
    }
    inf->timer_kick = 0;
    stop = atomic_load(&inf->timer_stop);
    rank_unlock(&inf->timer_mu, RANK_TIMER);
    if (stop)
      break;
    next = run_due_resyncs(inf);
  }
  return NULL;
}

/* ---- Life cycle ------------------------------------------------------- */

cp_informer *cp_informer_new(const char *name) {
  cp_informer *inf = calloc(1, sizeof *inf);
  pthread_condattr_t ca;

  if (inf == NULL)
    return NULL;
  inf->name = strdup(name != NULL ? name : "informer");
  inf->indexes = malloc(2 * sizeof *inf->indexes);
  if (inf->name == NULL || inf->indexes == NULL)
    goto fail;
  inf->heap = cp_ptab_alloc_size(inf->indexes);
  inf->indexes[0] = cp_index_new("namespace", CP_INDEX_NAMESPACE, NULL,
                                 &inf->heap);
  if (inf->indexes[0] == NULL)
    goto fail;
  inf->n_indexes = 1;
  inf->indexes[1] = cp_index_new("owner-uid", CP_INDEX_OWNER_UID, NULL,
                                 &inf->heap);
  if (inf->indexes[1] == NULL)
    goto fail;
  inf->n_indexes = 2;
  atomic_store(&inf->drain_ns, CP_INFORMER_DEFAULT_DRAIN_NS);
  pthread_mutex_init(&inf->run_mu, NULL);
  pthread_mutex_init(&inf->feed_mu, NULL);
  pthread_mutex_init(&inf->life_mu, NULL);
  pthread_rwlock_init(&inf->rw, NULL);
  pthread_mutex_init(&inf->timer_mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&inf->timer_cond, &ca);
  pthread_condattr_destroy(&ca);
  return inf;
fail:
  while (inf->n_indexes > 0)
    cp_index_free(inf->indexes[--inf->n_indexes], NULL);
  free(inf->indexes);
  free(inf->name);
  free(inf);
  return NULL;
}

/* Stops the resync timer; a resync waiting for buffer space gives up.
 * run_mu held, life_mu not. */
static void stop_timer(cp_informer *inf) {
  cp_informer_handler *h;

  atomic_store(&inf->timer_stop, 1);
  rank_lock(&inf->timer_mu, RANK_TIMER);
  pthread_cond_broadcast(&inf->timer_cond);
  rank_unlock(&inf->timer_mu, RANK_TIMER);
  rank_lock(&inf->life_mu, RANK_LIFE);
  for (h = inf->handlers; h != NULL; h = h->next) {
    rank_lock(&h->mu, RANK_HANDLER);
    pthread_cond_broadcast(&h->not_full);
    rank_unlock(&h->mu, RANK_HANDLER);
  }
  rank_unlock(&inf->life_mu, RANK_LIFE);
  if (inf->has_timer)
    pthread_join(inf->timer, NULL);
  inf->has_timer = 0;
}

/* Lets every dispatch thread drain until the deadline, then joins it.
 * run_mu held. */
static void stop_dispatch(cp_informer *inf) {
  cp_informer_handler *h;
  uint64_t deadline = now_ns() + atomic_load(&inf->drain_ns);

  rank_lock(&inf->life_mu, RANK_LIFE);
  for (h = inf->handlers; h != NULL; h = h->next) {
    rank_lock(&h->mu, RANK_HANDLER);
    h->stopping = 1;
    h->drain_deadline_ns = deadline;
    pthread_cond_broadcast(&h->not_empty);
    rank_unlock(&h->mu, RANK_HANDLER);
  }
  for (h = inf->handlers; h != NULL; h = h->next) {
    size_t left;

    if (!h->has_thread)
      continue;
    pthread_join(h->thread, NULL);
    h->has_thread = 0;
    rank_lock(&h->mu, RANK_HANDLER);
    left = h->removed ? 0 : h->count + (h->replay_n - h->replay_pos);
    rank_unlock(&h->mu, RANK_HANDLER);
    if (left > 0)
      cp_log_warn(LOG_COMPONENT, "%s: a handler did not drain in time; %zu "
                  "notification(s) kept for the next start", inf->name, left);
  }
  rank_unlock(&inf->life_mu, RANK_LIFE);
}

/* run_mu held. */
static void stop_running(cp_informer *inf) {
  rank_lock(&inf->life_mu, RANK_LIFE);
  if (!atomic_load(&inf->running)) {
    rank_unlock(&inf->life_mu, RANK_LIFE);
    return;
  }
  atomic_store(&inf->running, 0);
  rank_unlock(&inf->life_mu, RANK_LIFE);
  stop_timer(inf);
  stop_dispatch(inf);
}

/* Starts the dispatch threads of every live handler. run_mu and life_mu
 * held. */
static int start_dispatch(cp_informer *inf) {
  cp_informer_handler *h;
  uint64_t now = now_ns();

  for (h = inf->handlers; h != NULL; h = h->next) {
    int removed;

    rank_lock(&h->mu, RANK_HANDLER);
    removed = h->removed;
    rank_unlock(&h->mu, RANK_HANDLER);
    atomic_store(&h->next_resync_ns, now + h->resync_period_ns);
    if (!removed && !h->has_thread && handler_start(h) != CPLANE_OK)
      return CPLANE_ERR;
  }
  return CPLANE_OK;
}

int cp_informer_start(cp_informer *inf) {
  int r = CPLANE_OK, e;

  if (inf == NULL)
    return CPLANE_EINVAL;
  rank_lock(&inf->run_mu, RANK_RUN);
  rank_lock(&inf->life_mu, RANK_LIFE);
  if (atomic_load(&inf->running)) {
    rank_unlock(&inf->life_mu, RANK_LIFE);
    goto out;
  }
  atomic_store(&inf->running, 1);
  atomic_store(&inf->timer_stop, 0);
  r = start_dispatch(inf);
  rank_unlock(&inf->life_mu, RANK_LIFE);
  if (r == CPLANE_OK) {
    e = pthread_create(&inf->timer, NULL, timer_main, inf);
    if (e != 0) {
      cp_log_error(LOG_COMPONENT, "%s: cannot start the resync timer: %s",
                   inf->name, strerror(e));
      r = CPLANE_ERR;
    } else {
      inf->has_timer = 1;
    }
  }
  if (r != CPLANE_OK)
    stop_running(inf);
out:
  rank_unlock(&inf->run_mu, RANK_RUN);
  return r;
}

void cp_informer_stop(cp_informer *inf) {
  if (inf == NULL)
    return;
  rank_lock(&inf->run_mu, RANK_RUN);
  stop_running(inf);
  rank_unlock(&inf->run_mu, RANK_RUN);
}

void cp_informer_set_drain_timeout(cp_informer *inf, uint64_t timeout_ns) {
  if (inf != NULL)
    atomic_store(&inf->drain_ns, timeout_ns);
}

void cp_informer_free(cp_informer *inf) {
  cp_informer_handler *h;
  uint32_t i;

  if (inf == NULL)
    return;
  cp_informer_stop(inf);
  while ((h = inf->handlers) != NULL) {
    inf->handlers = h->next;
    handler_destroy(h);
  }
  for (i = 0; i < inf->store.cap; i++)
    if (inf->store.items[i] != NULL)
      cp_object_release(inf->store.items[i]);
  cp_ptab_free(&inf->store, NULL);
  while (inf->n_indexes > 0)
    cp_index_free(inf->indexes[--inf->n_indexes], NULL);
  free(inf->indexes);
  pthread_cond_destroy(&inf->timer_cond);
  pthread_mutex_destroy(&inf->timer_mu);
  pthread_rwlock_destroy(&inf->rw);
  pthread_mutex_destroy(&inf->life_mu);
  pthread_mutex_destroy(&inf->feed_mu);
  pthread_mutex_destroy(&inf->run_mu);
  free(inf->name);
  free(inf);
}

/* ---- Handlers --------------------------------------------------------- */

/* Appends h to the list; feed_mu and life_mu held. */
static void link_handler(cp_informer *inf, cp_informer_handler *h) {
  cp_informer_handler **pp = &inf->handlers;

  CP_ASSERT((held_ranks & (RANK_FEED | RANK_LIFE)) ==
            (RANK_FEED | RANK_LIFE));
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = h;
}

static void unlink_handler(cp_informer *inf, cp_informer_handler *h) {
  cp_informer_handler **pp = &inf->handlers;

  while (*pp != NULL && *pp != h)
    pp = &(*pp)->next;
  if (*pp != NULL)
    *pp = h->next;
}

cp_informer_handler *cp_informer_add_handler(
    cp_informer *inf, const struct cp_informer_handler_ops *ops,
    void *userdata, size_t buffer_capacity, uint64_t resync_period_ns) {
  cp_informer_handler *h;
  size_t cap = buffer_capacity > 0 ? buffer_capacity
                                   : CP_INFORMER_DEFAULT_BUFFER;

  if (inf == NULL || ops == NULL)
    return NULL;
  if (resync_period_ns > 0 && resync_period_ns < CP_INFORMER_MIN_RESYNC_NS)
    resync_period_ns = CP_INFORMER_MIN_RESYNC_NS;
  h = handler_new(inf, ops, userdata, cap, resync_period_ns);
  if (h == NULL)
    return NULL;
  /* feed_mu: no change slips between the replay and the first queued
   * notification, so h sees each key's history exactly once. */
  rank_lock(&inf->feed_mu, RANK_FEED);
  if (snapshot_store(inf, &h->replay, &h->replay_n) != CPLANE_OK)
    goto fail_feed;
  h->enq_seq = h->replay_n;
  if (atomic_load(&inf->synced)) {
    h->sync_known = 1;
    h->sync_target = h->replay_n;
  }
  rank_lock(&inf->life_mu, RANK_LIFE);
  link_handler(inf, h);
  atomic_store(&h->next_resync_ns, now_ns() + resync_period_ns);
  if (atomic_load(&inf->running) && handler_start(h) != CPLANE_OK) {
    unlink_handler(inf, h);
    rank_unlock(&inf->life_mu, RANK_LIFE);
    goto fail_feed;
  }
  rank_unlock(&inf->life_mu, RANK_LIFE);
  rank_unlock(&inf->feed_mu, RANK_FEED);
  if (resync_period_ns > 0)
    timer_kick(inf);
  return h;
fail_feed:
  rank_unlock(&inf->feed_mu, RANK_FEED);
  handler_destroy(h);
  return NULL;
}

void cp_informer_remove_handler(cp_informer *inf, cp_informer_handler *h) {
  int joinable;

  if (inf == NULL || h == NULL)
    return;
  /* First stop callbacks and release a feeder blocked on h, so taking
   * feed_mu below cannot wait for h itself. */
  rank_lock(&h->mu, RANK_HANDLER);
  h->removed = 1;
  pthread_cond_broadcast(&h->not_full);
  pthread_cond_broadcast(&h->not_empty);
  if (current_handler == h) {
    /* Called from h's own callback: its thread leaves the loop when the
     * callback returns. It stays listed (feeders skip it) and is joined
     * and freed by stop or free. */
    handler_drop_queued(h);
    rank_unlock(&h->mu, RANK_HANDLER);
    return;
  }
  rank_unlock(&h->mu, RANK_HANDLER);
  rank_lock(&inf->feed_mu, RANK_FEED);
  rank_lock(&inf->life_mu, RANK_LIFE);
  unlink_handler(inf, h);
  joinable = h->has_thread;
  h->has_thread = 0;
  rank_unlock(&inf->life_mu, RANK_LIFE);
  rank_unlock(&inf->feed_mu, RANK_FEED);
  if (joinable)
    pthread_join(h->thread, NULL);
  handler_destroy(h);
}

int cp_informer_handler_has_synced(cp_informer_handler *h) {
  int r;

  if (h == NULL)
    return 0;
  rank_lock(&h->mu, RANK_HANDLER);
  r = h->sync_known && h->done_seq >= h->sync_target;
  rank_unlock(&h->mu, RANK_HANDLER);
  return r;
}

void cp_informer_handler_stats(cp_informer_handler *h,
                               struct cp_informer_handler_stats *out) {
  memset(out, 0, sizeof *out);
  if (h == NULL)
    return;
  rank_lock(&h->mu, RANK_HANDLER);
  out->depth = h->count;
  out->depth_high_water = h->high_water;
  out->delivered = h->delivered;
  out->resyncs = h->resyncs;
  rank_unlock(&h->mu, RANK_HANDLER);
}

/* ---- Feeding ---------------------------------------------------------- */

int cp_informer_upsert(cp_informer *inf, cplane_object *obj) {
  struct note note;
  int r;

  if (obj == NULL)
    return CPLANE_EINVAL;
  if (inf == NULL || cp_object_key(obj) == NULL) {
    if (inf != NULL)
      count(&inf->n_invalid);
    cp_object_release(obj);
    return CPLANE_EINVAL;
  }
  rank_lock(&inf->feed_mu, RANK_FEED);
  rank_rwlock(&inf->rw, 1);
  r = apply_upsert(inf, obj, &note);
  rank_rwunlock(&inf->rw);
  if (r > 0)
    deliver(inf, &note, 1);
  rank_unlock(&inf->feed_mu, RANK_FEED);
  return r < 0 ? r : CPLANE_OK;
}

/* Deletes key; final (consumed, may be NULL) is the state to deliver. */
static int delete_key(cp_informer *inf, const char *key,
                      const cplane_object *final) {
  const cplane_object *old;
  struct note note;
  int r = CPLANE_OK;

  rank_lock(&inf->feed_mu, RANK_FEED);
  rank_rwlock(&inf->rw, 1);
  old = store_get(inf, key);
  if (old == NULL) {
    r = CPLANE_ENOENT;
  } else if (final != NULL && rv_order(old, final) < 0) {
    count(&inf->n_stale);
    old = NULL;
  } else {
    apply_delete(inf, old, final, &note);
    final = NULL;
  }
  rank_rwunlock(&inf->rw);
  if (old != NULL)
    deliver(inf, &note, 1);
  rank_unlock(&inf->feed_mu, RANK_FEED);
  if (final != NULL)
    cp_object_release(final);
  return r;
}

int cp_informer_delete(cp_informer *inf, const char *key) {
  if (inf == NULL || key == NULL)
    return CPLANE_EINVAL;
  return delete_key(inf, key, NULL);
}

int cp_informer_delete_object(cp_informer *inf, cplane_object *obj) {
  if (obj == NULL)
    return CPLANE_EINVAL;
  if (inf == NULL || cp_object_key(obj) == NULL) {
    cp_object_release(obj);
    return CPLANE_EINVAL;
  }
  return delete_key(inf, cp_object_key(obj), obj);
}

/* Collects the cached objects whose key is not in `listed`. rw held. */
static size_t find_vanished(cp_informer *inf, const struct cp_ptab *listed,
                            const cplane_object **gone) {
  size_t n = 0;
  uint32_t i;

  for (i = 0; i < inf->store.cap; i++) {
    const cplane_object *obj = inf->store.items[i];
    const char *key;

    if (obj == NULL)
      continue;
    key = cp_object_key(obj);
    if (cp_ptab_get(listed, cp_index_obj_key, key, cp_ptab_hash(key)) == NULL)
      gone[n++] = obj;
  }
  return n;
}

/* The locked part of replace: applies objs[*done..n) and the deletes,
 * advancing *done past every object consumed. */
static int replace_locked(cp_informer *inf, cplane_object **objs, size_t n,
                          size_t *done, struct cp_ptab *listed) {
  const cplane_object **gone = NULL;
  struct note *notes = NULL;
  size_t n_gone = 0, n_notes = 0, i;
  int r = CPLANE_OK;

  rank_rwlock(&inf->rw, 1);
  gone = malloc((inf->store.len + 1) * sizeof *gone);
  notes = malloc((n + inf->store.len + 1) * sizeof *notes);
  if (gone == NULL || notes == NULL) {
    r = CPLANE_ENOMEM;
    rank_rwunlock(&inf->rw);
    goto out;
  }
  n_gone = find_vanished(inf, listed, gone);
  /* From here on objects may be freed, so the listed set must go. */
  cp_ptab_free(listed, NULL);
  for (; *done < n; (*done)++) {
    cplane_object *obj = objs[*done];
    int a;

    if (obj == NULL)
      continue;
    if (cp_object_key(obj) == NULL) {
      count(&inf->n_invalid);
      cp_object_release(obj);
      continue;
    }
    a = apply_upsert(inf, obj, &notes[n_notes]);
    if (a > 0)
      n_notes++;
    else if (a < 0)
      r = a;
  }
  for (i = 0; i < n_gone; i++)
    apply_delete(inf, gone[i], NULL, &notes[n_notes++]);
  rank_rwunlock(&inf->rw);
  deliver(inf, notes, n_notes);
  if (r == CPLANE_OK)
    mark_synced_locked(inf);
out:
  free(gone);
  free(notes);
  return r;
}

int cp_informer_replace(cp_informer *inf, cplane_object **objs, size_t n) {
  struct cp_ptab listed = {0};
  size_t done = 0, i;
  int r;

  if (inf == NULL || (n > 0 && objs == NULL)) {
    r = CPLANE_EINVAL;
    goto out;
  }
  if (n > UINT32_MAX / 2 ||
      cp_ptab_reserve(&listed, (uint32_t)n, NULL) != CPLANE_OK) {
    r = CPLANE_ENOMEM;
    goto out;
  }
  for (i = 0; i < n; i++) {
    const char *key = objs[i] != NULL ? cp_object_key(objs[i]) : NULL;

    if (key != NULL)
      cp_ptab_put(&listed, cp_index_obj_key, objs[i], cp_ptab_hash(key));
  }
  rank_lock(&inf->feed_mu, RANK_FEED);
  r = replace_locked(inf, objs, n, &done, &listed);
  rank_unlock(&inf->feed_mu, RANK_FEED);
out:
  cp_ptab_free(&listed, NULL);
  for (i = done; objs != NULL && i < n; i++)
    cp_object_release(objs[i]);
  if (r != CPLANE_OK && inf != NULL)
    cp_log_error(LOG_COMPONENT, "%s: replace of %zu objects failed (%d)",
                 inf->name, n, r);
  return r;
}

void cp_informer_mark_synced(cp_informer *inf) {
  if (inf == NULL)
    return;
  rank_lock(&inf->feed_mu, RANK_FEED);
  mark_synced_locked(inf);
  rank_unlock(&inf->feed_mu, RANK_FEED);
}

void cp_informer_resync_now(cp_informer *inf) {
  cp_informer_handler *h;

  if (inf == NULL || !atomic_load(&inf->running))
    return;
  rank_lock(&inf->feed_mu, RANK_FEED);
  for (h = inf->handlers; h != NULL; h = h->next)
    if (h->resync_period_ns > 0)
      resync_handler(inf, h);
  rank_unlock(&inf->feed_mu, RANK_FEED);
}

int cp_informer_has_synced(cp_informer *inf) {
  return inf != NULL && atomic_load(&inf->synced);
}

/* ---- Reading ---------------------------------------------------------- */

const cplane_object *cp_informer_get(cp_informer *inf, const char *key) {
  const cplane_object *obj;

  if (inf == NULL || key == NULL)
    return NULL;
  rank_rwlock(&inf->rw, 0);
  obj = store_get(inf, key);
  if (obj != NULL)
    cp_object_retain(obj);
  rank_rwunlock(&inf->rw);
  return obj;
}

/* Retains the members of t (NULL: none) that match sel. rw held. */
static int collect(const struct cp_ptab *t, const cp_selector *sel,
                   const cplane_object ***out, size_t *n) {
  const cplane_object **objs;
  size_t k = 0;
  uint32_t i;

  *out = NULL;
  *n = 0;
  if (t == NULL || t->len == 0)
    return CPLANE_OK;
  objs = malloc(t->len * sizeof *objs);
  if (objs == NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < t->cap; i++) {
    const cplane_object *obj = t->items[i];

    if (obj != NULL && (sel == NULL || cp_selector_matches(sel, obj) == 1))
      objs[k++] = cp_object_retain(obj);
  }
  if (k == 0) {
    free(objs);
    objs = NULL;
  }
  *out = objs;
  *n = k;
  return CPLANE_OK;
}

static const struct cp_index *find_index(cp_informer *inf, const char *name) {
  size_t i;

  for (i = 0; i < inf->n_indexes; i++)
    if (strcmp(inf->indexes[i]->name, name) == 0)
      return inf->indexes[i];
  return NULL;
}

static const struct cp_ptab *bucket_objs(const struct cp_index *ix,
                                         const char *value) {
  const struct cp_index_bucket *b = cp_index_find(ix, value);

  return b != NULL ? &b->objs : NULL;
}

int cp_informer_list(cp_informer *inf, const char *ns, const cp_selector *sel,
                     const cplane_object ***out, size_t *n) {
  int r;

  if (out == NULL || n == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  *n = 0;
  if (inf == NULL)
    return CPLANE_EINVAL;
  rank_rwlock(&inf->rw, 0);
  if (ns != NULL && *ns != '\0')
    r = collect(bucket_objs(inf->indexes[0], ns), sel, out, n);
  else
    r = collect(&inf->store, sel, out, n);
  rank_rwunlock(&inf->rw);
  return r;
}

int cp_informer_list_by_index(cp_informer *inf, const char *index_name,
                              const char *value, const cp_selector *sel,
                              const cplane_object ***out, size_t *n) {
  const struct cp_index *ix;
  int r;

  if (out == NULL || n == NULL)
    return CPLANE_EINVAL;
  *out = NULL;
  *n = 0;
  if (inf == NULL || index_name == NULL || value == NULL)
    return CPLANE_EINVAL;
  rank_rwlock(&inf->rw, 0);
  ix = find_index(inf, index_name);
  r = ix != NULL ? collect(bucket_objs(ix, value), sel, out, n)
                 : CPLANE_ENOENT;
  rank_rwunlock(&inf->rw);
  return r;
}

void cp_informer_list_free(const cplane_object **objs, size_t n) {
  size_t i;

  if (objs == NULL)
    return;
  for (i = 0; i < n; i++)
    cp_object_release(objs[i]);
  free(objs);
}

size_t cp_informer_len(cp_informer *inf) {
  size_t n;

  if (inf == NULL)
    return 0;
  rank_rwlock(&inf->rw, 0);
  n = inf->store.len;
  rank_rwunlock(&inf->rw);
  return n;
}

size_t cp_informer_heap_bytes(cp_informer *inf) {
  size_t n;

  if (inf == NULL)
    return 0;
  rank_rwlock(&inf->rw, 0);
  n = inf->heap;
  rank_rwunlock(&inf->rw);
  return n;
}

void cp_informer_stats(cp_informer *inf, struct cp_informer_stats *out) {
  memset(out, 0, sizeof *out);
  if (inf == NULL)
    return;
  out->adds = atomic_load(&inf->n_adds);
  out->updates = atomic_load(&inf->n_updates);
  out->deletes = atomic_load(&inf->n_deletes);
  out->stale = atomic_load(&inf->n_stale);
  out->unchanged = atomic_load(&inf->n_unchanged);
  out->invalid = atomic_load(&inf->n_invalid);
}

/* ---- Indexes ---------------------------------------------------------- */

/* Builds ix over every cached object. rw held for writing. */
static int index_build(cp_informer *inf, struct cp_index *ix) {
  uint32_t i;

  for (i = 0; i < inf->store.cap; i++) {
    const cplane_object *obj = inf->store.items[i];

    if (obj == NULL)
      continue;
    if (cp_index_prepare(ix, obj, &inf->heap) != 0)
      return CPLANE_ENOMEM;
    cp_index_insert(ix, obj);
  }
  return CPLANE_OK;
}

/* 1 when the existing index `old` is the one being asked for again. */
static int same_index(const struct cp_index *old, const char *path,
                      cplane_index_fn fn, void *userdata) {
  if (path != NULL)
    return old->kind == CP_INDEX_PATH && strcmp(old->path, path) == 0;
  return old->kind == CP_INDEX_FN && old->fn == fn &&
         old->fn_userdata == userdata;
}

static size_t index_slot(cp_informer *inf, const struct cp_index *ix) {
  size_t i;

  for (i = 0; inf->indexes[i] != ix; i++)
    ;
  return i;
}

/* Replaces fn index number i by one computed by fn(userdata), owned by
 * owner, built over the cache now; on failure nothing changes. The new
 * index remembers the old one's function (prev_*). rw held for writing. */
static int index_rebuild(cp_informer *inf, size_t i, cplane_index_fn fn,
                         void *userdata, const void *owner) {
  struct cp_index *old = inf->indexes[i], *ix;

  ix = cp_index_new_fn(old->name, fn, userdata, &inf->heap);
  if (ix == NULL)
    return CPLANE_ENOMEM;
  if (index_build(inf, ix) != CPLANE_OK) {
    cp_index_free(ix, &inf->heap);
    return CPLANE_ENOMEM;
  }
  ix->owner = owner;
  ix->prev_fn = old->fn;
  ix->prev_userdata = old->fn_userdata;
  ix->prev_owner = old->owner;
  inf->indexes[i] = ix;
  cp_index_free(old, &inf->heap);
  return CPLANE_OK;
}

/* Returns what asking for `old`'s name again does: CPLANE_OK (the same
 * index, or taken over), CPLANE_EINVAL or CPLANE_ENOMEM. */
static int add_again(cp_informer *inf, const struct cp_index *old,
                     const char *path, cplane_index_fn fn, void *userdata,
                     const void *owner, const void *predecessor) {
  if (same_index(old, path, fn, userdata))
    return CPLANE_OK;
  if (path != NULL || old->kind != CP_INDEX_FN || predecessor == NULL ||
      old->owner != predecessor)
    return CPLANE_EINVAL;
  return index_rebuild(inf, index_slot(inf, old), fn, userdata, owner);
}

/* Adds the index over `path`, or computed by fn when path is NULL. */
static int add_index(cp_informer *inf, const char *index_name,
                     const char *path, cplane_index_fn fn, void *userdata,
                     const void *owner, const void *predecessor) {
  const struct cp_index *old;
  struct cp_index *ix = NULL, **grown;
  size_t before;
  int r = CPLANE_OK;

  rank_rwlock(&inf->rw, 1);
  old = find_index(inf, index_name);
  if (old != NULL) {
    r = add_again(inf, old, path, fn, userdata, owner, predecessor);
    goto out;
  }
  before = cp_ptab_alloc_size(inf->indexes);
  grown = realloc(inf->indexes, (inf->n_indexes + 1) * sizeof *grown);
  if (grown == NULL) {
    r = CPLANE_ENOMEM;
    goto out;
  }
  inf->indexes = grown;
  inf->heap = inf->heap - before + cp_ptab_alloc_size(grown);
  ix = path != NULL
           ? cp_index_new(index_name, CP_INDEX_PATH, path, &inf->heap)
           : cp_index_new_fn(index_name, fn, userdata, &inf->heap);
  if (ix == NULL || (r = index_build(inf, ix)) != CPLANE_OK) {
    cp_index_free(ix, &inf->heap);
    r = CPLANE_ENOMEM;
    goto out;
  }
  ix->owner = owner;
  inf->indexes[inf->n_indexes++] = ix;
out:
  rank_rwunlock(&inf->rw);
  return r;
}

void cp_informer_drop_indexes(cp_informer *inf, const void *owner,
                              const void *give_back_to) {
  size_t i;

  if (inf == NULL || owner == NULL)
    return;
  rank_rwlock(&inf->rw, 1);
  for (i = inf->n_indexes; i > 0; i--) {
    struct cp_index *ix = inf->indexes[i - 1];

    if (ix->kind != CP_INDEX_FN || ix->owner != owner)
      continue;
    if (give_back_to != NULL && ix->prev_owner == give_back_to &&
        index_rebuild(inf, i - 1, ix->prev_fn, ix->prev_userdata,
                      give_back_to) == CPLANE_OK)
      continue;
    /* The array keeps its size; only the order of the later ones moves. */
    cp_index_free(ix, &inf->heap);
    memmove(&inf->indexes[i - 1], &inf->indexes[i],
            (inf->n_indexes - i) * sizeof *inf->indexes);
    inf->n_indexes--;
  }
  rank_rwunlock(&inf->rw);
}

int cp_informer_add_index(cp_informer *inf, const char *index_name,
                          const char *path) {
  if (inf == NULL || index_name == NULL || *index_name == '\0' ||
      !cp_index_path_valid(path))
    return CPLANE_EINVAL;
  return add_index(inf, index_name, path, NULL, NULL, NULL, NULL);
}

int cp_informer_add_index_fn(cp_informer *inf, const char *index_name,
                             cplane_index_fn fn, void *userdata,
                             const void *owner, const void *predecessor) {
  if (inf == NULL || index_name == NULL || *index_name == '\0' ||
      fn == NULL)
    return CPLANE_EINVAL;
  return add_index(inf, index_name, NULL, fn, userdata, owner, predecessor);
}
