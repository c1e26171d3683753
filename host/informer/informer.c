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
 *   h->mu     one handler's FIFO, replay, counters and scheduled flag.
 *   timer_mu  the resync timer's sleep.
 *   disp_mu   the dispatch pool: ready list, idle stack, thread counts.
 *             Taken under h->mu to schedule or unschedule a handler.
 * run_mu and feed_mu are never held together. Stop joins the resync timer
 * (which takes feed_mu, and life_mu for the watch) holding run_mu only,
 * so a feeder or add_handler holding feed_mu can always finish first; it
 * joins the pool threads under life_mu, which they never take.
 * Callbacks run on pool threads holding none of them.
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

#include <cplane/resource_version.h>

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
  RANK_DISP = 1u << 6,
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

  /* disp_mu: on the ready list; being served by a pool thread. */
  cp_informer_handler *ready_next;
  int on_ready, in_service;

  pthread_mutex_t mu;
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
  int removed;   /* no more callbacks; feeders skip it */
  int scheduled; /* on the ready list or in service: it has (or had at
                    its last look) something to deliver */
};

/* One thread of an informer's dispatch pool. Allocated for the informer's
 * whole life (a feeder may signal `cond` just after a stop joined it). */
struct dthread {
  cp_informer *inf;
  pthread_t tid;
  int joinable;             /* life_mu */
  int wake;                 /* disp_mu: popped off the idle stack */
  int stalled;              /* disp_mu: the watch saw its callback hang */
  struct dthread *idle_next; /* disp_mu */
  pthread_cond_t cond;      /* disp_mu: it waits here while idle */
  atomic_int in_call;       /* inside a callback now */
  _Atomic uint64_t calls;   /* callbacks begun */
  uint64_t seen_calls;      /* the watch's last look at calls */
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

