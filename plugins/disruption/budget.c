/*
 * budget - desiredHealthy and disruptionsAllowed. See budget.h.
 */
#include "budget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dis_scaled(const struct cplane_host_api *api, const cplane_object *obj,
               const char *path, int64_t total, int64_t *out) {
  const char *s;
  char *end;
  long long pct;

  if (api->object_int(obj, path, out) == CPLANE_OK)
    return *out >= 0 ? 0 : -1;
  if ((s = api->object_string(obj, path)) == NULL)
    return -1;
  errno = 0;
  pct = strtoll(s, &end, 10);
  if (errno != 0 || end == s || strcmp(end, "%") != 0 || pct < 0 ||
      pct > 1000000 || total < 0 || total > 1000000000)
    return -1;
  *out = (pct * total + 99) / 100; /* rounded up */
  return 0;
}

enum dis_mode dis_budget_mode(const struct cplane_host_api *api,
                              const cplane_object *pdb) {
  if (api->object_type(pdb, "spec.maxUnavailable") > CPLANE_TYPE_NULL)
    return DIS_FROM_SCALE;
  if (api->object_type(pdb, "spec.minAvailable") == CPLANE_TYPE_STRING)
    return DIS_FROM_SCALE;
  if (api->object_type(pdb, "spec.minAvailable") > CPLANE_TYPE_NULL)
    return DIS_MIN_INT;
  return DIS_NONE;
}

int dis_budget_desired(const struct cplane_host_api *api,
                       const cplane_object *pdb, int64_t expected,
                       int64_t *desired, const char **why) {
  int64_t v;

  *desired = 0;
  if (api->object_type(pdb, "spec.maxUnavailable") > CPLANE_TYPE_NULL) {
    if (dis_scaled(api, pdb, "spec.maxUnavailable", expected, &v) != 0) {
      *why = "invalid spec.maxUnavailable";
      return -1;
    }
    *desired = expected - v > 0 ? expected - v : 0;
  } else if (api->object_type(pdb, "spec.minAvailable") > CPLANE_TYPE_NULL) {
    if (dis_scaled(api, pdb, "spec.minAvailable", expected, &v) != 0) {
      *why = "invalid spec.minAvailable";
      return -1;
    }
    *desired = v;
  }
  return 0;
}

int64_t dis_budget_allowed(int64_t healthy, int64_t desired, int64_t expected) {
  int64_t allowed = healthy - desired;

  return expected <= 0 || allowed <= 0 ? 0 : allowed;
}
