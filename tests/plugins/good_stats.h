/*
 * good_stats - the counters the `good` fixture plugin keeps, shared with
 * the tests that read them through its extra export fixture_good_stats().
 */
#ifndef CPLANE_TESTS_GOOD_STATS_H
#define CPLANE_TESTS_GOOD_STATS_H

#include <stdatomic.h>

struct good_stats {
  atomic_int inits, finis, adds, updates, deletes, reconciles, overlaps;
  atomic_int retries_left; /* reconcile returns RETRY while > 0 */
  char last_config[64];
  char last_add_key[128];
};

typedef struct good_stats *(*good_stats_fn)(void);

#endif /* CPLANE_TESTS_GOOD_STATS_H */
