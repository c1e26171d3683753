/*
 * watchcache - see watchcache.h.
 *
 * Per type: the store watch, a ring of the latest events (with their
 * previous values for selector transitions), and the subscriptions. The
 * ring holds references to the store's own immutable events
 * (shared_event.h) when the store hands them over (the SQLite backend's
 * ring), so an event's bytes exist once in the server; otherwise (etcd)
 * it builds shared events itself, an update's previous value then being
 * the buffer of the key's last event in the ring (a key index), however
 * far back. Subscribers get views (of the ring when caught up, of the
 * store's message when live), and streams keep encoded lines, never
 * events. The rings of all types share one byte bound,
 * counting each buffer they keep alive once; the oldest events go first.
 * `floor` is the oldest start the ring can serve: every
 * event from floor to `head` is in the ring. A subscription's next_rev is
 * the first revision it has not been given; events are fanned out under
 * the cache's lock, which is what makes unsubscribe final.
 *
 * A type whose store watch breaks (an error, or a compaction it could not
 * follow) passes the end to its subscribers and leaves the table, so the
 * next subscriber starts a fresh watch; the broken one is freed when its
 * last subscriber goes.
 */
#include "apiserver/watchcache.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/memtrim.h"
#include "log/log.h"
#include "store/shared_event.h"

#define DEFAULT_RING 4096
/* All types together: 4,096 events of a 1 MB ConfigMap (with its previous
 * value) were 8 GB. */
#define DEFAULT_BYTES (64u << 20)

struct type_cache;

struct cp_watch_sub {
  struct type_cache *tc;
  char *prefix;
  size_t prefix_len;
  int64_t next_rev;
  cp_store_watch_cb cb;
  void *userdata;
  struct cp_watch_sub *next, *prev;
};

struct type_cache {
  struct cp_watch_cache *c;
  char *prefix;
  size_t prefix_len;
  cp_store_watcher *sw;
  int broken;
  int64_t floor, head;
  cp_shared_event **ring; /* ring[(start + i) % cap], i < len */
  size_t cap, start, len;
  /* Each key's latest event in the ring, for events the cache builds. */
  struct cp_event_index index;
  cp_store_event *scratch; /* one subscriber's share of a batch */
  size_t scratch_cap;
  struct cp_watch_sub *subs;
  struct type_cache *next;
};

struct cp_watch_cache {
  cp_store *store;
  size_t ring_events;
  size_t max_bytes, bytes; /* of the events in every live ring; under mu */
  pthread_mutex_t mu;
  struct type_cache *types; /* live ones; broken ones are off this list */
};

/* ---- events ---- */

/* Lock held: tc's event i (0: the oldest). */
static cp_store_event *ring_at(struct type_cache *tc, size_t i) {
  return &tc->ring[(tc->start + i) % tc->cap]->ev;
}

/* Lock held: the event to keep for e: the store's own when it handed it
 * over, else one built here; one reference, the ring's. NULL on ENOMEM. */
static cp_shared_event *event_keep(struct type_cache *tc,
                                   const cp_store_watch_msg *msg, size_t i) {
  const cp_store_event *e = &msg->events[i];
  cp_shared_event *se;

  if (msg->shared != NULL && msg->shared[i] != NULL)
    return cp_shared_event_ref(msg->shared[i]);
  se = cp_shared_event_new(e->type, &e->kv, &e->prev);
  if (se != NULL)
    cp_event_index_add(&tc->index, se);
  return se;
}

/* Lock held: tc lets go of se. */
static void event_drop(struct type_cache *tc, cp_shared_event *se) {
  cp_event_index_forget(&tc->index, se);
  cp_memtrim_freed(cp_shared_event_release(se, CP_SHARED_CACHE,
                                           &tc->c->bytes));
  cp_shared_event_unref(se);
}

static int has_prefix(const cp_store_kv *kv, const char *p, size_t n) {
  return kv->key_len >= n && memcmp(kv->key, p, n) == 0;
}

/* Lock held: drops tc's oldest event; the floor rises past it. */
static void ring_pop(struct type_cache *tc) {
  cp_shared_event *oldest = tc->ring[tc->start];

  tc->floor = oldest->ev.kv.mod_revision + 1;
  tc->ring[tc->start] = NULL;
  event_drop(tc, oldest);
  tc->start = (tc->start + 1) % tc->cap;
  tc->len--;
}