  /* The dispatch pool (see "Dispatch" below). */
  pthread_mutex_t disp_mu;
  cp_informer_handler *ready_head, *ready_tail; /* disp_mu */
  struct dthread *idle_top;                     /* disp_mu */
  struct dthread **threads; /* n_alloc of them, n_threads running; changed
                               under life_mu and disp_mu, read under either */
  size_t n_alloc, n_threads, n_idle, n_serving, n_stalled;
  size_t n_live;            /* life_mu: handlers not removed */
  pthread_cond_t served;    /* disp_mu: a handler left service */
  atomic_int disp_stop;     /* stop: drain until disp_deadline_ns */
  _Atomic uint64_t disp_deadline_ns;
  atomic_int watch;         /* every pool thread busy: the timer watches */

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

/* < 0 when incoming is older than cached, 0 when the same version, > 0
 * when newer or when the two cannot be compared (then the incoming one
 * wins, as the API server's word is final). */
static int rv_order(const cplane_object *cached, const cplane_object *in) {
  const char *a = cp_object_resource_version(cached);
  const char *b = cp_object_resource_version(in);
  int c;

  if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
    return 1;
  if (cplane_rv_compare(b, a, &c) != 0)
    return strcmp(a, b) == 0 ? 0 : 1;
  return c;
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

static struct dthread *pool_post(cp_informer *inf, cp_informer_handler *h,
                                 int *arm);
static void pool_kick(cp_informer *inf, struct dthread *t, int arm);

/* Appends a copy of n (with its own references). h->mu held, room
 * checked. When h was idle, posts it to the pool: *t is then the thread
 * to wake and *arm whether to arm the watch, both done by pool_kick()
 * once the caller has let go of h->mu. */
static void ring_push(cp_informer_handler *h, const struct note *n,
                      struct dthread **t, int *arm) {
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
  if (!h->scheduled) {
    h->scheduled = 1;
    *t = pool_post(h->inf, h, arm);
  }
}

/* Queues n to h, waiting while h's buffer is full. Dropped when h is
 * being removed. feed_mu held, so h cannot be freed before the post
 * (removal unlinks it under feed_mu first). */
static void handler_enqueue(cp_informer_handler *h, const struct note *n) {
  struct dthread *t = NULL;
  int arm = 0;

  CP_ASSERT((held_ranks & RANK_FEED));
  rank_lock(&h->mu, RANK_HANDLER);
  while (h->count == h->cap && !h->removed)
    pthread_cond_wait(&h->not_full, &h->mu);
  if (!h->removed)
    ring_push(h, n, &t, &arm);
  rank_unlock(&h->mu, RANK_HANDLER);
  pool_kick(h->inf, t, arm);
}

/* Queues a resync of obj to h unless something of its key is pending (or
 * the replay is still going). Returns -1 when the resync must stop: h is
 * being removed or the informer is stopping. feed_mu held. */
static int resync_enqueue(cp_informer *inf, cp_informer_handler *h,
                          const cplane_object *obj) {
  struct note n = {obj, obj, NOTE_UPDATE, 0, 1};
  struct dthread *t = NULL;
  int r = 0, arm = 0;

  CP_ASSERT((held_ranks & RANK_FEED));
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
  ring_push(h, &n, &t, &arm);
  h->resyncs++;
out:
  rank_unlock(&h->mu, RANK_HANDLER);
  pool_kick(inf, t, arm);
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

/*
 * A small pool of threads per informer serves its handlers (it used to be
 * one thread per handler: every pod event woke each of the ~16 handlers
 * of the pods informer). A handler with something to deliver is
 * "scheduled": it is on the ready list, or one pool thread is serving it,
 * never both, so its callbacks run one at a time and in order. A thread
 * takes the handler at the head of the list, delivers up to
 * DISPATCH_BATCH of its notifications, and puts it back at the tail if
 * more remain (a busy handler cannot starve the others) or unschedules
 * it. A feeder that schedules a handler wakes an idle thread only while
 * fewer than CP_INFORMER_DISPATCH_THREADS are running, so one event wakes
 * at most that many threads, and none while they are busy.
 *
 * A callback that hangs holds its thread: the watch (watch_look) sees it
 * and brings in another thread.
 */
#define DISPATCH_BATCH 64

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

/* Appends h to the ready list. disp_mu held. */
static void ready_push(cp_informer *inf, cp_informer_handler *h) {
  h->ready_next = NULL;
  h->on_ready = 1;
  if (inf->ready_tail != NULL)
    inf->ready_tail->ready_next = h;
  else
    inf->ready_head = h;
  inf->ready_tail = h;
}

/* Takes h off the ready list if it is on it. disp_mu held. */
static void ready_unlink(cp_informer *inf, cp_informer_handler *h) {
  cp_informer_handler **pp = &inf->ready_head, *prev = NULL;

  if (!h->on_ready)
    return;
  while (*pp != h) {
    prev = *pp;
    pp = &(*pp)->ready_next;
  }
  *pp = h->ready_next;
  if (inf->ready_tail == h)
    inf->ready_tail = prev;
  h->ready_next = NULL;
  h->on_ready = 0;
}

static cp_informer_handler *ready_pop(cp_informer *inf) {
  cp_informer_handler *h = inf->ready_head;

  if (h != NULL)
    ready_unlink(inf, h);
  return h;
}

/* Pops an idle thread for the caller to wake (pool_kick), or NULL: none
 * is idle, or (unless force) enough are running already, and those will
 * come to the ready list when they finish their handler. Threads the watch
 * saw stuck in a callback do not count as running. disp_mu held. */
static struct dthread *idle_pop(cp_informer *inf, int force) {
  struct dthread *t = inf->idle_top;
  size_t running = inf->n_threads - inf->n_idle - inf->n_stalled;

  if (t == NULL || (!force && running >= CP_INFORMER_DISPATCH_THREADS))
    return NULL;
  inf->idle_top = t->idle_next;
  inf->n_idle--;
  t->idle_next = NULL;
  t->wake = 1;
  return t;
}

/* Puts h (just scheduled, h->mu held) on the ready list. Returns the idle
 * thread to wake, if any; *arm is set when none could be woken while the
 * pool runs, so that the watch looks for a stall. */
static struct dthread *pool_post(cp_informer *inf, cp_informer_handler *h,
                                 int *arm) {
  struct dthread *t;

  CP_ASSERT((held_ranks & RANK_HANDLER));
  rank_lock(&inf->disp_mu, RANK_DISP);
  ready_push(inf, h);
  t = idle_pop(inf, 0);
  if (t == NULL && inf->n_threads > 0 && !atomic_load(&inf->watch)) {
    atomic_store(&inf->watch, 1);
    *arm = 1;
  }
  rank_unlock(&inf->disp_mu, RANK_DISP);
  return t;
}

/* Wakes t (may be NULL) and the watch (when arm), with no lock held: a
 * thread woken while disp_mu is still held would find it taken and sleep
 * again. t stays valid: pool threads live as long as the informer. */
static void pool_kick(cp_informer *inf, struct dthread *t, int arm) {
  CP_ASSERT((held_ranks & (RANK_HANDLER | RANK_DISP)) == 0);
  if (t != NULL)
    pthread_cond_signal(&t->cond);
  if (arm) {
    rank_lock(&inf->timer_mu, RANK_TIMER);
    pthread_cond_signal(&inf->timer_cond);
    rank_unlock(&inf->timer_mu, RANK_TIMER);
  }
}

static int drain_expired(cp_informer *inf) {
  return atomic_load_explicit(&inf->disp_stop, memory_order_relaxed) &&
         now_ns() >= atomic_load(&inf->disp_deadline_ns);
}

/* Hands h back after a turn (h->mu held, released here; disp_mu taken
 * and left held): at the tail of the ready list when it has more to
 * deliver, else unscheduled. Both locks make the two steps one, so a
 * feeder finds h either still scheduled or idle, never half-way. */
static void serve_end(cp_informer *inf, struct dthread *t,
                      cp_informer_handler *h, int more) {
  if (!more)
    h->scheduled = 0;
  rank_lock(&inf->disp_mu, RANK_DISP);
  h->in_service = 0;
  inf->n_serving--;
  if (t->stalled) {
    t->stalled = 0;
    inf->n_stalled--;
  }
  if (more)
    ready_push(inf, h);
  rank_unlock(&h->mu, RANK_HANDLER);
  pthread_cond_broadcast(&inf->served);
}

/* One turn of h on thread t: delivers up to DISPATCH_BATCH notifications,
 * each callback with no lock held. Called and returns with disp_mu held. */
static void serve(cp_informer *inf, struct dthread *t,
                  cp_informer_handler *h) {
  struct note n;
  int i, more = 0;

  rank_unlock(&inf->disp_mu, RANK_DISP);
  rank_lock(&h->mu, RANK_HANDLER);
  for (i = 0; i < DISPATCH_BATCH; i++) {
    if (h->removed)
      goto out;
    if (drain_expired(inf)) {
      more = 1;
      goto out;
    }
    if (!take_next(h, &n))
      goto out;
    rank_unlock(&h->mu, RANK_HANDLER);
    current_handler = h;
    atomic_fetch_add_explicit(&t->calls, 1, memory_order_relaxed);
    atomic_store_explicit(&t->in_call, 1, memory_order_relaxed);
    call(h, &n);
    atomic_store_explicit(&t->in_call, 0, memory_order_relaxed);
    current_handler = NULL;
    note_release(&n);
    rank_lock(&h->mu, RANK_HANDLER);
    h->done_seq++;
    h->delivered++;
  }
  more = !h->removed && (h->count > 0 || h->replay_pos < h->replay_n);
out:
  serve_end(inf, t, h, more);
}

static void *pool_main(void *arg) {
  struct dthread *t = arg;
  cp_informer *inf = t->inf;

  pthread_setname_np(pthread_self(), "informer"); /* top -H, perf */
  rank_lock(&inf->disp_mu, RANK_DISP);
  for (;;) {
    cp_informer_handler *h;

    if (drain_expired(inf))
      break;
    h = ready_pop(inf);
    if (h != NULL) {
      h->in_service = 1;
      inf->n_serving++;
      serve(inf, t, h);
      continue;
    }
    if (atomic_load(&inf->disp_stop))
      break;
    t->wake = 0;
    t->idle_next = inf->idle_top;
    inf->idle_top = t;
    inf->n_idle++;
    while (!t->wake)
      pthread_cond_wait(&t->cond, &inf->disp_mu);
  }
  rank_unlock(&inf->disp_mu, RANK_DISP);
  return NULL;
}

/* Starts one more pool thread. life_mu held. */
static int pool_spawn(cp_informer *inf) {
  struct dthread *t, **grown;
  int e;

  CP_ASSERT((held_ranks & RANK_LIFE));
  rank_lock(&inf->disp_mu, RANK_DISP);
  if (inf->n_threads == inf->n_alloc) {
    grown = realloc(inf->threads, (inf->n_alloc + 1) * sizeof *grown);
    t = grown != NULL ? calloc(1, sizeof *t) : NULL;
    if (grown != NULL)
      inf->threads = grown;
    if (t == NULL) {
      rank_unlock(&inf->disp_mu, RANK_DISP);
      cp_log_error(LOG_COMPONENT, "%s: out of memory starting a dispatch "
                   "thread", inf->name);
      return CPLANE_ENOMEM;
    }
    t->inf = inf;
    pthread_cond_init(&t->cond, NULL);
    inf->threads[inf->n_alloc++] = t;
  }
  t = inf->threads[inf->n_threads++];
  t->wake = 0;
  t->stalled = 0;
  rank_unlock(&inf->disp_mu, RANK_DISP);
  e = pthread_create(&t->tid, NULL, pool_main, t);
  if (e != 0) {
    rank_lock(&inf->disp_mu, RANK_DISP);
    inf->n_threads--;
    rank_unlock(&inf->disp_mu, RANK_DISP);
    cp_log_error(LOG_COMPONENT, "%s: cannot start a dispatch thread: %s",
                 inf->name, strerror(e));
    return CPLANE_ERR;
  }
  t->joinable = 1;
  return CPLANE_OK;
}

/* Grows the pool to its size for the live handlers. life_mu held. */
static int pool_fill(cp_informer *inf) {
  size_t want = inf->n_live < CP_INFORMER_DISPATCH_THREADS
                    ? inf->n_live
                    : CP_INFORMER_DISPATCH_THREADS;

  while (inf->n_threads < want)
    if (pool_spawn(inf) != CPLANE_OK)
      return CPLANE_ERR;
  return CPLANE_OK;
}

/* One look of the watch (the timer thread, every CP_INFORMER_WATCH_NS
 * while armed): when handlers wait on the ready list and every pool thread
 * not idle has been inside one callback since the previous look, those
 * threads stop counting as running, an idle thread is woken, or when none
 * is idle one more is started (at most one per live handler). Disarms
 * once no handler waits or is being served. */
static void watch_look(cp_informer *inf) {
  struct dthread *wake = NULL;
  size_t i, stuck = 0;
  int grow = 0;

  rank_lock(&inf->disp_mu, RANK_DISP);
  for (i = 0; i < inf->n_threads; i++) {
    struct dthread *d = inf->threads[i];
    uint64_t calls = atomic_load(&d->calls);

    if (atomic_load(&d->in_call) && calls == d->seen_calls)
      stuck++;
    d->seen_calls = calls;
  }
  if (inf->ready_head != NULL && stuck > 0 &&
      stuck == inf->n_threads - inf->n_idle) {
    for (i = 0; i < inf->n_threads; i++) {
      struct dthread *d = inf->threads[i];

      if (atomic_load(&d->in_call) && !d->stalled) {
        d->stalled = 1;
        inf->n_stalled++;
      }
    }
    wake = idle_pop(inf, 1);
    grow = wake == NULL;
  }
  if (inf->ready_head == NULL && inf->n_serving == 0)
    atomic_store(&inf->watch, 0);
  rank_unlock(&inf->disp_mu, RANK_DISP);
  if (wake != NULL)
    pthread_cond_signal(&wake->cond);
  if (grow) {
    rank_lock(&inf->life_mu, RANK_LIFE);
    if (atomic_load(&inf->running) && !atomic_load(&inf->timer_stop) &&
        inf->n_threads < inf->n_live && pool_spawn(inf) == CPLANE_OK)
      cp_log_warn(LOG_COMPONENT, "%s: every dispatch thread is stuck in a "
                  "callback; started dispatch thread %zu", inf->name,
                  inf->n_threads);
    rank_unlock(&inf->life_mu, RANK_LIFE);
  }
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
 * (0: none has a period). With `try`, when a feeder holds feed_mu (it may
 * be waiting on a stuck handler's full buffer while the watch is needed)
 * it resyncs nothing and asks to be called again after a watch tick. */
static uint64_t run_due_resyncs(cp_informer *inf, int try) {
  cp_informer_handler *h;
  uint64_t earliest = 0;

  if (!try) {
    rank_lock(&inf->feed_mu, RANK_FEED);
  } else {
    if (CP_ASSERTS_ON)
      rank_check(RANK_FEED);
    if (pthread_mutex_trylock(&inf->feed_mu) != 0)
      return now_ns() + CP_INFORMER_WATCH_NS;
    if (CP_ASSERTS_ON)
      held_ranks |= RANK_FEED;
  }
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

/* Sleeps until the next resync is due, a kick, a stop, or (while the
 * watch is armed) the next watch look. timer_mu held. */
static void timer_sleep(cp_informer *inf, uint64_t next, uint64_t *look_at) {
  for (;;) {
    uint64_t until = next, now = now_ns();
    struct timespec ts;

    if (atomic_load(&inf->timer_stop) || inf->timer_kick)
      return;
    if (*look_at == 0 && atomic_load(&inf->watch))
      *look_at = now + CP_INFORMER_WATCH_NS;
    if ((*look_at != 0 && now >= *look_at) || (next != 0 && now >= next))
      return;
    if (*look_at != 0 && (until == 0 || *look_at < until))
      until = *look_at;
    if (until == 0) {
      pthread_cond_wait(&inf->timer_cond, &inf->timer_mu);
      continue;
    }
    ts.tv_sec = (time_t)(until / NS_PER_S);
    ts.tv_nsec = (long)(until % NS_PER_S);
    pthread_cond_timedwait(&inf->timer_cond, &inf->timer_mu, &ts);
  }
}

/* The resync timer, and the dispatch pool's watch (watch_look). */
static void *timer_main(void *arg) {
  cp_informer *inf = arg;
  uint64_t next = run_due_resyncs(inf, 0), look_at = 0;

  pthread_setname_np(pthread_self(), "informer-timer"); /* top -H, perf */
  for (;;) {
    int stop, kick;

    rank_lock(&inf->timer_mu, RANK_TIMER);
    timer_sleep(inf, next, &look_at);
    kick = inf->timer_kick;
    inf->timer_kick = 0;
    stop = atomic_load(&inf->timer_stop);
    rank_unlock(&inf->timer_mu, RANK_TIMER);
    if (stop)
      break;
    if (look_at != 0 && now_ns() >= look_at) {
      look_at = 0;
      watch_look(inf);
    }
    if (kick || (next != 0 && now_ns() >= next))
      next = run_due_resyncs(inf, atomic_load(&inf->watch));
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
  pthread_mutex_init(&inf->disp_mu, NULL);
  pthread_cond_init(&inf->served, NULL);
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
  struct dthread *t;
  size_t i;

  rank_lock(&inf->life_mu, RANK_LIFE);
  rank_lock(&inf->disp_mu, RANK_DISP);
  atomic_store(&inf->disp_deadline_ns,
               now_ns() + atomic_load(&inf->drain_ns));
  atomic_store(&inf->disp_stop, 1);
  while ((t = idle_pop(inf, 1)) != NULL)
    pthread_cond_signal(&t->cond);
  rank_unlock(&inf->disp_mu, RANK_DISP);
  /* Pool threads never take life_mu; the watch (which does) has gone. */
  for (i = 0; i < inf->n_alloc; i++) {
    t = inf->threads[i];
    if (t->joinable)
      pthread_join(t->tid, NULL);
    t->joinable = 0;
  }
  rank_lock(&inf->disp_mu, RANK_DISP);
  inf->n_threads = 0;
  inf->n_stalled = 0;
  atomic_store(&inf->watch, 0);
  rank_unlock(&inf->disp_mu, RANK_DISP);
  for (h = inf->handlers; h != NULL; h = h->next) {
    size_t left;

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

/* Starts the dispatch pool; handlers scheduled while stopped are on the
 * ready list already. run_mu and life_mu held. */
static int start_dispatch(cp_informer *inf) {
  cp_informer_handler *h;
  uint64_t now = now_ns();

  for (h = inf->handlers; h != NULL; h = h->next)
    atomic_store(&h->next_resync_ns, now + h->resync_period_ns);
  atomic_store(&inf->disp_stop, 0);
  return pool_fill(inf);
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
  for (i = 0; i < inf->n_alloc; i++) {
    pthread_cond_destroy(&inf->threads[i]->cond);
    free(inf->threads[i]);
  }
  free(inf->threads);
  for (i = 0; i < inf->store.cap; i++)
    if (inf->store.items[i] != NULL)
      cp_object_release(inf->store.items[i]);
  cp_ptab_free(&inf->store, NULL);
  while (inf->n_indexes > 0)
    cp_index_free(inf->indexes[--inf->n_indexes], NULL);
  free(inf->indexes);
  pthread_cond_destroy(&inf->timer_cond);
  pthread_mutex_destroy(&inf->timer_mu);
  pthread_cond_destroy(&inf->served);
  pthread_mutex_destroy(&inf->disp_mu);
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

/* Posts a new handler's replay (if any) to the pool. feed_mu and life_mu
 * held. */
static void schedule_replay(cp_informer *inf, cp_informer_handler *h) {
  struct dthread *t = NULL;
  int arm = 0;

  rank_lock(&h->mu, RANK_HANDLER);
  if (h->replay_n > 0 && !h->scheduled) {
    h->scheduled = 1;
    t = pool_post(inf, h, &arm);
  }
  rank_unlock(&h->mu, RANK_HANDLER);
  pool_kick(inf, t, arm);
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
  inf->n_live++;
  atomic_store(&h->next_resync_ns, now_ns() + resync_period_ns);
  if (atomic_load(&inf->running) && pool_fill(inf) != CPLANE_OK &&
      inf->n_threads == 0) {
    unlink_handler(inf, h);
    inf->n_live--;
    rank_unlock(&inf->life_mu, RANK_LIFE);
    goto fail_feed;
  }
  schedule_replay(inf, h);
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
  if (inf == NULL || h == NULL)
    return;
  /* First stop callbacks and release a feeder blocked on h, so taking
   * feed_mu below cannot wait for h itself. */
  rank_lock(&h->mu, RANK_HANDLER);
  h->removed = 1;
  pthread_cond_broadcast(&h->not_full);
  if (current_handler == h) {
    /* Called from h's own callback: its turn ends when the callback
     * returns. It stays listed (feeders skip it) and is freed by free. */
    handler_drop_queued(h);
    rank_unlock(&h->mu, RANK_HANDLER);
    return;
  }
  rank_unlock(&h->mu, RANK_HANDLER);
  rank_lock(&inf->feed_mu, RANK_FEED);
  rank_lock(&inf->life_mu, RANK_LIFE);
  unlink_handler(inf, h);
  inf->n_live--;
  rank_unlock(&inf->life_mu, RANK_LIFE);
  rank_unlock(&inf->feed_mu, RANK_FEED);
  /* No feeder reaches h now; wait out a turn of it in progress (a pool
   * thread that sees `removed` does not put it back). */
  rank_lock(&inf->disp_mu, RANK_DISP);
  for (;;) {
    ready_unlink(inf, h);
    if (!h->in_service)
      break;
    pthread_cond_wait(&inf->served, &inf->disp_mu);
  }
  rank_unlock(&inf->disp_mu, RANK_DISP);
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
