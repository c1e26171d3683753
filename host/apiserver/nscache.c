/*
 * nscache - see nscache.h. A direct-mapped table: a collision just costs
 * a store read.
 */
#include "apiserver/nscache.h"
#include "clock/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 256
#define TTL_MS 1000

struct slot {
  /* a namespace name is a DNS label (63); ServiceAccount admission's
   * "ns/name" keys are at most 63 + 1 + 253 */
  char name[320];
  int terminating;
  uint64_t epoch;
  int64_t at_ms;
};

struct cp_ns_cache {
  pthread_mutex_t mu;
  uint64_t epoch;
  struct slot slots[SLOTS];
};

static int64_t now_ms(void) { return cp_now_ms(); }

static struct slot *slot_for(struct cp_ns_cache *c, const char *name) {
  uint32_t h = 2166136261u;

  for (; *name != '\0'; name++)
    h = (h ^ (unsigned char)*name) * 16777619u;
  return &c->slots[h % SLOTS];
}

struct cp_ns_cache *cp_ns_cache_new(void) {
  struct cp_ns_cache *c = calloc(1, sizeof *c);

  if (c != NULL) {
    pthread_mutex_init(&c->mu, NULL);
    c->epoch = 1; /* slots start at 0: never valid */
  }
  return c;
}

void cp_ns_cache_free(struct cp_ns_cache *c) {
  if (c == NULL)
    return;
  pthread_mutex_destroy(&c->mu);
  free(c);
}

uint64_t cp_ns_cache_epoch(struct cp_ns_cache *c) {
  uint64_t e;

  pthread_mutex_lock(&c->mu);
  e = c->epoch;
  pthread_mutex_unlock(&c->mu);
  return e;
}

int cp_ns_cache_get(struct cp_ns_cache *c, const char *name,
                    int *terminating) {
  struct slot *s;
  int hit;

  if (strlen(name) >= sizeof s->name)
    return 0;
  s = slot_for(c, name);
  pthread_mutex_lock(&c->mu);
  hit = s->epoch == c->epoch && strcmp(s->name, name) == 0 &&
        now_ms() - s->at_ms < TTL_MS;
  if (hit)
    *terminating = s->terminating;
  pthread_mutex_unlock(&c->mu);
  return hit;
}

void cp_ns_cache_put(struct cp_ns_cache *c, const char *name, int terminating,
                     uint64_t epoch) {
  struct slot *s;

  if (strlen(name) >= sizeof s->name)
    return;
  s = slot_for(c, name);
  pthread_mutex_lock(&c->mu);
  if (epoch == c->epoch) {
    strcpy(s->name, name);
    s->terminating = terminating;
    s->epoch = epoch;
    s->at_ms = now_ms();
  }
  pthread_mutex_unlock(&c->mu);
}

void cp_ns_cache_invalidate(struct cp_ns_cache *c) {
  pthread_mutex_lock(&c->mu);
  c->epoch++;
  pthread_mutex_unlock(&c->mu);
}
