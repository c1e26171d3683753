/*
 * quota_batch - see quota_batch.h.
 */
#include "apiserver/quota_batch.h"

#include <pthread.h>
#include <string.h>

#include "log/assert.h"

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

/* Wakes a queued entry (its own mutex: lock order stripe, then entry).
 * A done entry may return and free itself as soon as its mutex is
 * released: nothing touches it after. */
static void wake(struct cp_quota_batch_entry *e, int done) {
  pthread_mutex_lock(&e->mu);
  if (done)
    e->done = 1;
  else
    e->lead = 1;
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

/* Sleeps until woken (done or lead; not under the stripe's mutex).
 * Returns done. */
static int wait_woken(struct cp_quota_batch_entry *me, int done_only) {
  int done;

  pthread_mutex_lock(&me->mu);
  while (!me->done && (done_only || !me->lead))
    pthread_cond_wait(&me->cv, &me->mu);
  me->lead = 0;
  done = me->done;
  pthread_mutex_unlock(&me->mu);
  return done;
}

/* Ends a batch of s (under s->mu): the queue's head, if any, leads the
 * next. The head is woken under s->mu: queued, it cannot have returned. */
static void batch_ended(struct stripe *s) {
  s->busy = 0;
  if (s->head != NULL)
    wake(s->head, 0);
}

/* The stripe is idle and nobody waits: me leads a batch of itself at
 * once, with no queue, condition variable or wake-up. Entered and left
 * under s->mu; writes joining meanwhile queue as behind any batch. */
static void lead_alone(struct stripe *s, struct cp_quota_batch_entry *me,
                       cp_quota_batch_fn fn, void *arg) {
  struct cp_quota_batch_entry *batch[1] = {me};

  CP_ASSERT(!s->busy && s->head == NULL);
  s->busy = 1;
  pthread_mutex_unlock(&s->mu);
  fn(arg, batch, 1);
  pthread_mutex_lock(&s->mu);
  me->finished = 1;
  batch_ended(s);
}

/* me (queued) leads everything of its namespace that waits, itself
 * included unless CP_QUOTA_BATCH_MAX others of it joined first. Entered
 * under s->mu, left without it; then wakes the others of the batch,
 * each once, after the stripe's mutex is released. Returns whether me
 * was in the batch. */
static int lead_queued(struct stripe *s, struct cp_quota_batch_entry *me,
                        cp_quota_batch_fn fn, void *arg) {
  struct cp_quota_batch_entry *batch[CP_QUOTA_BATCH_MAX];
  size_t n, i;
  int mine = 0;

  s->busy = 1;
  n = take(s, me, batch);
  CP_ASSERT(n >= 1);
  pthread_mutex_unlock(&s->mu);
  fn(arg, batch, n);
  pthread_mutex_lock(&s->mu);
  for (i = 0; i < n; i++)
    batch[i]->finished = 1;
  batch_ended(s);
  pthread_mutex_unlock(&s->mu);
  /* Out of the queue, these are woken by this leader only. */
  for (i = 0; i < n; i++) {
    if (batch[i] == me)
      mine = 1;
    else
      wake(batch[i], 1);
  }
  return mine;
}

void cp_quota_batch_join(struct cp_quota_batch_entry *me, cp_quota_batch_fn fn,
                         void *arg) {
  struct stripe *s = stripe_of(me->ns);

  me->arg = arg;
  me->finished = 0;
  me->next = NULL;
  pthread_mutex_lock(&s->mu);
  if (!s->busy && s->head == NULL) {
    lead_alone(s, me, fn, arg);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  /* Others lead or wait (a head woken to lead has not run yet): queue. */
  me->done = me->lead = 0;
  pthread_mutex_init(&me->mu, NULL);
  pthread_cond_init(&me->cv, NULL);
  if (s->tail != NULL)
    s->tail->next = me;
  else
    s->head = me;
  s->tail = me;
  for (;;) {
    if (me->finished) {
      /* Another led my batch: it wakes me once it is through with me. */
      pthread_mutex_unlock(&s->mu);
      wait_woken(me, 1);
      break;
    }
    if (!s->busy) {
      if (lead_queued(s, me, fn, arg))
        break;
      pthread_mutex_lock(&s->mu); /* still queued: a batch was full */
      continue;
    }
    /* Woken when my batch ended, or at the head of the queue when one
     * ended: one wake-up per waiter, not one per batch. */
    pthread_mutex_unlock(&s->mu);
    if (wait_woken(me, 0))
      break;
    pthread_mutex_lock(&s->mu);
  }
  pthread_cond_destroy(&me->cv);
  pthread_mutex_destroy(&me->mu);
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
