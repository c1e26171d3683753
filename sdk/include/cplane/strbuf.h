/*
 * cplane/strbuf.h - a growing string, for JSON built piece by piece.
 *
 * Header-only: nothing here is in the host table or the ABI; it compiles
 * into the plugin that includes it.
 *
 * Failure sticks: once an append runs out of memory (or is handed NULL,
 * e.g. a json_format() that failed), every later append does nothing and
 * cplane_strbuf_finish() returns NULL. So a caller appends freely and
 * checks once, at the end:
 *
 *   struct cplane_strbuf b = CPLANE_STRBUF_INIT;
 *   cplane_strbuf_add(&b, "[");
 *   cplane_strbuf_take(&b, api, api->json_format("%s", name));
 *   cplane_strbuf_add(&b, "]");
 *   char *text = cplane_strbuf_finish(&b);   (owned: free(); NULL: failed)
 *
 * Memory: the buffer grows with the C library's realloc(); its text is
 * freed with free(), not api->free.
 *
 * Threading: a strbuf belongs to one thread.
 */
#ifndef CPLANE_STRBUF_H
#define CPLANE_STRBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cplane_strbuf {
  char *p;    /* the text so far, NUL-terminated; NULL until the first */
  size_t len; /* bytes in p, without the NUL */
  size_t cap; /* bytes allocated at p */
  int failed; /* nonzero once anything failed */
};

#define CPLANE_STRBUF_INIT                                                     \
  { NULL, 0, 0, 0 }

/* Makes room for n more bytes and the NUL; 0, or -1 (and failed). */
static inline int cplane_strbuf_reserve(struct cplane_strbuf *b, size_t n) {
  size_t cap;
  char *p;

  if (b->failed)
    return -1;
  if (n > (size_t)-1 / 4 - b->len) { /* the doubling below would overflow */
    b->failed = 1;
    return -1;
  }
  if (b->len + n + 1 <= b->cap)
    return 0;
  for (cap = b->cap ? b->cap : 256; cap < b->len + n + 1;)
    cap *= 2;
  if ((p = (char *)realloc(b->p, cap)) == NULL) {
    b->failed = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

/* Appends the n bytes at s. n may be 0: the text is then "" rather than
 * none. */
static inline void cplane_strbuf_addn(struct cplane_strbuf *b, const char *s,
                                      size_t n) {
  if (cplane_strbuf_reserve(b, n) != 0)
    return;
  if (n > 0)
    memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* Appends s; NULL marks the buffer failed. */
static inline void cplane_strbuf_add(struct cplane_strbuf *b, const char *s) {
  if (s == NULL)
    b->failed = 1;
  else
    cplane_strbuf_addn(b, s, strlen(s));
}

/* Appends printf-formatted text. */
static inline void cplane_strbuf_addf(struct cplane_strbuf *b, const char *fmt,
                                      ...) CPLANE_PRINTF(2, 3);
static inline void cplane_strbuf_addf(struct cplane_strbuf *b, const char *fmt,
                                      ...) {
  char small[256];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if ((size_t)n < sizeof small) {
    cplane_strbuf_addn(b, small, (size_t)n);
    return;
  }
  if (cplane_strbuf_reserve(b, (size_t)n) != 0)
    return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Appends text the host allocated (json_format(), object_json(), ...)
 * and frees it with api->free. NULL marks the buffer failed. */
static inline void cplane_strbuf_take(struct cplane_strbuf *b,
                                      const struct cplane_host_api *api,
                                      char *owned) {
  cplane_strbuf_add(b, owned);
  api->free(owned);
}

/* The finished text (owned: free()), or NULL when anything failed or
 * nothing was added; the buffer's memory is then released. Either way the
 * buffer is empty again afterwards. */
static inline char *cplane_strbuf_finish(struct cplane_strbuf *b) {
  char *p = b->p;

  if (b->failed || p == NULL) {
    free(p);
    p = NULL;
  }
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
  return p;
}

/* Releases the buffer without a result (an early error path). */
static inline void cplane_strbuf_reset(struct cplane_strbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_STRBUF_H */
