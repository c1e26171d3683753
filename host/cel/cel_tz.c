/*
 * cel_tz - the time zone argument of the timestamp accessors
 * (`t.getHours('America/New_York')`, `t.getDate('+05:30')`), as cel-go's
 * timeZone reads it: with a ':' a fixed offset "[+-]h:m", otherwise an
 * IANA name that Go's time.LoadLocation resolves ("" and "UTC" are UTC).
 *
 * Names are read from the system's tzdata (/usr/share/zoneinfo, TZif
 * version 1 to 4, parsed here: the C library's localtime needs the
 * process-wide TZ, which threads evaluating at once cannot share). A
 * file is read whole, at most CEL_TZ_MAX_FILE bytes; after its last
 * transition the footer's POSIX TZ rule (e.g. "CST6CDT,M3.2.0,M11.1.0")
 * applies, as Go's does. The last zone loaded is kept in the evaluation's
 * context, so a rule over a list reads its file once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cplane/time.h>

#include "cel/cel_int.h"

#define CEL_TZ_DIR "/usr/share/zoneinfo/"
#define CEL_TZ_MAX_FILE (256 * 1024)
#define CEL_TZ_MAX_NAME 255

struct cel_tz {
  char *name;
  size_t n_trans;
  int64_t *trans;        /* transition times, ascending */
  unsigned char *idx;    /* type after each transition */
  size_t n_types;
  int32_t *utoff;        /* per type: seconds east of UTC */
  unsigned char *isdst;  /* per type */
  /* The footer rule: std offset, and with dst, its offset and rules. */
  int has_rule, has_dst;
  int32_t std_off, dst_off; /* seconds east of UTC */
  struct tz_when {
    char kind;     /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' */
    int m, w, d;   /* month, week, weekday (M); day (J/D) in d */
    int32_t secs;  /* local time of day of the change */
  } start, end;
};

void cel_tz_free(struct cel_tz *z) {
  if (z == NULL)
    return;
  free(z->name);
  free(z->trans);
  free(z->idx);
  free(z->utoff);
  free(z->isdst);
  free(z);
}

/* ------------------------------------------------------------ POSIX TZ */

static const char *tz_name_skip(const char *p) {
  if (*p == '<') {
    while (*p != '\0' && *p != '>')
      p++;
    return *p == '>' ? p + 1 : NULL;
  }
  if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
    return NULL;
  while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
    p++;
  return p;
}

/* [+-]hh[:mm[:ss]] into seconds; NULL when malformed. */
static const char *tz_hms(const char *p, int32_t *out) {
  int sign = 1, h = 0, m = 0, s = 0, k;

  if (*p == '+' || *p == '-')
    sign = *p++ == '-' ? -1 : 1;
  if (*p < '0' || *p > '9')
    return NULL;
  for (k = 0; *p >= '0' && *p <= '9' && k < 3; k++)
    h = h * 10 + (*p++ - '0');
  if (*p == ':') {
    p++;
    for (k = 0; *p >= '0' && *p <= '9' && k < 2; k++)
      m = m * 10 + (*p++ - '0');
    if (*p == ':') {
      p++;
      for (k = 0; *p >= '0' && *p <= '9' && k < 2; k++)
        s = s * 10 + (*p++ - '0');
    }
  }
  if (h > 167 || m > 59 || s > 59)
    return NULL;
  *out = sign * (h * 3600 + m * 60 + s);
  return p;
}

static const char *tz_num(const char *p, int *out, int lo, int hi) {
  int v = 0, k;

  if (*p < '0' || *p > '9')
    return NULL;
  for (k = 0; *p >= '0' && *p <= '9' && k < 4; k++)
    v = v * 10 + (*p++ - '0');
  if (v < lo || v > hi)
    return NULL;
  *out = v;
  return p;
}

static const char *tz_when(const char *p, struct tz_when *w) {
  if (*p == 'M') {
    w->kind = 'M';
    if ((p = tz_num(p + 1, &w->m, 1, 12)) == NULL || *p++ != '.' ||
        (p = tz_num(p, &w->w, 1, 5)) == NULL || *p++ != '.' ||
        (p = tz_num(p, &w->d, 0, 6)) == NULL)
      return NULL;
  } else if (*p == 'J') {
    w->kind = 'J';
    if ((p = tz_num(p + 1, &w->d, 1, 365)) == NULL)
      return NULL;
  } else {
    w->kind = 'D';
    if ((p = tz_num(p, &w->d, 0, 365)) == NULL)
      return NULL;
  }
  w->secs = 7200; /* 02:00 by default */
  if (*p == '/' && (p = tz_hms(p + 1, &w->secs)) == NULL)
    return NULL;
  return p;
}

/* The footer (e.g. "EST5EDT,M3.2.0,M11.1.0"); 0, or -1 when unreadable
 * (then the last transition's type applies). */
