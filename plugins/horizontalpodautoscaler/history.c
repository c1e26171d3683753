/*
 * history - see history.h.
 */
#include "history.h"

#include <stddef.h>
#include <stdlib.h>

struct hpa_entry {
  struct hpa_history h; /* first: a history's address is its entry's */
  int lent, forgotten;
};

int hpa_histories_init(struct hpa_histories *t) {
  if (cplane_smap_init(&t->map) != 0)
    return -1;
  pthread_mutex_init(&t->mu, NULL);
  return 0;
}

static void free_entry(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  free(val);
}

void hpa_histories_free(struct hpa_histories *t) {
  cplane_smap_foreach(&t->map, free_entry, NULL);
  cplane_smap_free(&t->map);
  pthread_mutex_destroy(&t->mu);
}

struct hpa_history *hpa_history_get(struct hpa_histories *t,
                                    const char *key) {
  struct hpa_entry *e;

  pthread_mutex_lock(&t->mu);
  if ((e = cplane_smap_get(&t->map, key)) == NULL &&
      (e = calloc(1, sizeof *e)) != NULL &&
      cplane_smap_put(&t->map, key, e, NULL) != 0) {
    free(e);
    e = NULL;
  }
  if (e != NULL)
    e->lent = 1;
  pthread_mutex_unlock(&t->mu);
  return e != NULL ? &e->h : NULL;
}

void hpa_history_put(struct hpa_histories *t, struct hpa_history *h) {
  struct hpa_entry *e = (struct hpa_entry *)(void *)h;

  if (h == NULL)
    return;
  pthread_mutex_lock(&t->mu);
  e->lent = 0;
  if (e->forgotten)
    free(e);
  pthread_mutex_unlock(&t->mu);
}

void hpa_history_forget(struct hpa_histories *t, const char *key) {
  struct hpa_entry *e;

  pthread_mutex_lock(&t->mu);
  if ((e = cplane_smap_del(&t->map, key)) != NULL) {
    if (e->lent)
      e->forgotten = 1;
    else
      free(e);
  }
  pthread_mutex_unlock(&t->mu);
}
