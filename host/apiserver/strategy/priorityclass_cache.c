/*
 * priorityclass_cache - see priorityclass_cache.h.
 */
#include "apiserver/strategy/priorityclass_cache.h"
#include "clock/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TTL_MS 1000

struct cp_pc_cache {
  pthread_mutex_t mu;
  uint64_t epoch;
  struct cp_pc_entry *v; /* NULL: no snapshot */
  size_t n;
  int64_t at_ms;
};

static int64_t now_ms(void) { return cp_now_ms(); }

struct cp_pc_cache *cp_pc_cache_new(void) {
  struct cp_pc_cache *c = calloc(1, sizeof *c);

  if (c != NULL)
    pthread_mutex_init(&c->mu, NULL);
  return c;
}

void cp_pc_cache_free(struct cp_pc_cache *c) {
  if (c == NULL)
    return;
  pthread_mutex_destroy(&c->mu);
  free(c->v);
  free(c);
}

uint64_t cp_pc_cache_epoch(struct cp_pc_cache *c) {
  uint64_t e;

  pthread_mutex_lock(&c->mu);
  e = c->epoch;
  pthread_mutex_unlock(&c->mu);
  return e;
}

/* The entry name (NULL: the default) of the snapshot, or NULL. Under
 * c->mu. */
static const struct cp_pc_entry *lookup(const struct cp_pc_cache *c,
                                        const char *name) {
  const struct cp_pc_entry *best = NULL;
  size_t i;

  for (i = 0; i < c->n; i++) {
    const struct cp_pc_entry *e = &c->v[i];

    if (name != NULL) {
      if (strcmp(e->pc.name, name) == 0)
        return e;
    } else if (e->global_default &&
               (best == NULL || e->pc.value < best->pc.value)) {
      best = e;
    }
  }
  return best;
}

int cp_pc_cache_find(struct cp_pc_cache *c, const char *name,
                     struct cp_priority_class *out) {
  const struct cp_pc_entry *e;
  int rc = -1;

  pthread_mutex_lock(&c->mu);
  if (c->v != NULL && now_ms() - c->at_ms < TTL_MS) {
    e = lookup(c, name);
    if (e != NULL)
      *out = e->pc;
    rc = e != NULL;
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}

void cp_pc_cache_put(struct cp_pc_cache *c, struct cp_pc_entry *v, size_t n,
                     uint64_t epoch) {
  pthread_mutex_lock(&c->mu);
  if (epoch == c->epoch) {
    free(c->v);
    c->v = v;
    c->n = n;
    c->at_ms = now_ms();
    v = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  free(v);
}

void cp_pc_cache_invalidate(struct cp_pc_cache *c) {
  pthread_mutex_lock(&c->mu);
  c->epoch++;
  free(c->v);
  c->v = NULL;
  c->n = 0;
  pthread_mutex_unlock(&c->mu);
}
