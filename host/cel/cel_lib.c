/*
 * cel_lib - CEL's standard functions: size, the string tests (contains,
 * startsWith, endsWith, matches), the type conversions (int, uint,
 * double, string, bool, bytes, dyn, type), timestamps and durations
 * (UTC; cel-go's accessors and RFC 3339 / Go duration text) and
 * optionals. The Kubernetes libraries are in cel_kube.c; both are
 * dispatched from cel_call.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/schema_pattern.h"
#include "cel/cel_int.h"

static const char *globals[] = {
    "size", "int", "uint", "double", "string", "bool", "bytes", "dyn",
    "type", "duration", "timestamp", "matches", "optional.of",
    "optional.none", "optional.ofNonZeroValue", NULL};

static const char *members[] = {
    "size", "contains", "startsWith", "endsWith", "matches", "getFullYear",
    "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
    "getHours", "getMinutes", "getSeconds", "getMilliseconds", "hasValue",
    "value", "orValue", "or", NULL};

/* Kube's CEL environment (1.32) beyond what cplane implements: nothing
 * now; a name listed here would compile and fail when called. */
static const char *unsupported_globals[] = {NULL};
static const char *unsupported_members[] = {NULL};

int cel_in_table(const char *const *t, const char *name) {
  size_t i;

  for (i = 0; t[i] != NULL; i++)
    if (strcmp(t[i], name) == 0)
      return 1;
  return 0;
}

int cel_function_known(const char *name, int member) {
  return cel_in_table(member ? members : globals, name) ||
         cel_kube_known(name, member) || cel_authz_known(name, member) ||
         cel_in_table(member ? unsupported_members : unsupported_globals,
                      name);
}

int cel_function_supported(const char *name) {
  if (cel_in_table(globals, name) || cel_in_table(members, name) ||
      cel_kube_known(name, 0) || cel_kube_known(name, 1) ||
      cel_authz_known(name, 1))
    return 1;
  return !cel_in_table(unsupported_members, name) &&
         !cel_in_table(unsupported_globals, name);
}

/* Code points in a UTF-8 string. */
static size_t utf8_len(const char *p, size_t n) {
  size_t i, k = 0;

  for (i = 0; i < n; i++)
    if (((unsigned char)p[i] & 0xC0) != 0x80)
      k++;
  return k;
}

