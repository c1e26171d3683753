/*
 * queue - the fake clock and the plugin's work queue: keys with a due
 * time on that clock, deduplicated as the host's queue does (a key
 * already waiting only moves earlier), run by the test one at a time.
 * The result of each reconcile is acted on as the host's controller does,
 * with its per-key backoff (5 ms doubling, capped at 1000 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kit.h"

#define BACKOFF_BASE_MS 5
#define BACKOFF_MAX_MS 1000000
#define DRAIN_LIMIT 10000

/* ---- the clock ---- */

int64_t cplane_test_now_ms(const cplane_test_host *h) {
  return h != NULL ? h->now_ms : 0;
}

void cplane_test_clock_set_ms(cplane_test_host *h, int64_t ms) {
  if (h == NULL)
    return;
  pthread_mutex_lock(&h->mu);
  h->now_ms = ms;
  pthread_mutex_unlock(&h->mu);
}

void cplane_test_clock_advance_ms(cplane_test_host *h, int64_t ms) {
  if (h == NULL || ms < 0)
    return;
  pthread_mutex_lock(&h->mu);
  h->now_ms += ms;
  pthread_mutex_unlock(&h->mu);
}

char *cplane_test_rfc3339(int64_t ms, char *buf, size_t len) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;

  if (buf == NULL || len == 0)
    return buf;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    buf[0] = '\0';
  return buf;
}

static int64_t kit_now_ms(cplane_plugin_ctx *ctx) {
  struct cplane_test_host *h = ctx != NULL ? ctx->host : NULL;
  int64_t now;

  if (h == NULL)
    return 0;
  pthread_mutex_lock(&h->mu);
  now = h->now_ms;
  pthread_mutex_unlock(&h->mu);
  return now;
}

/* ---- the queue, under mu ---- */

static struct kit_qitem *item_find(const struct cplane_test_host *h,
                                   const char *key) {
  size_t i;

  for (i = 0; key != NULL && i < h->n_queue; i++)
    if (strcmp(h->queue[i].key, key) == 0)
      return &h->queue[i];
  return NULL;
}

static struct kit_qitem *item_get(struct cplane_test_host *h, const char *key) {
  struct kit_qitem *q = item_find(h, key), *grown;

  if (q != NULL)
    return q;
  grown = realloc(h->queue, (h->n_queue + 1) * sizeof *grown);
  if (grown == NULL)
    return NULL;
  h->queue = grown;
  q = &h->queue[h->n_queue];
  memset(q, 0, sizeof *q);
  if ((q->key = strdup(key)) == NULL)
    return NULL;
  h->n_queue++;
  return q;
}

int kit_queue_add(struct cplane_test_host *h, const char *key,
                  int64_t delay_ms) {
  struct kit_qitem *q = item_get(h, key);
  int64_t due = h->now_ms + delay_ms;

  if (q == NULL)
    return CPLANE_ENOMEM;
  if (!q->queued || due < q->due_ms) {
    q->due_ms = due;
    q->seq = h->next_seq++;
  }
  q->queued = 1;
  return CPLANE_OK;
}

static int kit_enqueue_after(cplane_plugin_ctx *ctx, const char *key,
                             uint32_t delay_ms) {
  struct cplane_test_host *h = ctx != NULL ? ctx->host : NULL;
  int rc;

  if (h == NULL || key == NULL || key[0] == '\0')
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  rc = kit_queue_add(h, key, delay_ms);
  pthread_mutex_unlock(&h->mu);
  return rc;
}

static int kit_enqueue(cplane_plugin_ctx *ctx, const char *key) {
  return kit_enqueue_after(ctx, key, 0);
}

/* ---- inspection ---- */

int cplane_test_queued(const cplane_test_host *h, const char *key) {
  const struct kit_qitem *q = h != NULL ? item_find(h, key) : NULL;

  return q != NULL && q->queued;
}

int64_t cplane_test_queued_delay_ms(const cplane_test_host *h,
                                    const char *key) {
  const struct kit_qitem *q = h != NULL ? item_find(h, key) : NULL;

  if (q == NULL || !q->queued)
    return -1;
  return q->due_ms > h->now_ms ? q->due_ms - h->now_ms : 0;
}

size_t cplane_test_queue_len(const cplane_test_host *h) {
  size_t i, n = 0;

  for (i = 0; h != NULL && i < h->n_queue; i++)
    n += h->queue[i].queued != 0;
  return n;
}

