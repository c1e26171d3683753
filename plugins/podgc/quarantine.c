/*
 * quarantine - missing nodes held before their pods go. See quarantine.h.
 */
#include "quarantine.h"

#include <stdlib.h>

static void free_value(void *userdata, const char *key, void *value) {
  (void)userdata;
  (void)key;
  free(value);
}

int pgc_quarantine_init(struct pgc_quarantine *q) {
  if (cplane_smap_init(&q->since) != 0)
    return -1;
  pthread_mutex_init(&q->mu, NULL);
  return 0;
}

void pgc_quarantine_free(struct pgc_quarantine *q) {
  cplane_smap_foreach(&q->since, free_value, NULL);
  cplane_smap_free(&q->since);
  pthread_mutex_destroy(&q->mu);
}

int pgc_quarantine_missing(struct pgc_quarantine *q, const char *node,
                           int64_t now_ms, int64_t quarantine_ms) {
  int64_t *since;
  int due = -1;

  pthread_mutex_lock(&q->mu);
  since = cplane_smap_get(&q->since, node);
  if (since == NULL) {
    if ((since = malloc(sizeof *since)) == NULL)
      goto out;
    *since = now_ms;
    if (cplane_smap_put(&q->since, node, since, NULL) != 0) {
      free(since);
      goto out;
    }
  }
  due = now_ms - *since >= quarantine_ms;
out:
  pthread_mutex_unlock(&q->mu);
  return due;
}

void pgc_quarantine_forget(struct pgc_quarantine *q, const char *node) {
  pthread_mutex_lock(&q->mu);
  free(cplane_smap_del(&q->since, node));
  pthread_mutex_unlock(&q->mu);
}