static int tz_rule(struct cel_tz *z, const char *p) {
  int32_t off;

  if ((p = tz_name_skip(p)) == NULL || (p = tz_hms(p, &off)) == NULL)
    return -1;
  z->std_off = -off; /* POSIX counts west of UTC */
  z->has_rule = 1;
  if (*p == '\0')
    return 0;
  if ((p = tz_name_skip(p)) == NULL)
    return -1;
  z->dst_off = z->std_off + 3600;
  if (*p != ',' && *p != '\0') {
    if ((p = tz_hms(p, &off)) == NULL)
      return -1;
    z->dst_off = -off;
  }
  if (*p != ',' || (p = tz_when(p + 1, &z->start)) == NULL || *p != ',' ||
      (p = tz_when(p + 1, &z->end)) == NULL || *p != '\0')
    return (z->has_rule = 0), -1;
  z->has_dst = 1;
  return 0;
}

static int is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The UTC second of w in year y, with off the offset in force before. */
static int64_t when_utc(const struct tz_when *w, int64_t y, int32_t off) {
  int64_t day;

  if (w->kind == 'J')
    day = cplane_time__days(y, 1, 1) + w->d - 1 +
          (is_leap(y) && w->d >= 60 ? 1 : 0);
  else if (w->kind == 'D')
    day = cplane_time__days(y, 1, 1) + w->d;
  else {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31};
    int64_t first = cplane_time__days(y, w->m, 1);
    int wd = (int)(((first % 7) + 11) % 7); /* weekday of the 1st */
    int dom = 1 + (w->d - wd + 7) % 7 + (w->w - 1) * 7;
    int len = mdays[w->m - 1] + (w->m == 2 && is_leap(y));

    while (dom > len)
      dom -= 7;
    day = first + dom - 1;
  }
  return day * 86400 + w->secs - off;
}

static int32_t rule_offset(const struct cel_tz *z, int64_t t) {
  int64_t days = (t + z->std_off) / 86400, y, s, e;

  if (!z->has_dst)
    return z->std_off;
  {
    int m, d;

    cplane_time__civil(days, &y, &m, &d);
  }
  s = when_utc(&z->start, y, z->std_off);
  e = when_utc(&z->end, y, z->dst_off);
  if (s < e)
    return t >= s && t < e ? z->dst_off : z->std_off;
  return t >= e && t < s ? z->std_off : z->dst_off;
}

/* ------------------------------------------------------------ TZif */

static int64_t be(const unsigned char *p, int n) {
  uint64_t v = 0;
  int i;

  for (i = 0; i < n; i++)
    v = v << 8 | p[i];
  if (n == 4)
    return (int32_t)(uint32_t)v;
  return (int64_t)v;
}

/* Parses a TZif file of n bytes; 0, or -1 when malformed. */
static int tzif_parse(struct cel_tz *z, const unsigned char *d, size_t n) {
  size_t cnt[6], off = 0, i, tsz = 4, need;
  int v2;

  if (n < 44 || memcmp(d, "TZif", 4) != 0)
    return -1;
  v2 = d[4] >= '2';
  for (;;) {
    for (i = 0; i < 6; i++)
      cnt[i] = (size_t)(uint32_t)be(d + off + 20 + 4 * i, 4);
    /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    if (cnt[3] > 100000 || cnt[4] == 0 || cnt[4] > 256 || cnt[5] > 100000 ||
        cnt[2] > 100000)
      return -1;
    need = 44 + cnt[3] * tsz + cnt[3] + cnt[4] * 6 + cnt[5] +
           cnt[2] * (tsz + 4) + cnt[1] + cnt[0];
    if (off + need > n)
      return -1;
    if (!v2 || tsz == 8)
      break;
    off += need; /* skip the 32-bit block: the 64-bit one follows */
    tsz = 8;
    if (off + 44 > n || memcmp(d + off, "TZif", 4) != 0)
      return -1;
  }
  {
    const unsigned char *p = d + off + 44;

    z->n_trans = cnt[3];
    z->n_types = cnt[4];
    z->trans = calloc(cnt[3] ? cnt[3] : 1, sizeof *z->trans);
    z->idx = calloc(cnt[3] ? cnt[3] : 1, 1);
    z->utoff = calloc(cnt[4], sizeof *z->utoff);
    z->isdst = calloc(cnt[4], 1);
    if (z->trans == NULL || z->idx == NULL || z->utoff == NULL ||
        z->isdst == NULL)
      return -1;
    for (i = 0; i < cnt[3]; i++)
      z->trans[i] = be(p + i * tsz, (int)tsz);
    p += cnt[3] * tsz;
    for (i = 0; i < cnt[3]; i++) {
      if (p[i] >= cnt[4])
        return -1;
      z->idx[i] = p[i];
    }
    p += cnt[3];
    for (i = 0; i < cnt[4]; i++) {
      z->utoff[i] = (int32_t)be(p + 6 * i, 4);
      z->isdst[i] = p[6 * i + 4];
    }
    p += cnt[4] * 6 + cnt[5] + cnt[2] * (tsz + 4) + cnt[1] + cnt[0];
    /* The footer: "\n<rule>\n". */
    if (tsz == 8 && p < d + n && *p == '\n') {
      const unsigned char *e = memchr(p + 1, '\n', (size_t)(d + n - p - 1));
      char rule[128];

      if (e != NULL && (size_t)(e - p - 1) < sizeof rule) {
        memcpy(rule, p + 1, (size_t)(e - p - 1));
        rule[e - p - 1] = '\0';
        if (rule[0] != '\0')
          tz_rule(z, rule);
      }
    }
  }
  return 0;
}

