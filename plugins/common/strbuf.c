/* strbuf - see strbuf.h. */
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

void sb_addn(struct sbuf *b, const char *s, size_t n) {
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    while (cap < b->len + n + 1)
      cap *= 2;
    if ((p = realloc(b->p, cap)) == NULL) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  if (n > 0)
    memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s) {
  if (s == NULL)
    b->failed = 1;
  else
    sb_addn(b, s, strlen(s));
}

void sb_take_with(struct sbuf *b, char *owned, void (*free_fn)(void *)) {
  sb_add(b, owned);
  free_fn(owned);
}

char *sb_finish(struct sbuf *b) {
  if (b->failed || b->p == NULL) {
    free(b->p);
    b->p = NULL;
    return NULL;
  }
  return b->p;
}
