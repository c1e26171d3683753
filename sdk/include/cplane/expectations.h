/*
 * cplane/expectations.h - what a controller still waits to see in its
 * cache after its own writes, as kube-controller-manager's
 * ControllerExpectations and UIDTrackingControllerExpectations.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * Why: a controller that creates pods and reconciles again before the
 * informer shows them would count too few and create a second batch.
 * It records what it expects before writing, the event handlers lower
 * the figures as the cache shows the writes, and reconcile acts on the
 * parent only once nothing is due:
 *
 *   reconcile:  if (!cplane_expect_satisfied(&x, key, now_ms)) return;
 *               cplane_expect_set(&x, key, to_create, 0, now_ms);
 *               ... create; for each create that failed:
 *               cplane_expect_observed(&x, key, 1, 0);
 *   on_add:     cplane_expect_observed(&x, owner_key, 1, 0);
 *   on_delete:  cplane_expect_observed(&x, owner_key, 0, 1);
 *   parent gone: cplane_expect_forget(&x, key);
 *
 * A lost event must not stall a parent forever, so figures are trusted
 * for CPLANE_EXPECTATIONS_TTL_MS (kube's five minutes) after they were
 * last raised.
 *
 * Uids: a controller that removes a finalizer from a pod it counts (the
 * Job's tracking finalizer) records the pod's uid until the cache shows
 * the pod without it, so the pod is never counted twice. Uids are not
 * subject to the TTL.
 *
 * Ownership: the table owns its entries; keys and uids are copied.
 * Threading: every call but init and free may come from any thread (the
 * dispatch thread observes, workers set); one mutex guards the table.
 */
#ifndef CPLANE_EXPECTATIONS_H
#define CPLANE_EXPECTATIONS_H

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <cplane/smap.h>
#include <cplane/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPLANE_EXPECTATIONS_TTL_MS (5 * 60 * 1000)

struct cplane_expectations {
  struct cplane_smap map; /* key -> struct cplane_expectation; under mu */
  pthread_mutex_t mu;
};

/* One parent's figures. Private to this header. */
struct cplane_expectation {
  int creates, deletes;
  int64_t since_ms;        /* when creates/deletes were last set */
  int has_uids;            /* uids initialised */
  struct cplane_sset uids; /* finalizers removed, not yet seen */
};

/* CPLANE_OK, CPLANE_ENOMEM or CPLANE_ERR. */
static inline int cplane_expectations_init(struct cplane_expectations *x) {
  if (cplane_smap_init(&x->map) != 0)
    return CPLANE_ENOMEM;
  if (pthread_mutex_init(&x->mu, NULL) != 0) {
    cplane_smap_free(&x->map);
    return CPLANE_ERR;
  }
  return CPLANE_OK;
}

static inline void cplane_expectation__drop(struct cplane_expectation *e) {
  if (e == NULL)
    return;
  if (e->has_uids)
    cplane_sset_free(&e->uids);
  free(e);
}

static inline void cplane_expectation__drop_entry(void *ud, const char *key,
                                                  void *val) {
  (void)ud;
  (void)key;
  cplane_expectation__drop((struct cplane_expectation *)val);
}

static inline void cplane_expectations_free(struct cplane_expectations *x) {
  cplane_smap_foreach(&x->map, cplane_expectation__drop_entry, NULL);
  cplane_smap_free(&x->map);
  pthread_mutex_destroy(&x->mu);
}

/* key's entry, made when missing; NULL out of memory. mu held. */
static inline struct cplane_expectation *
cplane_expectation__get(struct cplane_expectations *x, const char *key) {
  struct cplane_expectation *e =
      (struct cplane_expectation *)cplane_smap_get(&x->map, key);

  if (e != NULL)
    return e;
  if ((e = (struct cplane_expectation *)calloc(1, sizeof *e)) == NULL)
    return NULL;
  if (cplane_smap_put(&x->map, key, e, NULL) != 0) {
    free(e);
    return NULL;
  }
  return e;
}

/* key now expects exactly `creates` creates and `deletes` deletes, from
 * now_ms (kube's SetExpectations). 0, or -1 out of memory (nothing
 * recorded). */
static inline int cplane_expect_set(struct cplane_expectations *x,
                                    const char *key, int creates,
                                    int deletes, int64_t now_ms) {
  struct cplane_expectation *e;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_expectation__get(x, key)) != NULL) {
    e->creates = creates;
    e->deletes = deletes;
    e->since_ms = now_ms;
  }
  pthread_mutex_unlock(&x->mu);
  return e != NULL ? 0 : -1;
}

