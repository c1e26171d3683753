/*
 * chunked - an incremental decoder of HTTP/1.1 chunked transfer coding,
 * for a proxied body read as it arrives (a watch): bytes go in as the
 * socket gives them, cut anywhere, and only the data comes out. Chunk
 * extensions are skipped; trailers after the last chunk are ignored.
 *
 * Threading: one decoder belongs to one reader.
 * Ownership: no allocation; the state is the struct.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_CHUNKED_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_CHUNKED_H

#include <stddef.h>

struct cp_chunked {
  int state;     /* internal; zero to start */
  size_t left;   /* data bytes left in the current chunk */
  unsigned line; /* length of the size line so far (bounded) */
  int done;      /* the last (zero) chunk was seen */
  int error;     /* malformed framing: the body is cut here */
};

/* Decodes buf[0..n) in place; returns how many data bytes it holds now
 * (at its front). After done or error the rest is dropped. */
size_t cp_chunked_decode(struct cp_chunked *d, char *buf, size_t n);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_CHUNKED_H */
