/*
 * base64 - see base64.h. The decoder follows Go's decodeQuantum
 * (encoding/base64) step by step, so that errors name the same byte.
 */
#include "encoding/base64.h"

#include <stdint.h>
#include <stdlib.h>

static const char std_abc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_abc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int is_url(enum cp_base64_enc e) {
  return e == CP_BASE64_URL || e == CP_BASE64_RAW_URL;
}

static int is_padded(enum cp_base64_enc e) {
  return e == CP_BASE64_STD || e == CP_BASE64_URL;
}

size_t cp_base64_encoded_len(enum cp_base64_enc e, size_t n) {
  if (n / 3 >= SIZE_MAX / 4 - 1)
    return 0;
  if (is_padded(e))
    return (n + 2) / 3 * 4;
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t cp_base64_encode_to(enum cp_base64_enc e, char *dst, const void *src,
                           size_t n) {
  const char *abc = is_url(e) ? url_abc : std_abc;
  const unsigned char *p = src;
  size_t i, o = 0;
  uint32_t w;

  for (i = 0; i + 2 < n; i += 3) {
    w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    dst[o++] = abc[w >> 18];
    dst[o++] = abc[(w >> 12) & 63];
    dst[o++] = abc[(w >> 6) & 63];
    dst[o++] = abc[w & 63];
  }
  if (i == n)
    return o;
  w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
  dst[o++] = abc[w >> 18];
  dst[o++] = abc[(w >> 12) & 63];
  if (i + 1 < n)
    dst[o++] = abc[(w >> 6) & 63];
  else if (is_padded(e))
    dst[o++] = '=';
  if (is_padded(e))
    dst[o++] = '=';
  return o;
}

char *cp_base64_encode(enum cp_base64_enc e, const void *src, size_t n) {
  size_t len = cp_base64_encoded_len(e, n);
  char *out;

  if ((len == 0 && n > 0) || (out = malloc(len + 1)) == NULL)
    return NULL;
  out[cp_base64_encode_to(e, out, src, n)] = '\0';
  return out;
}

size_t cp_base64_decoded_max(size_t len) { return len / 4 * 3 + 3; }

/* The 6-bit value of c in e's alphabet, or -1. */
static int sextet(enum cp_base64_enc e, unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == (is_url(e) ? '-' : '+'))
    return 62;
  if (c == (is_url(e) ? '_' : '/'))
    return 63;
  return -1;
}

static int newline(unsigned char c) { return c == '\n' || c == '\r'; }

struct reader {
  enum cp_base64_enc e;
  const unsigned char *s;
  size_t len, si;
  size_t bad; /* the offset refused */
};

static int refuse(struct reader *r, size_t at) {
  r->bad = at;
  return -1;
}

/* After the padding of a quantum whose j characters came before it (the
 * first '=' read): the second '=' when j is 2, then nothing but
 * newlines. 0, or -1 (r->bad set). */
static int padding(struct reader *r, int j) {
  if (j < 2)
    return refuse(r, r->si - 1);
  if (j == 2) {
    while (r->si < r->len && newline(r->s[r->si]))
      r->si++;
    if (r->si == r->len)
      return refuse(r, r->len); /* not enough padding */
    if (r->s[r->si] != '=')
      return refuse(r, r->si - 1);
    r->si++;
  }
  while (r->si < r->len && newline(r->s[r->si]))
    r->si++;
  if (r->si < r->len)
    return refuse(r, r->si); /* trailing garbage */
  return 0;
}

/* Reads one quantum (up to four characters) into q; *got gets how many
 * (0 at the end of the input). 0, or -1 (r->bad set). */
static int quantum(struct reader *r, uint8_t q[4], int *got) {
  int j;

  for (j = 0; j < 4; j++) {
    unsigned char c;
    int v;

    if (r->si == r->len) {
      if (j == 0)
        break;
      if (j == 1 || is_padded(r->e))
        return refuse(r, r->si - (size_t)j);
      break;
    }
    c = r->s[r->si++];
    if ((v = sextet(r->e, c)) >= 0) {
      q[j] = (uint8_t)v;
      continue;
    }
    if (newline(c)) {
      j--;
      continue;
    }
    if (c != '=' || !is_padded(r->e))
      return refuse(r, r->si - 1);
    if (padding(r, j) < 0)
      return -1;
    break;
  }
  *got = j;
  return 0;
}

int cp_base64_decode_to(enum cp_base64_enc e, int strict, unsigned char *dst,
                        const char *s, size_t len, size_t *n, size_t *bad) {
  struct reader r = {e, (const unsigned char *)s, len, 0, 0};
  size_t o = 0;

  while (r.si < r.len) {
    uint8_t q[4] = {0, 0, 0, 0};
    uint32_t w;
    int got;

    if (quantum(&r, q, &got) < 0)
      goto refused;
    if (got == 0)
      break;
    w = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 | (uint32_t)q[2] << 6 |
        q[3];
    /* strict: the bits past the last whole byte must be zero. */
    if (strict && got == 3 && (w & 0xff) != 0) {
      r.bad = r.si - 1;
      goto refused;
    }
    if (strict && got == 2 && (w & 0xffff) != 0) {
      r.bad = r.si - 2;
      goto refused;
    }
    if (dst != NULL) {
      dst[o] = (uint8_t)(w >> 16);
      if (got > 2)
        dst[o + 1] = (uint8_t)(w >> 8);
      if (got > 3)
        dst[o + 2] = (uint8_t)w;
    }
    o += (size_t)got - 1;
  }
  if (n != NULL)
    *n = o;
  return 0;
refused:
  if (bad != NULL)
    *bad = r.bad;
  return -1;
}

unsigned char *cp_base64_decode(enum cp_base64_enc e, int strict,
                                const char *s, size_t len, size_t *n) {
  unsigned char *out = malloc(cp_base64_decoded_max(len) + 1);
  size_t got = 0;

  if (out == NULL)
    return NULL;
  if (cp_base64_decode_to(e, strict, out, s, len, &got, NULL) < 0) {
    free(out);
    return NULL;
  }
  out[got] = '\0';
  if (n != NULL)
    *n = got;
  return out;
}
