/*
 * event_correlator - see event_correlator.h.
 *
 * The caches are arrays scanned in full: at most 4096 entries, each with
 * the hash of its key so that almost every comparison stops there (keys
 * share long prefixes: component, host, kind, namespace).
 */
#include "plugin/event_correlator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "informer/ptab.h"

/* One entry of a cache; each cache uses its own fields. */
struct slot {
  char *key;
  uint32_t hash;                        /* of key */
  uint64_t used;                        /* LRU tick */
  int64_t last_ms;                      /* aggregation */
  char *locals[CP_EVENT_AGGREGATE_MAX]; /* aggregation: messages seen */
  size_t n_locals;
  char *name;                           /* dedup: the Event written */
  int64_t count, first_ms;
  double tokens;                        /* spam */
  int64_t refill_ms;
};

struct cache {
  struct slot *slots; /* CP_EVENT_CACHE_MAX, allocated on first use */
  size_t n;
};

struct cp_event_correlator {
  struct cache agg, log, spam;
  uint64_t tick; /* LRU clock */
  uint64_t seq;  /* names Events apart within one millisecond */
};

struct cp_event_correlator *cp_event_correlator_new(void) {
  return calloc(1, sizeof(struct cp_event_correlator));
}

static void slot_clear(struct slot *s) {
  size_t i;

  free(s->key);
  for (i = 0; i < s->n_locals; i++)
    free(s->locals[i]);
  free(s->name);
  memset(s, 0, sizeof *s);
}

static void cache_free(struct cache *c) {
  size_t i;

  for (i = 0; i < c->n; i++)
    slot_clear(&c->slots[i]);
  free(c->slots);
}

void cp_event_correlator_free(struct cp_event_correlator *c) {
  if (c == NULL)
    return;
  cache_free(&c->agg);
  cache_free(&c->log);
  cache_free(&c->spam);
  free(c);
}

/* The entry of key, made (cleared, *fresh set) in place of the least
 * recently used one when the cache is full. NULL when out of memory. */
static struct slot *cache_get(struct cp_event_correlator *c, struct cache *t,
                              const char *key, int *fresh) {
  uint32_t hash = cp_ptab_hash(key);
  struct slot *s;
  size_t i, lru = 0;

  *fresh = 0;
  for (i = 0; i < t->n; i++) {
    if (t->slots[i].hash == hash && strcmp(t->slots[i].key, key) == 0) {
      t->slots[i].used = ++c->tick;
      return &t->slots[i];
    }
    if (t->slots[i].used < t->slots[lru].used)
      lru = i;
  }
  if (t->slots == NULL &&
      (t->slots = calloc(CP_EVENT_CACHE_MAX, sizeof *t->slots)) == NULL)
    return NULL;
  if (t->n < CP_EVENT_CACHE_MAX)
    s = &t->slots[t->n++];
  else
    slot_clear(s = &t->slots[lru]);
  if ((s->key = strdup(key)) == NULL) {
    *s = t->slots[--t->n]; /* give the slot back (it may be the last) */
    memset(&t->slots[t->n], 0, sizeof *s);
    return NULL;
  }
  s->hash = hash;
  s->used = ++c->tick;
  *fresh = 1;
  return s;
}

static const char *or_empty(const char *s) { return s != NULL ? s : ""; }

/* kube's keys, joined with a separator no field holds. level 0: the spam
 * key (source + object); 1: the aggregate key (+ type, reason); 2: the
 * event key (+ message). malloc'd; NULL when out of memory. */
static char *make_key(const struct cp_event_fields *f, int level) {
  char *k = NULL;

  if (asprintf(&k, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
               or_empty(f->component), or_empty(f->host), or_empty(f->kind),
               or_empty(f->ns), or_empty(f->name), or_empty(f->uid),
               or_empty(f->api_version), level > 0 ? or_empty(f->type) : "",
               level > 0 ? or_empty(f->reason) : "",
               level > 1 ? or_empty(f->message) : "") < 0)
    return NULL;
  return k;
}

static int has_local(const struct slot *s, const char *m) {
  size_t i;

  for (i = 0; i < s->n_locals; i++)
    if (strcmp(s->locals[i], m) == 0)
      return 1;
  return 0;
}

/* EventAggregate: once CP_EVENT_AGGREGATE_MAX different messages of one
 * group were seen within the window, *key becomes the group's key and
 * d->message the combined message. Returns 0 or -1 (out of memory). */
