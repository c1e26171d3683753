/*
 * quota_batch - ResourceQuota admission's batching of a namespace's
 * charges, as kube's quota evaluator batches them
 * (k8s.io/apiserver/pkg/admission/plugin/resourcequota: requests that
 * wait on a namespace are checked together and each quota is written
 * once for the batch).
 *
 * A write on an idle stripe (no batch running, nobody waiting) leads a
 * batch of itself at once: no queue, condition variable or wake-up, the
 * common case when writes do not race. Otherwise it joins its
 * namespace's queue; one thread at a time per stripe
 * (namespace hash) takes every write waiting on its namespace and runs
 * the caller's function on them all, while later writes queue behind it.
 * So N racing creates cost one quota read and one compare-and-swap write
 * per quota, not N of each, and each waiter is woken once, when its batch
 * ended (or to lead the next), not at the end of every batch, on its
 * own mutex after the stripe's is released (a woken waiter does not
 * then block on the stripe's mutex), while the charges of a namespace in this
 * server are still made one batch at a time (racing workers would
 * otherwise read the same revision and all but one lose their
 * compare-and-swap).
 *
 * Threading: any thread; cp_quota_batch_join blocks until the entry was
 * processed, by its own thread or another.
 * Ownership: entries are the callers' (on their stacks); the function
 * runs on the thread that leads the batch, with no lock held, and may
 * write into every entry's data until it returns.
 */
#ifndef CPLANE_HOST_APISERVER_QUOTA_BATCH_H
#define CPLANE_HOST_APISERVER_QUOTA_BATCH_H

#include <pthread.h>
#include <stddef.h>

/* Writes led together at most (kube's evaluator takes what waits). */
#define CP_QUOTA_BATCH_MAX 64

struct cp_quota_batch_entry {
  const char *ns; /* the namespace charged */
  void *data;     /* the caller's write */
  /* Internal. */
  void *arg; /* batches hold the entries of one arg (server) only */
  int finished; /* under the stripe's mutex: its batch ended */
  /* A queued entry's wake-ups, under mu (never taken before the
   * stripe's): done, its leader is through with it (it may return);
   * lead, the queue's head when a batch ended. */
  int done, lead;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct cp_quota_batch_entry *next;
};

/* Processes n (1..CP_QUOTA_BATCH_MAX) entries of one namespace, in the
 * order they joined. */
typedef void (*cp_quota_batch_fn)(void *arg,
                                  struct cp_quota_batch_entry **batch,
                                  size_t n);

/* Queues me (ns and data set) and returns once fn(arg, ...) has run on a
 * batch holding it: entries of one namespace joined with the same arg
 * (the server: two servers in one process share no batch). fn must be
 * the same for every entry with that arg. */
void cp_quota_batch_join(struct cp_quota_batch_entry *me, cp_quota_batch_fn fn,
                         void *arg);

/* Whether e (its ns set) waits in its namespace's queue: joined, and not
 * yet taken into a batch. For tests, which order joiners by waiting for
 * this instead of sleeping; the answer may be stale once returned. Any
 * thread. */
int cp_quota_batch_queued(const struct cp_quota_batch_entry *e);

#endif /* CPLANE_HOST_APISERVER_QUOTA_BATCH_H */
