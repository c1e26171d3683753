/*
 * cplane/quantity.h - Kubernetes resource quantities (resource.Quantity):
 * "500m", "2", "1.5Gi", "1e3", "128974848", "-1k".
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * A quantity is read as an exact decimal (no floating point) and scaled
 * to an int64 rounded up, away from zero, as Quantity.MilliValue() and
 * Value() round:
 *
 *   int64_t cpu_m, mem;
 *   cplane_quantity_parse_milli("250m", &cpu_m, NULL);     250
 *   cplane_quantity_parse_milli("0.1", &cpu_m, NULL);      100
 *   cplane_quantity_parse_value("1.5Gi", &mem, NULL);      1610612736
 *   cplane_quantity_parse_value("1.0001", &mem, NULL);     2
 *
 * The forms are kube's: an optional sign, digits with an optional
 * fraction, then one suffix: decimal SI (n u m "" k M G T P E), binary SI
 * (Ki Mi Gi Ti Pi Ei) or a decimal exponent (e3, E-2; "E" alone is exa).
 * cplane_quantity_format() writes kube's canonical form back.
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_QUANTITY_H
#define CPLANE_QUANTITY_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cplane/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The format a quantity was written in; format() keeps it. */
#define CPLANE_QUANTITY_DECIMAL_SI 0       /* 500m, 2, 1k, 5G */
#define CPLANE_QUANTITY_BINARY_SI 1        /* 128Mi, 2Gi */
#define CPLANE_QUANTITY_DECIMAL_EXPONENT 2 /* 1e3, 5E-3 */

/* Room for any quantity format() writes. */
#define CPLANE_QUANTITY_LEN 32

/* The suffix at s: sets *exp10, *exp2 and *format; 0, or -1 when it is
 * not one kube knows. */
static inline int cplane_quantity__suffix(const char *s, int *exp10, int *exp2,
                                          int *format) {
  static const char dec[] = "num kMGTPE"; /* 10^-9 ... 10^18, by 3 */
  static const char bin[] = "KMGTPE";     /* 2^10 ... 2^60 */
  const char *c;

  *exp10 = *exp2 = 0;
  *format = CPLANE_QUANTITY_DECIMAL_SI;
  if (*s == '\0')
    return 0;
  if (s[1] == '\0' && *s != ' ' && (c = strchr(dec, *s)) != NULL) {
    *exp10 = (int)(c - dec) * 3 - 9;
    return 0;
  }
  if (s[1] == 'i' && s[2] == '\0' && *s != '\0' &&
      (c = strchr(bin, *s)) != NULL) {
    *exp2 = (int)(c - bin + 1) * 10;
    *format = CPLANE_QUANTITY_BINARY_SI;
    return 0;
  }
  if (*s == 'e' || *s == 'E') {
    int neg = 0, v = 0;

    s++;
    if (*s == '+' || *s == '-')
      neg = *s++ == '-';
    if (*s == '\0')
      return -1;
    for (; *s >= '0' && *s <= '9'; s++)
      if ((v = v * 10 + (*s - '0')) > 10000) /* far past any int64 */
        v = 10000;
    if (*s != '\0')
      return -1;
    *exp10 = neg ? -v : v;
    *format = CPLANE_QUANTITY_DECIMAL_EXPONENT;
    return 0;
  }
  return -1;
}

/* Parses s and scales it by 10^scale10 (3: milli-units, 0: units),
 * rounded up away from zero, into *out; *format (when not NULL) gets the
 * CPLANE_QUANTITY_* it was written in. Returns CPLANE_OK, CPLANE_EINVAL
 * when s is NULL or not a quantity, CPLANE_ERANGE when the result does
 * not fit an int64 (then *out is untouched). */
