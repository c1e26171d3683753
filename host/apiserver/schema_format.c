/*
 * schema_format - see schema_format.h.
 *
 * The formats defined by a regular expression in strfmt are matched with
 * the same expressions through schema_pattern (compiled once, on first
 * use, shared by every thread); the others are parsed here as the Go
 * function strfmt calls parses them (time.Parse, base64, net.ParseIP...).
 */
#include "apiserver/schema_format.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/schema_pattern.h"
#include "encoding/base64.h"

enum fmt { F_NONE, F_DATETIME, F_DATE, F_BYTE, F_UUID, F_UUID3, F_UUID4,
           F_UUID5, F_IPV4, F_IPV6, F_CIDR, F_MAC, F_HOSTNAME, F_EMAIL,
           F_URI, F_DURATION, F_HEXCOLOR, F_RGBCOLOR, F_BSONOBJECTID,
           F_PASSWORD, F_N };

/* strfmt's names, normalized as strfmt does (lower case, no '-'). */
static const struct {
  const char *name;
  enum fmt f;
} names[] = {
    {"datetime", F_DATETIME}, {"date", F_DATE},         {"byte", F_BYTE},
    {"uuid", F_UUID},         {"uuid3", F_UUID3},       {"uuid4", F_UUID4},
    {"uuid5", F_UUID5},       {"ipv4", F_IPV4},         {"ipv6", F_IPV6},
    {"cidr", F_CIDR},         {"mac", F_MAC},           {"hostname", F_HOSTNAME},
    {"email", F_EMAIL},       {"uri", F_URI},           {"duration", F_DURATION},
    {"hexcolor", F_HEXCOLOR}, {"rgbcolor", F_RGBCOLOR},
    {"bsonobjectid", F_BSONOBJECTID}, {"password", F_PASSWORD},
};

/* strfmt's expressions, for the formats it defines by one. */
static const char *const patterns[F_N] = {
    [F_UUID] = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?"
               "[0-9a-f]{12}$",
    [F_UUID3] = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?"
                "[0-9a-f]{12}$",
    [F_UUID4] = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab]"
                "[0-9a-f]{3}-?[0-9a-f]{12}$",
    [F_UUID5] = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab]"
                "[0-9a-f]{3}-?[0-9a-f]{12}$",
    [F_HOSTNAME] =
        "^([a-zA-Z0-9\\p{S}\\p{L}]((-?[a-zA-Z0-9\\p{S}\\p{L}]{0,62})?)|"
        "([a-zA-Z0-9\\p{S}\\p{L}](([a-zA-Z0-9-\\p{S}\\p{L}]{0,61}"
        "[a-zA-Z0-9\\p{S}\\p{L}])?)(\\.)){1,}([a-zA-Z\\p{L}]){2,63})$",
    [F_HEXCOLOR] = "^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$",
    [F_RGBCOLOR] = "^rgb\\(\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*,"
                   "\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*,\\s*"
                   "(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*\\)$",
    [F_BSONOBJECTID] = "^[0-9a-fA-F]{24}$",
    [F_DURATION] = "^(\\s*[0-9]+\\s*(ns|us|µs|ms|s|sec|secs|second|seconds|"
                   "m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|"
                   "w|wk|wks|week|weeks))+\\s*$",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct cp_pattern *compiled[F_N];

static void compile_all(void) {
  size_t i;

  for (i = 0; i < F_N; i++) {
    char *err = NULL;

    if (patterns[i] != NULL)
      compiled[i] = cp_pattern_compile(patterns[i], &err);
    free(err); /* fixed text: test_schema_keywords proves it compiles */
  }
}

static int by_pattern(enum fmt f, const char *s, size_t len) {
  pthread_once(&once, compile_all);
  return compiled[f] != NULL && cp_pattern_match(compiled[f], s, len) == 1;
}

static enum fmt lookup(const char *format) {
  char norm[32];
  size_t i, n = 0;

