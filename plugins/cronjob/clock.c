/*
 * clock - see clock.h.
 */
#include "clock.h"

#include <errno.h>
#include <stdlib.h>

int64_t cj_clock_now(const struct cj_clock *c, int64_t host_ms) {
  if (c->scale <= 1)
    return host_ms;
  return c->origin_ms + (host_ms - c->origin_ms) * c->scale;
}

int64_t cj_clock_host_delay(const struct cj_clock *c, int64_t ms) {
  if (c->scale <= 1 || ms <= 0)
    return ms;
  return (ms + c->scale - 1) / c->scale;
}

int cj_clock_parse_scale(const char *s, int64_t *scale) {
  char *end = NULL;
  long long v;

  *scale = 1;
  if (s == NULL)
    return 0;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 1 ||
      v > CJ_CLOCK_MAX_SCALE)
    return -1;
  *scale = v;
  return 0;
}
