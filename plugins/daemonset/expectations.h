/*
 * expectations - the pod creates and deletes each DaemonSet still waits
 * to see in the cache, as kube's ControllerExpectations: until they
 * arrive (or five minutes pass) the DaemonSet's pods are not acted on
 * again, so a cache that lags behind never places a second pod on a node.
 *
 * Ownership: the table owns its entries; keys are copied.
 * Threading: any thread (the dispatch thread observes, workers expect);
 * one mutex guards the table.
 */
#ifndef DS_EXPECTATIONS_H
#define DS_EXPECTATIONS_H

#include <cplane/cplane.h>

#include <pthread.h>
#include <stdint.h>

#define DS_EXPECTATION_TTL_MS (5 * 60 * 1000)

struct ds_expectations {
  struct cplane_smap map; /* DaemonSet key -> struct pending; under mu */
  pthread_mutex_t mu;
};

/* 0, or -1 when out of memory. */
int ds_expect_init(struct ds_expectations *x);
void ds_expect_free(struct ds_expectations *x);
/* key now also waits for `adds` creates and `dels` deletes. 0, or -1 when
 * out of memory (nothing recorded). */
int ds_expect_more(struct ds_expectations *x, const char *key, int adds,
                   int dels, int64_t now_ms);
/* The cache showed a created pod (adds) or a deleted one (dels); also
 * used to give back what a failed write will never bring. */
void ds_expect_seen(struct ds_expectations *x, const char *key, int adds,
                    int dels);
/* 1 when key waits for nothing (or waited past the TTL). */
int ds_expect_satisfied(struct ds_expectations *x, const char *key,
                        int64_t now_ms);
void ds_expect_forget(struct ds_expectations *x, const char *key);

#endif
