/*
 * expectations - creates and deletes a ReplicaSet still waits to see.
 * See expectations.h.
 */
#include "expectations.h"

#include <stdlib.h>

struct expectation {
  int creates, deletes;
  int64_t set_at_ms; /* the plugin's clock: the test kit's ages it */
};

int rs_expect_init(struct rs_expectations *x) {
  if (cplane_smap_init(&x->map) != 0)
    return CPLANE_ENOMEM;
  if (pthread_mutex_init(&x->mu, NULL) != 0) {
    cplane_smap_free(&x->map);
    return CPLANE_ERR;
  }
  return CPLANE_OK;
}

static void free_value(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  free(val);
}

void rs_expect_free(struct rs_expectations *x) {
  cplane_smap_foreach(&x->map, free_value, NULL);
  cplane_smap_free(&x->map);
  pthread_mutex_destroy(&x->mu);
}

int rs_expect_set(struct rs_expectations *x, const char *key, int creates,
                  int deletes, int64_t now_ms) {
  struct expectation *e;
  int rc = 0;

  pthread_mutex_lock(&x->mu);
  e = cplane_smap_get(&x->map, key);
  if (e == NULL && (e = calloc(1, sizeof *e)) != NULL &&
      cplane_smap_put(&x->map, key, e, NULL) != 0) {
    free(e);
    e = NULL;
  }
  if (e != NULL) {
    e->creates = creates;
    e->deletes = deletes;
    e->set_at_ms = now_ms;
  } else {
    rc = -1;
  }
  pthread_mutex_unlock(&x->mu);
  return rc;
}

void rs_expect_observed(struct rs_expectations *x, const char *key, int created,
                        int deleted) {
  struct expectation *e;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_smap_get(&x->map, key)) != NULL) {
    e->creates -= created;
    e->deletes -= deleted;
  }
  pthread_mutex_unlock(&x->mu);
}

int rs_expect_satisfied(struct rs_expectations *x, const char *key,
                        int64_t now_ms) {
  struct expectation *e;
  int ok = 1;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_smap_get(&x->map, key)) != NULL) {
    ok = (e->creates <= 0 && e->deletes <= 0) ||
         now_ms - e->set_at_ms > EXPECTATION_TTL_MS;
    if (ok)
      free(cplane_smap_del(&x->map, key));
  }
  pthread_mutex_unlock(&x->mu);
  return ok;
}

void rs_expect_forget(struct rs_expectations *x, const char *key) {
  pthread_mutex_lock(&x->mu);
  free(cplane_smap_del(&x->map, key));
  pthread_mutex_unlock(&x->mu);
}