static int aggregate(struct cp_event_correlator *c,
                     const struct cp_event_fields *f, char **key,
                     struct cp_event_decision *d) {
  char *agg_key = make_key(f, 1);
  struct slot *s;
  int fresh, r = -1;
  size_t i;

  if (agg_key == NULL || (s = cache_get(c, &c->agg, agg_key, &fresh)) == NULL)
    goto out;
  if (!fresh && f->ms - s->last_ms > CP_EVENT_AGGREGATE_WINDOW_MS) {
    for (i = 0; i < s->n_locals; i++)
      free(s->locals[i]);
    s->n_locals = 0;
  }
  s->last_ms = f->ms;
  if (!has_local(s, or_empty(f->message)) &&
      s->n_locals < CP_EVENT_AGGREGATE_MAX &&
      (s->locals[s->n_locals] = strdup(or_empty(f->message))) != NULL)
    s->n_locals++;
  r = 0;
  if (s->n_locals < CP_EVENT_AGGREGATE_MAX)
    goto out;
  /* Do not grow the set past the bound (kube's PopAny). */
  free(s->locals[--s->n_locals]);
  free(*key);
  *key = agg_key;
  agg_key = NULL;
  free(d->message);
  if (asprintf(&d->message, "(combined from similar events): %s",
               or_empty(f->message)) < 0) {
    d->message = NULL;
    r = -1;
  }
out:
  free(agg_key);
  return r;
}

/* eventObserve: a key seen before continues its Event; the entry is
 * updated at once, as kube's is. Returns 0 or -1. */
static int observe(struct cp_event_correlator *c,
                   const struct cp_event_fields *f, const char *key,
                   struct cp_event_decision *d) {
  int fresh;
  struct slot *s = cache_get(c, &c->log, key, &fresh);

  if (s == NULL)
    return -1;
  if (s->name != NULL) {
    d->count = s->count + 1;
    d->first_ms = s->first_ms;
    d->name = strdup(s->name);
  } else {
    /* kube names it "<object>.<UnixNano in hex>". */
    d->count = 1;
    d->first_ms = f->ms;
    if (asprintf(&d->name, "%s.%llx", or_empty(f->name),
                 (unsigned long long)f->ms * 1000000ull +
                     c->seq++ % 1000000u) < 0)
      d->name = NULL;
    if (d->name != NULL && (s->name = strdup(d->name)) == NULL)
      return -1;
  }
  s->count = d->count;
  s->first_ms = d->first_ms;
  return d->name != NULL ? 0 : -1;
}

/* The spam filter: 1 when the bucket of f's source + object has a token
 * to spend. Returns 1 too when there is no memory for the bucket. */
static int spam_allows(struct cp_event_correlator *c,
                       const struct cp_event_fields *f) {
  char *key = make_key(f, 0);
  int fresh = 0, allowed = 1;
  struct slot *s = key != NULL ? cache_get(c, &c->spam, key, &fresh) : NULL;

  free(key);
  if (s == NULL)
    return 1;
  if (fresh) { /* a new bucket starts full */
    s->tokens = CP_EVENT_SPAM_BURST;
    s->refill_ms = f->ms;
  }
  if (f->ms > s->refill_ms) {
    s->tokens += (double)(f->ms - s->refill_ms) / CP_EVENT_SPAM_REFILL_MS;
    if (s->tokens > CP_EVENT_SPAM_BURST)
      s->tokens = CP_EVENT_SPAM_BURST;
    s->refill_ms = f->ms;
  }
  if (s->tokens < 1.0)
    allowed = 0;
  else
    s->tokens -= 1.0;
  return allowed;
}

int cp_event_correlate(struct cp_event_correlator *c,
                       const struct cp_event_fields *f,
                       struct cp_event_decision *d) {
  char *key = make_key(f, 2);

  memset(d, 0, sizeof *d);
  d->message = strdup(or_empty(f->message));
  if (key == NULL || d->message == NULL || aggregate(c, f, &key, d) < 0 ||
      observe(c, f, key, d) < 0) {
    free(key);
    cp_event_decision_clear(d);
    return -1;
  }
  free(key);
  return spam_allows(c, f);
}

void cp_event_decision_clear(struct cp_event_decision *d) {
  free(d->name);
  free(d->message);
  d->name = d->message = NULL;
}
