/*
 * chunked - see chunked.h.
 */
#include "apiserver/aggregator/chunked.h"

#include <ctype.h>
#include <string.h>

/* A size line longer than this is not a size line (16 hex digits and a
 * generous extension). */
#define MAX_SIZE_LINE 256

enum { SIZE, EXT, SIZE_LF, DATA, DATA_CR, DATA_LF, END };

/* One framing byte outside DATA; 0, or -1 when the framing is bad. */
static int frame_byte(struct cp_chunked *d, char c) {
  int h;

  if (d->state == SIZE || d->state == EXT) {
    if (++d->line > MAX_SIZE_LINE)
      return -1;
    if (c == '\r') {
      d->state = SIZE_LF;
      return d->line > 1 ? 0 : -1;
    }
    if (d->state == EXT || c == ';' || c == ' ' || c == '\t') {
      d->state = EXT;
      return 0;
    }
    if (!isxdigit((unsigned char)c) || d->left > ((size_t)-1 >> 4))
      return -1;
    h = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    d->left = d->left * 16 + (size_t)h;
    return 0;
  }
  if (d->state == SIZE_LF) {
    if (c != '\n')
      return -1;
    d->state = d->left > 0 ? DATA : END;
    d->done = d->left == 0;
    return 0;
  }
  if (d->state == DATA_CR) {
    d->state = DATA_LF;
    return c == '\r' ? 0 : -1;
  }
  if (d->state == DATA_LF) {
    d->state = SIZE;
    d->line = 0;
    return c == '\n' ? 0 : -1;
  }
  return -1;
}

size_t cp_chunked_decode(struct cp_chunked *d, char *buf, size_t n) {
  size_t in = 0, out = 0;

  while (in < n && !d->done && !d->error) {
    if (d->state == DATA) {
      size_t take = n - in < d->left ? n - in : d->left;

      memmove(buf + out, buf + in, take);
      out += take;
      in += take;
      if ((d->left -= take) == 0)
        d->state = DATA_CR;
      continue;
    }
    if (frame_byte(d, buf[in++]) < 0)
      d->error = 1;
  }
  return out;
}
