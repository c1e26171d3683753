/*
 * quantity - see quantity.h. The grammar is apimachinery's
 * resource.ParseQuantity: sign, digits with an optional fraction, then
 * a binary-SI (Ki..Ei), decimal-SI (n, u, m, "", k, M, G, T, P, E) or
 * decimal-exponent (e3, E-2) suffix.
 */
#include "apiserver/strategy/quantity.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIGITS 30 /* mantissa digits kept; kube allows no more in practice */

static cp_quantity mul_sat(cp_quantity a, cp_quantity b) {
  if (a != 0 && b > CP_QUANTITY_MAX / a)
    return CP_QUANTITY_MAX;
  return a * b > CP_QUANTITY_MAX ? CP_QUANTITY_MAX : a * b;
}

/* The suffix as a binary multiplier and a decimal exponent; -1 when
 * it is none of kube's. */
static int suffix(const char *s, cp_quantity *bin, int *exp10) {
  static const char *const binary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  static const struct {
    const char *s;
    int e;
  } decimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},  {"k", 3},
                 {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  size_t i;
  char *end;
  long e;

  *bin = 1;
  *exp10 = 0;
  for (i = 0; i < sizeof binary / sizeof binary[0]; i++)
    if (strcmp(s, binary[i]) == 0) {
      *bin = (cp_quantity)1 << (10 * (i + 1));
      return 0;
    }
  for (i = 0; i < sizeof decimal / sizeof decimal[0]; i++)
    if (strcmp(s, decimal[i].s) == 0) {
      *exp10 = decimal[i].e;
      return 0;
    }
  if ((s[0] != 'e' && s[0] != 'E') || s[1] == '\0')
    return -1;
  e = strtol(s + 1, &end, 10);
  if (*end != '\0' || e < -40 || e > 40)
    return -1;
  *exp10 = (int)e;
  return 0;
}

int cp_quantity_parse(json_object *q, cp_quantity *out) {
  const char *s;
  cp_quantity mant = 0, bin;
  int neg = 0, frac = 0, digits = 0, seen_dot = 0, any = 0, exp10, e;

  if (q == NULL || (!json_object_is_type(q, json_type_string) &&
                    !json_object_is_type(q, json_type_int) &&
                    !json_object_is_type(q, json_type_double)))
    return -1;
  s = json_object_get_string(q);
  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  for (; isdigit((unsigned char)*s) || (*s == '.' && !seen_dot); s++) {
    if (*s == '.') {
      seen_dot = 1;
      continue;
    }
    any = 1;
    if (digits == 0 && *s == '0' && !seen_dot)
      continue; /* leading zeros count for nothing */
    if (digits < MAX_DIGITS) {
      mant = mant * 10 + (*s - '0');
      digits++;
      frac += seen_dot;
    } else if (!seen_dot) {
      mant = CP_QUANTITY_MAX;
    }
  }
  if (!any || suffix(s, &bin, &exp10) < 0)
    return -1;
  mant = mul_sat(mant, bin);
  for (e = 9 + exp10 - frac; e > 0; e--)
    mant = mul_sat(mant, 10);
  for (; e < 0 && mant != 0; e++)
    mant /= 10; /* below a nano-unit: kube rounds such values up anyway */
  *out = neg ? -mant : mant;
  return 0;
}
