/*
 * json_buf - a growable text buffer with JSON string quoting, shared by
 * the object serializer and json_format.
 *
 * Threading: a buffer belongs to one thread at a time.
 * Ownership: data is malloc'd and NUL-terminated; take it with
 * cp_json_buf_take() or free it with cp_json_buf_reset(). After an
 * allocation failure the buffer stops growing and sets nomem.
 */
#ifndef CPLANE_HOST_JSON_BUF_H
#define CPLANE_HOST_JSON_BUF_H

#include <stddef.h>

struct cp_json_buf {
  char *data;
  size_t len, cap;
  int nomem;
};

#define CP_JSON_BUF_INIT {NULL, 0, 0, 0}

void cp_json_buf_put(struct cp_json_buf *b, const char *s, size_t n);
void cp_json_buf_puts(struct cp_json_buf *b, const char *s);
/* Appends s[0..n) as a quoted JSON string, escaping '"', '\' and control
 * characters. */
void cp_json_buf_quoted(struct cp_json_buf *b, const char *s, size_t n);
/* The same without the quotes. */
void cp_json_buf_escaped(struct cp_json_buf *b, const char *s, size_t n);
/* Returns the text (owned by the caller), or NULL after nomem; the buffer
 * is empty afterwards. */
char *cp_json_buf_take(struct cp_json_buf *b);
void cp_json_buf_reset(struct cp_json_buf *b);

#endif /* CPLANE_HOST_JSON_BUF_H */
