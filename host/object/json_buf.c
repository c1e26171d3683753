/*
 * json_buf - see json_buf.h.
 */
#include "object/json_buf.h"

#include <stdlib.h>
#include <string.h>

void cp_json_buf_put(struct cp_json_buf *b, const char *s, size_t n) {
  if (b->nomem)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *d;

    while (b->len + n + 1 > cap)
      cap *= 2;
    if ((d = realloc(b->data, cap)) == NULL) {
      b->nomem = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void cp_json_buf_puts(struct cp_json_buf *b, const char *s) {
  cp_json_buf_put(b, s, strlen(s));
}

void cp_json_buf_escaped(struct cp_json_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i, run = 0;

  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[6];

    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    cp_json_buf_put(b, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': cp_json_buf_put(b, "\\\"", 2); break;
    case '\\': cp_json_buf_put(b, "\\\\", 2); break;
    case '\n': cp_json_buf_put(b, "\\n", 2); break;
    case '\r': cp_json_buf_put(b, "\\r", 2); break;
    case '\t': cp_json_buf_put(b, "\\t", 2); break;
    case '\b': cp_json_buf_put(b, "\\b", 2); break;
    case '\f': cp_json_buf_put(b, "\\f", 2); break;
    default:
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      cp_json_buf_put(b, esc, 6);
    }
  }
  cp_json_buf_put(b, s + run, n - run);
}

void cp_json_buf_quoted(struct cp_json_buf *b, const char *s, size_t n) {
  cp_json_buf_put(b, "\"", 1);
  cp_json_buf_escaped(b, s, n);
  cp_json_buf_put(b, "\"", 1);
}

char *cp_json_buf_take(struct cp_json_buf *b) {
  char *d = b->data;

  if (b->nomem || d == NULL) {
    free(d);
    d = b->nomem ? NULL : strdup("");
  }
  b->data = NULL;
  b->len = b->cap = 0;
  b->nomem = 0;
  return d;
}

void cp_json_buf_reset(struct cp_json_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->nomem = 0;
}
