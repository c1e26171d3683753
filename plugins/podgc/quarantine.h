/*
 * quarantine - nodes that pods are bound to but that are in no cache, as
 * kube's pod garbage collector holds them: a node first found missing is
 * quarantined for `orphan_quarantine` (a node being created may not be
 * in the cache yet); once that has passed and the API server confirms it
 * is gone, its pods are orphans. A node that shows up again leaves the
 * quarantine.
 *
 * Ownership: the set owns its keys.
 * Threading: one mutex guards the map, though only the plugin's single
 * "gc" key uses it (never on two workers at once).
 */
#ifndef PGC_QUARANTINE_H
#define PGC_QUARANTINE_H

#include <cplane/cplane.h>

#include <pthread.h>

struct pgc_quarantine {
  struct cplane_smap since; /* node name -> first missing (int64_t ms *) */
  pthread_mutex_t mu;
};

/* 0, or -1 when out of memory. */
int pgc_quarantine_init(struct pgc_quarantine *q);
void pgc_quarantine_free(struct pgc_quarantine *q);

/* Notes that `node` is missing at now_ms (first time: starts its
 * quarantine). Returns 1 when its quarantine of quarantine_ms has passed,
 * else 0 (-1 when out of memory). */
int pgc_quarantine_missing(struct pgc_quarantine *q, const char *node,
                           int64_t now_ms, int64_t quarantine_ms);

/* Forgets `node` (seen again, or its orphans dealt with). */
void pgc_quarantine_forget(struct pgc_quarantine *q, const char *node);

#endif
