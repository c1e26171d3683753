/*
 * cel_lib_net - Kubernetes' IP and CIDR CEL libraries
 * (k8s.io/apiserver/pkg/cel/library/ip.go, cidr.go): ip(), isIP(),
 * ip.isCanonical(), the IP predicates, cidr(), isCIDR() and the CIDR
 * methods. Parsing follows Go's net/netip (ParseAddr, ParsePrefix) to
 * the letter, because kube's error messages quote netip's: a rule's
 * author sees `IP Address "1.2.3" parse error during conversion from
 * string: ParseAddr("1.2.3"): IPv4 address too short`.
 *
 * An IP or CIDR value keeps its canonical text (netip's String(): the
 * shortest IPv6 form, "addr/bits" for a prefix) in the arena, so equality
 * is a string comparison and the methods parse it again (at most 43
 * bytes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cel/cel_int.h"

static const char *net_globals[] = {"ip", "isIP", "ip.isCanonical", "cidr",
                                    "isCIDR", NULL};
static const char *net_members[] = {
    "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast",
    "isLinkLocalUnicast", "isGlobalUnicast", "containsIP", "containsCIDR",
    "ip", "masked", "prefixLength", NULL};

int cel_net_known(const char *name, int member) {
  return cel_in_table(member ? net_members : net_globals, name);
}

/* snprintf for error texts, which may be cut. */
static void textf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void textf(char *dst, size_t cap, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(dst, cap, fmt, ap);
  va_end(ap);
}

struct addr {
  unsigned char b[16];
  int v4;     /* 4 bytes in b[0..3] */
  int zone;   /* had a %zone (IPv6) */
};

/* Go's strconv.Quote, enough for error texts: printable ASCII and valid
 * UTF-8 as they are, the rest escaped. */
static size_t go_quote(char *out, size_t cap, const char *s, size_t n) {
  size_t o = 0, i;

  if (n > 128)
    n = 128; /* error texts stay short */
#define PUT(...)                                                            \
  do {                                                                      \
    int w_ = snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__);         \
    if (w_ > 0)                                                             \
      o += (size_t)w_;                                                      \
  } while (0)
  PUT("\"");
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];

    if (ch == '"' || ch == '\\')
      PUT("\\%c", ch);
    else if (ch == '\n')
      PUT("\\n");
    else if (ch == '\t')
      PUT("\\t");
    else if (ch == '\r')
      PUT("\\r");
    else if (ch < 0x20 || ch == 0x7f)
      PUT("\\x%02x", ch);
    else
      PUT("%c", ch);
  }
  PUT("\"");
#undef PUT
  return o < cap ? o : cap - 1;
}

/* Go's parseAddrError text in err (cap bytes). */
static int addr_fail(char *err, size_t cap, const char *in, size_t n,
                     const char *msg, const char *at, size_t at_n) {
  char q[300], qa[300];

  go_quote(q, sizeof q, in, n);
  if (at != NULL && at_n > 0) {
    go_quote(qa, sizeof qa, at, at_n);
    textf(err, cap, "ParseAddr(%s): %s (at %s)", q, msg, qa);
  } else {
    textf(err, cap, "ParseAddr(%s): %s", q, msg);
  }
  return -1;
}

/* netip's parseIPv4Fields over in[off, end) into f[4]. */
static int v4_fields(const char *in, size_t n, size_t off, size_t end,
                     unsigned char *f, char *err, size_t cap) {
  const char *s = in + off;
  size_t len = end - off, i;
  int val = 0, pos = 0, dig = 0;

  for (i = 0; i < len; i++) {
    if (s[i] >= '0' && s[i] <= '9') {
      if (dig == 1 && val == 0)
        return addr_fail(err, cap, in, n,
                         "IPv4 field has octet with leading zero", NULL, 0);
      val = val * 10 + (s[i] - '0');
      dig++;
      if (val > 255)
        return addr_fail(err, cap, in, n, "IPv4 field has value >255", NULL,
                         0);
    } else if (s[i] == '.') {
      if (i == 0 || i == len - 1 || s[i - 1] == '.')
        return addr_fail(err, cap, in, n,
                         "IPv4 field must have at least one digit", s + i,
                         len - i);
      if (pos == 3)
        return addr_fail(err, cap, in, n, "IPv4 address too long", NULL, 0);
      f[pos++] = (unsigned char)val;
      val = 0;
      dig = 0;
    } else {
      return addr_fail(err, cap, in, n, "unexpected character", s + i,
                       len - i);
    }
  }
  if (pos < 3)
    return addr_fail(err, cap, in, n, "IPv4 address too short", NULL, 0);
  f[3] = (unsigned char)val;
  return 0;
}