/* key expects `creates` and `deletes` more, on top of what is still due
 * (kube's RaiseExpectations; a figure the cache overshot counts as 0),
 * from now_ms. 0, or -1 out of memory (nothing recorded). */
static inline int cplane_expect_raise(struct cplane_expectations *x,
                                      const char *key, int creates,
                                      int deletes, int64_t now_ms) {
  struct cplane_expectation *e;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_expectation__get(x, key)) != NULL) {
    e->creates = (e->creates > 0 ? e->creates : 0) + creates;
    e->deletes = (e->deletes > 0 ? e->deletes : 0) + deletes;
    e->since_ms = now_ms;
  }
  pthread_mutex_unlock(&x->mu);
  return e != NULL ? 0 : -1;
}

/* The cache showed `created` creates and `deleted` deletes of key's
 * (also: writes that failed and will never show). No entry: nothing. */
static inline void cplane_expect_observed(struct cplane_expectations *x,
                                          const char *key, int created,
                                          int deleted) {
  struct cplane_expectation *e;

  pthread_mutex_lock(&x->mu);
  if ((e = (struct cplane_expectation *)cplane_smap_get(&x->map, key)) !=
      NULL) {
    e->creates -= created;
    e->deletes -= deleted;
  }
  pthread_mutex_unlock(&x->mu);
}

/* 1 when key waits for no create or delete, or its figures are older
 * than the TTL at now_ms; 0 while events are still due. */
static inline int cplane_expect_satisfied(struct cplane_expectations *x,
                                          const char *key, int64_t now_ms) {
  struct cplane_expectation *e;
  int ok = 1;

  pthread_mutex_lock(&x->mu);
  if ((e = (struct cplane_expectation *)cplane_smap_get(&x->map, key)) !=
      NULL)
    ok = (e->creates <= 0 && e->deletes <= 0) ||
         now_ms - e->since_ms > CPLANE_EXPECTATIONS_TTL_MS;
  pthread_mutex_unlock(&x->mu);
  return ok;
}

/* key removed its finalizer from pod `uid` and waits to see it so. 0, or
 * -1 out of memory (nothing recorded). */
static inline int cplane_expect_uid(struct cplane_expectations *x,
                                    const char *key, const char *uid) {
  struct cplane_expectation *e;
  int rc = -1;

  pthread_mutex_lock(&x->mu);
  if ((e = cplane_expectation__get(x, key)) == NULL)
    goto out;
  if (!e->has_uids) {
    if (cplane_sset_init(&e->uids) != 0)
      goto out;
    e->has_uids = 1;
  }
  if (cplane_sset_add(&e->uids, uid) >= 0)
    rc = 0;
out:
  pthread_mutex_unlock(&x->mu);
  return rc;
}

/* The cache showed pod uid without the finalizer, or gone. */
static inline void cplane_expect_uid_seen(struct cplane_expectations *x,
                                          const char *key, const char *uid) {
  struct cplane_expectation *e;

  pthread_mutex_lock(&x->mu);
  e = (struct cplane_expectation *)cplane_smap_get(&x->map, key);
  if (e != NULL && e->has_uids)
    cplane_sset_del(&e->uids, uid);
  pthread_mutex_unlock(&x->mu);
}

/* 1 while key waits to see pod uid's finalizer gone. */
static inline int cplane_expect_uid_pending(struct cplane_expectations *x,
                                            const char *key,
                                            const char *uid) {
  struct cplane_expectation *e;
  int yes = 0;

  pthread_mutex_lock(&x->mu);
  e = (struct cplane_expectation *)cplane_smap_get(&x->map, key);
  if (e != NULL && e->has_uids)
    yes = cplane_sset_has(&e->uids, uid);
  pthread_mutex_unlock(&x->mu);
  return yes;
}

/* The parent is gone: forget all of it. */
static inline void cplane_expect_forget(struct cplane_expectations *x,
                                        const char *key) {
  pthread_mutex_lock(&x->mu);
  cplane_expectation__drop(
      (struct cplane_expectation *)cplane_smap_del(&x->map, key));
  pthread_mutex_unlock(&x->mu);
}

#ifdef __cplusplus
}
#endif

#endif /* CPLANE_EXPECTATIONS_H */
