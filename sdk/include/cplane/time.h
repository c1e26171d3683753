/*
 * cplane/time.h - times and durations as Kubernetes writes them.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * Times are int64 milliseconds since the Unix epoch, the unit of
 * api->now_ms(), which is the clock to write with (the test kit sets it):
 *
 *   char ts[CPLANE_TIME_LEN];
 *   cplane_time_format(api->now_ms(ctx), ts, sizeof ts);
 *                                        "2026-11-25T14:00:00Z" (metav1.Time)
 *   cplane_time_format_micro(ms, ts, sizeof ts);
 *                                 "2026-11-25T14:00:00.250000Z" (MicroTime)
 *   int64_t at;
 *   if (cplane_time_parse(api->object_string(o, "status.startTime"), &at)
 *       == CPLANE_OK) ...
 *
 * Parsing takes RFC 3339 as Go's time.RFC3339(Nano) layouts do: a 'T'
 * between date and time, an optional fraction of any length (truncated to
 * milliseconds), and 'Z' or a "+hh:mm"/"-hh:mm" offset.
 *
 * Durations are Go's time.Duration: int64 nanoseconds, written "1h2m3.5s",
 * "250ms", "0s" and parsed from any sequence of decimal numbers with units
 * ns, us (or µs), ms, s, m, h ("1h30m", "-1.5h", ".5s").
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_TIME_H
#define CPLANE_TIME_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for any time these functions write (a MicroTime of a 4-digit year
 * needs 28). */
#define CPLANE_TIME_LEN 32

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no time zone or timegm() is involved. */
static inline int64_t cplane_time__days(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The inverse: the date of a day number. */
static inline void cplane_time__civil(int64_t z, int64_t *y, int *m, int *d) {
  int64_t era, doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* Copies the n bytes of tmp and a NUL into buf when they fit. Text is
 * built in a local buffer first so that a short buf is an error code, not
 * a compiler's -Wformat-truncation in the plugin that includes this. */
static inline int cplane_time__copy(const char *tmp, int n, char *buf,
                                    size_t len) {
  if (n < 0 || (size_t)n >= len)
    return CPLANE_ERANGE;
  memcpy(buf, tmp, (size_t)n + 1);
  return CPLANE_OK;
}

/* Writes ms as "YYYY-MM-DDTHH:MM:SS" plus `frac_digits` (0 or 6)
 * fractional digits and 'Z'. */
static inline int cplane_time__format(int64_t ms, int frac_digits, char *buf,
                                      size_t len) {
  int64_t days, rem, y;
  int mo, d, n;
  char tmp[64];

  if (ms < -62135596800000LL || ms > 253402300799999LL) /* years 1..9999 */
    return CPLANE_ERANGE;
  days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  rem = ms - days * 86400000;
  cplane_time__civil(days, &y, &mo, &d);
  n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, mo, d,
               (int)(rem / 3600000), (int)(rem / 60000 % 60),
               (int)(rem / 1000 % 60));
  if (frac_digits == 6)
    n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".%03d000",
                  (int)(rem % 1000));
  n += snprintf(tmp + n, sizeof tmp - (size_t)n, "Z");
  return cplane_time__copy(tmp, n, buf, len);
}

/* metav1.Time: whole seconds in UTC, "2006-01-02T15:04:05Z". Returns
 * CPLANE_OK, or CPLANE_ERANGE when buf is too short or the year is not
 * 1..9999. */
static inline int cplane_time_format(int64_t ms, char *buf, size_t len) {
  return cplane_time__format(ms, 0, buf, len);
}

/* metav1.MicroTime (Lease renewTime, Event eventTime):
 * "2006-01-02T15:04:05.000000Z". */
static inline int cplane_time_format_micro(int64_t ms, char *buf, size_t len) {
  return cplane_time__format(ms, 6, buf, len);
}

