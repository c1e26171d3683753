/*
 * expiry - when a finished Job's time to live is up, as kube's
 * ttlafterfinished controller reckons it (needsCleanup, jobFinishTime,
 * timeLeft): a Job needs cleaning up once it has
 * spec.ttlSecondsAfterFinished and a Complete or Failed condition with
 * status True; it finished at that condition's lastTransitionTime and
 * expires ttlSecondsAfterFinished later. A Job being deleted is left
 * alone.
 *
 * Threading: pure functions of borrowed objects. Ownership: plain values.
 */
#ifndef TTL_EXPIRY_H
#define TTL_EXPIRY_H

#include <cplane/cplane.h>

enum ttl_state {
  TTL_NONE,     /* nothing to do: not finished, no TTL, or being deleted */
  TTL_WAIT,     /* expires in *left_ms */
  TTL_EXPIRED,  /* delete it now */
  TTL_NO_TIME,  /* finished, but with no lastTransitionTime to count from */
};

/* What to do about `job` at now_ms; *left_ms for TTL_WAIT. */
enum ttl_state ttl_expiry(const struct cplane_host_api *api,
                          const cplane_object *job, int64_t now_ms,
                          int64_t *left_ms);

#endif