static int hexdig(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* netip's parseIPv6. */
static int v6_parse(const char *in, size_t n, struct addr *a, char *err,
                    size_t cap) {
  const char *s = in, *pct = memchr(in, '%', n);
  size_t len = pct != NULL ? (size_t)(pct - in) : n, zone_n = 0;
  int ellipsis = -1, i = 0, j;

  if (pct != NULL) {
    zone_n = n - len - 1;
    if (zone_n == 0)
      return addr_fail(err, cap, in, n, "zone must be a non-empty string",
                       NULL, 0);
    a->zone = 1;
  }
  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s += 2;
    len -= 2;
    if (len == 0)
      return 0;
  }
  while (i < 16) {
    size_t off = 0;
    unsigned acc = 0;

    for (; off < len && hexdig(s[off]) >= 0; off++) {
      acc = (acc << 4) + (unsigned)hexdig(s[off]);
      if (off > 3)
        return addr_fail(err, cap, in, n,
                         "each group must have 4 or less digits", s, len);
    }
    if (off == 0)
      return addr_fail(err, cap, in, n,
                       "each colon-separated field must have at least one "
                       "digit", s, len);
    if (off < len && s[off] == '.') {
      size_t end = n - (pct != NULL ? zone_n + 1 : 0);

      if (ellipsis < 0 && i != 12)
        return addr_fail(err, cap, in, n,
                         "embedded IPv4 address must replace the final 2 "
                         "fields of the address", s, len);
      if (i + 4 > 16)
        return addr_fail(err, cap, in, n,
                         "too many hex fields to fit an embedded IPv4 at "
                         "the end of the address", s, len);
      if (v4_fields(in, n, end - len, end, a->b + i, err, cap) < 0)
        return -1;
      len = 0;
      i += 4;
      break;
    }
    a->b[i] = (unsigned char)(acc >> 8);
    a->b[i + 1] = (unsigned char)acc;
    i += 2;
    s += off;
    len -= off;
    if (len == 0)
      break;
    if (s[0] != ':')
      return addr_fail(err, cap, in, n, "unexpected character, want colon",
                       s, len);
    if (len == 1)
      return addr_fail(err, cap, in, n,
                       "colon must be followed by more characters", s, len);
    s++;
    len--;
    if (s[0] == ':') {
      if (ellipsis >= 0)
        return addr_fail(err, cap, in, n, "multiple :: in address", s, len);
      ellipsis = i;
      s++;
      len--;
      if (len == 0)
        break;
    }
  }
  if (len != 0)
    return addr_fail(err, cap, in, n, "trailing garbage after address", s,
                     len);
  if (i < 16) {
    int k = 16 - i;

    if (ellipsis < 0)
      return addr_fail(err, cap, in, n, "address string too short", NULL, 0);
    for (j = i - 1; j >= ellipsis; j--)
      a->b[j + k] = a->b[j];
    memset(a->b + ellipsis, 0, (size_t)k);
  } else if (ellipsis >= 0) {
    return addr_fail(err, cap, in, n,
                     "the :: must expand to at least one field of zeros", s,
                     len);
  }
  return 0;
}

