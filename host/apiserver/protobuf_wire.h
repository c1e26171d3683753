/*
 * protobuf_wire - writing the protobuf wire format: a growing buffer and
 * the field encodings (varint, length-delimited, double). Shared by the
 * Kubernetes codec (protobuf.c) and the OpenAPI v2 document
 * (openapi_v2.c).
 *
 * Ownership: a cp_pb_buf owns p (free() it); start from {NULL, 0, 0}.
 * Threading: a buffer belongs to one thread at a time.
 */
#ifndef CPLANE_HOST_APISERVER_PROTOBUF_WIRE_H
#define CPLANE_HOST_APISERVER_PROTOBUF_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Largest buffer: a write that would grow past it fails. */
#define CP_PB_BUF_MAX (64u << 20)

struct cp_pb_buf {
  unsigned char *p;
  size_t len, cap;
};

/* Each returns 0, or -1 when out of memory or past CP_PB_BUF_MAX. */
int cp_pb_grow(struct cp_pb_buf *b, size_t n);
int cp_pb_put_varint(struct cp_pb_buf *b, uint64_t v);
/* Field num as a varint (wire type 0). */
int cp_pb_put_int(struct cp_pb_buf *b, int num, uint64_t v);
/* Field num length-delimited (wire type 2): strings, bytes, messages. */
int cp_pb_put_bytes(struct cp_pb_buf *b, int num, const void *p, size_t n);
/* Field num as a double (wire type 1, little-endian). */
int cp_pb_put_double(struct cp_pb_buf *b, int num, double v);

#endif
