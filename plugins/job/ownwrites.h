/*
 * ownwrites - the Job versions this controller wrote that its Job cache
 * has not shown yet, as kube's StaleControllerConsistencyJob
 * (kubernetes#130103, KEP-5647).
 *
 * Why: a sync reads status.succeeded and uncountedTerminatedPods from
 * the Job cache and the pods from the pod cache, two watches that lag
 * each other. A sync that counted a pod (step 3 of tracking.c) leaves
 * the pod without its finalizer and the count in the Job; when the pod
 * cache shows the former before the Job cache shows the latter, the
 * next sync may count the pod neither way and create a pod too many
 * (with completions 1, a second pod). The pod expectations cannot see
 * this: it is the Job that is stale. So each sync that wrote the Job
 * notes the resourceVersion it got back, and the next sync of that key
 * waits until its cache holds that version or a newer one.
 *
 * resourceVersions are compared as decimal numbers, as the host's
 * informer does; two that are not both decimal are taken as caught up
 * (never stall on a form we cannot order).
 *
 * Ownership: the table owns its keys and versions (copies).
 * Threading: every call may come from any thread (workers note and
 * check distinct keys at once; the dispatch thread forgets); one mutex
 * guards the table.
 */
#ifndef JOB_OWNWRITES_H
#define JOB_OWNWRITES_H

#include <cplane/cplane.h>

#include <pthread.h>

struct job_ownwrites {
  struct cplane_smap map; /* Job key -> char * resourceVersion; under mu */
  pthread_mutex_t mu;
};

/* 0, or -1 out of memory. */
int job_ownwrites_init(struct job_ownwrites *w);
void job_ownwrites_free(struct job_ownwrites *w);

/* key's Job was written and the server answered version rv. Keeps the
 * newer of rv and what was noted. 0, or -1 out of memory (nothing
 * noted: the next sync trusts its cache, as before). */
int job_ownwrites_note(struct job_ownwrites *w, const char *key,
                       const char *rv);

/* 1 when cached_rv (the cache's Job) is older than what key last wrote:
 * the sync must wait for its cache. 0 otherwise; the note goes once the
 * cache has caught up, so the table holds only writes in flight. */
int job_ownwrites_stale(struct job_ownwrites *w, const char *key,
                        const char *cached_rv);

/* The Job is gone. */
void job_ownwrites_forget(struct job_ownwrites *w, const char *key);

/* < 0, 0, > 0 as resourceVersion a is older than, the same as, or newer
 * than b; 0 when they cannot be compared. */
int job_rv_compare(const char *a, const char *b);

#endif