static inline int cplane_quantity_parse_scaled(const char *s, int scale10,
                                               int64_t *out, int *format) {
  /* Up to 36 significant digits are kept exactly: more cannot matter to
   * an int64 result except through rounding, which `sticky` records. */
  const unsigned __int128 digits_max =
      (unsigned __int128)1000000000000000000ull * 1000000000000000000ull;
  unsigned __int128 m = 0, lim = (unsigned __int128)INT64_MAX + 1;
  int neg = 0, exp10 = 0, exp2 = 0, e = 0, fmt, digits = 0, sticky = 0;
  const char *p = s;

  if (p == NULL)
    return CPLANE_EINVAL;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  for (; *p >= '0' && *p <= '9'; p++, digits++) {
    if (m < digits_max)
      m = m * 10 + (unsigned)(*p - '0');
    else
      exp10++, sticky |= *p != '0';
  }
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
      if (m < digits_max)
        m = m * 10 + (unsigned)(*p - '0'), exp10--;
      else
        sticky |= *p != '0';
    }
  if (digits == 0 || cplane_quantity__suffix(p, &e, &exp2, &fmt) != 0)
    return CPLANE_EINVAL;
  exp10 += e + scale10;
  for (; exp2 > 0; exp2--) { /* times 2^exp2, shedding digits if need be */
    if (m >= ((unsigned __int128)1 << 125)) {
      if (exp10 >= 0)
        return CPLANE_ERANGE;
      sticky |= m % 10 != 0;
      m /= 10;
      exp10++;
    }
    m *= 2;
  }
  for (; exp10 > 0 && m != 0; exp10--) {
    if (m > lim)
      return CPLANE_ERANGE;
    m *= 10;
  }
  for (; exp10 < 0 && m != 0; exp10++) {
    sticky |= m % 10 != 0;
    m /= 10;
  }
  if (sticky)
    m++; /* rounded up, away from zero */
  if (m > lim || (m == lim && !neg))
    return CPLANE_ERANGE;
  *out = neg ? (int64_t)(0 - (uint64_t)m) : (int64_t)(uint64_t)m;
  if (format != NULL)
    *format = fmt;
  return CPLANE_OK;
}

/* Quantity.MilliValue(): cpu in millicores. */
static inline int cplane_quantity_parse_milli(const char *s, int64_t *milli,
                                              int *format) {
  return cplane_quantity_parse_scaled(s, 3, milli, format);
}

/* Quantity.Value(): memory in bytes, counts. */
static inline int cplane_quantity_parse_value(const char *s, int64_t *value,
                                              int *format) {
  return cplane_quantity_parse_scaled(s, 0, value, format);
}

/* Writes `milli` thousandths in kube's canonical form for `format`:
 * DECIMAL_SI "1500m", "2", "10k"; BINARY_SI "128Mi" (a value under 1024
 * or with a fraction falls back to decimal SI, as kube does);
 * DECIMAL_EXPONENT "1e3", "1500e-3". Returns CPLANE_OK, or CPLANE_ERANGE
 * when buf is too short (CPLANE_QUANTITY_LEN always suffices). */
static inline int cplane_quantity_format(int64_t milli, int format, char *buf,
                                         size_t len) {
  static const char *const dec[] = {"m", "", "k", "M", "G", "T", "P", "E"};
  static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int64_t mant = milli;
  int e = 0, n;
  char tmp[48]; /* built here, so a short buf is CPLANE_ERANGE */

  if (format == CPLANE_QUANTITY_BINARY_SI && milli % 1000 == 0 &&
      (milli >= 1024000 || milli <= -1024000)) {
    for (mant = milli / 1000; mant % 1024 == 0 && e < 6; e++)
      mant /= 1024;
    n = snprintf(tmp, sizeof tmp, "%lld%s", (long long)mant, bin[e]);
  } else {
    /* mant * 10^(3e-3), the exponent as large as keeps mant whole. */
    while (mant != 0 && mant % 1000 == 0 && e < 7)
      mant /= 1000, e++;
    if (mant == 0)
      n = snprintf(tmp, sizeof tmp, "0");
    else if (format == CPLANE_QUANTITY_DECIMAL_EXPONENT && e != 1)
      n = snprintf(tmp, sizeof tmp, "%llde%d", (long long)mant, 3 * e - 3);
    else if (format == CPLANE_QUANTITY_DECIMAL_EXPONENT)
      n = snprintf(tmp, sizeof tmp, "%lld", (long long)mant);
    else
      n = snprintf(tmp, sizeof tmp, "%lld%s", (long long)mant, dec[e]);
  }
  if (n < 0 || (size_t)n >= len)
    return CPLANE_ERANGE;
  memcpy(buf, tmp, (size_t)n + 1);
  return CPLANE_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_QUANTITY_H */
