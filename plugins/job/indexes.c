/*
 * indexes - completion index sets as "1,3-5". See indexes.h.
 */
#include "indexes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a decimal at *p (at most 9 digits, so no overflow). -1 if none. */
static long read_num(const char **p) {
  long v = 0;
  int digits = 0;

  while (**p >= '0' && **p <= '9' && digits < 10) {
    v = v * 10 + (**p - '0');
    (*p)++;
    digits++;
  }
  return digits == 0 || digits > 9 ? -1 : v;
}

int job_indexes_parse(const char *text, unsigned char *set, int n) {
  const char *p = text;
  int added = 0;

  if (p == NULL || *p == '\0')
    return 0;
  for (;;) {
    long lo = read_num(&p), hi = lo, i;

    if (lo < 0)
      return -1;
    if (*p == '-') {
      p++;
      if ((hi = read_num(&p)) < lo)
        return -1;
    }
    for (i = lo; i <= hi && i < n; i++)
      if (!set[i]) {
        set[i] = 1;
        added++;
      }
    if (*p == '\0')
      return added;
    if (*p++ != ',')
      return -1;
  }
}

char *job_indexes_format(const unsigned char *set, int n) {
  /* Worst case "0,2,4,...": each index at most 7 chars with its comma. */
  size_t cap = (size_t)n * 8 + 1, len = 0;
  char *out = malloc(cap);
  int i = 0;

  if (out == NULL)
    return NULL;
  out[0] = '\0';
  while (i < n) {
    int j;

    if (!set[i]) {
      i++;
      continue;
    }
    for (j = i; j + 1 < n && set[j + 1]; j++)
      ;
    len += (size_t)snprintf(out + len, cap - len, len ? ",%d" : "%d", i);
    if (j > i)
      len += (size_t)snprintf(out + len, cap - len, "-%d", j);
    i = j + 1;
  }
  return out;
}

int job_indexes_count(const unsigned char *set, int n) {
  int i, c = 0;

  for (i = 0; i < n; i++)
    c += set[i] != 0;
  return c;
}

int job_index_value(const char *s, int n) {
  const char *p = s;
  long v;

  if (s == NULL || (s[0] == '0' && s[1] != '\0'))
    return -1;
  v = read_num(&p);
  return v >= 0 && *p == '\0' && v < n ? (int)v : -1;
}