  for (i = 0; format[i] != '\0' && n + 1 < sizeof norm; i++)
    if (format[i] != '-')
      norm[n++] = (char)tolower((unsigned char)format[i]);
  if (format[i] != '\0')
    return F_NONE;
  norm[n] = '\0';
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i].name, norm) == 0)
      return names[i].f;
  return F_NONE;
}

int cp_format_known(const char *format) {
  return format != NULL && lookup(format) != F_NONE;
}

static int digits(const char *s, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

static int num2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* time.Parse("2006-01-02"): a real calendar day. */
static int is_date(const char *s, size_t len) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, m, d;

  if (len != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) ||
      !digits(s + 5, 2) || !digits(s + 8, 2))
    return 0;
  y = atoi(s);
  m = num2(s + 5);
  d = num2(s + 8);
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return 0;
  return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* strfmt's IsDateTime: a date, 'T' (any case), hh:mm:ss[.frac] and 'Z'
 * or a +hh:mm offset. */
static int is_datetime(const char *s, size_t len) {
  const char *t;
  size_t i;

  if (len < 11 || !is_date(s, 10) || (s[10] != 'T' && s[10] != 't'))
    return 0;
  t = s + 11;
  len -= 11;
  if (len < 9 || !digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) ||
      t[5] != ':' || !digits(t + 6, 2) || num2(t) > 23 || num2(t + 3) > 59 ||
      num2(t + 6) > 59)
    return 0;
  i = 8;
  if (t[i] == '.') { /* RE2's '.' there: any character, then digits */
    size_t start = ++i;

    while (i < len && isdigit((unsigned char)t[i]))
      i++;
    if (i == start)
      return 0;
  }
  if (len - i == 1)
    return t[i] == 'Z' || t[i] == 'z';
  return len - i == 6 && (t[i] == '+' || t[i] == '-') &&
         digits(t + i + 1, 2) && t[i + 3] == ':' && digits(t + i + 4, 2);
}

/* netutils.ParseIPSloppy for IPv4: leading zeros allowed. */
static int is_ipv4(const char *s, size_t len) {
  size_t i = 0;
  int part;

  for (part = 0; part < 4; part++) {
    size_t start = i;
    long v = 0;

    while (i < len && isdigit((unsigned char)s[i]) && i - start < 3)
      v = v * 10 + (s[i++] - '0');
    if (i == start || v > 255)
      return 0;
    if (part < 3 && (i >= len || s[i++] != '.'))
      return 0;
  }
  return i == len;
}

static int is_ipv6(const char *s, size_t len) {
  char buf[64];
  unsigned char addr[16];

  if (len >= sizeof buf || memchr(s, ':', len) == NULL)
    return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  return inet_pton(AF_INET6, buf, addr) == 1;
}

static int is_cidr(const char *s, size_t len) {
  const char *slash = memchr(s, '/', len);
  size_t alen, plen;
  int v4;

  if (slash == NULL)
    return 0;
  alen = (size_t)(slash - s);
  plen = len - alen - 1;
  v4 = is_ipv4(s, alen);
  if (!v4 && !is_ipv6(s, alen))
    return 0;
  if (plen == 0 || plen > 3 || !digits(slash + 1, plen))
    return 0;
  return atoi(slash + 1) <= (v4 ? 32 : 128);
}

