/*
 * expectations - pod creates, deletes and finalizer removals a Job waits
 * to see. See expectations.h.
 */
#include "expectations.h"

#include <stdlib.h>

struct job_expect {
  int creates, deletes;
  int64_t since_ms;         /* when creates/deletes were last raised */
  struct cplane_sset uids;  /* finalizers removed, not yet seen gone */
};

int job_expect_init(struct job_expectations *x) {
  if (cplane_smap_init(&x->jobs) != 0)
    return CPLANE_ENOMEM;
  if (pthread_mutex_init(&x->mu, NULL) != 0) {
    cplane_smap_free(&x->jobs);
    return CPLANE_ERR;
  }
  return CPLANE_OK;
}

static void drop(struct job_expect *e) {
  if (e == NULL)
    return;
  cplane_sset_free(&e->uids);
  free(e);
}

static void drop_entry(void *ud, const char *key, void *val) {
  (void)ud;
  (void)key;
  drop(val);
}

void job_expect_free(struct job_expectations *x) {
  cplane_smap_foreach(&x->jobs, drop_entry, NULL);
  cplane_smap_free(&x->jobs);
  pthread_mutex_destroy(&x->mu);
}

/* The entry of key, made when missing. Called with mu held. */
static struct job_expect *entry(struct job_expectations *x, const char *key) {
  struct job_expect *e = cplane_smap_get(&x->jobs, key);

  if (e != NULL)
    return e;
  if ((e = calloc(1, sizeof *e)) == NULL)
    return NULL;
  if (cplane_sset_init(&e->uids) != 0) {
    free(e);
    return NULL;
  }
  if (cplane_smap_put(&x->jobs, key, e, NULL) != 0) {
    drop(e);
    return NULL;
  }
  return e;
}

int job_expect_pods(struct job_expectations *x, const char *key, int creates,
                    int deletes, int64_t now_ms) {
  struct job_expect *e;

  pthread_mutex_lock(&x->mu);
  if ((e = entry(x, key)) != NULL) {
    e->creates = (e->creates > 0 ? e->creates : 0) + creates;
    e->deletes = (e->deletes > 0 ? e->deletes : 0) + deletes;
    e->since_ms = now_ms;
  }
  pthread_mutex_unlock(&x->mu);
  return e != NULL ? 0 : -1;
}

void job_expect_pod_seen(struct job_expectations *x, const char *key,
                         int created, int deleted) {
  struct job_expect *e;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_smap_get(&x->jobs, key)) != NULL) {
    e->creates -= created;
    e->deletes -= deleted;
  }
  pthread_mutex_unlock(&x->mu);
}

int job_expect_pods_done(struct job_expectations *x, const char *key,
                         int64_t now_ms) {
  struct job_expect *e;
  int done = 1;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_smap_get(&x->jobs, key)) != NULL)
    done = (e->creates <= 0 && e->deletes <= 0) ||
           now_ms - e->since_ms > JOB_EXPECT_TTL_MS;
  pthread_mutex_unlock(&x->mu);
  return done;
}

int job_expect_unfinalized(struct job_expectations *x, const char *key,
                           const char *uid) {
  struct job_expect *e;
  int rc = -1;

  pthread_mutex_lock(&x->mu);
  if ((e = entry(x, key)) != NULL && cplane_sset_add(&e->uids, uid) >= 0)
    rc = 0;
  pthread_mutex_unlock(&x->mu);
  return rc;
}

void job_expect_unfinalized_seen(struct job_expectations *x, const char *key,
                                 const char *uid) {
  struct job_expect *e;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_smap_get(&x->jobs, key)) != NULL)
    cplane_sset_del(&e->uids, uid);
  pthread_mutex_unlock(&x->mu);
}

int job_expect_unfinalizing(struct job_expectations *x, const char *key,
                            const char *uid) {
  struct job_expect *e;
  int yes = 0;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_smap_get(&x->jobs, key)) != NULL)
    yes = cplane_sset_has(&e->uids, uid);
  pthread_mutex_unlock(&x->mu);
  return yes;
}

void job_expect_forget(struct job_expectations *x, const char *key) {
  pthread_mutex_lock(&x->mu);
  drop(cplane_smap_del(&x->jobs, key));
  pthread_mutex_unlock(&x->mu);
}
