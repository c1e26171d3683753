/* timeutil - see timeutil.h. */
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double now_s(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void format_time(char *buf, size_t len, double t, int micro) {
  time_t sec = (time_t)t;
  struct tm tm;
  size_t n;

  gmtime_r(&sec, &tm);
  n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  if (micro)
    snprintf(buf + n, len - n, ".%06ldZ", (long)((t - (double)sec) * 1e6));
  else
    snprintf(buf + n, len - n, "Z");
}

int parse_time(const char *s, double *out) {
  struct tm tm;
  int n = 0, oh = 0, om = 0;
  double frac = 0;
  const char *p;

  if (s == NULL)
    return -1;
  memset(&tm, 0, sizeof tm);
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
             &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
    return -1;
  p = s + n;
  if (*p == '.') {
    char *end;

    frac = strtod(p, &end);
    p = end;
  }
  if (*p == '+' || *p == '-') {
    if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
      return -1;
    if (*p == '-')
      oh = -oh, om = -om;
  } else if (*p != 'Z' && *p != 'z') {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *out = (double)timegm(&tm) + frac - oh * 3600.0 - om * 60.0;
  return 0;
}

int parse_duration_ms(const char *s, uint32_t *out) {
  char *end;
  double v, mult;

  if (s == NULL)
    return -1;
  errno = 0;
  v = strtod(s, &end);
  if (end == s || errno != 0 || !(v >= 0) || v > 1e7)
    return -1;
  if (*end == '\0' || strcmp(end, "s") == 0)
    mult = 1000;
  else if (strcmp(end, "ms") == 0)
    mult = 1;
  else if (strcmp(end, "m") == 0)
    mult = 60000;
  else if (strcmp(end, "h") == 0)
    mult = 3600000;
  else
    return -1;
  if (v * mult > 1e9)
    return -1;
  *out = (uint32_t)(v * mult + 0.5);
  return 0;
}
