/*
 * strbuf - a growing string for JSON built piece by piece, shared by the
 * in-tree plugins (compiled into each; not part of the SDK). Any failure
 * sticks, so callers append freely and check once at the end.
 *
 * Threading: a strbuf belongs to one thread.
 */
#ifndef PLUGINS_COMMON_STRBUF_H
#define PLUGINS_COMMON_STRBUF_H

#include <stddef.h>

struct sbuf {
  char *p;
  size_t len, cap;
  int failed;
};

/* Appends the n bytes at s (n may be 0: the text is then "" rather than
 * NULL). */
void sb_addn(struct sbuf *b, const char *s, size_t n);
/* Appends s; NULL marks the buffer failed. */
void sb_add(struct sbuf *b, const char *s);
/* Appends owned text and frees it with free_fn (api->free for text from
 * the host: json_format, object_json); NULL marks the buffer failed. */
void sb_take_with(struct sbuf *b, char *owned, void (*free_fn)(void *));
/* The finished text (owned: free()), or NULL if anything failed; the
 * buffer's memory is then released. */
char *sb_finish(struct sbuf *b);

#endif
