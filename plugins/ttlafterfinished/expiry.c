/*
 * expiry - see expiry.h.
 */
#include "expiry.h"

#include <stdio.h>
#include <string.h>

/* The lastTransitionTime of the first true Complete or Failed condition,
 * in order, as jobFinishTime walks them. 1 finished (with *at, or -1 when
 * it has no time), 0 not finished. */
static int finish_time(const struct cplane_host_api *api,
                       const cplane_object *job, int64_t *at) {
  char p[3][64];
  int i, n = api->object_len(job, "status.conditions");

  for (i = 0; i < n && i < 64; i++) {
    const char *type, *status;

    snprintf(p[0], sizeof p[0], "status.conditions[%d].type", i);
    snprintf(p[1], sizeof p[1], "status.conditions[%d].status", i);
    snprintf(p[2], sizeof p[2], "status.conditions[%d].lastTransitionTime",
             i);
    type = api->object_string(job, p[0]);
    status = api->object_string(job, p[1]);
    if (type == NULL || status == NULL || strcmp(status, "True") != 0 ||
        (strcmp(type, "Complete") != 0 && strcmp(type, "Failed") != 0))
      continue;
    if (cplane_time_parse(api->object_string(job, p[2]), at) != CPLANE_OK)
      *at = -1;
    return 1;
  }
  return 0;
}

enum ttl_state ttl_expiry(const struct cplane_host_api *api,
                          const cplane_object *job, int64_t now_ms,
                          int64_t *left_ms) {
  int64_t ttl, at;

  if (api->object_deletion_timestamp(job) != NULL ||
      api->object_int(job, "spec.ttlSecondsAfterFinished", &ttl) !=
          CPLANE_OK ||
      ttl < 0 || !finish_time(api, job, &at))
    return TTL_NONE;
  if (at < 0)
    return TTL_NO_TIME;
  /* ttl is an int32 in the API: no overflow in milliseconds. */
  *left_ms = at + ttl * 1000 - now_ms;
  return *left_ms <= 0 ? TTL_EXPIRED : TTL_WAIT;
}
