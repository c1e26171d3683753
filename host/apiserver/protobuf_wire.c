/* protobuf_wire - see protobuf_wire.h. */
#include "apiserver/protobuf_wire.h"

#include <stdlib.h>
#include <string.h>

int cp_pb_grow(struct cp_pb_buf *b, size_t n) {
  size_t cap;
  unsigned char *p;

  if (b->len + n <= b->cap)
    return 0;
  if (n > CP_PB_BUF_MAX || b->len + n > CP_PB_BUF_MAX)
    return -1;
  cap = b->cap ? b->cap : 256;
  while (cap < b->len + n)
    cap *= 2;
  if ((p = realloc(b->p, cap)) == NULL)
    return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

int cp_pb_put_varint(struct cp_pb_buf *b, uint64_t v) {
  if (cp_pb_grow(b, 10) != 0)
    return -1;
  do {
    b->p[b->len++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  return 0;
}

int cp_pb_put_int(struct cp_pb_buf *b, int num, uint64_t v) {
  return cp_pb_put_varint(b, (uint64_t)num << 3) != 0
             ? -1
             : cp_pb_put_varint(b, v);
}

int cp_pb_put_bytes(struct cp_pb_buf *b, int num, const void *p, size_t n) {
  if (cp_pb_put_varint(b, (uint64_t)num << 3 | 2) != 0 ||
      cp_pb_put_varint(b, n) != 0 || cp_pb_grow(b, n) != 0)
    return -1;
  if (n > 0)
    memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

int cp_pb_put_double(struct cp_pb_buf *b, int num, double v) {
  uint64_t u;
  int i;

  memcpy(&u, &v, sizeof u);
  if (cp_pb_put_varint(b, (uint64_t)num << 3 | 1) != 0 || cp_pb_grow(b, 8))
    return -1;
  for (i = 0; i < 8; i++)
    b->p[b->len++] = (unsigned char)(u >> (8 * i));
  return 0;
}
