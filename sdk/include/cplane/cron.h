/*
 * cplane/cron.h - cron schedules as Kubernetes reads a CronJob's
 * spec.schedule (robfig/cron v3's standard parser): five fields (minute,
 * hour, day of month, month, day of week; numbers, names such as "jan" and
 * "mon", "*", "?", ranges "a-b", steps "/n", lists "a,b"), the descriptors
 * @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly, and
 * "@every <Go duration>". The API server validates with it; the cronjob
 * plugin computes run times with it.
 *
 *   struct cplane_cron c;
 *   char why[256];
 *   if (cplane_cron_parse(spec, &c, why, sizeof why) != 0) ... why
 *   next = cplane_cron_next(&c, after_ms, NULL, NULL);       // in UTC
 *   next = cplane_cron_next(&c, after_ms, my_zone, my_tz);   // local time
 *
 * Errors carry robfig/cron's words ("expected exactly 5 fields, found 1:
 * [bad]", "end of range (61) above maximum (59): 61"), as kube-apiserver
 * returns them in its 422 causes.
 *
 * Days: when either the day-of-month or the day-of-week field is "*" (or
 * "?"), both must match; otherwise either does (cron's classic rule).
 * Time zones: a schedule is matched against local wall-clock time, which
 * a cplane_cron_zone_fn gives (NULL: UTC). A local time that a DST change
 * skips never matches; one it repeats matches twice.
 *
 * Header-only: nothing here is in the host table or the ABI.
 * Threading: pure functions; the zone function is called on the caller's
 * thread. Ownership: messages go to the caller's buffer.
 */
#ifndef CPLANE_CRON_H
#define CPLANE_CRON_H

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest schedule and field read; longer ones are refused. */
#define CPLANE_CRON_MAX 512
#define CPLANE_CRON__FIELD 128
/* robfig/cron gives up looking for a next time after five years. */
#define CPLANE_CRON__YEARS 5

struct cplane_cron {
  uint64_t minute; /* bit m for minute m (0-59) */
  uint32_t hour;   /* bit h (0-23) */
  uint32_t dom;    /* bit d (1-31) */
  uint32_t month;  /* bit m (1-12) */
  uint32_t dow;    /* bit d (0-6, Sunday 0) */
  int dom_star, dow_star; /* the field was "*" or "?" (with no step > 1) */
  int64_t every_ms;       /* @every: the delay (whole seconds); else 0 */
};

/* The UTC offset (seconds east) in force at utc_s and the first instant
 * after utc_s when it may change (INT64_MAX: never). 0, or -1 when the
 * zone cannot tell (cplane_cron_next() then finds no time). */
typedef int (*cplane_cron_zone_fn)(void *userdata, int64_t utc_s,
                                   int32_t *offset_s, int64_t *until_s);

struct cplane_cron__bounds {
  int min, max;
  const char *const *names; /* names[i] is min + i; NULL: numbers only */
};

/* Writes the error message (vsnprintf: a long input is cut, never a
 * -Wformat-truncation error in the plugin that includes this). */
static inline void cplane_cron__why(char *why, size_t len, const char *fmt,
                                    ...) CPLANE_PRINTF(3, 4);
static inline void cplane_cron__why(char *why, size_t len, const char *fmt,
                                    ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
}

/* Splits s in place at any of `seps`, skipping empty tokens, as strtok()
 * would (strtok_r is not strict C11); at most max tokens are kept, the
 * count of all is returned. */
static inline size_t cplane_cron__split(char *s, const char *seps,
                                        char **list, size_t max) {
  size_t n = 0;

  while (*s != '\0') {
    while (*s != '\0' && strchr(seps, *s) != NULL)
      *s++ = '\0';
    if (*s == '\0')
      break;
    if (n < max)
      list[n] = s;
    n++;
    while (*s != '\0' && strchr(seps, *s) == NULL)
      s++;
  }
  return n;
}

/* ASCII case-insensitive equality (strcasecmp is not strict C11). */
static inline int cplane_cron__iequal(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
      return 0;
  return *a == *b;
}

/* A number or a name of b; -1 with why when neither. */
static inline int cplane_cron__value(const char *s,
                                     const struct cplane_cron__bounds *b,
                                     char *why, size_t len) {
  char *end = NULL;
  long v;
  int i;

  for (i = 0; b->names != NULL && b->names[i] != NULL; i++)
    if (cplane_cron__iequal(s, b->names[i]))
      return b->min + i;
  if (*s == '\0' || !isdigit((unsigned char)*s) ||
      (v = strtol(s, &end, 10), *end != '\0') || v > 1000000) {
    cplane_cron__why(why, len,
             "failed to parse int from %s: strconv.Atoi: parsing \"%s\": "
             "invalid syntax",
             s, s);
    return -1;
  }
  return (int)v;
}

