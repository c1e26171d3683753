/*
 * cel_lib_semver - Kubernetes' semver CEL library
 * (k8s.io/apiserver/pkg/cel/library/semverlib.go, version 1):
 * semver(s), semver(s, normalize), isSemver(s), isSemver(s, normalize),
 * major(), minor(), patch(), isGreaterThan, isLessThan, compareTo.
 * Parsing and the error texts are blang/semver/v4's Parse, which kube
 * calls; normalize is kube's normalizeAndParse (no "v", missing minor and
 * patch filled, leading zeros dropped).
 *
 * A value keeps its version text without the build metadata: nothing
 * reads the build (comparison and equality ignore it), so equality of
 * values is equality of texts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel/cel_int.h"

#define SEMVER_MAX 256 /* longer versions are refused, not cut */

static const char *sv_globals[] = {"semver", "isSemver", NULL};
static const char *sv_members[] = {"major", "minor", "patch", "compareTo",
                                   "isGreaterThan", "isLessThan", NULL};

int cel_semver_known(const char *name, int member) {
  return cel_in_table(member ? sv_members : sv_globals, name);
}

struct semver {
  uint64_t num[3];
  const char *pre; /* after '-', up to end (no build): n bytes */
  size_t pre_n;
};

static int only(const char *s, size_t n, int alnum) {
  size_t i;

  for (i = 0; i < n; i++) {
    char ch = s[i];

    if (ch >= '0' && ch <= '9')
      continue;
    if (alnum && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  ch == '-'))
      continue;
    return 0;
  }
  return 1;
}