/* ---- running reconcile ---- */

/* Acts on a reconcile's result for key. With mu. */
static void after_reconcile(struct cplane_test_host *h, const char *key,
                            int result, uint32_t requeue_ms) {
  struct kit_qitem *q = item_get(h, key);
  int64_t backoff;

  if (q == NULL)
    return;
  if (result == CPLANE_RECONCILE_REQUEUE_AFTER && requeue_ms > 0) {
    q->failures = 0;
    kit_queue_add(h, key, requeue_ms);
    return;
  }
  if (result == CPLANE_RECONCILE_RETRY ||
      result == CPLANE_RECONCILE_REQUEUE_AFTER) {
    backoff = BACKOFF_BASE_MS;
    for (unsigned i = 0; i < q->failures && backoff < BACKOFF_MAX_MS; i++)
      backoff *= 2;
    if (backoff > BACKOFF_MAX_MS)
      backoff = BACKOFF_MAX_MS;
    q->failures++;
    kit_queue_add(h, key, backoff);
    return;
  }
  q->failures = 0;
}

int cplane_test_reconcile(cplane_test_host *h, const char *key,
                          uint32_t *requeue_after_ms) {
  uint32_t requeue = 0;
  struct kit_qitem *q;
  int result;

  if (requeue_after_ms != NULL)
    *requeue_after_ms = 0;
  if (h == NULL || key == NULL)
    return CPLANE_EINVAL;
  if (!h->started || h->plugin->reconcile == NULL)
    return CPLANE_EUNAVAILABLE;
  pthread_mutex_lock(&h->mu);
  if ((q = item_find(h, key)) != NULL)
    q->queued = 0;
  pthread_mutex_unlock(&h->mu);
  result = h->plugin->reconcile(&h->ctx, key, &requeue);
  if (result == CPLANE_RECONCILE_REQUEUE_AFTER && requeue == 0)
    kit_log(h, "KIT",
            "%s: REQUEUE_AFTER with a 0 ms delay: treated as a "
            "retry with backoff",
            key);
  if (result < CPLANE_RECONCILE_DONE || result > CPLANE_RECONCILE_TERMINAL)
    kit_log(h, "KIT",
            "%s: reconcile returned %d, not a "
            "CPLANE_RECONCILE_* value",
            key, result);
  pthread_mutex_lock(&h->mu);
  after_reconcile(h, key, result, requeue);
  pthread_mutex_unlock(&h->mu);
  if (requeue_after_ms != NULL && result == CPLANE_RECONCILE_REQUEUE_AFTER)
    *requeue_after_ms = requeue;
  return result;
}

/* The due key that came first, copied into buf; 0 when none is due. */
static int next_due(struct cplane_test_host *h, char *buf, size_t len) {
  const struct kit_qitem *best = NULL;
  size_t i;

  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_queue; i++) {
    const struct kit_qitem *q = &h->queue[i];

    if (!q->queued || q->due_ms > h->now_ms)
      continue;
    if (best == NULL || q->due_ms < best->due_ms ||
        (q->due_ms == best->due_ms && q->seq < best->seq))
      best = q;
  }
  if (best != NULL)
    snprintf(buf, len, "%s", best->key);
  pthread_mutex_unlock(&h->mu);
  return best != NULL;
}

int cplane_test_drain(cplane_test_host *h) {
  char key[1024];
  int runs = 0;

  if (h == NULL)
    return CPLANE_EINVAL;
  if (!h->started)
    return CPLANE_EUNAVAILABLE;
  for (;;) {
    kit_deliver(h);
    if (!next_due(h, key, sizeof key))
      return runs;
    if (runs == DRAIN_LIMIT) {
      kit_log(h, "KIT",
              "drain: %d reconciles and keys still due (%s): the "
              "plugin never settles",
              DRAIN_LIMIT, key);
      return CPLANE_ERANGE;
    }
    cplane_test_reconcile(h, key, NULL);
    runs++;
  }
}

void kit_queue_fill(struct cplane_host_api *api) {
  api->enqueue = kit_enqueue;
  api->enqueue_after = kit_enqueue_after;
  api->now_ms = kit_now_ms;
}

void kit_queue_free(struct cplane_test_host *h) {
  size_t i;

  for (i = 0; i < h->n_queue; i++)
    free(h->queue[i].key);
  free(h->queue);
}