/* One comma-separated part: "*", "?", "a", "a-b", each with "/step";
 * its bits ORed into *bits, *star set when it is a plain "*". */
static inline int cplane_cron__range(const char *expr,
                                     const struct cplane_cron__bounds *b,
                                     uint64_t *bits, int *star, char *why,
                                     size_t len) {
  static const struct cplane_cron__bounds number = {0, 0, NULL};
  char part[CPLANE_CRON__FIELD], *slash, *dash;
  int start, end, step = 1, any = 0, v;

  snprintf(part, sizeof part, "%s", expr);
  if ((slash = strchr(part, '/')) != NULL) {
    *slash = '\0';
    if (strchr(slash + 1, '/') != NULL) {
      cplane_cron__why(why, len, "too many slashes: %s", expr);
      return -1;
    }
    if ((step = cplane_cron__value(slash + 1, &number, why, len)) < 0)
      return -1;
  }
  if (strcmp(part, "*") == 0 || strcmp(part, "?") == 0) {
    start = b->min;
    end = b->max;
    any = 1;
  } else {
    if ((dash = strchr(part, '-')) != NULL) {
      *dash = '\0';
      if (strchr(dash + 1, '-') != NULL) {
        cplane_cron__why(why, len, "too many hyphens: %s", expr);
        return -1;
      }
    }
    if ((start = cplane_cron__value(part, b, why, len)) < 0)
      return -1;
    end = start;
    if (dash != NULL && (end = cplane_cron__value(dash + 1, b, why, len)) < 0)
      return -1;
    if (slash != NULL && dash == NULL) /* "N/step" means "N-max/step" */
      end = b->max;
  }
  if (start < b->min) {
    cplane_cron__why(why, len, "beginning of range (%d) below minimum (%d): %s",
             start, b->min, expr);
    return -1;
  }
  if (end > b->max) {
    cplane_cron__why(why, len, "end of range (%d) above maximum (%d): %s", end,
             b->max, expr);
    return -1;
  }
  if (start > end) {
    cplane_cron__why(why, len, "beginning of range (%d) beyond end of range (%d): %s",
             start, end, expr);
    return -1;
  }
  if (step == 0) {
    cplane_cron__why(why, len, "step of range should be a positive number: %s",
             expr);
    return -1;
  }
  for (v = start; v <= end; v += step)
    *bits |= UINT64_C(1) << v;
  if (any && step == 1)
    *star = 1;
  return 0;
}

/* One field: its comma-separated parts. */
static inline int cplane_cron__field(const char *f,
                                     const struct cplane_cron__bounds *b,
                                     uint64_t *bits, int *star, char *why,
                                     size_t len) {
  char copy[CPLANE_CRON__FIELD], *parts[CPLANE_CRON__FIELD];
  size_t i, n;

  if (strlen(f) >= sizeof copy) {
    cplane_cron__why(why, len, "field too long: %.32s...", f);
    return -1;
  }
  snprintf(copy, sizeof copy, "%s", f);
  n = cplane_cron__split(copy, ",", parts, CPLANE_CRON__FIELD);
  for (i = 0; i < n; i++) /* a field this short has fewer parts than room */
    if (cplane_cron__range(parts[i], b, bits, star, why, len) < 0)
      return -1;
  return 0;
}

static inline int cplane_cron__fields(char *const list[5],
                                      struct cplane_cron *out, char *why,
                                      size_t len) {
  static const char *const months[] = {"jan", "feb", "mar", "apr", "may",
                                       "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec", NULL};
  static const char *const days[] = {"sun", "mon", "tue", "wed",
                                     "thu", "fri", "sat", NULL};
  const struct cplane_cron__bounds b[5] = {{0, 59, NULL},
                                           {0, 23, NULL},
                                           {1, 31, NULL},
                                           {1, 12, months},
                                           {0, 6, days}};
  uint64_t bits[5] = {0, 0, 0, 0, 0};
  int star[5] = {0, 0, 0, 0, 0}, i;

  for (i = 0; i < 5; i++)
    if (cplane_cron__field(list[i], &b[i], &bits[i], &star[i], why, len) < 0)
      return -1;
  out->minute = bits[0];
  out->hour = (uint32_t)bits[1];
  out->dom = (uint32_t)bits[2];
  out->month = (uint32_t)bits[3];
  out->dow = (uint32_t)bits[4];
  out->dom_star = star[2];
  out->dow_star = star[4];
  return 0;
}