/* Go's time.LoadLocation refusals, then the file. */
static struct cel_tz *tz_load(const char *name, int *bad_name) {
  char path[sizeof CEL_TZ_DIR + CEL_TZ_MAX_NAME];
  unsigned char *d = NULL;
  struct cel_tz *z = NULL;
  struct stat st;
  size_t i, got = 0;
  int fd = -1;

  *bad_name = name[0] == '/' || name[0] == '\\' ||
              strstr(name, "..") != NULL;
  if (*bad_name)
    return NULL;
  for (i = 0; name[i] != '\0'; i++)
    if (!((name[i] >= 'A' && name[i] <= 'Z') ||
          (name[i] >= 'a' && name[i] <= 'z') ||
          (name[i] >= '0' && name[i] <= '9') || strchr("/_-+.", name[i])))
      return NULL; /* tzdata has no such name */
  snprintf(path, sizeof path, "%s%s", CEL_TZ_DIR, name);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
      !S_ISREG(st.st_mode) || st.st_size > CEL_TZ_MAX_FILE ||
      (d = malloc((size_t)st.st_size + 1)) == NULL)
    goto out;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, d + got, (size_t)st.st_size - got);

    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      goto out;
    got += (size_t)r;
  }
  if ((z = calloc(1, sizeof *z)) == NULL || (z->name = strdup(name)) == NULL ||
      tzif_parse(z, d, got) < 0) {
    cel_tz_free(z);
    z = NULL;
  }
out:
  if (fd >= 0)
    close(fd);
  free(d);
  return z;
}

static int32_t zone_offset(const struct cel_tz *z, int64_t t) {
  size_t lo = 0, hi = z->n_trans;

  if (z->n_trans == 0 || t < z->trans[0]) {
    size_t i;

    if (z->n_trans == 0 && z->has_rule)
      return rule_offset(z, t);
    /* Go's lookupFirstZone: the first standard-time type. */
    for (i = 0; i < z->n_types; i++)
      if (!z->isdst[i])
        return z->utoff[i];
    return z->utoff[0];
  }
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;

    if (z->trans[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  if (lo == z->n_trans - 1 && z->has_rule)
    return rule_offset(z, t);
  return z->utoff[z->idx[lo]];
}

/* cel-go's strconv.Atoi of s[0, n): 0, or -1 with Go's error. */
static int go_atoi(struct cel_ctx *c, const char *s, size_t n, int *out,
                   struct cel_val *err) {
  size_t i = 0;
  long v = 0;
  int neg = 0;

  if (n > 0 && (s[0] == '+' || s[0] == '-'))
    neg = s[i++] == '-';
  if (i == n || n > 12)
    goto bad;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      goto bad;
    v = v * 10 + (s[i] - '0');
  }
  *out = (int)(neg ? -v : v);
  return 0;
bad:
  *err = cel_err(c, "strconv.Atoi: parsing \"%.*s\": invalid syntax",
                 (int)(n > 64 ? 64 : n), s);
  return -1;
}

int cel_tz_offset(struct cel_ctx *c, const struct cel_val *zone, int64_t t,
                  int64_t *off, struct cel_val *err) {
  const char *s = zone->v.s.p, *colon = memchr(s, ':', zone->v.s.n);
  size_t n = zone->v.s.n;
  char name[CEL_TZ_MAX_NAME + 1];
  int bad_name;

  if (colon != NULL) {
    int hr, mn;
    size_t hn = (size_t)(colon - s);

    if (go_atoi(c, s, hn, &hr, err) < 0 ||
        go_atoi(c, colon + 1, n - hn - 1, &mn, err) < 0)
      return -1;
    *off = (int64_t)(s[0] == '-' ? hr * 60 - mn : hr * 60 + mn) * 60;
    return 0;
  }
  if (n == 0 || (n == 3 && memcmp(s, "UTC", 3) == 0) ||
      (n == 5 && memcmp(s, "Local", 5) == 0)) {
    *off = 0; /* Local: the server's zone is UTC for rules */
    return 0;
  }
  if (n > CEL_TZ_MAX_NAME || memchr(s, '\0', n) != NULL) {
    *err = cel_err(c, "unknown time zone %.*s", (int)(n > 64 ? 64 : n), s);
    return -1;
  }
  memcpy(name, s, n);
  name[n] = '\0';
  if (c->tz == NULL || strcmp(c->tz->name, name) != 0) {
    struct cel_tz *z = tz_load(name, &bad_name);

    if (z == NULL) {
      *err = bad_name ? cel_err(c, "time: invalid location name")
                      : cel_err(c, "unknown time zone %s", name);
      return -1;
    }
    cel_tz_free(c->tz);
    c->tz = z;
  }
  *off = zone_offset(c->tz, t);
  return 0;
}
