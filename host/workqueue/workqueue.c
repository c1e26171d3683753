/*
 * workqueue - see workqueue.h.
 *
 * One mutex guards everything. Each distinct key lives in one item (key
 * stored inline) that sits in a hash table while it is dirty, processing,
 * waiting on the timer heap or has failures counted; it is freed when none
 * of those holds. The ready queue is an intrusive FIFO through the items,
 * so add/get/done allocate only when a key is first seen.
 *
 * There is no timer thread: whoever looks at the queue (get, len, stats)
 * first moves due items from the heap to the ready queue, and idle workers
 * sleep until the heap's earliest deadline.
 */
#include "workqueue/workqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cplane/version.h>

#include "clock/clock.h"
#include "log/assert.h"

#define NS_PER_S 1000000000ull
#define DEFAULT_BASE_NS (5ull * 1000000ull)
#define DEFAULT_MAX_NS (1000ull * NS_PER_S)
#define DEFAULT_QPS 10.0
#define DEFAULT_BURST 100
#define MIN_TABLE 64
#define SHRINK_ABOVE 65536

/* Buckets 10 ns .. 1000 s, as controller-runtime's workqueue metrics. */
#define N_BUCKETS 12
static const double bucket_le[N_BUCKETS] = {1e-8, 1e-7, 1e-6, 1e-5,
                                            1e-4, 1e-3, 1e-2, 1e-1,
                                            1.0,  1e1,  1e2,  1e3};

struct histogram {
  uint64_t counts[N_BUCKETS + 1]; /* last: above the largest bucket */
  uint64_t count;
  double sum;
};

struct item {
  uint64_t hash;
  struct item *next;   /* ready FIFO */
  struct item *pnext, *pprev; /* processing list */
  uint64_t added_ns;   /* when it last became dirty */
  uint64_t started_ns; /* when a worker took it */
  uint64_t ready_ns;   /* heap deadline */
  uint64_t heap_seq;   /* FIFO among equal deadlines */
  int32_t heap_idx;    /* -1 when not waiting */
  uint32_t failures;
  uint8_t dirty, processing, queued;
  char key[];
};

struct slot {
  uint64_t hash;
  struct item *it; /* NULL: empty */
};

struct cp_workqueue {
  pthread_mutex_t mu;
  pthread_cond_t ready_cv; /* a key is ready, or shutdown */
  pthread_cond_t drain_cv; /* processing + ready reached zero */
  char *name;

  struct slot *table; /* open addressing, linear probing */
  size_t table_cap, table_len;

  struct item *head, *tail;
  size_t depth, n_processing;
  struct item *processing; /* keys held by workers: few, and hot */

  struct item **heap;
  size_t heap_len, heap_cap;
  uint64_t heap_seq;

  int shutting_down, draining, n_waiters;
  int paused; /* get() returns NULL; keys stay (cp_workqueue_pause) */

  /* Rate limiter. */
  uint64_t base_ns, max_ns;
  double qps, burst, tokens;
  uint64_t tokens_ns;

  uint64_t adds, retries, gets;
  struct histogram queue_h, work_h;
};

static uint64_t now_ns(void) { return cp_now_ns(); }

