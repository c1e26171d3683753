/*
 * upgradable_stats - the counters each build of the `upgradable` fixture
 * keeps (upgradable.h), read by tests through the build's own
 * fixture_upgradable_stats().
 */
#ifndef CPLANE_TESTS_UPGRADABLE_STATS_H
#define CPLANE_TESTS_UPGRADABLE_STATS_H

#include <stdatomic.h>

struct upgradable_stats {
  atomic_int inits, finis, adds, reconciles;
  atomic_int running; /* a reconcile is sleeping now */
  atomic_int running_at_fini; /* `running` when fini() began: must be 0 */
};

typedef struct upgradable_stats *(*upgradable_stats_fn)(void);

#endif /* CPLANE_TESTS_UPGRADABLE_STATS_H */
