/*
 * orphanscan - the ReplicaSets to scan for orphans. See orphanscan.h.
 */
#include "orphanscan.h"

int rs_scan_init(struct rs_scanset *s) {
  if (cplane_sset_init(&s->keys) != 0)
    return CPLANE_ENOMEM;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    cplane_sset_free(&s->keys);
    return CPLANE_ERR;
  }
  return CPLANE_OK;
}

void rs_scan_free(struct rs_scanset *s) {
  cplane_sset_free(&s->keys);
  pthread_mutex_destroy(&s->mu);
}

/* Asks for a scan of key. Returns -1 when out of memory (the orphan is
 * then adopted on a later event that asks again). */
int rs_scan_want(struct rs_scanset *s, const char *key) {
  int rc;

  pthread_mutex_lock(&s->mu);
  rc = cplane_sset_add(&s->keys, key) < 0 ? -1 : 0;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* 1 when a scan of key was asked for (and takes the request). */
int rs_scan_take(struct rs_scanset *s, const char *key) {
  int found;

  pthread_mutex_lock(&s->mu);
  found = cplane_sset_del(&s->keys, key);
  pthread_mutex_unlock(&s->mu);
  return found;
}
