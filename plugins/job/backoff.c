/*
 * backoff - the failed pods' exponential delay. See backoff.h.
 */
#include "backoff.h"

/* Pods are added in any order: a success resets the count of failures
 * before it, so failures are kept with their times relative to the last
 * success by recounting only those after it. To stay O(1) per pod, the
 * caller adds successes first (they only move last_success_ms), then
 * failures. */
void job_backoff_add(struct job_backoff *b, int failed, int64_t finish_ms) {
  if (!failed) {
    if (finish_ms > b->last_success_ms)
      b->last_success_ms = finish_ms;
    return;
  }
  if (finish_ms < b->last_success_ms)
    return; /* before the last success: forgiven */
  b->failures++;
  if (finish_ms > b->last_failure_ms)
    b->last_failure_ms = finish_ms;
}

int64_t job_backoff_remaining_ms(const struct job_backoff *b, int64_t now_ms,
                                 int64_t base_ms, int64_t max_ms) {
  int64_t delay = base_ms, left;
  int i;

  if (b->failures == 0)
    return 0;
  for (i = 1; i < b->failures && delay < max_ms; i++)
    delay *= 2;
  if (delay > max_ms)
    delay = max_ms;
  left = b->last_failure_ms + delay - now_ms;
  return left > 0 ? left : 0;
}
