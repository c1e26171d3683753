/*
 * quota_batch - see quota_batch.h.
 */
#include "apiserver/quota_batch.h"

#include <pthread.h>
#include <string.h>

/* Namespaces share a stripe by hash, as the per-namespace mutexes before
 * this did: a stripe leads one batch at a time. */
#define STRIPES 16

struct stripe {
  pthread_mutex_t mu;
  int busy;               /* a thread leads a batch */
  struct cp_quota_batch_entry *head, *tail; /* waiting, in join order */
};

static struct stripe stripes[STRIPES] = {
    [0 ... STRIPES - 1] = {PTHREAD_MUTEX_INITIALIZER, 0, NULL, NULL}};

static struct stripe *stripe_of(const char *ns) {
  unsigned h = 2166136261u; /* FNV-1a */

  for (; *ns != '\0'; ns++)
    h = (h ^ (unsigned char)*ns) * 16777619u;
  return &stripes[h % STRIPES];
}

/* Unlinks the waiting entries of me's namespace and server (at most
 * CP_QUOTA_BATCH_MAX) into
 * batch; the others stay queued for the next leader. Under s->mu. */
static size_t take(struct stripe *s, const struct cp_quota_batch_entry *me,
                   struct cp_quota_batch_entry **batch) {
  struct cp_quota_batch_entry **link = &s->head, *e;
  size_t n = 0;

  s->tail = NULL;
  while ((e = *link) != NULL) {
    if (n < CP_QUOTA_BATCH_MAX && e->arg == me->arg &&
        strcmp(e->ns, me->ns) == 0) {
      *link = e->next;
      e->next = NULL;
      batch[n++] = e;
      continue;
    }
    s->tail = e;
    link = &e->next;
  }
  return n;
}

void cp_quota_batch_join(struct cp_quota_batch_entry *me, cp_quota_batch_fn fn,
                         void *arg) {
  struct stripe *s = stripe_of(me->ns);
  struct cp_quota_batch_entry *batch[CP_QUOTA_BATCH_MAX];
  size_t n, i;

  me->arg = arg;
  me->finished = 0;
  me->next = NULL;
  pthread_cond_init(&me->cv, NULL);
  pthread_mutex_lock(&s->mu);
  if (s->tail != NULL)
    s->tail->next = me;
  else
    s->head = me;
  s->tail = me;
  while (!me->finished) {
    if (s->busy) {
      /* Woken when my batch ended, or at the head of the queue when
       * one ended: one wake-up per waiter, not one per batch. */
      pthread_cond_wait(&me->cv, &s->mu);
      continue;
    }
    /* Lead: everything of my namespace that waits, me included. */
    s->busy = 1;
    n = take(s, me, batch);
    pthread_mutex_unlock(&s->mu);
    fn(arg, batch, n);
    pthread_mutex_lock(&s->mu);
    /* Signalled under the mutex: a waiter destroys its cv only after
     * it holds the mutex again and sees finished. */
    for (i = 0; i < n; i++) {
      batch[i]->finished = 1;
      if (batch[i] != me)
        pthread_cond_signal(&batch[i]->cv);
    }
    s->busy = 0;
    if (s->head != NULL)
      pthread_cond_signal(&s->head->cv); /* leads the next batch */
  }
  pthread_mutex_unlock(&s->mu);
  pthread_cond_destroy(&me->cv);
}

int cp_quota_batch_queued(const struct cp_quota_batch_entry *e) {
  struct stripe *s = stripe_of(e->ns);
  const struct cp_quota_batch_entry *q;
  int found = 0;

  pthread_mutex_lock(&s->mu);
  for (q = s->head; q != NULL && !found; q = q->next)
    found = q == e;
  pthread_mutex_unlock(&s->mu);
  return found;
}
