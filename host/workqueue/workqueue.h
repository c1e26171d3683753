/*
 * workqueue - a controller's queue of keys to reconcile, with client-go's
 * guarantees: a key is queued at most once and processed by at most one
 * worker at a time, and an add made while the key is being processed is
 * kept and delivered after done(). Delayed adds sit on a timer heap (a key
 * already waiting only ever moves earlier); rate-limited adds wait
 * max(per-key exponential backoff, global token bucket).
 *
 * Fairness: ready keys leave in FIFO order, and a key in backoff waits on
 * the heap, never in the ready queue, so it cannot hold back fresh keys.
 *
 * Threading: every function is thread-safe. get() blocks until a key is
 * ready or the queue shuts down. free() must only be called once no thread
 * is inside get() (join the workers first).
 *
 * Ownership: keys are copied on add. get() returns a borrowed key that
 * stays valid until the matching done().
 */
#ifndef CPLANE_HOST_WORKQUEUE_H
#define CPLANE_HOST_WORKQUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cp_workqueue;

/* Rate limiter of add_rate_limited(): delay = max(base * 2^failures capped
 * at max, the token bucket's wait). Zero fields take the defaults, which
 * are client-go's DefaultControllerRateLimiter: 5 ms, 1000 s, 10 qps,
 * burst 100. A negative qps disables the bucket. */
struct cp_rate_limiter_config {
  uint64_t base_delay_ns;
  uint64_t max_delay_ns;
  double qps;
  uint32_t burst;
};

/* Counters since creation (monotonic) and current gauges. */
struct cp_workqueue_stats {
  uint64_t adds;            /* accepted add() calls, incl. from timers */
  uint64_t retries;         /* add_rate_limited calls (not add_after:
                               a planned requeue is no retry) */
  uint64_t gets;            /* keys handed to workers */
  size_t depth;             /* keys ready in the queue */
  size_t waiting;           /* keys on the timer heap */
  size_t processing;        /* keys held by workers */
  double unfinished_work_s; /* sum of the processing keys' run times */
  double longest_running_s; /* longest run time among them */
};

/* Creates a queue. `name` labels the metrics (copied). rl may be NULL for
 * the defaults. Returns an owned queue, or NULL when out of memory. */
struct cp_workqueue *cp_workqueue_new(const char *name,
                                      const struct cp_rate_limiter_config *rl);
/* Frees the queue and every key in it. No thread may be using it. */
void cp_workqueue_free(struct cp_workqueue *q);

/* Marks key for processing. Returns CPLANE_OK (also when it was already
 * queued), CPLANE_ESHUTDOWN after shutdown, CPLANE_EINVAL for a NULL or
 * empty key, CPLANE_ENOMEM. */
int cp_workqueue_add(struct cp_workqueue *q, const char *key);
/* Adds key after delay_ns (0 = now). If key is already waiting, the
 * earlier of the two deadlines wins. Returns as add(). */
int cp_workqueue_add_after(struct cp_workqueue *q, const char *key,
                           uint64_t delay_ns);
/* add_after(key, the rate limiter's delay for key) and counts a failure
 * for key. Returns as add(). */
int cp_workqueue_add_rate_limited(struct cp_workqueue *q, const char *key);
/* Clears key's failure count (its backoff starts again at the base). */
void cp_workqueue_forget(struct cp_workqueue *q, const char *key);
/* Failures counted for key since the last forget(). */
int cp_workqueue_num_requeues(struct cp_workqueue *q, const char *key);

/* Blocks until a key is ready and hands it to the caller, who must call
 * done() with it. Returns NULL once the queue is shut down (after a drain,
 * once the queue is empty). */
const char *cp_workqueue_get(struct cp_workqueue *q);
/* Ends the processing of key (the pointer get() returned or an equal
 * string). If key was added meanwhile it goes back on the queue. */
void cp_workqueue_done(struct cp_workqueue *q, const char *key);

/* Refuses further adds, drops waiting and queued keys and wakes every
 * get() with NULL. Keys being processed still take their done(). Unlike
 * client-go, queued keys are not drained: a stopping controller should
 * stop promptly, and the informer re-lists on the next start. */
void cp_workqueue_shutdown(struct cp_workqueue *q);
/* Refuses further adds and drops waiting keys, lets workers drain the
 * ready queue, and waits up to timeout_ns for every key to be done; then
 * shuts down as above. Returns CPLANE_OK when drained, CPLANE_ERR on
 * timeout. */
int cp_workqueue_shutdown_drain(struct cp_workqueue *q, uint64_t timeout_ns);
int cp_workqueue_is_shutdown(struct cp_workqueue *q);
/* Paused (nonzero), every get() returns NULL at once, as after shutdown,
 * but nothing is dropped: adds, delayed adds and done() of the keys being
 * processed go on as usual, and resuming (0) hands the queue to a new set
 * of workers with every key, backoff and failure count it had (a hot
 * plugin upgrade moves the queue from the old build to the new). */
void cp_workqueue_pause(struct cp_workqueue *q, int paused);

/* Keys ready in the queue (not waiting, not processing). */
size_t cp_workqueue_len(struct cp_workqueue *q);
void cp_workqueue_stats(struct cp_workqueue *q, struct cp_workqueue_stats *st);
/* Writes the queue's Prometheus metrics (controllers.md §5 names, label
 * name="..."). with_help adds # HELP / # TYPE lines: pass it for the first
 * queue of a scrape only. Returns 0, or -1 on a write error. */
int cp_workqueue_metrics_write(struct cp_workqueue *q, FILE *out,
                               int with_help);

#endif /* CPLANE_HOST_WORKQUEUE_H */
