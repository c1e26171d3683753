/*
 * backoff - kube's exponential delay before a failed Job pod is replaced
 * (backoff_utils.go): after k failures since the last success, wait
 * base * 2^(k-1), at most max, counted from the last failure's finish.
 * Derived from the pods themselves (their finish times), so a restarted
 * controller computes the same delay.
 *
 * Threading: pure functions.
 */
#ifndef JOB_BACKOFF_H
#define JOB_BACKOFF_H

#include <stdint.h>

#define JOB_BACKOFF_BASE_MS 10000        /* kube: 10s */
#define JOB_BACKOFF_MAX_MS (360 * 1000)  /* 6 minutes (Job docs) */

struct job_backoff {
  int failures;             /* failed pods finished after the last success */
  int64_t last_failure_ms;  /* the latest of their finish times */
  int64_t last_success_ms;  /* the latest success's finish time, or 0 */
};

/* Adds one finished pod: failed (1) or succeeded (0) at finish_ms. */
void job_backoff_add(struct job_backoff *b, int failed, int64_t finish_ms);
/* Milliseconds still to wait before creating a pod at now_ms (0: none). */
int64_t job_backoff_remaining_ms(const struct job_backoff *b, int64_t now_ms,
                                 int64_t base_ms, int64_t max_ms);

#endif