/* Lock held: over the byte bound, drops the oldest events of all types
 * (revisions are global), so that a busy type does not empty a quiet
 * one's ring. A start before what is left misses the cache and goes to
 * the store, which replays its history or answers 410 Gone. tc (the type
 * being written) may be off the list already. */
static void evict_bytes(struct cp_watch_cache *c, struct type_cache *tc) {
  while (c->bytes > c->max_bytes) {
    struct type_cache *o, *oldest = tc->len > 0 ? tc : NULL;

    for (o = c->types; o != NULL; o = o->next)
      if (o->len > 0 &&
          (oldest == NULL || ring_at(o, 0)->kv.mod_revision <
                                 ring_at(oldest, 0)->kv.mod_revision))
        oldest = o;
    if (oldest == NULL)
      return;
    ring_pop(oldest);
  }
}

/* Lock held: empties tc's ring (a broken type serves no new start). */
static void ring_clear(struct type_cache *tc) {
  while (tc->len > 0)
    ring_pop(tc);
}

/* Appends msg's event i, dropping the oldest event when full (the floor
 * rises past it) and then as many as the byte bound needs. On ENOMEM
 * the ring is emptied and the floor moves past the event: later starts
 * before it go to the store, which is always right. */
static void ring_push(struct type_cache *tc, const cp_store_watch_msg *msg,
                      size_t i) {
  cp_shared_event *se;

  if (tc->len == tc->cap)
    ring_pop(tc);
  se = event_keep(tc, msg, i);
  if (se == NULL) {
    ring_clear(tc);
    tc->floor = msg->events[i].kv.mod_revision + 1;
    return;
  }
  tc->ring[(tc->start + tc->len) % tc->cap] = se;
  tc->len++;
  cp_shared_event_hold(se, CP_SHARED_CACHE, &tc->c->bytes);
  evict_bytes(tc->c, tc);
}

/* ---- fan-out (cache lock held) ---- */

static int scratch_fit(struct type_cache *tc, size_t n) {
  cp_store_event *g;

  if (n <= tc->scratch_cap)
    return 0;
  g = realloc(tc->scratch, n * sizeof *g);
  if (g == NULL)
    return -1;
  tc->scratch = g;
  tc->scratch_cap = n;
  return 0;
}

/* 1 when s has not had e and e lies under its prefix. */
static int wants(const struct cp_watch_sub *s, const cp_store_event *e) {
  return e->kv.mod_revision >= s->next_rev &&
         has_prefix(&e->kv, s->prefix, s->prefix_len);
}

/* Gives s the first k events of the scratch array as one message. */
static void send_scratch(struct type_cache *tc, struct cp_watch_sub *s,
                         size_t k) {
  cp_store_watch_msg msg = {.kind = CP_STORE_WATCH_EVENTS};

  if (k == 0)
    return;
  msg.events = tc->scratch;
  msg.count = k;
  msg.revision = tc->scratch[k - 1].kv.mod_revision;
  s->cb(s->userdata, &msg);
}

/* Gives s the events of evs[0..n) it wants, as one message. */
static void give_events(struct type_cache *tc, struct cp_watch_sub *s,
                        const cp_store_event *evs, size_t n,
                        int64_t last_rev) {
  size_t i, k = 0;

  for (i = 0; i < n; i++)
    if (wants(s, &evs[i]))
      tc->scratch[k++] = evs[i];
  if (last_rev >= s->next_rev)
    s->next_rev = last_rev + 1;
  send_scratch(tc, s, k);
}

static void on_events(struct type_cache *tc, const cp_store_watch_msg *msg) {
  struct cp_watch_sub *s;
  size_t i;

  for (i = 0; i < msg->count; i++)
    ring_push(tc, msg, i);
  if (msg->revision > tc->head)
    tc->head = msg->revision;
  if (scratch_fit(tc, msg->count) < 0) {
    /* Cannot split the batch per subscriber: end them all, as a broken
     * watch would, so that every client starts over cleanly. */
    cp_store_watch_msg end = {.kind = CP_STORE_WATCH_ERROR,
                              .status = CPLANE_ENOMEM};

    tc->broken = 1;
    for (s = tc->subs; s != NULL; s = s->next)
      s->cb(s->userdata, &end);
    return;
  }
  for (s = tc->subs; s != NULL; s = s->next)
    give_events(tc, s, msg->events, msg->count, tc->head);
}

