/*
 * orphanscan - the ReplicaSets to scan for orphans. Looking for orphans
 * means listing every pod the selector matches; doing it on each
 * reconcile (every pod update) made a ReplicaSet of 3,000 pods
 * quadratic. So it runs only when a ReplicaSet is first seen and when an
 * orphan that it matches shows up: those keys are in the set.
 *
 * Threading: want and take from any thread; one mutex guards the set.
 */
#ifndef RS_ORPHANSCAN_H
#define RS_ORPHANSCAN_H

#include <cplane/cplane.h>

#include <pthread.h>

struct rs_scanset {
  struct cplane_sset keys; /* guarded by mu */
  pthread_mutex_t mu;
};

/* CPLANE_OK, CPLANE_ENOMEM or CPLANE_ERR. */
int rs_scan_init(struct rs_scanset *s);
void rs_scan_free(struct rs_scanset *s);
/* Asks for a scan of key. -1 when out of memory (the orphan is then
 * adopted on a later event that asks again). */
int rs_scan_want(struct rs_scanset *s, const char *key);
/* 1 when a scan of key was asked for (and takes the request). */
int rs_scan_take(struct rs_scanset *s, const char *key);

#endif