/* n decimal digits at *p as an int; advances *p. 0, or -1. */
static inline int cplane_time__digits(const char **p, int n, int *out) {
  int v = 0, i;

  for (i = 0; i < n; i++) {
    if ((*p)[i] < '0' || (*p)[i] > '9')
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

/* Parses an RFC 3339 time (see the top of this file) into milliseconds
 * since the epoch. Returns CPLANE_OK, or CPLANE_EINVAL when s is NULL or
 * not such a time (then *out is untouched). */
static inline int cplane_time_parse(const char *s, int64_t *out) {
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, mo, d, h, mi, sec, oh = 0, om = 0, frac_ms = 0, scale = 100;
  int64_t ms;
  const char *p = s;

  if (p == NULL || cplane_time__digits(&p, 4, &y) || *p++ != '-' ||
      cplane_time__digits(&p, 2, &mo) || *p++ != '-' ||
      cplane_time__digits(&p, 2, &d) || *p++ != 'T' ||
      cplane_time__digits(&p, 2, &h) || *p++ != ':' ||
      cplane_time__digits(&p, 2, &mi) || *p++ != ':' ||
      cplane_time__digits(&p, 2, &sec))
    return CPLANE_EINVAL;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
      sec > 59)
    return CPLANE_EINVAL;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return CPLANE_EINVAL;
  if (*p == '.') {
    if (p[1] < '0' || p[1] > '9')
      return CPLANE_EINVAL;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
      frac_ms += (*p - '0') * scale;
  }
  if (*p == '+' || *p == '-') {
    const char *q = p + 1;

    if (cplane_time__digits(&q, 2, &oh) || *q++ != ':' ||
        cplane_time__digits(&q, 2, &om) || *q != '\0' || oh > 23 || om > 59)
      return CPLANE_EINVAL;
    if (*p == '-')
      oh = -oh, om = -om;
  } else if (p[0] != 'Z' || p[1] != '\0') {
    return CPLANE_EINVAL;
  }
  ms = cplane_time__days(y, mo, d) * 86400000 +
       (int64_t)(h * 3600 + mi * 60 + sec) * 1000 + frac_ms;
  *out = ms - (int64_t)(oh * 3600 + om * 60) * 1000;
  return CPLANE_OK;
}

/* api->now_ms(ctx) in seconds, with the fraction, for code that keeps
 * times as doubles. */
static inline double cplane_now_s(const struct cplane_host_api *api,
                                  cplane_plugin_ctx *ctx) {
  return (double)api->now_ms(ctx) / 1e3;
}

/* cplane_time_parse() in seconds, or `fallback` when s is NULL or not a
 * time: the form most readers of an optional timestamp want. */
static inline double cplane_time_parse_s(const char *s, double fallback) {
  int64_t ms;

  return cplane_time_parse(s, &ms) == CPLANE_OK ? (double)ms / 1e3 : fallback;
}

/* ---- Durations ------------------------------------------------------ */

#define CPLANE_NS_PER_MS INT64_C(1000000)
#define CPLANE_NS_PER_S INT64_C(1000000000)

/* cplane_duration_parse() flags. */
#define CPLANE_DURATION_BARE_SECONDS 1u /* "40" means 40s (INI values) */

/* The unit at *p in nanoseconds, advancing *p; 0 when none. */
static inline int64_t cplane_duration__unit(const char **p) {
  static const struct {
    const char *name;
    int64_t ns;
  } units[] = {{"ns", 1},
               {"us", 1000},
               {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
               {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
               {"ms", 1000000},
               {"s", 1000000000},
               {"m", INT64_C(60000000000)},
               {"h", INT64_C(3600000000000)}};
  size_t i, best = 0, best_len = 0;

  for (i = 0; i < sizeof units / sizeof units[0]; i++) {
    size_t n = strlen(units[i].name);

    /* The longest match: "ms" before "m". */
    if (n > best_len && strncmp(*p, units[i].name, n) == 0)
      best = i, best_len = n;
  }
  if (best_len == 0)
    return 0;
  *p += best_len;
  return units[best].ns;
}

/* Parses a Go duration into nanoseconds, as time.ParseDuration: an
 * optional sign, then one or more of a decimal number and a unit. "0"
 * needs no unit; with CPLANE_DURATION_BARE_SECONDS neither does any lone
 * number (seconds). Returns CPLANE_OK, CPLANE_EINVAL when malformed or
 * CPLANE_ERANGE beyond about 292 years (then *ns is untouched). */
static inline int cplane_duration_parse(const char *s, unsigned flags,
                                        int64_t *ns) {
  const char *p = s;
  uint64_t total = 0;
  int neg = 0, first = 1;

  if (p == NULL)
    return CPLANE_EINVAL;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  if (strcmp(p, "0") == 0) {
    *ns = 0;
    return CPLANE_OK;
  }
  if (*p == '\0')
    return CPLANE_EINVAL;
  while (*p != '\0') {
    uint64_t whole = 0, frac = 0, scale = 1, part;
    int64_t unit;
    int digits = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++) {
      if (whole > (UINT64_C(1) << 63) / 10)
        return CPLANE_ERANGE;
      whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.')
      for (p++; *p >= '0' && *p <= '9'; p++, digits++)
        if (scale < UINT64_C(1000000000000000000)) /* finer is noise */
          frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
    if (digits == 0)
      return CPLANE_EINVAL;
    if (*p == '\0' && first && (flags & CPLANE_DURATION_BARE_SECONDS))
      unit = CPLANE_NS_PER_S;
    else if ((unit = cplane_duration__unit(&p)) == 0)
      return CPLANE_EINVAL;
    if (whole > (UINT64_C(1) << 63) / (uint64_t)unit)
      return CPLANE_ERANGE;
    part = whole * (uint64_t)unit +
           (uint64_t)((long double)frac * (long double)unit / scale);
    if (part > (UINT64_C(1) << 63) || total > (UINT64_C(1) << 63) - part)
      return CPLANE_ERANGE;
    total += part;
    first = 0;
  }
  if (!neg && total > (uint64_t)INT64_MAX)
    return CPLANE_ERANGE;
  *ns = neg ? (int64_t)(0 - total) : (int64_t)total;
  return CPLANE_OK;
}

/* A duration for a plugin's settings: cplane_duration_parse() with
 * `flags`, then refused when negative or over max_ms, rounded to the
 * nearest millisecond. CPLANE_OK, CPLANE_EINVAL or CPLANE_ERANGE. */
static inline int cplane_duration_parse_ms(const char *s, unsigned flags,
                                           int64_t max_ms, int64_t *ms) {
  int64_t ns;
  int rc = cplane_duration_parse(s, flags, &ns);

  if (rc != CPLANE_OK)
    return rc;
  if (ns < 0)
    return CPLANE_EINVAL;
  if ((ns + CPLANE_NS_PER_MS / 2) / CPLANE_NS_PER_MS > max_ms)
    return CPLANE_ERANGE;
  *ms = (ns + CPLANE_NS_PER_MS / 2) / CPLANE_NS_PER_MS;
  return CPLANE_OK;
}

/* Writes v/10^prec with trailing fractional zeros (and a bare '.')
 * dropped, as Go's fmtFrac/fmtInt do. */
static inline int cplane_duration__num(char *buf, size_t len, uint64_t v,
                                       int prec) {
  uint64_t pow = 1;
  char frac[24];
  int i, n;

  for (i = 0; i < prec; i++)
    pow *= 10;
  n = snprintf(frac, sizeof frac, "%0*llu", prec,
               (unsigned long long)(v % pow));
  while (n > 0 && frac[n - 1] == '0')
    frac[--n] = '\0';
  return snprintf(buf, len, n > 0 ? "%llu.%s" : "%llu%s",
                  (unsigned long long)(v / pow), frac);
}

/* Writes ns as Go's Duration.String(): "1h2m3.5s", "1m0s", "1.5ms",
 * "250µs", "100ns", "0s". Returns CPLANE_OK, or CPLANE_ERANGE when buf
 * is too short (32 bytes always suffice). */
static inline int cplane_duration_format(int64_t ns, char *buf, size_t len) {
  uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
  const char *sign = ns < 0 ? "-" : "";
  char num[32], tmp[64];
  int n;

  if (u == 0) {
    n = snprintf(tmp, sizeof tmp, "0s");
  } else if (u < 1000) {
    n = snprintf(tmp, sizeof tmp, "%s%lluns", sign, (unsigned long long)u);
  } else if (u < 1000000) {
    cplane_duration__num(num, sizeof num, u, 3);
    n = snprintf(tmp, sizeof tmp, "%s%s\xc2\xb5s", sign, num);
  } else if (u < 1000000000) {
    cplane_duration__num(num, sizeof num, u, 6);
    n = snprintf(tmp, sizeof tmp, "%s%sms", sign, num);
  } else {
    uint64_t secs = u / 1000000000, h = secs / 3600, m = secs / 60 % 60;

    cplane_duration__num(num, sizeof num, u % 60000000000ull, 9);
    if (h > 0)
      n = snprintf(tmp, sizeof tmp, "%s%lluh%llum%ss", sign,
                   (unsigned long long)h, (unsigned long long)m, num);
    else if (m > 0)
      n = snprintf(tmp, sizeof tmp, "%s%llum%ss", sign, (unsigned long long)m,
                   num);
    else
      n = snprintf(tmp, sizeof tmp, "%s%ss", sign, num);
  }
  return cplane_time__copy(tmp, n, buf, len);
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_TIME_H */
