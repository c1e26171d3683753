/*
 * status - a CronJob's status as the controller keeps it while it
 * reconciles: the active Jobs (object references), lastScheduleTime and
 * lastSuccessfulTime, read from the object, changed in memory, and
 * written back as one merge patch of the status subresource that carries
 * the resourceVersion it was read at (a stale one gets 409, as kube's
 * UpdateStatus does).
 *
 * Threading: one reconcile's own state. Ownership: the struct owns its
 * copies of every string; cj_status_free() releases them.
 */
#ifndef CJ_STATUS_H
#define CJ_STATUS_H

#include <cplane/cplane.h>

/* Bound on status.active read from an object. */
#define CJ_MAX_ACTIVE 1024

struct cj_ref {
  char *name, *ns, *uid, *rv;
};

struct cj_status {
  struct cj_ref *active;
  size_t n_active;
  int64_t last_schedule_ms;   /* -1: none */
  int64_t last_successful_ms; /* -1: none */
  int changed;
};

/* Reads status from cj. 0, or -1 when out of memory. */
int cj_status_load(const struct cplane_host_api *api, const cplane_object *cj,
                   struct cj_status *st);
void cj_status_free(struct cj_status *st);

/* The index in active of the Job with uid (or, with uid NULL, name), or
 * -1. */
int cj_status_find(const struct cj_status *st, const char *uid,
                   const char *name);
/* Drops active[i]. */
void cj_status_remove(struct cj_status *st, int i);
/* Appends a reference to job. 0, or -1 when out of memory or full. */
int cj_status_add(const struct cplane_host_api *api, struct cj_status *st,
                  const cplane_object *job);

/* The merge patch of cj's status subresource. Owned (api->free); NULL
 * when out of memory. */
char *cj_status_patch(const struct cplane_host_api *api,
                      const cplane_object *cj, const struct cj_status *st);

#endif
