/*
 * podwrites - a Job's writes to its pods: creates from the template in
 * kube's "slow start" batches (1, 2, 4...; each batch at most 16 calls in
 * parallel; the first failing batch ends the round, so a quota or a bad
 * template costs one call, not n), deletes, and removing the tracking
 * finalizer. Each is recorded first as an expectation and undone when
 * the call fails, so the cache's events balance it. Events as kube's
 * pod control records them (SuccessfulCreate, FailedCreate,
 * SuccessfulDelete, FailedDelete).
 *
 * Threading: blocking writes; a reconcile's worker only (creates start
 * and join threads of their own).
 */
#ifndef JOB_PODWRITES_H
#define JOB_PODWRITES_H

#include <cplane/expectations.h>
#include "jobs.h"

struct job_writer {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  struct cplane_expectations *expect;
  const cplane_object *job; /* borrowed */
  const char *key;          /* the Job's cache key */
};

/* Creates n pods: with completion indexes[0..n) when indexes is not NULL,
 * else unindexed; with failures[0..n) (each index's failures so far, for
 * backoffLimitPerIndex) when not NULL. Returns how many were made;
 * *failed is set when a create failed (logged, with a FailedCreate
 * event). */
int job_create_pods(const struct job_writer *w, const int *indexes,
                    const int *failures, int n, int *failed);
/* Deletes the n pods (removing the tracking finalizer first when
 * unfinalize: the pod is then not counted, as kube does for a suspended
 * Job or an extra pod). Returns how many are gone or going; the ones
 * ready among them are added to *ready_gone. */
int job_delete_pods(const struct job_writer *w, const cplane_object **pods,
                    int n, int unfinalize, int *ready_gone);
/* Removes the tracking finalizer from the n pods. done[i] is set for each
 * whose finalizer is gone (or the pod is). 0, or -1 when some failed. */
int job_unfinalize_pods(const struct job_writer *w, const cplane_object **pods,
                        int n, unsigned char *done);

#endif