static uint64_t hash_key(const char *s) {
  uint64_t h = 1469598103934665603ull;

  for (; *s != '\0'; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h ^ (h >> 29);
}

static void observe(struct histogram *h, uint64_t ns) {
  double s = (double)ns / 1e9;
  int i = 0;

  while (i < N_BUCKETS && s > bucket_le[i])
    i++;
  h->counts[i]++;
  h->count++;
  h->sum += s;
}

/* ---- hash table ---- */

/* Slots carry the hash so a probe compares it without touching the item
 * (a cache miss per probe otherwise). */
static inline size_t home_of(const struct cp_workqueue *q, uint64_t h) {
  return (size_t)h & (q->table_cap - 1);
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t find_slot(const struct cp_workqueue *q, const char *key,
                        uint64_t h) {
  size_t mask = q->table_cap - 1, i = home_of(q, h);

  while (q->table[i].it != NULL) {
    if (q->table[i].hash == h && strcmp(q->table[i].it->key, key) == 0)
      return i;
    i = (i + 1) & mask;
  }
  return i;
}

static int table_resize(struct cp_workqueue *q, size_t cap) {
  struct slot *old = q->table, *t = calloc(cap, sizeof *t);
  size_t old_cap = q->table_cap, i;

  if (t == NULL)
    return -1;
  q->table = t;
  q->table_cap = cap;
  for (i = 0; i < old_cap; i++) {
    size_t j;

    if (old[i].it == NULL)
      continue;
    j = home_of(q, old[i].hash);
    while (t[j].it != NULL)
      j = (j + 1) & (cap - 1);
    t[j] = old[i];
  }
  free(old);
  return 0;
}

/* Removes the entry in slot i, shifting later entries of its probe run
 * back so lookups never need tombstones. */
static void table_remove_at(struct cp_workqueue *q, size_t i) {
  size_t mask = q->table_cap - 1, j = i;

  q->table[i].it = NULL;
  for (;;) {
    size_t home;

    j = (j + 1) & mask;
    if (q->table[j].it == NULL)
      break;
    home = home_of(q, q->table[j].hash);
    /* Move j back into the hole at i unless its home lies in (i, j]. */
    if ((j > i && (home <= i || home > j)) ||
        (j < i && (home <= i && home > j))) {
      q->table[i] = q->table[j];
      q->table[j].it = NULL;
      i = j;
    }
  }
  q->table_len--;
}

static struct item *lookup(struct cp_workqueue *q, const char *key) {
  return q->table[find_slot(q, key, hash_key(key))].it;
}

/* Returns the item for key, creating it. NULL when out of memory. */
static struct item *lookup_or_create(struct cp_workqueue *q,
                                     const char *key) {
  uint64_t h = hash_key(key);
  size_t i = find_slot(q, key, h), len;
  struct item *it;

  if (q->table[i].it != NULL)
    return q->table[i].it;
  if ((q->table_len + 1) * 2 > q->table_cap) {
    if (table_resize(q, q->table_cap * 2) < 0)
      return NULL;
    i = find_slot(q, key, h);
  }
  len = strlen(key);
  it = malloc(sizeof *it + len + 1);
  if (it == NULL)
    return NULL;
  memset(it, 0, sizeof *it);
  memcpy(it->key, key, len + 1);
  it->hash = h;
  it->heap_idx = -1;
  q->table[i].hash = h;
  q->table[i].it = it;
  q->table_len++;
  return it;
}

/* Frees the item once nothing refers to it any more. */
static void release_if_idle(struct cp_workqueue *q, struct item *it) {
  size_t mask = q->table_cap - 1, i = home_of(q, it->hash);

  if (it->dirty || it->processing || it->heap_idx >= 0 || it->failures > 0)
    return;
  CP_ASSERT(!it->queued); /* a queued item is always dirty */
  while (q->table[i].it != it) /* pointer compare: no strcmp needed */
    i = (i + 1) & mask;
  table_remove_at(q, i);
  free(it);
  /* Shrink late (1/64 full, and only big tables) so a queue that drains
   * and refills does not rehash on every cycle. */
  if (q->table_cap > SHRINK_ABOVE && q->table_len * 64 < q->table_cap)
    (void)table_resize(q, q->table_cap / 4); /* shrinking is optional */
}

/* ---- timer heap ---- */

static int heap_less(const struct item *a, const struct item *b) {
  if (a->ready_ns != b->ready_ns)
    return a->ready_ns < b->ready_ns;
  return a->heap_seq < b->heap_seq;
}

static void heap_set(struct cp_workqueue *q, size_t i, struct item *it) {
  q->heap[i] = it;
  it->heap_idx = (int32_t)i;
}

static void heap_up(struct cp_workqueue *q, size_t i) {
  struct item *it = q->heap[i];

  while (i > 0) {
    size_t parent = (i - 1) / 2;

    if (!heap_less(it, q->heap[parent]))
      break;
    heap_set(q, i, q->heap[parent]);
    i = parent;
  }
  heap_set(q, i, it);
}

static void heap_down(struct cp_workqueue *q, size_t i) {
  struct item *it = q->heap[i];

  for (;;) {
    size_t c = 2 * i + 1;

    if (c >= q->heap_len)
      break;
    if (c + 1 < q->heap_len && heap_less(q->heap[c + 1], q->heap[c]))
      c++;
    if (!heap_less(q->heap[c], it))
      break;
    heap_set(q, i, q->heap[c]);
    i = c;
  }
  heap_set(q, i, it);
}

static int heap_push(struct cp_workqueue *q, struct item *it) {
  if (q->heap_len == q->heap_cap) {
    size_t cap = q->heap_cap ? q->heap_cap * 2 : 64;
    struct item **h = realloc(q->heap, cap * sizeof *h);

    if (h == NULL)
      return -1;
    q->heap = h;
    q->heap_cap = cap;
  }
  it->heap_seq = q->heap_seq++;
  heap_set(q, q->heap_len++, it);
  heap_up(q, q->heap_len - 1);
  return 0;
}

static void heap_remove(struct cp_workqueue *q, struct item *it) {
  size_t i = (size_t)it->heap_idx;

  CP_ASSERT(it->heap_idx >= 0 && i < q->heap_len && q->heap[i] == it);
  it->heap_idx = -1;
  q->heap_len--;
  if (i == q->heap_len)
    return;
  heap_set(q, i, q->heap[q->heap_len]);
  heap_down(q, i);
  heap_up(q, (size_t)q->heap[i]->heap_idx);
}

/* ---- queue core ---- */

/* Item states (q->mu held): dirty = an add is pending; queued = on the
 * ready FIFO (implies dirty, not processing); processing = held by a
 * worker; heap_idx >= 0 = waiting on the timer heap. */
static void push_ready(struct cp_workqueue *q, struct item *it) {
  CP_ASSERT_HELD(&q->mu);
  CP_ASSERT(it->dirty && !it->queued && !it->processing);
  it->next = NULL;
  it->queued = 1;
  if (q->tail != NULL)
    q->tail->next = it;
  else
    q->head = it;
  q->tail = it;
  q->depth++;
  if (q->n_waiters > 0)
    pthread_cond_signal(&q->ready_cv);
}

static struct item *pop_ready(struct cp_workqueue *q) {
  struct item *it = q->head;

  CP_ASSERT(it->queued && it->dirty && !it->processing);
  q->head = it->next;
  if (q->head == NULL)
    q->tail = NULL;
  it->next = NULL;
  it->queued = 0;
  q->depth--;
  return it;
}

/* client-go's Add on an existing item. */
static void mark_dirty(struct cp_workqueue *q, struct item *it,
                       uint64_t now) {
  if (it->dirty)
    return;
  it->dirty = 1;
  it->added_ns = now;
  q->adds++;
  if (!it->processing)
    push_ready(q, it);
}

/* Moves due items from the heap to the ready queue. */
static void promote_due(struct cp_workqueue *q, uint64_t now) {
  while (q->heap_len > 0 && q->heap[0]->ready_ns <= now) {
    struct item *it = q->heap[0];

    heap_remove(q, it);
    mark_dirty(q, it, now);
  }
}

static int check_add(struct cp_workqueue *q, const char *key) {
  if (key == NULL || key[0] == '\0')
    return CPLANE_EINVAL;
  if (q->shutting_down || q->draining)
    return CPLANE_ESHUTDOWN;
  return CPLANE_OK;
}

int cp_workqueue_add(struct cp_workqueue *q, const char *key) {
  struct item *it;
  int rc;

  pthread_mutex_lock(&q->mu);
  if ((rc = check_add(q, key)) != CPLANE_OK)
    goto out;
  if ((it = lookup_or_create(q, key)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  mark_dirty(q, it, now_ns());
out:
  pthread_mutex_unlock(&q->mu);
  return rc;
}

static int add_after_locked(struct cp_workqueue *q, const char *key,
                            uint64_t delay_ns, int failed) {
  uint64_t now = now_ns();
  struct item *it;
  int rc;

  if ((rc = check_add(q, key)) != CPLANE_OK)
    return rc;
  if ((it = lookup_or_create(q, key)) == NULL)
    return CPLANE_ENOMEM;
  /* Only rate-limited adds are retries: a planned requeue (add_after)
   * is not a failure and must not look like one on a dashboard. */
  if (failed) {
    q->retries++;
    it->failures++;
  }
  if (delay_ns == 0) {
    mark_dirty(q, it, now);
    return CPLANE_OK;
  }
  if (it->heap_idx >= 0) {
    /* Already waiting: only ever move earlier. */
    if (now + delay_ns < it->ready_ns) {
      it->ready_ns = now + delay_ns;
      heap_up(q, (size_t)it->heap_idx);
    }
  } else {
    it->ready_ns = now + delay_ns;
    if (heap_push(q, it) < 0) {
      if (failed) {
        q->retries--;
        it->failures--;
      }
      release_if_idle(q, it);
      return CPLANE_ENOMEM;
    }
  }
  /* A sleeping worker may need to wake earlier for this deadline. */
  if (q->heap[0] == it && q->n_waiters > 0)
    pthread_cond_signal(&q->ready_cv);
  return CPLANE_OK;
}

int cp_workqueue_add_after(struct cp_workqueue *q, const char *key,
                           uint64_t delay_ns) {
  int rc;

  pthread_mutex_lock(&q->mu);
  rc = add_after_locked(q, key, delay_ns, 0);
  pthread_mutex_unlock(&q->mu);
  return rc;
}

/* Token bucket with reservations (golang.org/x/time/rate semantics): the
 * bucket may go negative, and the debt is the caller's wait. */
static uint64_t bucket_delay(struct cp_workqueue *q, uint64_t now) {
  if (q->qps <= 0)
    return 0;
  q->tokens += (double)(now - q->tokens_ns) / 1e9 * q->qps;
  if (q->tokens > q->burst)
    q->tokens = q->burst;
  q->tokens_ns = now;
  q->tokens -= 1.0;
  if (q->tokens >= 0)
    return 0;
  return (uint64_t)(-q->tokens / q->qps * 1e9);
}

static uint64_t backoff_delay(struct cp_workqueue *q, uint32_t failures) {
  uint64_t d = q->base_ns;

  if (failures >= 63)
    return q->max_ns;
  if (d > (UINT64_MAX >> failures))
    return q->max_ns;
  d <<= failures;
  return d > q->max_ns ? q->max_ns : d;
}

int cp_workqueue_add_rate_limited(struct cp_workqueue *q, const char *key) {
  struct item *it;
  uint64_t d, b;
  int rc;

  pthread_mutex_lock(&q->mu);
  if ((rc = check_add(q, key)) != CPLANE_OK)
    goto out;
  if ((it = lookup_or_create(q, key)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  d = backoff_delay(q, it->failures);
  b = bucket_delay(q, now_ns());
  rc = add_after_locked(q, key, d > b ? d : b, 1);
out:
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void cp_workqueue_forget(struct cp_workqueue *q, const char *key) {
  struct item *it;

  if (key == NULL)
    return;
  pthread_mutex_lock(&q->mu);
  if ((it = lookup(q, key)) != NULL) {
    it->failures = 0;
    release_if_idle(q, it);
  }
  pthread_mutex_unlock(&q->mu);
}

int cp_workqueue_num_requeues(struct cp_workqueue *q, const char *key) {
  struct item *it;
  int n = 0;

  if (key == NULL)
    return 0;
  pthread_mutex_lock(&q->mu);
  if ((it = lookup(q, key)) != NULL)
    n = (int)it->failures;
  pthread_mutex_unlock(&q->mu);
  return n;
}

static void wait_ready(struct cp_workqueue *q) {
  q->n_waiters++;
  if (q->heap_len > 0) {
    uint64_t t = q->heap[0]->ready_ns;
    struct timespec ts = {(time_t)(t / NS_PER_S), (long)(t % NS_PER_S)};

    pthread_cond_timedwait(&q->ready_cv, &q->mu, &ts);
  } else {
    pthread_cond_wait(&q->ready_cv, &q->mu);
  }
  q->n_waiters--;
}

const char *cp_workqueue_get(struct cp_workqueue *q) {
  struct item *it = NULL;
  uint64_t now;

  pthread_mutex_lock(&q->mu);
  for (;;) {
    if (q->shutting_down || q->paused)
      goto out;
    now = now_ns();
    promote_due(q, now);
    if (q->head != NULL)
      break;
    if (q->draining)
      goto out;
    wait_ready(q);
  }
  it = pop_ready(q);
  CP_ASSERT(!it->processing);
  it->dirty = 0;
  it->processing = 1;
  it->started_ns = now;
  it->pprev = NULL;
  it->pnext = q->processing;
  if (q->processing != NULL)
    q->processing->pprev = it;
  q->processing = it;
  q->n_processing++;
  q->gets++;
  observe(&q->queue_h, now - it->added_ns);
  /* Pass the wake-up on if more is ready than we took. */
  if (q->head != NULL && q->n_waiters > 0)
    pthread_cond_signal(&q->ready_cv);
out:
  pthread_mutex_unlock(&q->mu);
  return it != NULL ? it->key : NULL;
}

void cp_workqueue_done(struct cp_workqueue *q, const char *key) {
  struct item *it;
  uint64_t now;

  if (key == NULL)
    return;
  pthread_mutex_lock(&q->mu);
  /* Usually key is the pointer get() returned: find it among the few
   * processing items by address, sparing a cold hash-table probe. */
  for (it = q->processing; it != NULL && it->key != key; it = it->pnext)
    ;
  if (it == NULL)
    it = lookup(q, key);
  if (it == NULL || !it->processing)
    goto out; /* done() without get(): nothing to end */
  now = now_ns();
  CP_ASSERT(!it->queued && q->n_processing > 0);
  it->processing = 0;
  if (it->pprev != NULL)
    it->pprev->pnext = it->pnext;
  else
    q->processing = it->pnext;
  if (it->pnext != NULL)
    it->pnext->pprev = it->pprev;
  q->n_processing--;
  observe(&q->work_h, now - it->started_ns);
  if (it->dirty && !q->shutting_down)
    push_ready(q, it);
  else
    release_if_idle(q, it);
  if (q->draining && q->n_processing == 0 && q->head == NULL)
    pthread_cond_broadcast(&q->drain_cv);
out:
  pthread_mutex_unlock(&q->mu);
}

/* Drops every waiting key, and the ready ones too when with_ready. */
static void drop_pending(struct cp_workqueue *q, int with_ready) {
  while (q->heap_len > 0)
    heap_remove(q, q->heap[0]);
  while (with_ready && q->head != NULL)
    pop_ready(q)->dirty = 0;
  {
    /* Rebuild the table with only what is still referenced: forgetting
     * failures too, since no retry will happen. */
    size_t cap = q->table_cap, i;
    struct slot *old = q->table;

    q->table = calloc(cap, sizeof *q->table);
    if (q->table == NULL) {
      q->table = old; /* keep everything; freed in cp_workqueue_free */
      return;
    }
    q->table_len = 0;
    for (i = 0; i < cap; i++) {
      struct item *it = old[i].it;

      if (it == NULL)
        continue;
      it->failures = 0;
      if (with_ready)
        it->dirty = 0;
      if (!it->processing && !it->queued) {
        it->dirty = 0;
        free(it);
        continue;
      }
      q->table[find_slot(q, it->key, it->hash)] = old[i];
      q->table_len++;
    }
    free(old);
  }
}

void cp_workqueue_shutdown(struct cp_workqueue *q) {
  pthread_mutex_lock(&q->mu);
  q->shutting_down = 1;
  drop_pending(q, 1);
  pthread_cond_broadcast(&q->ready_cv);
  pthread_cond_broadcast(&q->drain_cv);
  pthread_mutex_unlock(&q->mu);
}

int cp_workqueue_shutdown_drain(struct cp_workqueue *q, uint64_t timeout_ns) {
  uint64_t deadline = now_ns() + timeout_ns;
  struct timespec ts = {(time_t)(deadline / NS_PER_S),
                        (long)(deadline % NS_PER_S)};
  int rc = CPLANE_OK;

  pthread_mutex_lock(&q->mu);
  if (!q->shutting_down) {
    q->draining = 1;
    drop_pending(q, 0);
    /* Idle workers must see the drain to return NULL on an empty queue. */
    pthread_cond_broadcast(&q->ready_cv);
  }
  while (!q->shutting_down && (q->n_processing > 0 || q->head != NULL)) {
    if (pthread_cond_timedwait(&q->drain_cv, &q->mu, &ts) == ETIMEDOUT) {
      rc = CPLANE_ERR;
      break;
    }
  }
  q->shutting_down = 1;
  drop_pending(q, 1);
  pthread_cond_broadcast(&q->ready_cv);
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void cp_workqueue_pause(struct cp_workqueue *q, int paused) {
  pthread_mutex_lock(&q->mu);
  q->paused = paused != 0;
  /* Paused: idle workers leave get() now. Resumed: keys that became
   * ready meanwhile are there for the next get(). */
  pthread_cond_broadcast(&q->ready_cv);
  pthread_mutex_unlock(&q->mu);
}

int cp_workqueue_is_shutdown(struct cp_workqueue *q) {
  int s;

  pthread_mutex_lock(&q->mu);
  s = q->shutting_down || q->draining;
  pthread_mutex_unlock(&q->mu);
  return s;
}

size_t cp_workqueue_len(struct cp_workqueue *q) {
  size_t n;

  pthread_mutex_lock(&q->mu);
  if (!q->shutting_down)
    promote_due(q, now_ns());
  n = q->depth;
  pthread_mutex_unlock(&q->mu);
  return n;
}

static void stats_locked(struct cp_workqueue *q,
                         struct cp_workqueue_stats *st) {
  uint64_t now = now_ns();
  struct item *it;

  if (!q->shutting_down)
    promote_due(q, now);
  memset(st, 0, sizeof *st);
  st->adds = q->adds;
  st->retries = q->retries;
  st->gets = q->gets;
  st->depth = q->depth;
  st->waiting = q->heap_len;
  st->processing = q->n_processing;
  for (it = q->processing; it != NULL; it = it->pnext) {
    double s;

    s = (double)(now - it->started_ns) / 1e9;
    st->unfinished_work_s += s;
    if (s > st->longest_running_s)
      st->longest_running_s = s;
  }
}

void cp_workqueue_stats(struct cp_workqueue *q,
                        struct cp_workqueue_stats *st) {
  pthread_mutex_lock(&q->mu);
  stats_locked(q, st);
  pthread_mutex_unlock(&q->mu);
}

/* Writes name as a Prometheus label value (escaping \ " and newline). */
static void put_label(FILE *out, const char *name) {
  for (; *name != '\0'; name++) {
    if (*name == '\\' || *name == '"')
      fputc('\\', out);
    if (*name == '\n') {
      fputs("\\n", out);
      continue;
    }
    fputc(*name, out);
  }
}

static void put_header(FILE *out, int with_help, const char *metric,
                       const char *type, const char *help) {
  if (with_help)
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

static void put_sample(FILE *out, const char *metric, const char *name,
                       const char *fmt_value, double v) {
  fprintf(out, "%s{name=\"", metric);
  put_label(out, name);
  fputs("\"} ", out);
  fprintf(out, fmt_value, v);
  fputc('\n', out);
}

static void put_histogram(FILE *out, int with_help, const char *metric,
                          const char *help, const char *name,
                          const struct histogram *h) {
  uint64_t cum = 0;
  int i;

  put_header(out, with_help, metric, "histogram", help);
  for (i = 0; i <= N_BUCKETS; i++) {
    cum += h->counts[i];
    fprintf(out, "%s_bucket{name=\"", metric);
    put_label(out, name);
    if (i < N_BUCKETS)
      fprintf(out, "\",le=\"%g\"} %llu\n", bucket_le[i],
              (unsigned long long)cum);
    else
      fprintf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
  }
  fprintf(out, "%s_sum{name=\"", metric);
  put_label(out, name);
  fprintf(out, "\"} %.9g\n%s_count{name=\"", h->sum, metric);
  put_label(out, name);
  fprintf(out, "\"} %llu\n", (unsigned long long)h->count);
}

int cp_workqueue_metrics_write(struct cp_workqueue *q, FILE *out,
                               int with_help) {
  struct cp_workqueue_stats st;
  struct histogram qh, wh;

  pthread_mutex_lock(&q->mu);
  stats_locked(q, &st);
  qh = q->queue_h;
  wh = q->work_h;
  pthread_mutex_unlock(&q->mu);

  put_header(out, with_help, "workqueue_depth", "gauge",
             "Current depth of workqueue");
  put_sample(out, "workqueue_depth", q->name, "%.0f", (double)st.depth);
  put_header(out, with_help, "workqueue_adds_total", "counter",
             "Total number of adds handled by workqueue");
  put_sample(out, "workqueue_adds_total", q->name, "%.0f", (double)st.adds);
  put_histogram(out, with_help, "workqueue_queue_duration_seconds",
                "How long in seconds an item stays in workqueue before "
                "being requested",
                q->name, &qh);
  put_histogram(out, with_help, "workqueue_work_duration_seconds",
                "How long in seconds processing an item from workqueue "
                "takes",
                q->name, &wh);
  put_header(out, with_help, "workqueue_unfinished_work_seconds", "gauge",
             "How many seconds of work has been done that is in progress "
             "and hasn't been observed by work_duration. Large values "
             "indicate stuck threads");
  put_sample(out, "workqueue_unfinished_work_seconds", q->name, "%.9g",
             st.unfinished_work_s);
  put_header(out, with_help, "workqueue_longest_running_processor_seconds",
             "gauge",
             "How many seconds has the longest running processor for "
             "workqueue been running");
  put_sample(out, "workqueue_longest_running_processor_seconds", q->name,
             "%.9g", st.longest_running_s);
  put_header(out, with_help, "workqueue_retries_total", "counter",
             "Total number of retries handled by workqueue");
  put_sample(out, "workqueue_retries_total", q->name, "%.0f",
             (double)st.retries);
  return ferror(out) ? -1 : 0;
}

struct cp_workqueue *cp_workqueue_new(const char *name,
                                      const struct cp_rate_limiter_config *rl) {
  struct cp_workqueue *q = calloc(1, sizeof *q);
  pthread_condattr_t ca;
  int cond_ok = 0;

  if (q == NULL)
    return NULL;
  q->name = strdup(name != NULL ? name : "");
  q->table_cap = MIN_TABLE;
  q->table = calloc(q->table_cap, sizeof *q->table);
  if (q->name == NULL || q->table == NULL)
    goto fail;
  if (pthread_condattr_init(&ca) != 0)
    goto fail;
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (pthread_cond_init(&q->ready_cv, &ca) == 0) {
    if (pthread_cond_init(&q->drain_cv, &ca) == 0)
      cond_ok = 1;
    else
      pthread_cond_destroy(&q->ready_cv);
  }
  pthread_condattr_destroy(&ca);
  if (!cond_ok)
    goto fail;
  {
    /* Adaptive: spin briefly before sleeping, since the critical sections
     * are a few dozen nanoseconds and workers contend on every get. */
    pthread_mutexattr_t ma;

    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&q->mu, &ma);
    pthread_mutexattr_destroy(&ma);
  }
  q->base_ns = rl != NULL && rl->base_delay_ns ? rl->base_delay_ns
                                               : DEFAULT_BASE_NS;
  q->max_ns =
      rl != NULL && rl->max_delay_ns ? rl->max_delay_ns : DEFAULT_MAX_NS;
  q->qps = rl != NULL && rl->qps != 0 ? rl->qps : DEFAULT_QPS;
  q->burst = rl != NULL && rl->burst ? rl->burst : DEFAULT_BURST;
  q->tokens = q->burst;
  q->tokens_ns = now_ns();
  return q;
fail:
  free(q->table);
  free(q->name);
  free(q);
  return NULL;
}

void cp_workqueue_free(struct cp_workqueue *q) {
  size_t i;

  if (q == NULL)
    return;
  for (i = 0; i < q->table_cap; i++)
    free(q->table[i].it);
  free(q->table);
  free(q->heap);
  free(q->name);
  pthread_cond_destroy(&q->ready_cv);
  pthread_cond_destroy(&q->drain_cv);
  pthread_mutex_destroy(&q->mu);
  free(q);
}
