/* quantity - see quantity.h. */
#include "quantity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *suffix;
  long double mult;
} suffixes[] = {
    {"", 1},          {"n", 1e-9},  {"u", 1e-6},  {"m", 1e-3},
    {"k", 1e3},       {"M", 1e6},   {"G", 1e9},   {"T", 1e12},
    {"P", 1e15},      {"E", 1e18},  {"Ki", 1024.0L},
    {"Mi", 1048576.0L},            {"Gi", 1073741824.0L},
    {"Ti", 1099511627776.0L},      {"Pi", 1125899906842624.0L},
    {"Ei", 1152921504606846976.0L},
};

int quantity_parse(const char *s, int64_t scale, int64_t *out) {
  char *end;
  long double v, r;
  size_t i;

  if (s == NULL || *s == '\0' || *s == ' ')
    return -1;
  /* strtold takes "1e3" whole but leaves the Exa suffix of "1E". */
  v = strtold(s, &end);
  if (end == s || isnan(v) || v < 0)
    return -1;
  for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    if (strcmp(end, suffixes[i].suffix) != 0)
      continue;
    r = ceill(v * suffixes[i].mult * (long double)scale - 1e-9L);
    if (r > (long double)INT64_MAX)
      return -1;
    *out = (int64_t)r;
    return 0;
  }
  return -1;
}
