/*
 * expectations - the creates and deletes each ReplicaSet still waits to
 * see in the cache, as kube-controller-manager's ControllerExpectations:
 * a cache that lags behind never causes a second batch, because the
 * ReplicaSet is not acted on again until the events arrive or five
 * minutes pass. A map, not a fixed table: a full table would drop
 * expectations and let a slow cache cause double creation.
 *
 * Ownership: the table owns its entries; keys are copied.
 * Threading: every call but init and free may come from any thread (the
 * dispatch thread observes, workers set); one mutex guards the table.
 */
#ifndef RS_EXPECTATIONS_H
#define RS_EXPECTATIONS_H

#include <cplane/cplane.h>

#include <pthread.h>

/* How long an expectation is trusted before it is dropped. */
#define EXPECTATION_TTL_MS (300 * 1000)

struct rs_expectations {
  struct cplane_smap map; /* key -> struct expectation; guarded by mu */
  pthread_mutex_t mu;
};

/* CPLANE_OK, CPLANE_ENOMEM or CPLANE_ERR. */
int rs_expect_init(struct rs_expectations *x);
void rs_expect_free(struct rs_expectations *x);
/* key now expects `creates` creates and `deletes` deletes, from now_ms
 * (the plugin's clock). 0, or -1 when out of memory (none recorded). */
int rs_expect_set(struct rs_expectations *x, const char *key, int creates,
                  int deletes, int64_t now_ms);
/* The cache showed created pods made and deleted pods gone. */
void rs_expect_observed(struct rs_expectations *x, const char *key, int created,
                        int deleted);
/* 1 when key expects nothing more (or waited past the TTL), and forgets
 * it; 0 while events are still due. */
int rs_expect_satisfied(struct rs_expectations *x, const char *key,
                        int64_t now_ms);
void rs_expect_forget(struct rs_expectations *x, const char *key);

#endif
