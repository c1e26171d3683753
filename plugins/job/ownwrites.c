/*
 * ownwrites - the Job versions this controller wrote that its cache has
 * not shown yet. See ownwrites.h.
 */
#include "ownwrites.h"

#include <stdlib.h>
#include <string.h>

int job_rv_compare(const char *a, const char *b) {
  int c;

  return cplane_rv_compare(a, b, &c) == 0 ? c : 0;
}

int job_ownwrites_init(struct job_ownwrites *w) {
  if (cplane_smap_init(&w->map) != 0)
    return -1;
  if (pthread_mutex_init(&w->mu, NULL) != 0) {
    cplane_smap_free(&w->map);
    return -1;
  }
  return 0;
}

static void drop_entry(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  free(val);
}

void job_ownwrites_free(struct job_ownwrites *w) {
  cplane_smap_foreach(&w->map, drop_entry, NULL);
  cplane_smap_free(&w->map);
  pthread_mutex_destroy(&w->mu);
}

int job_ownwrites_note(struct job_ownwrites *w, const char *key,
                       const char *rv) {
  char *copy, *old = NULL;
  int rc = 0;

  if (rv == NULL || *rv == '\0')
    return 0;
  if ((copy = strdup(rv)) == NULL)
    return -1;
  pthread_mutex_lock(&w->mu);
  old = cplane_smap_get(&w->map, key);
  if (old != NULL && job_rv_compare(old, rv) > 0) {
    free(copy); /* a newer write was noted already */
  } else if (cplane_smap_put(&w->map, key, copy, NULL) != 0) {
    free(copy);
    rc = -1;
  } else {
    free(old);
  }
  pthread_mutex_unlock(&w->mu);
  return rc;
}

int job_ownwrites_stale(struct job_ownwrites *w, const char *key,
                        const char *cached_rv) {
  char *noted;
  int stale = 0;

  pthread_mutex_lock(&w->mu);
  noted = cplane_smap_get(&w->map, key);
  if (noted != NULL) {
    stale = job_rv_compare(cached_rv, noted) < 0;
    if (!stale)
      free(cplane_smap_del(&w->map, key));
  }
  pthread_mutex_unlock(&w->mu);
  return stale;
}

void job_ownwrites_forget(struct job_ownwrites *w, const char *key) {
  pthread_mutex_lock(&w->mu);
  free(cplane_smap_del(&w->map, key));
  pthread_mutex_unlock(&w->mu);
}