/* netip.ParseAddr: 0, or -1 with its error text in err. */
static int parse_addr(const char *s, size_t n, struct addr *a, char *err,
                      size_t cap) {
  size_t i;

  memset(a, 0, sizeof *a);
  for (i = 0; i < n; i++) {
    if (s[i] == '.') {
      a->v4 = 1;
      return v4_fields(s, n, 0, n, a->b, err, cap);
    }
    if (s[i] == ':')
      return v6_parse(s, n, a, err, cap);
    if (s[i] == '%')
      return addr_fail(err, cap, s, n, "missing IPv6 address", NULL, 0);
  }
  return addr_fail(err, cap, s, n, "unable to parse IP", NULL, 0);
}

static int is_4in6(const struct addr *a) {
  static const unsigned char pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0xff, 0xff};

  return !a->v4 && memcmp(a->b, pre, 12) == 0;
}

/* netip's Addr.String(), in out (at least 46 bytes). */
static size_t addr_text(const struct addr *a, char *out) {
  int best = -1, best_n = 0, i, o = 0;

  if (a->v4)
    return (size_t)sprintf(out, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2],
                           a->b[3]);
  for (i = 0; i < 8;) {
    int j = i;

    while (j < 8 && a->b[2 * j] == 0 && a->b[2 * j + 1] == 0)
      j++;
    if (j - i > best_n && j - i >= 2) {
      best = i;
      best_n = j - i;
    }
    i = j > i ? j : i + 1;
  }
  for (i = 0; i < 8; i++) {
    if (i == best) {
      o += sprintf(out + o, "::");
      i += best_n - 1;
      continue;
    }
    if (i > 0 && i != best + best_n)
      out[o++] = ':';
    o += sprintf(out + o, "%x", (unsigned)(a->b[2 * i] << 8 | a->b[2 * i + 1]));
  }
  out[o] = '\0';
  return (size_t)o;
}

/* kube's parseIPAddr: netip's, less zones and IPv4-mapped IPv6. */
static int kube_addr(const char *s, size_t n, struct addr *a, char *err,
                     size_t cap) {
  char q[300];

  if (parse_addr(s, n, a, err, cap) < 0) {
    char inner[512];

    textf(inner, sizeof inner, "%s", err);
    go_quote(q, sizeof q, s, n);
    textf(err, cap, "IP Address %s parse error during conversion from "
                       "string: %s", q, inner);
    return -1;
  }
  go_quote(q, sizeof q, s, n);
  if (a->zone) {
    textf(err, cap, "IP address %s with zone value is not allowed", q);
    return -1;
  }
  if (is_4in6(a)) {
    textf(err, cap, "IPv4-mapped IPv6 address %s is not allowed", q);
    return -1;
  }
  return 0;
}

/* netip.ParsePrefix then kube's parseCIDR checks. */
static int kube_prefix(const char *s, size_t n, struct addr *a, int *bits,
                       char *err, size_t cap) {
  const char *slash = NULL;
  char q[300], inner[400];
  size_t i, bn;
  long long v = 0;

  go_quote(q, sizeof q, s, n);
  for (i = n; i > 0; i--)
    if (s[i - 1] == '/') {
      slash = s + i - 1;
      break;
    }
  if (slash == NULL) {
    textf(inner, sizeof inner, "netip.ParsePrefix(%s): no '/'", q);
    goto fail;
  }
  if (parse_addr(s, (size_t)(slash - s), a, err, cap) < 0) {
    char sub[400];

    textf(sub, sizeof sub, "%s", err);
    textf(inner, sizeof inner, "netip.ParsePrefix(%s): %s", q, sub);
    goto fail;
  }
  if (a->zone) {
    textf(inner, sizeof inner,
             "netip.ParsePrefix(%s): IPv6 zones cannot be present in a "
             "prefix", q);
    goto fail;
  }
  bn = n - (size_t)(slash - s) - 1;
  for (i = 0; i < bn; i++) {
    char ch = slash[1 + i];

    if (ch < '0' || ch > '9' || (i == 0 && ch == '0' && bn > 1) || i > 17)
      break;
    v = v * 10 + (ch - '0');
  }
  if (bn == 0 || i < bn) {
    char qb[300];

    go_quote(qb, sizeof qb, slash + 1, bn);
    textf(inner, sizeof inner,
             "netip.ParsePrefix(%s): bad bits after slash: %s", q, qb);
    goto fail;
  }
  if (v > (a->v4 ? 32 : 128)) {
    textf(inner, sizeof inner,
             "netip.ParsePrefix(%s): prefix length out of range", q);
    goto fail;
  }
  if (is_4in6(a)) {
    textf(err, cap, "IPv4-mapped IPv6 address %s is not allowed", q);
    return -1;
  }
  *bits = (int)v;
  return 0;
fail:
  /* kube's parseCIDR and stringToCIDR both prefix it: twice, as kube. */
  textf(err, cap, "network address parse error during conversion from "
                     "string: %s", inner);
  return -1;
}

