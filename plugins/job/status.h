/*
 * status - a Job's status as the controller writes it: the counters,
 * times, index sets, uncounted pod uids and conditions, in one merge
 * patch of the status subresource carrying the Job's resourceVersion, so
 * a write made from a stale cache is refused (409) instead of undoing a
 * newer count: that is what keeps a pod from being counted twice.
 *
 * Ownership: the caller owns every string it puts in; *out is owned.
 * Threading: blocking write; a reconcile's worker only.
 */
#ifndef JOB_STATUS_H
#define JOB_STATUS_H

#include "jobs.h"

#define JOB_MAX_CONDS 4

struct job_status {
  int64_t start_ms;          /* 0: none */
  int64_t completion_ms;     /* 0: none */
  int64_t active, ready, terminating, succeeded, failed;
  const char *completed_indexes; /* NULL: not written (not Indexed) */
  const char *failed_indexes;    /* NULL: not written */
  const char *uncounted_succeeded; /* JSON array text, NULL: none */
  const char *uncounted_failed;
  /* Conditions to set (kube's order: appended as they arise). */
  struct cplane_condition conds[JOB_MAX_CONDS];
  int n_conds;
};

/* Reads what job's status says now into *st (no conditions, no
 * uncounted lists: the caller keeps those). */
void job_status_read(const struct cplane_host_api *api,
                     const cplane_object *job, struct job_status *st);
/* Adds or replaces (same type) a condition to set. */
void job_status_want(struct job_status *st, const char *type,
                     const char *status, const char *reason,
                     const char *message);
/* Writes st as job's status when it differs from what job shows; on 200,
 * *job is replaced by the stored Job (the old reference released).
 * Returns 0 (nothing to write), the HTTP code, or a negative status. */
int job_status_write(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object **job, const struct job_status *st);

#endif
