/*
 * evictq - the eviction FIFO and its token bucket: pods whose toleration
 * ran out wait here, each once however often a node check finds it, and
 * leave at most `eviction_rate` per second with bursts of `burst`.
 *
 * Ownership: the queue owns its entries; a popped entry is the caller's
 * (free()).
 * Threading: every call but init and free may come from any worker at
 * once; one mutex guards the queue, held only for list operations.
 */
#ifndef NL_EVICTQ_H
#define NL_EVICTQ_H

#include <cplane/cplane.h>

#include <pthread.h>

struct nl_evictee {
  struct nl_evictee *next_in_fifo;
  char key[];
};

struct nl_evictq {
  double eviction_rate; /* pods per second */
  double burst;         /* most evictions back to back */
  pthread_mutex_t mu;   /* guards everything below */
  struct nl_evictee *head, *tail;
  struct cplane_sset queued; /* the keys in the FIFO */
  double tokens, refilled_at;
};

/* Milliseconds from now until t (seconds), at least 1, at most an
 * hour. */
uint32_t nl_ms_until(double t, double now);

/* An empty queue whose bucket is full at `now`. CPLANE_OK, CPLANE_ENOMEM
 * or CPLANE_ERR. */
int nl_evictq_init(struct nl_evictq *q, double rate, double burst, double now);
void nl_evictq_free(struct nl_evictq *q);
/* Queues pod `key` unless it is queued already. 1 when it was added. */
int nl_evictq_push(struct nl_evictq *q, const char *key);
/* Takes the oldest entry if a token is there for it at `now` (seconds).
 * Else NULL, with *wait_ms when to look again (0: the FIFO is empty). */
struct nl_evictee *nl_evictq_pop(struct nl_evictq *q, double now,
                                 uint32_t *wait_ms);
/* An eviction was sent: it used up a token. */
void nl_evictq_spent(struct nl_evictq *q);

#endif
