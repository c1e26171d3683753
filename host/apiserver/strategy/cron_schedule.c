/*
 * cron_schedule - see cron_schedule.h.
 */
#include "apiserver/strategy/cron_schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELD 128

struct bounds {
  int min, max;
  const char *const *names; /* names[i] is min + i; NULL: numbers only */
};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may",
                                     "jun", "jul", "aug", "sep", "oct",
                                     "nov", "dec", NULL};
static const char *const days[] = {"sun", "mon", "tue", "wed",
                                   "thu", "fri", "sat", NULL};

static const struct bounds fields[5] = {
    {0, 59, NULL}, {0, 23, NULL}, {1, 31, NULL}, {1, 12, months},
    {0, 6, days}};

/* A number or a name of b; -1 with why when neither. */
static int value(const char *s, const struct bounds *b, char *why,
                 size_t len) {
  char *end = NULL;
  long v;
  int i;

  for (i = 0; b->names != NULL && b->names[i] != NULL; i++)
    if (strcasecmp(s, b->names[i]) == 0)
      return b->min + i;
  if (*s == '\0' || !isdigit((unsigned char)*s) ||
      (v = strtol(s, &end, 10), *end != '\0') || v > 1000000) {
    snprintf(why, len, "failed to parse int from %s: strconv.Atoi: "
                       "parsing \"%s\": invalid syntax", s, s);
    return -1;
  }
  return (int)v;
}

/* One comma-separated part: "*", "a", "a-b", each with "/step". */
static int range(const char *expr, const struct bounds *b, char *why,
                 size_t len) {
  char part[MAX_FIELD], *slash, *dash;
  int start, end, step = 1;

  snprintf(part, sizeof part, "%s", expr);
  if ((slash = strchr(part, '/')) != NULL) {
    *slash = '\0';
    if ((step = value(slash + 1, &(struct bounds){0, 0, NULL}, why, len)) < 0)
      return -1;
  }
  if (strcmp(part, "*") == 0 || strcmp(part, "?") == 0) {
    start = b->min;
    end = b->max;
  } else {
    if ((dash = strchr(part, '-')) != NULL)
      *dash = '\0';
    if ((start = value(part, b, why, len)) < 0)
      return -1;
    end = start;
    if (dash != NULL && (end = value(dash + 1, b, why, len)) < 0)
      return -1;
    if (slash != NULL && dash == NULL)
      end = b->max;
  }
  if (start < b->min) {
    snprintf(why, len, "beginning of range (%d) below minimum (%d): %s",
             start, b->min, expr);
    return -1;
  }
  if (end > b->max) {
    snprintf(why, len, "end of range (%d) above maximum (%d): %s", end,
             b->max, expr);
    return -1;
  }
  if (start > end) {
    snprintf(why, len, "beginning of range (%d) beyond end of range (%d): %s",
             start, end, expr);
    return -1;
  }
  if (step == 0) {
    snprintf(why, len, "step of range should be a positive number: %s",
             expr);
    return -1;
  }
  return 0;
}

static int field(const char *f, const struct bounds *b, char *why,
                 size_t len) {
  char copy[MAX_FIELD], *save = NULL, *part;

  snprintf(copy, sizeof copy, "%s", f);
  for (part = strtok_r(copy, ",", &save); part != NULL;
       part = strtok_r(NULL, ",", &save))
    if (range(part, b, why, len) < 0)
      return -1;
  return 0;
}

static int descriptor(const char *s, char *why, size_t len) {
  static const char *const known[] = {"@yearly", "@annually", "@monthly",
                                      "@weekly", "@daily",    "@midnight",
                                      "@hourly", NULL};
  int i;

  for (i = 0; known[i] != NULL; i++)
    if (strcmp(s, known[i]) == 0)
      return 0;
  if (strncmp(s, "@every ", 7) == 0 && s[7] != '\0')
    return 0;
  snprintf(why, len, "unrecognized descriptor: %s", s);
  return -1;
}

int cp_cron_schedule_check(const char *schedule, char *why, size_t len) {
  char copy[512], *save = NULL, *f, *list[16];
  size_t n = 0, i;
  FILE *m;
  char *joined = NULL;
  size_t jl = 0;

  if (strlen(schedule) >= sizeof copy) {
    snprintf(why, len, "schedule too long");
    return -1;
  }
  snprintf(copy, sizeof copy, "%s", schedule);
  for (f = strtok_r(copy, " \t", &save); f != NULL;
       f = strtok_r(NULL, " \t", &save))
    if (n < sizeof list / sizeof list[0])
      list[n++] = f;
  if (n > 0 && list[0][0] == '@')
    return descriptor(schedule, why, len);
  if (n != 5) {
    if ((m = open_memstream(&joined, &jl)) != NULL) {
      for (i = 0; i < n; i++)
        fprintf(m, "%s%s", i > 0 ? " " : "", list[i]);
      if (fclose(m) != 0) {
        free(joined);
        joined = NULL;
      }
    }
    snprintf(why, len, "expected exactly 5 fields, found %zu: [%s]", n,
             joined != NULL ? joined : "");
    free(joined);
    return -1;
  }
  for (i = 0; i < 5; i++)
    if (strlen(list[i]) >= MAX_FIELD || field(list[i], &fields[i], why, len) < 0)
      return -1;
  return 0;
}