/* net.ParseMAC: 6, 8 or 20 octets as aa:bb:.., aa-bb-.. or aabb.ccdd... */
static int is_mac(const char *s, size_t len) {
  size_t i, groups;
  char sep;

  if (len < 14)
    return 0;
  sep = s[2] == ':' || s[2] == '-' ? s[2] : s[4] == '.' ? '.' : 0;
  if (sep == 0)
    return 0;
  if (sep == '.') {
    if ((len + 1) % 5 != 0)
      return 0;
    groups = (len + 1) / 5;
    if (groups * 2 != 6 && groups * 2 != 8 && groups * 2 != 20)
      return 0;
    for (i = 0; i < len; i++)
      if (i % 5 == 4 ? s[i] != '.' : !isxdigit((unsigned char)s[i]))
        return 0;
    return 1;
  }
  if ((len + 1) % 3 != 0)
    return 0;
  groups = (len + 1) / 3;
  if (groups != 6 && groups != 8 && groups != 20)
    return 0;
  for (i = 0; i < len; i++)
    if (i % 3 == 2 ? s[i] != sep : !isxdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

/* net/mail.ParseAddress, in its common shapes: local@domain, with an
 * optional display name around <local@domain>. */
static int is_email(const char *s, size_t len) {
  const char *lt = memchr(s, '<', len), *at;
  size_t i;

  if (lt != NULL) {
    if (s[len - 1] != '>')
      return 0;
    len -= (size_t)(lt - s) + 2;
    s = lt + 1;
  }
  at = memchr(s, '@', len);
  if (at == NULL || at == s || at == s + len - 1)
    return 0;
  for (i = 0; i < len; i++)
    if (isspace((unsigned char)s[i]) || s[i] == '<' || s[i] == '>' ||
        (s[i] == '@' && s + i != at))
      return 0;
  return 1;
}

/* url.ParseRequestURI: an absolute URI (scheme:...) or an absolute path,
 * without spaces or control characters. */
static int is_uri(const char *s, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
      return 0;
  if (len > 0 && s[0] == '/')
    return 1;
  if (len == 0 || !isalpha((unsigned char)s[0]))
    return 0;
  for (i = 1; i < len && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
                          s[i] == '-' || s[i] == '.');
       i++)
    ;
  return i < len && s[i] == ':' && i + 1 < len;
}

/* time.ParseDuration: [-+] then (number[.frac] unit)+, or "0". */
static int is_go_duration(const char *s, size_t len) {
  static const char *const units[] = {"ns", "us", "µs", "μs", "ms",
                                      "s",  "m",  "h"};
  size_t i = 0, u;

  if (i < len && (s[i] == '-' || s[i] == '+'))
    i++;
  if (len - i == 1 && s[i] == '0')
    return 1;
  if (i == len)
    return 0;
  while (i < len) {
    size_t start = i, best = 0;

    while (i < len && isdigit((unsigned char)s[i]))
      i++;
    if (i < len && s[i] == '.')
      for (i++; i < len && isdigit((unsigned char)s[i]); i++)
        ;
    if (i == start || (i == start + 1 && s[start] == '.'))
      return 0;
    for (u = 0; u < sizeof units / sizeof units[0]; u++) {
      size_t n = strlen(units[u]);

      if (n > best && n <= len - i && memcmp(s + i, units[u], n) == 0)
        best = n;
    }
    if (best == 0)
      return 0;
    i += best;
  }
  return 1;
}

int cp_format_valid(const char *format, const char *s, size_t len) {
  enum fmt f = format != NULL ? lookup(format) : F_NONE;

  switch (f) {
  case F_DATETIME:
    return is_datetime(s, len);
  case F_DATE:
    return is_date(s, len);
  case F_BYTE: /* base64.StdEncoding.DecodeString */
    return cp_base64_decode_to(CP_BASE64_STD, 0, NULL, s, len, NULL,
                               NULL) == 0;
  case F_IPV4:
    return is_ipv4(s, len);
  case F_IPV6:
    return is_ipv6(s, len);
  case F_CIDR:
    return is_cidr(s, len);
  case F_MAC:
    return is_mac(s, len);
  case F_EMAIL:
    return is_email(s, len);
  case F_URI:
    return is_uri(s, len);
  case F_DURATION:
    return is_go_duration(s, len) || by_pattern(f, s, len);
  case F_HOSTNAME:
    return len <= 255 && by_pattern(f, s, len);
  case F_UUID:
  case F_UUID3:
  case F_UUID4:
  case F_UUID5:
  case F_HEXCOLOR:
  case F_RGBCOLOR:
  case F_BSONOBJECTID:
    return by_pattern(f, s, len);
  default:
    return 1;
  }
}