/* strconv.ParseUint(s, 10, 64) with Go's errors. */
static int parse_u64(const char *s, size_t n, uint64_t *out, char *err,
                     size_t cap) {
  uint64_t v = 0;
  size_t i;

  if (n == 0) {
    snprintf(err, cap, "strconv.ParseUint: parsing \"\": invalid syntax");
    return -1;
  }
  for (i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');

    if (v > (UINT64_MAX - d) / 10) {
      snprintf(err, cap, "strconv.ParseUint: parsing \"%.*s\": value out "
                         "of range", (int)n, s);
      return -1;
    }
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

static const char *const part_names[] = {"major", "minor", "patch"};
static const char *const part_caps[] = {"Major", "Minor", "Patch"};

/* blang/semver's Parse of s[0, n); the text without build in *keep. */
static int sv_parse(const char *s, size_t n, struct semver *v, size_t *keep,
                    char *err, size_t cap) {
  const char *p[3], *plus, *dash, *e = s + n;
  size_t pn[3], i;

  memset(v, 0, sizeof *v);
  if (n == 0) {
    snprintf(err, cap, "Version string empty");
    return -1;
  }
  p[0] = s;
  for (i = 0; i < 2; i++) {
    const char *dot = memchr(p[i], '.', (size_t)(e - p[i]));

    if (dot == NULL) {
      snprintf(err, cap, "No Major.Minor.Patch elements found");
      return -1;
    }
    pn[i] = (size_t)(dot - p[i]);
    p[i + 1] = dot + 1;
  }
  pn[2] = (size_t)(e - p[2]);
  *keep = n;
  if ((plus = memchr(p[2], '+', pn[2])) != NULL) {
    const char *b = plus + 1;

    *keep = (size_t)(plus - s);
    for (;;) {
      const char *d = memchr(b, '.', (size_t)(e - b));
      size_t bn = d != NULL ? (size_t)(d - b) : (size_t)(e - b);

      if (bn == 0) {
        snprintf(err, cap, "Build meta data is empty");
        return -1;
      }
      if (!only(b, bn, 1)) {
        snprintf(err, cap, "Invalid character(s) found in build meta data "
                           "\"%.*s\"", (int)bn, b);
        return -1;
      }
      if (d == NULL)
        break;
      b = d + 1;
    }
    pn[2] = (size_t)(plus - p[2]);
  }
  if ((dash = memchr(p[2], '-', pn[2])) != NULL) {
    v->pre = dash + 1;
    v->pre_n = (size_t)(p[2] + pn[2] - v->pre);
    pn[2] = (size_t)(dash - p[2]);
  }
  for (i = 0; i < 3; i++) {
    if (!only(p[i], pn[i], 0)) {
      snprintf(err, cap, "Invalid character(s) found in %s number \"%.*s\"",
               part_names[i], (int)pn[i], p[i]);
      return -1;
    }
    if (pn[i] > 1 && p[i][0] == '0') {
      snprintf(err, cap, "%s number must not contain leading zeroes "
                         "\"%.*s\"", part_caps[i], (int)pn[i], p[i]);
      return -1;
    }
    if (parse_u64(p[i], pn[i], &v->num[i], err, cap) < 0)
      return -1;
  }
  if (v->pre != NULL) {
    const char *b = v->pre, *pe = v->pre + v->pre_n;

    for (;;) {
      const char *d = memchr(b, '.', (size_t)(pe - b));
      size_t bn = d != NULL ? (size_t)(d - b) : (size_t)(pe - b);
      uint64_t num;

      if (bn == 0) {
        snprintf(err, cap, "Prerelease is empty");
        return -1;
      }
      if (only(b, bn, 0)) {
        if (bn > 1 && b[0] == '0') {
          snprintf(err, cap, "Numeric PreRelease version must not contain "
                             "leading zeroes \"%.*s\"", (int)bn, b);
          return -1;
        }
        if (parse_u64(b, bn, &num, err, cap) < 0)
          return -1;
      } else if (!only(b, bn, 1)) {
        snprintf(err, cap, "Invalid character(s) found in prerelease "
                           "\"%.*s\"", (int)bn, b);
        return -1;
      }
      if (d == NULL)
        break;
      b = d + 1;
    }
  }
  return 0;
}

/* kube's normalizeAndParse: the normalized text in out (cap bytes). */
static int sv_normalize(const char *s, size_t n, char *out, size_t cap,
                        size_t *on, char *err, size_t errcap) {
  size_t parts = 0, o = 0, last = 0, z, i;
  const char *e;

  if (n > 0 && s[0] == 'v') {
    s++;
    n--;
  }
  e = s + n;
  for (;;) {
    const char *dot = parts < 2 ? memchr(s, '.', (size_t)(e - s)) : NULL;
    size_t pn = dot != NULL ? (size_t)(dot - s) : (size_t)(e - s);

    if (o + pn + 8 >= cap)
      return -1;
    if (parts++ > 0)
      out[o++] = '.';
    last = o;
    z = 0;
    if (pn > 1) {
      while (z < pn && s[z] == '0')
        z++;
      /* TrimLeft "0", then "0" back before nothing or a non-digit. */
      if (z == pn || !(s[z] >= '0' && s[z] <= '9'))
        out[o++] = '0';
    }
    memcpy(out + o, s + z, pn - z);
    o += pn - z;
    if (dot == NULL)
      break;
    s = dot + 1;
  }
  if (parts < 3) {
    for (i = last; i < o; i++)
      if (out[i] == '+' || out[i] == '-') {
        snprintf(err, errcap,
                 "short version cannot contain PreRelease/Build meta data");
        return -1;
      }
    for (; parts < 3; parts++) {
      out[o++] = '.';
      out[o++] = '0';
    }
  }
  out[o] = '\0';
  *on = o;
  return 0;
}

/* The next dot-separated identifier of s[0, n) at *pos; 0 at the end. */
static int next_ident(const char *s, size_t n, size_t *pos, size_t *len) {
  const char *d;

  if (*pos > n)
    return 0;
  d = memchr(s + *pos, '.', n - *pos);
  *len = d != NULL ? (size_t)(d - s) - *pos : n - *pos;
  return 1;
}

/* Pre-release order (semver 2.0.0 11.4): numeric below alphanumeric,
 * numbers by value, the rest by bytes, a longer list above its prefix. */
static int pre_cmp(const char *a, size_t an, const char *b, size_t bn) {
  size_t i = 0, j = 0, al = 0, bl = 0;

  for (;;) {
    int ha = next_ident(a, an, &i, &al), hb = next_ident(b, bn, &j, &bl);
    int anum, bnum, r;

    if (!ha || !hb)
      return ha ? 1 : hb ? -1 : 0;
    anum = only(a + i, al, 0);
    bnum = only(b + j, bl, 0);
    if (anum != bnum)
      return anum ? -1 : 1;
    if (anum && al != bl)
      return al < bl ? -1 : 1; /* no leading zeros: length orders */
    r = memcmp(a + i, b + j, al < bl ? al : bl);
    if (r != 0)
      return r < 0 ? -1 : 1;
    if (al != bl)
      return al < bl ? -1 : 1;
    i += al + 1;
    j += bl + 1;
  }
}

static int sv_cmp(const struct semver *a, const struct semver *b) {
  int i;

  for (i = 0; i < 3; i++)
    if (a->num[i] != b->num[i])
      return a->num[i] < b->num[i] ? -1 : 1;
  if (a->pre == NULL || b->pre == NULL)
    return a->pre != NULL ? -1 : b->pre != NULL ? 1 : 0;
  return pre_cmp(a->pre, a->pre_n, b->pre, b->pre_n);
}

static void sv_of(const struct cel_val *v, struct semver *s) {
  char err[8];
  size_t keep;

  if (sv_parse(v->v.s.p, v->v.s.n, s, &keep, err, sizeof err) < 0)
    memset(s, 0, sizeof *s);
}

struct cel_val cel_semver_call(struct cel_ctx *c, const char *name,
                               const struct cel_val *t,
                               const struct cel_val *a, size_t n,
                               int *handled) {
  char err[512], buf[SEMVER_MAX + 8];
  const char *s;
  size_t sn, keep;
  struct semver v, w;
  struct cel_val r;

  *handled = 1;
  if (t != NULL && t->k == K_SEMVER && cel_semver_known(name, 1)) {
    sv_of(t, &v);
    if (n == 0 && strcmp(name, "major") == 0) return cel_int((int64_t)v.num[0]);
    if (n == 0 && strcmp(name, "minor") == 0) return cel_int((int64_t)v.num[1]);
    if (n == 0 && strcmp(name, "patch") == 0) return cel_int((int64_t)v.num[2]);
    if (n != 1 || a[0].k != K_SEMVER)
      return cel_no_overload(c, name);
    sv_of(&a[0], &w);
    if (strcmp(name, "compareTo") == 0) return cel_int(sv_cmp(&v, &w));
    if (strcmp(name, "isGreaterThan") == 0) return cel_bool(sv_cmp(&v, &w) > 0);
    if (strcmp(name, "isLessThan") == 0) return cel_bool(sv_cmp(&v, &w) < 0);
    return cel_no_overload(c, name);
  }
  if (t != NULL || !cel_semver_known(name, 0)) {
    *handled = 0;
    return cel_null();
  }
  if (n < 1 || n > 2 || a[0].k != K_STRING || (n == 2 && a[1].k != K_BOOL))
    return cel_no_overload(c, name);
  s = a[0].v.s.p;
  sn = a[0].v.s.n;
  if (sn > SEMVER_MAX) {
    snprintf(err, sizeof err, "version longer than %d characters",
             SEMVER_MAX);
    goto bad;
  }
  if (n == 2 && a[1].v.b) {
    if (sv_normalize(s, sn, buf, sizeof buf, &sn, err, sizeof err) < 0)
      goto bad;
    s = buf;
  }
  if (sv_parse(s, sn, &v, &keep, err, sizeof err) < 0)
    goto bad;
  if (strcmp(name, "isSemver") == 0)
    return cel_bool(1);
  r = cel_str_dup(c, s, keep);
  if (r.k == K_STRING)
    r.k = K_SEMVER;
  return r;
bad:
  if (strcmp(name, "isSemver") == 0)
    return cel_bool(0);
  return cel_err(c, "%s", err);
}