static struct cel_val addr_val(struct cel_ctx *c, const struct addr *a) {
  char buf[64];
  size_t n = addr_text(a, buf);
  struct cel_val v = cel_str_dup(c, buf, n);

  if (v.k == K_STRING)
    v.k = K_IP;
  return v;
}

static void mask(struct addr *a, int bits) {
  int i, nb = a->v4 ? 4 : 16;

  for (i = 0; i < nb; i++) {
    int keep = bits - 8 * i;

    if (keep >= 8)
      continue;
    a->b[i] &= keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
  }
}

static struct cel_val prefix_val(struct cel_ctx *c, const struct addr *a,
                                 int bits) {
  char buf[80];
  size_t n = addr_text(a, buf);
  struct cel_val v;

  n += (size_t)sprintf(buf + n, "/%d", bits);
  v = cel_str_dup(c, buf, n);
  if (v.k == K_STRING)
    v.k = K_CIDR;
  return v;
}

static int bits_of(const char *s, size_t n) {
  int v = 0;
  size_t i;

  for (i = 0; i < n && i < 3; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

/* A value's address again (canonical text: it parses). */
static void val_addr(const struct cel_val *v, struct addr *a, int *bits) {
  char err[8];
  const char *slash = memchr(v->v.s.p, '/', v->v.s.n);
  size_t n = slash != NULL ? (size_t)(slash - v->v.s.p) : v->v.s.n;

  if (parse_addr(v->v.s.p, n, a, err, sizeof err) < 0)
    memset(a, 0, sizeof *a);
  if (bits != NULL)
    *bits = slash != NULL ? bits_of(slash + 1, v->v.s.n - n - 1) : 0;
}

static int prefix_contains(const struct addr *p, int bits,
                           const struct addr *x) {
  struct addr m = *p, y = *x;

  if (p->v4 != x->v4)
    return 0;
  mask(&m, bits);
  mask(&y, bits);
  return memcmp(m.b, y.b, 16) == 0;
}

static struct cel_val ip_method(struct cel_ctx *c, const char *name,
                                const struct cel_val *t, size_t n) {
  struct addr a;
  const unsigned char *b;

  if (n != 0)
    return cel_no_overload(c, name);
  val_addr(t, &a, NULL);
  b = a.b;
  if (strcmp(name, "family") == 0)
    return cel_int(a.v4 ? 4 : 6);
  if (strcmp(name, "isUnspecified") == 0) {
    static const unsigned char zero[16];

    return cel_bool(memcmp(b, zero, a.v4 ? 4 : 16) == 0);
  }
  if (strcmp(name, "isLoopback") == 0) {
    static const unsigned char one[16] = {[15] = 1};

    return cel_bool(a.v4 ? b[0] == 127 : memcmp(b, one, 16) == 0);
  }
  if (strcmp(name, "isLinkLocalMulticast") == 0)
    return cel_bool(a.v4 ? b[0] == 224 && b[1] == 0 && b[2] == 0
                         : b[0] == 0xff && (b[1] & 0x0f) == 0x02);
  if (strcmp(name, "isLinkLocalUnicast") == 0)
    return cel_bool(a.v4 ? b[0] == 169 && b[1] == 254
                         : b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
  if (strcmp(name, "isGlobalUnicast") == 0) {
    static const unsigned char zero[16], one[16] = {[15] = 1};

    if (a.v4)
      return cel_bool(!(b[0] == 255 && b[1] == 255 && b[2] == 255 &&
                        b[3] == 255) &&
                      memcmp(b, zero, 4) != 0 && b[0] != 127 &&
                      (b[0] & 0xf0) != 0xe0 && !(b[0] == 169 && b[1] == 254));
    return cel_bool(memcmp(b, zero, 16) != 0 && memcmp(b, one, 16) != 0 &&
                    b[0] != 0xff && !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80));
  }
  return cel_no_overload(c, name);
}

static struct cel_val cidr_method(struct cel_ctx *c, const char *name,
                                  const struct cel_val *t,
                                  const struct cel_val *a, size_t n) {
  struct addr p, x;
  int bits, xbits;
  char err[1024];

  val_addr(t, &p, &bits);
  if (n == 0 && strcmp(name, "prefixLength") == 0)
    return cel_int(bits);
  if (n == 0 && strcmp(name, "ip") == 0)
    return addr_val(c, &p);
  if (n == 0 && strcmp(name, "masked") == 0) {
    mask(&p, bits);
    return prefix_val(c, &p, bits);
  }
  if (n != 1)
    return cel_no_overload(c, name);
  if (strcmp(name, "containsIP") == 0) {
    if (a[0].k == K_STRING) {
      if (kube_addr(a[0].v.s.p, a[0].v.s.n, &x, err, sizeof err) < 0)
        return cel_err(c, "%s", err);
    } else if (a[0].k == K_IP) {
      val_addr(&a[0], &x, NULL);
    } else {
      return cel_no_overload(c, name);
    }
    return cel_bool(prefix_contains(&p, bits, &x));
  }
  if (strcmp(name, "containsCIDR") == 0) {
    if (a[0].k == K_STRING) {
      if (kube_prefix(a[0].v.s.p, a[0].v.s.n, &x, &xbits, err,
                      sizeof err) < 0)
        return cel_err(c, "network address parse error during conversion "
                          "from string: %s", err);
    } else if (a[0].k == K_CIDR) {
      val_addr(&a[0], &x, &xbits);
    } else {
      return cel_no_overload(c, name);
    }
    return cel_bool(xbits >= bits && prefix_contains(&p, bits, &x));
  }
  return cel_no_overload(c, name);
}

struct cel_val cel_net_call(struct cel_ctx *c, const char *name,
                            const struct cel_val *t, const struct cel_val *a,
                            size_t n, int *handled) {
  struct addr x;
  char err[1024], buf[64];
  int bits;

  *handled = 1;
  if (t != NULL && t->k == K_IP && cel_net_known(name, 1))
    return ip_method(c, name, t, n);
  if (t != NULL && t->k == K_CIDR && cel_net_known(name, 1))
    return cidr_method(c, name, t, a, n);
  if (t != NULL || !cel_net_known(name, 0)) {
    *handled = 0;
    return cel_null();
  }
  if (n != 1 || a[0].k != K_STRING)
    return cel_no_overload(c, name);
  if (strcmp(name, "isIP") == 0)
    return cel_bool(kube_addr(a[0].v.s.p, a[0].v.s.n, &x, err,
                              sizeof err) == 0);
  if (strcmp(name, "isCIDR") == 0)
    return cel_bool(kube_prefix(a[0].v.s.p, a[0].v.s.n, &x, &bits, err,
                                sizeof err) == 0);
  if (strcmp(name, "cidr") == 0) {
    if (kube_prefix(a[0].v.s.p, a[0].v.s.n, &x, &bits, err, sizeof err) < 0)
      return cel_err(c, "network address parse error during conversion "
                        "from string: %s", err);
    return prefix_val(c, &x, bits);
  }
  if (kube_addr(a[0].v.s.p, a[0].v.s.n, &x, err, sizeof err) < 0)
    return cel_err(c, "%s", err);
  if (strcmp(name, "ip") == 0)
    return addr_val(c, &x);
  return cel_bool(addr_text(&x, buf) == a[0].v.s.n &&
                  memcmp(buf, a[0].v.s.p, a[0].v.s.n) == 0);
}
