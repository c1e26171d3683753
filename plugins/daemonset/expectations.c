/*
 * expectations - the pod events each DaemonSet waits for. See
 * expectations.h.
 */
#include "expectations.h"

#include <stdlib.h>

struct pending {
  int adds, dels;
  int64_t since_ms;
};

int ds_expect_init(struct ds_expectations *x) {
  if (cplane_smap_init(&x->map) != 0)
    return -1;
  pthread_mutex_init(&x->mu, NULL);
  return 0;
}

static void free_val(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  free(val);
}

void ds_expect_free(struct ds_expectations *x) {
  cplane_smap_foreach(&x->map, free_val, NULL);
  cplane_smap_free(&x->map);
  pthread_mutex_destroy(&x->mu);
}

int ds_expect_more(struct ds_expectations *x, const char *key, int adds,
                   int dels, int64_t now_ms) {
  struct pending *p;
  int rc = 0;

  pthread_mutex_lock(&x->mu);
  if ((p = cplane_smap_get(&x->map, key)) == NULL) {
    if ((p = calloc(1, sizeof *p)) == NULL ||
        cplane_smap_put(&x->map, key, p, NULL) != 0) {
      free(p);
      rc = -1;
      goto out;
    }
  }
  /* Whatever was still due from before is counted on too. */
  p->adds = (p->adds > 0 ? p->adds : 0) + adds;
  p->dels = (p->dels > 0 ? p->dels : 0) + dels;
  p->since_ms = now_ms;
out:
  pthread_mutex_unlock(&x->mu);
  return rc;
}

void ds_expect_seen(struct ds_expectations *x, const char *key, int adds,
                    int dels) {
  struct pending *p;

  pthread_mutex_lock(&x->mu);
  if ((p = cplane_smap_get(&x->map, key)) != NULL) {
    p->adds -= adds;
    p->dels -= dels;
  }
  pthread_mutex_unlock(&x->mu);
}

int ds_expect_satisfied(struct ds_expectations *x, const char *key,
                        int64_t now_ms) {
  struct pending *p;
  int ok;

  pthread_mutex_lock(&x->mu);
  p = cplane_smap_get(&x->map, key);
  ok = p == NULL || (p->adds <= 0 && p->dels <= 0) ||
       now_ms - p->since_ms > DS_EXPECTATION_TTL_MS;
  pthread_mutex_unlock(&x->mu);
  return ok;
}

void ds_expect_forget(struct ds_expectations *x, const char *key) {
  pthread_mutex_lock(&x->mu);
  free(cplane_smap_del(&x->map, key));
  pthread_mutex_unlock(&x->mu);
}
