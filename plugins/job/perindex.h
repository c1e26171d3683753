/*
 * perindex - backoffLimitPerIndex of an Indexed Job (KEP-3850): how many
 * times each index failed, which indexes failed for good (more failures
 * than the limit, or a FailIndex podFailurePolicy rule), and when each
 * may be retried. The count travels on the pods: a replacement carries
 * batch.kubernetes.io/job-index-failure-count, the failures of its index
 * before it; an index's count is the highest any of its pods shows (a
 * failed pod's own failure added when it counts).
 *
 * Ownership: the arrays are the struct's (job_index_failures_free).
 * Threading: pure functions of borrowed objects.
 */
#ifndef JOB_PERINDEX_H
#define JOB_PERINDEX_H

#include "spec.h"

#define JOB_INDEX_FAILURES_KEY "batch.kubernetes.io/job-index-failure-count"

struct job_index_failures {
  int n;                  /* completions */
  int *count;             /* per index: failures counted */
  unsigned char *failed;  /* per index: failed for good */
  int64_t *last_fail_ms;  /* per index: the latest failure's finish */
};

/* Scans the Job's pods; failed indexes already in status.failedIndexes
 * stay failed. 0, or -1 when out of memory. */
int job_index_failures_scan(const struct cplane_host_api *api,
                            const cplane_object *job,
                            const struct job_spec *spec,
                            const cplane_object *const *pods, int n_pods,
                            int64_t now_ms, struct job_index_failures *f);
void job_index_failures_free(struct job_index_failures *f);

#endif