static int utf8_valid(const char *p, size_t n) {
  size_t i = 0;

  while (i < n) {
    unsigned char c = (unsigned char)p[i];
    size_t k, len;
    uint32_t cp;

    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (i + len > n)
      return 0;
    for (k = 1; k < len; k++) {
      if (((unsigned char)p[i + k] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | ((unsigned char)p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp < 0xE000))
      return 0;
    i += len;
  }
  return 1;
}

static int has_sub(const struct cel_val *s, const struct cel_val *t) {
  return t->v.s.n == 0 ||
         memmem(s->v.s.p, s->v.s.n, t->v.s.p, t->v.s.n) != NULL;
}

struct cel_val cel_matches(struct cel_ctx *c, const struct cel_val *s,
                           const struct cel_val *re);
struct cel_val cel_matches(struct cel_ctx *c, const struct cel_val *s,
                           const struct cel_val *re) {
  struct cel_val e;
  struct cp_pattern *p;

  if (cel_charge(c, (s->v.s.n + re->v.s.n) / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  if ((p = cel_regex(c, re->v.s.p, re->v.s.n, &e)) == NULL)
    return e;
  return cel_bool(cp_pattern_match(p, s->v.s.p, s->v.s.n) == 1);
}

/* ------------------------------------------------------------ numbers */

/* Go's %g (cel-go's string(double)): the shortest text that reads back,
 * in %e form from exponent 6 up or below -4. */
static int fmt_double(char *buf, size_t n, double d) {
  int prec, exp;
  char tmp[64];

  if (isnan(d))
    return snprintf(buf, n, "NaN");
  if (isinf(d))
    return snprintf(buf, n, d < 0 ? "-Inf" : "+Inf");
  for (prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    if (strtod(tmp, NULL) == d)
      break;
  }
  exp = atoi(strchr(tmp, 'e') + 1);
  if (exp < -4 || exp >= 6)
    return snprintf(buf, n, "%s", tmp);
  return snprintf(buf, n, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

static int parse_whole(const struct cel_val *s, int is_unsigned,
                       int64_t *i, uint64_t *u) {
  char buf[64], *end;

  if (s->v.s.n == 0 || s->v.s.n >= sizeof buf)
    return -1;
  memcpy(buf, s->v.s.p, s->v.s.n);
  buf[s->v.s.n] = '\0';
  errno = 0;
  if (is_unsigned) {
    if (buf[0] == '-' || buf[0] == '+')
      return -1;
    *u = strtoull(buf, &end, 10);
  } else {
    *i = strtoll(buf, &end, 10);
  }
  return errno != 0 || *end != '\0' || buf[0] == ' ' ? -1 : 0;
}

static struct cel_val to_int(struct cel_ctx *c, const struct cel_val *a) {
  int64_t i;

  switch (a->k) {
  case K_INT: return *a;
  case K_UINT:
    if (a->v.u > INT64_MAX)
      return cel_err(c, "integer overflow");
    return cel_int((int64_t)a->v.u);
  case K_DOUBLE:
    if (isnan(a->v.d) || a->v.d <= -9223372036854775808.0 ||
        a->v.d >= 9223372036854775807.0)
      return cel_err(c, "integer overflow");
    return cel_int((int64_t)a->v.d);
  case K_STRING:
    if (parse_whole(a, 0, &i, NULL) < 0)
      return cel_err(c, "cannot convert string to int");
    return cel_int(i);
  case K_TS: return cel_int(a->v.t.sec);
  default: return cel_no_overload(c, "int");
  }
}

static struct cel_val to_uint(struct cel_ctx *c, const struct cel_val *a) {
  uint64_t u;

  switch (a->k) {
  case K_UINT: return *a;
  case K_INT:
    if (a->v.i < 0)
      return cel_err(c, "integer overflow");
    return cel_uint((uint64_t)a->v.i);
  case K_DOUBLE:
    if (isnan(a->v.d) || a->v.d < 0 || a->v.d >= 18446744073709551615.0)
      return cel_err(c, "integer overflow");
    return cel_uint((uint64_t)a->v.d);
  case K_STRING:
    if (parse_whole(a, 1, NULL, &u) < 0)
      return cel_err(c, "cannot convert string to uint");
    return cel_uint(u);
  default: return cel_no_overload(c, "uint");
  }
}

static struct cel_val to_double(struct cel_ctx *c, const struct cel_val *a) {
  char buf[128], *end;
  double d;

  switch (a->k) {
  case K_DOUBLE: return *a;
  case K_INT: return cel_double((double)a->v.i);
  case K_UINT: return cel_double((double)a->v.u);
  case K_STRING:
    if (a->v.s.n == 0 || a->v.s.n >= sizeof buf)
      return cel_err(c, "cannot convert string to double");
    memcpy(buf, a->v.s.p, a->v.s.n);
    buf[a->v.s.n] = '\0';
    d = strtod(buf, &end);
    if (*end != '\0' || buf[0] == ' ' || strchr(buf, 'x') || strchr(buf, 'X'))
      return cel_err(c, "cannot convert string to double");
    return cel_double(d);
  default: return cel_no_overload(c, "double");
  }
}

/* ------------------------------------------------------------ time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  *y = (int64_t)yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y += *m <= 2;
}

/* RFC 3339: 2006-01-02T15:04:05(.frac)?(Z|±hh:mm). */
static int parse_rfc3339(const char *s, size_t n, int64_t *sec,
                         int32_t *nsec) {
  char buf[64];
  int y, mo, d, h, mi, se, off = 0, k;
  const char *p;
  int64_t ns = 0, digits = 0;

  if (n >= sizeof buf)
    return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (sscanf(buf, "%4d-%2d-%2d%*1[Tt]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
             &se, &k) != 6 || k != 19)
    return -1;
  p = buf + k;
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++, digits++)
      if (digits < 9)
        ns = ns * 10 + (*p - '0');
    if (digits == 0)
      return -1;
    for (; digits < 9; digits++)
      ns *= 10;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;

    if (strlen(p) != 6 || sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
      return -1;
    off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return -1;
  }
  if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || se > 60)
    return -1;
  *sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
         mi * 60 + se - off;
  *nsec = (int32_t)ns;
  return 0;
}

/* Go's time.ParseDuration. */
static int parse_duration(const char *s, size_t n, __int128 *out) {
  static const struct { const char *u; int64_t ns; } units[] = {
      {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
      {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000LL},
      {"h", 3600000000000LL}};
  size_t i = 0, k;
  int neg = 0;
  __int128 total = 0;

  if (i < n && (s[i] == '-' || s[i] == '+'))
    neg = s[i++] == '-';
  if (n - i == 1 && s[i] == '0') {
    *out = 0;
    return 0;
  }
  if (i == n)
    return -1;
  while (i < n) {
    __int128 whole = 0, frac = 0, scale = 1;
    int any = 0;

    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1)
      if ((whole = whole * 10 + (s[i] - '0')) > (__int128)1 << 80)
        return -1;
    if (i < n && s[i] == '.') {
      for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1)
        if (scale < 1000000000000000000LL) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
    }
    if (!any)
      return -1;
    for (k = 0; k < sizeof units / sizeof units[0]; k++) {
      size_t l = strlen(units[k].u);

      if (i + l <= n && memcmp(s + i, units[k].u, l) == 0 &&
          !(l == 1 && units[k].u[0] == 'm' && i + 1 < n && s[i + 1] == 's'))
        break;
    }
    if (k == sizeof units / sizeof units[0])
      return -1;
    i += strlen(units[k].u);
    total += whole * units[k].ns + frac * units[k].ns / scale;
    if (total > (__int128)INT64_MAX)
      return -1;
  }
  *out = neg ? -total : total;
  return 0;
}

static struct cel_val make_time(struct cel_ctx *c, enum cel_kind k,
                                int64_t sec, int32_t nsec) {
  struct cel_val v = {.k = k};

  if (k == K_TS && (sec < -62135596800LL || sec > 253402300799LL))
    return cel_err(c, "timestamp out of range");
  v.v.t.sec = sec;
  v.v.t.nsec = nsec;
  return v;
}

static struct cel_val time_text(struct cel_ctx *c, const struct cel_val *v) {
  char buf[64];
  int n;

  if (v->k == K_TS) {
    int64_t y, days = v->v.t.sec / 86400, rem = v->v.t.sec % 86400;
    unsigned m, d;

    if (rem < 0) {
      rem += 86400;
      days--;
    }
    civil_from_days(days, &y, &m, &d);
    n = snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                 (long long)y, m, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60));
    if (v->v.t.nsec) {
      char f[16];
      int l = snprintf(f, sizeof f, "%09d", (int)v->v.t.nsec);

      while (l > 0 && f[l - 1] == '0')
        f[--l] = '\0';
      n += snprintf(buf + n, sizeof buf - (size_t)n, ".%s", f);
    }
    n += snprintf(buf + n, sizeof buf - (size_t)n, "Z");
  } else {
    __int128 ns = (__int128)v->v.t.sec * 1000000000 + v->v.t.nsec;
    int neg = ns < 0;
    long long s, f;

    if (neg)
      ns = -ns;
    s = (long long)(ns / 1000000000);
    f = (long long)(ns % 1000000000);
    n = snprintf(buf, sizeof buf, "%s%lld", neg ? "-" : "", s);
    if (f) {
      char fr[16];
      int l = snprintf(fr, sizeof fr, "%09lld", f);

      while (l > 0 && fr[l - 1] == '0')
        fr[--l] = '\0';
      n += snprintf(buf + n, sizeof buf - (size_t)n, ".%s", fr);
    }
    n += snprintf(buf + n, sizeof buf - (size_t)n, "s");
  }
  return cel_str_dup(c, buf, (size_t)n);
}

static struct cel_val time_part(struct cel_ctx *c, const char *name,
                                const struct cel_val *t,
                                const struct cel_val *args, size_t n) {
  int64_t sec = t->v.t.sec, days, rem, y;
  unsigned m, d;

  if (t->k == K_DUR) {
    __int128 ns = (__int128)sec * 1000000000 + t->v.t.nsec;

    if (n != 0)
      return cel_no_overload(c, name);
    if (strcmp(name, "getHours") == 0)
      return cel_int((int64_t)(ns / 3600000000000LL));
    if (strcmp(name, "getMinutes") == 0)
      return cel_int((int64_t)(ns / 60000000000LL));
    if (strcmp(name, "getSeconds") == 0)
      return cel_int((int64_t)(ns / 1000000000));
    if (strcmp(name, "getMilliseconds") == 0)
      return cel_int((int64_t)(ns / 1000000 % 1000));
    return cel_no_overload(c, name);
  }
  if (n == 1) {
    /* A fixed offset or an IANA zone name (cel_tz.c). */
    struct cel_val e;
    int64_t off;

    if (args[0].k != K_STRING)
      return cel_no_overload(c, name);
    if (cel_tz_offset(c, &args[0], sec, &off, &e) < 0)
      return e;
    sec += off;
  } else if (n != 0) {
    return cel_no_overload(c, name);
  }
  days = sec / 86400;
  rem = sec % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  civil_from_days(days, &y, &m, &d);
  if (strcmp(name, "getFullYear") == 0) return cel_int(y);
  if (strcmp(name, "getMonth") == 0) return cel_int(m - 1);
  if (strcmp(name, "getDate") == 0) return cel_int(d);
  if (strcmp(name, "getDayOfMonth") == 0) return cel_int(d - 1);
  if (strcmp(name, "getDayOfWeek") == 0)
    return cel_int(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
  if (strcmp(name, "getDayOfYear") == 0)
    return cel_int(days - days_from_civil(y, 1, 1));
  if (strcmp(name, "getHours") == 0) return cel_int(rem / 3600);
  if (strcmp(name, "getMinutes") == 0) return cel_int(rem / 60 % 60);
  if (strcmp(name, "getSeconds") == 0) return cel_int(rem % 60);
  if (strcmp(name, "getMilliseconds") == 0)
    return cel_int(t->v.t.nsec / 1000000);
  return cel_no_overload(c, name);
}

/* ------------------------------------------------------------ dispatch */

static struct cel_val to_string(struct cel_ctx *c, const struct cel_val *a) {
  char buf[64];
  int n;

  switch (a->k) {
  case K_STRING: return *a;
  case K_INT: n = snprintf(buf, sizeof buf, "%lld", (long long)a->v.i); break;
  case K_UINT:
    n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->v.u);
    break;
  case K_DOUBLE: n = fmt_double(buf, sizeof buf, a->v.d); break;
  case K_BOOL: return cel_str(a->v.b ? "true" : "false", a->v.b ? 4 : 5);
  case K_BYTES:
    if (!utf8_valid(a->v.s.p, a->v.s.n))
      return cel_err(c, "invalid UTF-8 in bytes, cannot convert to string");
    return cel_str(a->v.s.p, a->v.s.n);
  case K_TS: case K_DUR: return time_text(c, a);
  case K_URL: case K_IP: case K_CIDR: return cel_str(a->v.s.p, a->v.s.n);
  default: return cel_no_overload(c, "string");
  }
  return cel_str_dup(c, buf, (size_t)n);
}

static struct cel_val to_bool(struct cel_ctx *c, const struct cel_val *a) {
  static const char *yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
  static const char *no[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
  size_t i;

  if (a->k == K_BOOL)
    return *a;
  if (a->k != K_STRING)
    return cel_no_overload(c, "bool");
  for (i = 0; yes[i] != NULL; i++) {
    if (a->v.s.n == strlen(yes[i]) && memcmp(a->v.s.p, yes[i], a->v.s.n) == 0)
      return cel_bool(1);
    if (a->v.s.n == strlen(no[i]) && memcmp(a->v.s.p, no[i], a->v.s.n) == 0)
      return cel_bool(0);
  }
  return cel_err(c, "type conversion error from 'string' to 'bool'");
}

static int is_zero(const struct cel_val *v) {
  switch (v->k) {
  case K_NULL: return 1;
  case K_BOOL: return !v->v.b;
  case K_INT: return v->v.i == 0;
  case K_UINT: return v->v.u == 0;
  case K_DOUBLE: return v->v.d == 0;
  case K_STRING: case K_BYTES: return v->v.s.n == 0;
  case K_LIST: return cel_list_len(v->v.l) == 0;
  case K_MAP: return cel_map_len(v->v.m) == 0;
  case K_TS: case K_DUR: return v->v.t.sec == 0 && v->v.t.nsec == 0;
  default: return 0;
  }
}

static struct cel_val global(struct cel_ctx *c, const char *name,
                             const struct cel_val *a, size_t n) {
  if (strcmp(name, "optional.none") == 0)
    return n == 0 ? (struct cel_val){.k = K_OPT} : cel_no_overload(c, name);
  if (n != 1)
    return cel_no_overload(c, name);
  if (strcmp(name, "int") == 0) return to_int(c, a);
  if (strcmp(name, "uint") == 0) return to_uint(c, a);
  if (strcmp(name, "double") == 0) return to_double(c, a);
  if (strcmp(name, "string") == 0) return to_string(c, a);
  if (strcmp(name, "bool") == 0) return to_bool(c, a);
  if (strcmp(name, "dyn") == 0) return *a;
  if (strcmp(name, "type") == 0)
    return cel_type(a->k == K_TYPE ? "type" : cel_type_name(a));
  if (strcmp(name, "bytes") == 0) {
    if (a->k == K_BYTES)
      return *a;
    if (a->k != K_STRING)
      return cel_no_overload(c, name);
    return cel_bytes(a->v.s.p, a->v.s.n);
  }
  if (strcmp(name, "duration") == 0) {
    __int128 ns;

    if (a->k == K_DUR)
      return *a;
    if (a->k != K_STRING)
      return cel_no_overload(c, name);
    if (parse_duration(a->v.s.p, a->v.s.n, &ns) < 0)
      return cel_err(c, "invalid duration: %.*s",
                     (int)(a->v.s.n > 64 ? 64 : a->v.s.n), a->v.s.p);
    return make_time(c, K_DUR, (int64_t)(ns / 1000000000),
                     (int32_t)(ns % 1000000000));
  }
  if (strcmp(name, "timestamp") == 0) {
    int64_t sec;
    int32_t nsec;

    if (a->k == K_TS)
      return *a;
    if (a->k == K_INT)
      return make_time(c, K_TS, a->v.i, 0);
    if (a->k != K_STRING)
      return cel_no_overload(c, name);
    if (parse_rfc3339(a->v.s.p, a->v.s.n, &sec, &nsec) < 0)
      return cel_err(c, "invalid timestamp: %.*s",
                     (int)(a->v.s.n > 64 ? 64 : a->v.s.n), a->v.s.p);
    return make_time(c, K_TS, sec, nsec);
  }
  if (strcmp(name, "size") == 0)
    return cel_call(c, name, a, NULL, 0);
  if (strcmp(name, "matches") == 0)
    return cel_no_overload(c, name);
  if (strcmp(name, "optional.of") == 0 ||
      strcmp(name, "optional.ofNonZeroValue") == 0) {
    struct cel_val o = {.k = K_OPT};

    if (strcmp(name, "optional.ofNonZeroValue") == 0 && is_zero(a))
      return o;
    if ((o.v.opt = cel_alloc(c, sizeof *o.v.opt)) == NULL)
      return cel_err(c, "out of memory");
    *o.v.opt = *a;
    return o;
  }
  return cel_no_overload(c, name);
}

static int str_args(const struct cel_val *t, const struct cel_val *a,
                    size_t n, size_t want) {
  size_t i;

  if (t == NULL || t->k != K_STRING || n != want)
    return 0;
  for (i = 0; i < n; i++)
    if (a[i].k != K_STRING)
      return 0;
  return 1;
}

static struct cel_val member(struct cel_ctx *c, const char *name,
                             const struct cel_val *t,
                             const struct cel_val *a, size_t n) {
  if (strcmp(name, "size") == 0 && n == 0) {
    switch (t->k) {
    case K_STRING: return cel_int((int64_t)utf8_len(t->v.s.p, t->v.s.n));
    case K_BYTES: return cel_int((int64_t)t->v.s.n);
    case K_LIST: return cel_int((int64_t)cel_list_len(t->v.l));
    case K_MAP: return cel_int((int64_t)cel_map_len(t->v.m));
    default: return cel_no_overload(c, name);
    }
  }
  if (strcmp(name, "contains") == 0 && str_args(t, a, n, 1)) {
    if (cel_charge(c, t->v.s.n / 100) < 0)
      return cel_err(c, CP_CEL_COST_EXCEEDED);
    return cel_bool(has_sub(t, a));
  }
  if (strcmp(name, "startsWith") == 0 && str_args(t, a, n, 1))
    return cel_bool(a->v.s.n <= t->v.s.n &&
                    memcmp(t->v.s.p, a->v.s.p, a->v.s.n) == 0);
  if (strcmp(name, "endsWith") == 0 && str_args(t, a, n, 1))
    return cel_bool(a->v.s.n <= t->v.s.n &&
                    memcmp(t->v.s.p + t->v.s.n - a->v.s.n, a->v.s.p,
                           a->v.s.n) == 0);
  if (strcmp(name, "matches") == 0 && str_args(t, a, n, 1))
    return cel_matches(c, t, a);
  if (strncmp(name, "get", 3) == 0 && (t->k == K_TS || t->k == K_DUR))
    return time_part(c, name, t, a, n);
  if (t->k == K_OPT) {
    if (strcmp(name, "hasValue") == 0 && n == 0)
      return cel_bool(t->v.opt != NULL);
    if (strcmp(name, "value") == 0 && n == 0)
      return t->v.opt != NULL ? *t->v.opt
                              : cel_err(c, "optional.none() dereference");
    if (strcmp(name, "orValue") == 0 && n == 1)
      return t->v.opt != NULL ? *t->v.opt : a[0];
    if (strcmp(name, "or") == 0 && n == 1 && a[0].k == K_OPT)
      return t->v.opt != NULL ? *t : a[0];
  }
  return cel_no_overload(c, name);
}

struct cel_val cel_call(struct cel_ctx *c, const char *name,
                        const struct cel_val *target,
                        const struct cel_val *args, size_t n) {
  struct cel_val v;
  int handled = 0;

  v = cel_kube_call(c, name, target, args, n, &handled);
  if (handled)
    return v;
  if (!cel_function_supported(name))
    return cel_err(c, "function %s is not supported by cplane's CEL", name);
  if (target == NULL) {
    if (strcmp(name, "matches") == 0 && n == 2 &&
        args[0].k == K_STRING && args[1].k == K_STRING)
      return cel_matches(c, &args[0], &args[1]);
    return global(c, name, args, n);
  }
  return member(c, name, target, args, n);
}
