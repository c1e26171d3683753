/*
 * sync - one reconcile of one Job, as kube's syncJob: count its pods,
 * decide whether it has finished (success, backoffLimit, deadline,
 * podFailurePolicy), create or delete pods toward parallelism and
 * completions (manage.c), then count finished pods through
 * status.uncountedTerminatedPods and the tracking finalizer and write
 * status and conditions (tracking.c).
 *
 * Ownership: struct job_sync holds the Job (owned reference, replaced by
 * each status write), the pod list and arrays it allocates; job_sync_run
 * frees them all.
 * Threading: one reconcile's worker; the expectations and the own-writes
 * table are shared and locked.
 */
#ifndef JOB_SYNC_H
#define JOB_SYNC_H

#include "backoff.h"
#include <cplane/expectations.h>
#include "ownwrites.h"
#include "perindex.h"
#include "podwrites.h"
#include "spec.h"
#include "status.h"
#include "uids.h"

#define JOB_MAX_PER_SYNC 500 /* kube's MaxPodCreateDeletePerSync */
#define JOB_MAX_UNCOUNTED 500 /* kube's MaxUncountedPods */

/* The plugin's settings, from its INI section. */
struct job_config {
  int64_t backoff_base_ms, backoff_max_ms;
};

/* A finished condition the Job is heading for (type NULL: none). */
struct job_finish {
  const char *type;    /* "FailureTarget", "Failed", "SuccessCriteriaMet",
                          "Complete" */
  const char *reason;
  char message[512];
};

struct job_sync {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  struct cplane_expectations *expect;
  const struct job_config *cfg;
  const char *key;
  const cplane_object *job;   /* owned */
  struct job_spec spec;
  int64_t now_ms;

  cplane_object_list *list;   /* owned: the Job's pods */
  const cplane_object **pods; /* borrowed from list; malloc'd array */
  int n_pods;
  const cplane_object **active; /* the active ones; malloc'd */
  int n_active, ready, terminating;
  int pods_settled;           /* no create or delete still expected */

  struct job_uids unc_succ, unc_fail; /* status.uncountedTerminatedPods */
  unsigned char *done_ix;     /* Indexed: succeeded indexes (completions) */
  unsigned char *prev_ix;     /* Indexed: completedIndexes as read */
  int64_t succeeded, failed;  /* counted plus about to be */
  int per_index;              /* backoffLimitPerIndex is set */
  struct job_index_failures per; /* per_index: failures per index */

  struct job_status st;       /* what status should read */
  struct job_finish finish;
  uint32_t requeue_ms;        /* 0: none */
  int failed_write;           /* a write failed: retry */
  int wrote;                  /* a status write succeeded: note its version */
};

/* Reconciles the Job at key; waits (requeued) while the cache has not
 * shown the Job this controller last wrote (own). Returns a
 * CPLANE_RECONCILE_* value and sets *requeue_after_ms for
 * REQUEUE_AFTER. */
int job_sync_run(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 struct cplane_expectations *expect,
                 struct job_ownwrites *own, const struct job_config *cfg,
                 const char *key, uint32_t *requeue_after_ms);

/* manage.c: pods created or deleted toward the spec (kube's manageJob);
 * updates n_active/ready/terminating. While backoff_wait_ms > 0 no pod
 * is created (the sync is requeued for then). Returns 1. */
int job_manage(struct job_sync *s, int64_t backoff_wait_ms);
/* manage.c: deletes the active pods of a finishing Job (finalizers kept:
 * tracking counts them). 1 when all are gone or going. */
int job_delete_active(struct job_sync *s);

/* tracking.c: kube's trackJobStatusAndRemoveFinalizers: finished pods into
 * uncountedTerminatedPods, their finalizers removed, then counted; the
 * finished condition once nothing is left uncounted or terminating.
 * 0, or -1 when a write failed (retry). */
int job_track(struct job_sync *s);

/* Asks for the Job to be synced again in ms (the earliest request wins). */
void job_sync_requeue(struct job_sync *s, int64_t ms);

#endif
