/*
 * expectations - what each Job still waits to see in the pod cache, as
 * kube's job controller keeps it: pod creates and deletes of its last
 * round (so a lagging cache never makes it create a pod twice), and the
 * uids of pods whose tracking finalizer it removed (so a pod still shown
 * with the finalizer is not counted a second time). Creates and deletes
 * are trusted for five minutes at most; finalizer removals until seen.
 *
 * Ownership: the table owns its entries; keys and uids are copied.
 * Threading: every call but init and free may come from any thread (the
 * dispatch thread observes, workers expect); one mutex guards the table.
 */
#ifndef JOB_EXPECTATIONS_H
#define JOB_EXPECTATIONS_H

#include <cplane/cplane.h>

#include <pthread.h>

#define JOB_EXPECT_TTL_MS (300 * 1000)

struct job_expectations {
  struct cplane_smap jobs; /* key -> struct job_expect; guarded by mu */
  pthread_mutex_t mu;
};

/* CPLANE_OK, CPLANE_ENOMEM or CPLANE_ERR. */
int job_expect_init(struct job_expectations *x);
void job_expect_free(struct job_expectations *x);
/* The Job `key` will see `creates` more pods created and `deletes` more
 * deleted (added to what it waits for), from now_ms. 0 or -1 (no memory:
 * nothing recorded). */
int job_expect_pods(struct job_expectations *x, const char *key, int creates,
                    int deletes, int64_t now_ms);
/* The cache showed a pod of key created (1, 0) or deleted (0, 1). */
void job_expect_pod_seen(struct job_expectations *x, const char *key,
                         int created, int deleted);
/* 1 when key waits for no create or delete (or waited past the TTL). */
int job_expect_pods_done(struct job_expectations *x, const char *key,
                         int64_t now_ms);
/* key removed the tracking finalizer of pod `uid`. 0 or -1 (no memory). */
int job_expect_unfinalized(struct job_expectations *x, const char *key,
                           const char *uid);
/* The cache showed pod uid without the finalizer, or gone. */
void job_expect_unfinalized_seen(struct job_expectations *x, const char *key,
                                 const char *uid);
/* 1 while key waits to see pod uid's finalizer gone. */
int job_expect_unfinalizing(struct job_expectations *x, const char *key,
                            const char *uid);
/* The Job is gone: forget all of it. */
void job_expect_forget(struct job_expectations *x, const char *key);

#endif