static void unlink_type(struct cp_watch_cache *c, struct type_cache *tc) {
  struct type_cache **pp;

  for (pp = &c->types; *pp != NULL; pp = &(*pp)->next)
    if (*pp == tc) {
      *pp = tc->next;
      return;
    }
}

/* Lock held, or tc unreachable by any other thread. */
static void type_free(struct type_cache *tc) {
  ring_clear(tc);
  cp_event_index_free(&tc->index);
  free(tc->ring);
  free(tc->scratch);
  free(tc->prefix);
  free(tc);
}

/* The store's thread: one call at a time for this type. */
static void on_store(void *userdata, const cp_store_watch_msg *msg) {
  struct type_cache *tc = userdata;
  struct cp_watch_cache *c = tc->c;
  struct cp_watch_sub *s;
  int free_now = 0;

  pthread_mutex_lock(&c->mu);
  if (tc->broken) {
    pthread_mutex_unlock(&c->mu);
    return;
  }
  switch (msg->kind) {
  case CP_STORE_WATCH_EVENTS:
    on_events(tc, msg);
    break;
  case CP_STORE_WATCH_PROGRESS:
    if (msg->revision > tc->head)
      tc->head = msg->revision;
    for (s = tc->subs; s != NULL; s = s->next) {
      if (msg->revision >= s->next_rev)
        s->next_rev = msg->revision + 1;
      s->cb(s->userdata, msg);
    }
    break;
  default:
    cp_log_warn("apiserver", "the shared watch of %.*s ended (%s); its %s "
                "start over",
                (int)tc->prefix_len, tc->prefix,
                msg->kind == CP_STORE_WATCH_COMPACTED
                    ? "compacted"
                    : cp_store_strerror(msg->status),
                tc->subs != NULL ? "watchers" : "next watchers");
    tc->broken = 1;
    for (s = tc->subs; s != NULL; s = s->next)
      s->cb(s->userdata, msg);
  }
  if (tc->broken) {
    unlink_type(c, tc);
    ring_clear(tc);
    cp_store_watch_cancel(tc->sw); /* our own watch: allowed here */
    tc->sw = NULL;
    free_now = tc->subs == NULL;
  }
  pthread_mutex_unlock(&c->mu);
  if (free_now)
    type_free(tc);
}

/* ---- the table of types ---- */

/* The live cache for prefix, started at the store's current revision;
 * NULL with *rc set when the store watch cannot start. Lock held. */
static struct type_cache *type_get(struct cp_watch_cache *c,
                                   const char *prefix, int *rc) {
  struct type_cache *tc;
  size_t n = strlen(prefix);
  int64_t rev = 0;

  for (tc = c->types; tc != NULL; tc = tc->next)
    if (tc->prefix_len == n && memcmp(tc->prefix, prefix, n) == 0)
      return tc;
  tc = calloc(1, sizeof *tc);
  if (tc == NULL || (tc->prefix = strdup(prefix)) == NULL ||
      (tc->ring = calloc(c->ring_events, sizeof *tc->ring)) == NULL) {
    *rc = CPLANE_ENOMEM;
    goto fail;
  }
  tc->c = c;
  tc->prefix_len = n;
  tc->cap = c->ring_events;
  *rc = cp_store_current_revision(c->store, &rev);
  if (*rc != CPLANE_OK)
    goto fail;
  tc->floor = rev + 1;
  tc->head = rev;
  *rc = cp_store_watch(c->store, prefix, n, rev + 1, on_store, tc, &tc->sw);
  if (*rc != CPLANE_OK)
    goto fail;
  tc->next = c->types;
  c->types = tc;
  cp_log_debug("apiserver", "shared watch of %s started at revision %lld",
               prefix, (long long)rev + 1);
  return tc;
fail:
  if (tc != NULL)
    type_free(tc);
  return NULL;
}

