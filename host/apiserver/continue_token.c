/*
 * continue_token - encode and decode list continue tokens; see the header.
 */
#include "apiserver/continue_token.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/query.h"

static const char hexdig[] = "0123456789abcdef";

char *cp_continue_encode(int64_t rev, const uint8_t *start,
                         size_t start_len) {
  char head[32];
  size_t n, i;
  char *s;
  int w;

  if (rev <= 0 || start == NULL || start_len == 0 ||
      start_len > CP_CONTINUE_MAX_KEY)
    return NULL;
  w = snprintf(head, sizeof head, "%" PRId64 ".", rev);
  if (w < 0 || (size_t)w >= sizeof head)
    return NULL;
  n = (size_t)w;
  if ((s = malloc(n + 2 * start_len + 1)) == NULL)
    return NULL;
  memcpy(s, head, n);
  for (i = 0; i < start_len; i++) {
    s[n + 2 * i] = hexdig[start[i] >> 4];
    s[n + 2 * i + 1] = hexdig[start[i] & 0x0f];
  }
  s[n + 2 * start_len] = '\0';
  return s;
}

/* The revision before the dot: digits only, no leading zero, no
 * overflow (strtoll would take signs, spaces and "0x"). */
static int parse_rev(const char *s, size_t n, int64_t *rev) {
  int64_t r = 0;
  size_t i;

  if (n == 0 || s[0] == '0')
    return -1;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    if (r > (INT64_MAX - (s[i] - '0')) / 10)
      return -1;
    r = r * 10 + (s[i] - '0');
  }
  *rev = r;
  return 0;
}

int cp_continue_decode(const char *tok, int64_t *rev, uint8_t **start,
                       size_t *start_len) {
  const char *dot, *h;
  size_t hn, i;
  uint8_t *b;

  *start = NULL;
  *start_len = 0;
  if (tok == NULL || (dot = strchr(tok, '.')) == NULL ||
      parse_rev(tok, (size_t)(dot - tok), rev) < 0)
    return -1;
  h = dot + 1;
  hn = strlen(h);
  if (hn == 0 || hn % 2 != 0 || hn / 2 > CP_CONTINUE_MAX_KEY)
    return -1;
  if ((b = malloc(hn / 2 + 1)) == NULL)
    return -1;
  for (i = 0; i < hn / 2; i++) {
    int hi = cp_query_hexval(h[2 * i]), lo = cp_query_hexval(h[2 * i + 1]);

    if (hi < 0 || lo < 0) {
      free(b);
      return -1;
    }
    b[i] = (uint8_t)(hi << 4 | lo);
  }
  b[hn / 2] = '\0';
  *start = b;
  *start_len = hn / 2;
  return 0;
}
