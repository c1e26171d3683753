/*
 * identity - a StatefulSet pod's stable identity. See identity.h.
 */
#include "identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int64_t sts_ordinal(const char *set, const char *pod) {
  size_t n = set != NULL ? strlen(set) : 0;
  const char *p;
  int64_t v = 0;

  if (pod == NULL || n == 0 || strncmp(pod, set, n) != 0 || pod[n] != '-')
    return -1;
  p = pod + n + 1;
  if (*p == '\0' || (*p == '0' && p[1] != '\0'))
    return -1; /* kube's regexp takes digits; "web-01" is not web's 1 */
  for (; *p != '\0'; p++) {
    if (*p < '0' || *p > '9' || v > (INT32_MAX - 9) / 10)
      return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

int sts_pod_name(const char *set, int64_t ord, char *buf, size_t len) {
  int n = snprintf(buf, len, "%s-%" PRId64, set, ord);

  return n > 0 && (size_t)n < len ? 0 : -1;
}

int sts_claim_name(const char *tmpl, const char *set, int64_t ord, char *buf,
                   size_t len) {
  int n = snprintf(buf, len, "%s-%s-%" PRId64, tmpl, set, ord);

  return n > 0 && (size_t)n < len ? 0 : -1;
}

int sts_identity_matches(const struct cplane_host_api *api,
                         const cplane_object *pod, int64_t ord) {
  const char *name = api->object_label(pod, STS_LABEL_POD_NAME);
  const char *index = api->object_label(pod, STS_LABEL_POD_INDEX);
  char want[32];

  snprintf(want, sizeof want, "%" PRId64, ord);
  return name != NULL && strcmp(name, api->object_name(pod)) == 0 &&
         index != NULL && strcmp(index, want) == 0;
}