/* Gives a new subscriber the ring's events from its start on, as one
 * message. Lock held. CPLANE_ENOMEM if they cannot be gathered: then the
 * subscription must not go on with a hole. */
static int catch_up(struct type_cache *tc, struct cp_watch_sub *s) {
  size_t i, k = 0;

  if (scratch_fit(tc, tc->len) < 0)
    return CPLANE_ENOMEM;
  for (i = 0; i < tc->len; i++) {
    const cp_store_event *e = ring_at(tc, i);

    if (wants(s, e))
      tc->scratch[k++] = *e;
  }
  s->next_rev = tc->head + 1;
  send_scratch(tc, s, k);
  return CPLANE_OK;
}

/* ---- API ---- */

struct cp_watch_cache *cp_watch_cache_new(cp_store *store, size_t ring_events,
                                          size_t ring_bytes) {
  struct cp_watch_cache *c = calloc(1, sizeof *c);

  if (c == NULL)
    return NULL;
  c->store = store;
  c->ring_events = ring_events > 0 ? ring_events : DEFAULT_RING;
  c->max_bytes = ring_bytes > 0 ? ring_bytes : DEFAULT_BYTES;
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void cp_watch_cache_free(struct cp_watch_cache *c) {
  struct type_cache *tc;

  if (c == NULL)
    return;
  /* Cancel without the lock: a store thread may be waiting for it in
   * on_store, and cancel waits for that thread. */
  for (tc = c->types; tc != NULL; tc = tc->next)
    cp_store_watch_cancel(tc->sw);
  while ((tc = c->types) != NULL) {
    c->types = tc->next;
    type_free(tc);
  }
  pthread_mutex_destroy(&c->mu);
  free(c);
}

int cp_watch_cache_subscribe(struct cp_watch_cache *c, const char *type_prefix,
                             const char *prefix, int64_t from_rev,
                             cp_store_watch_cb cb, void *userdata,
                             cp_watch_sub **out) {
  struct cp_watch_sub *s = calloc(1, sizeof *s);
  struct type_cache *tc;
  int rc = CPLANE_OK;

  *out = NULL;
  if (s == NULL || (s->prefix = strdup(prefix)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto fail;
  }
  s->prefix_len = strlen(prefix);
  s->cb = cb;
  s->userdata = userdata;
  s->next_rev = from_rev;
  pthread_mutex_lock(&c->mu);
  tc = type_get(c, type_prefix, &rc);
  /* Older than the ring, or events the cache has not seen yet (a client
   * that watches from the revision it has just written): the store
   * knows, the cache does not. */
  if (tc != NULL && (from_rev < tc->floor || from_rev > tc->head + 1))
    rc = CP_WATCH_CACHE_MISS;
  if (rc != CPLANE_OK) {
    pthread_mutex_unlock(&c->mu);
    goto fail;
  }
  s->tc = tc;
  rc = catch_up(tc, s);
  if (rc != CPLANE_OK) {
    pthread_mutex_unlock(&c->mu);
    goto fail;
  }
  s->next = tc->subs;
  if (tc->subs != NULL)
    tc->subs->prev = s;
  tc->subs = s;
  pthread_mutex_unlock(&c->mu);
  *out = s;
  return CPLANE_OK;
fail:
  if (s != NULL)
    free(s->prefix);
  free(s);
  return rc;
}

void cp_watch_cache_unsubscribe(cp_watch_sub *s) {
  struct type_cache *tc;
  struct cp_watch_cache *c;
  int free_type;

  if (s == NULL)
    return;
  tc = s->tc;
  c = tc->c;
  pthread_mutex_lock(&c->mu);
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    tc->subs = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  free_type = tc->broken && tc->subs == NULL;
  pthread_mutex_unlock(&c->mu);
  if (free_type)
    type_free(tc);
  free(s->prefix);
  free(s);
}

size_t cp_watch_cache_store_watches(struct cp_watch_cache *c) {
  struct type_cache *tc;
  size_t n = 0;

  pthread_mutex_lock(&c->mu);
  for (tc = c->types; tc != NULL; tc = tc->next)
    n++;
  pthread_mutex_unlock(&c->mu);
  return n;
}
