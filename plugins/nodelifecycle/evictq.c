/*
 * evictq - the eviction FIFO and its token bucket. See evictq.h.
 */
#include "evictq.h"

#include <stdlib.h>
#include <string.h>

uint32_t nl_ms_until(double t, double now) {
  double ms = (t - now) * 1000 + 1;

  return ms < 1 ? 1 : ms > 3.6e6 ? 3600000u : (uint32_t)ms;
}

int nl_evictq_init(struct nl_evictq *q, double rate, double burst, double now) {
  memset(q, 0, sizeof *q);
  if (cplane_sset_init(&q->queued) != 0)
    return CPLANE_ENOMEM;
  if (pthread_mutex_init(&q->mu, NULL) != 0) {
    cplane_sset_free(&q->queued);
    return CPLANE_ERR;
  }
  q->eviction_rate = rate;
  q->burst = burst;
  q->tokens = burst;
  q->refilled_at = now;
  return CPLANE_OK;
}

void nl_evictq_free(struct nl_evictq *q) {
  struct nl_evictee *e, *next;

  for (e = q->head; e != NULL; e = next) {
    next = e->next_in_fifo;
    free(e);
  }
  cplane_sset_free(&q->queued);
  pthread_mutex_destroy(&q->mu);
}

/* Queues pod `key` for eviction unless it is queued already. Returns 1
 * when it was added. */
int nl_evictq_push(struct nl_evictq *lc, const char *key) {
  struct nl_evictee *e;
  size_t len = strlen(key);
  int added = 0;

  pthread_mutex_lock(&lc->mu);
  /* Out of memory either way: the next node check finds it again. */
  if (cplane_sset_add(&lc->queued, key) != 1)
    goto out;
  if ((e = malloc(sizeof *e + len + 1)) == NULL) {
    cplane_sset_del(&lc->queued, key);
    goto out;
  }
  memcpy(e->key, key, len + 1);
  e->next_in_fifo = NULL;
  if (lc->tail != NULL)
    lc->tail->next_in_fifo = e;
  else
    lc->head = e;
  lc->tail = e;
  added = 1;
out:
  pthread_mutex_unlock(&lc->mu);
  return added;
}

/* Takes the oldest entry if a token is there for it; the caller frees it.
 * Else sets *wait_ms to when to look again (0: the FIFO is empty). */
struct nl_evictee *nl_evictq_pop(struct nl_evictq *lc, double now,
                                 uint32_t *wait_ms) {
  struct nl_evictee *e = NULL;

  *wait_ms = 0;
  pthread_mutex_lock(&lc->mu);
  lc->tokens += (now - lc->refilled_at) * lc->eviction_rate;
  if (lc->tokens > lc->burst)
    lc->tokens = lc->burst;
  lc->refilled_at = now;
  if (lc->head == NULL)
    goto out;
  if (lc->tokens < 1) {
    *wait_ms = nl_ms_until(now + (1 - lc->tokens) / lc->eviction_rate, now);
    goto out;
  }
  e = lc->head;
  if ((lc->head = e->next_in_fifo) == NULL)
    lc->tail = NULL;
  cplane_sset_del(&lc->queued, e->key);
out:
  pthread_mutex_unlock(&lc->mu);
  return e;
}

/* An eviction was sent: it used up a token. */
void nl_evictq_spent(struct nl_evictq *lc) {
  pthread_mutex_lock(&lc->mu);
  lc->tokens -= 1;
  pthread_mutex_unlock(&lc->mu);
}