/* A descriptor: "@daily" and the like as their five fields, or @every. */
static inline int cplane_cron__descriptor(const char *s,
                                          struct cplane_cron *out, char *why,
                                          size_t len) {
  static const char *const known[][2] = {
      {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  char copy[32], *list[5];
  int64_t ns;
  size_t i;

  for (i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (strcmp(s, known[i][0]) != 0)
      continue;
    snprintf(copy, sizeof copy, "%s", known[i][1]);
    cplane_cron__split(copy, " ", list, 5);
    return cplane_cron__fields(list, out, why, len);
  }
  if (strncmp(s, "@every ", 7) == 0) {
    if (cplane_duration_parse(s + 7, 0, &ns) != CPLANE_OK) {
      cplane_cron__why(why, len,
               "failed to parse duration %s: time: invalid duration \"%s\"",
               s, s + 7);
      return -1;
    }
    /* robfig: at least a second, in whole seconds. */
    ns = ns < CPLANE_NS_PER_S ? CPLANE_NS_PER_S : ns - ns % CPLANE_NS_PER_S;
    out->every_ms = ns / CPLANE_NS_PER_MS;
    return 0;
  }
  cplane_cron__why(why, len, "unrecognized descriptor: %s", s);
  return -1;
}

/* Parses `spec` into *out. 0, or -1 with why (len bytes) saying why not. */
static inline int cplane_cron_parse(const char *spec, struct cplane_cron *out,
                                    char *why, size_t len) {
  char copy[CPLANE_CRON_MAX], *list[16];
  size_t total, n, i, used = 0;
  char joined[CPLANE_CRON_MAX];

  memset(out, 0, sizeof *out);
  if (spec == NULL || strlen(spec) >= sizeof copy) {
    cplane_cron__why(why, len, "schedule too long");
    return -1;
  }
  snprintf(copy, sizeof copy, "%s", spec);
  total = cplane_cron__split(copy, " \t", list,
                             sizeof list / sizeof list[0]);
  n = total < sizeof list / sizeof list[0] ? total
                                           : sizeof list / sizeof list[0];
  if (n == 0) {
    cplane_cron__why(why, len, "empty spec string");
    return -1;
  }
  if (spec[0] == '@') /* robfig: a descriptor only when it starts so */
    return cplane_cron__descriptor(spec, out, why, len);
  if (n != 5) {
    joined[0] = '\0';
    for (i = 0; i < n && used < sizeof joined; i++)
      used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s",
                               i > 0 ? " " : "", list[i]);
    cplane_cron__why(why, len, "expected exactly 5 fields, found %zu: [%s]",
                     total, joined);
    return -1;
  }
  return cplane_cron__fields(list, out, why, len);
}

/* Whether the day (local date y-m-d, weekday wd) matches. */
static inline int cplane_cron__day(const struct cplane_cron *c, int m, int d,
                                   int wd) {
  int dom = (c->dom >> d) & 1, dow = (c->dow >> wd) & 1;

  if (!((c->month >> m) & 1))
    return 0;
  return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/* The first run time strictly after after_ms (ms since the epoch; a run
 * time is a whole minute, or for @every after_ms's second plus the
 * delay), with local time from zone (NULL: UTC). -1 when there is none
 * within five years (a schedule such as "0 0 30 2 *") or the zone failed. */
static inline int64_t cplane_cron_next(const struct cplane_cron *c,
                                       int64_t after_ms,
                                       cplane_cron_zone_fn zone,
                                       void *userdata) {
  int64_t t, limit, until = INT64_MAX, local, day, y, step;
  int32_t off = 0;
  int m, d, wd, hh, mm;

  if (c->every_ms > 0)
    return after_ms - ((after_ms % 1000) + 1000) % 1000 + c->every_ms;
  /* The next whole minute, in seconds. */
  t = (after_ms / 60000 - (after_ms % 60000 < 0) + 1) * 60;
  limit = t + (int64_t)CPLANE_CRON__YEARS * 366 * 86400;
  while (t <= limit) {
    if (zone != NULL && zone(userdata, t, &off, &until) != 0)
      return -1;
    local = t + off;
    day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    cplane_time__civil(day, &y, &m, &d);
    wd = (int)(((day + 4) % 7 + 7) % 7);
    hh = (int)((local - day * 86400) / 3600);
    mm = (int)((local - day * 86400) % 3600 / 60);
    if (!cplane_cron__day(c, m, d, wd))
      step = (day + 1) * 86400 - local; /* to local midnight */
    else if (!((c->hour >> hh) & 1))
      step = 3600 - (local % 3600 + 3600) % 3600; /* to the next hour */
    else if (!((c->minute >> mm) & 1))
      step = 60;
    else
      return t * 1000;
    /* Never jump past an offset change: look again from it. */
    if (zone != NULL && until > t && until < t + step)
      t = (until / 60 + (until % 60 > 0)) * 60;
    else
      t += step;
  }
  return -1;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_CRON_H */
