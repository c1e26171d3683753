/*
 * query - a request's URL query, decoded the way kube-apiserver decodes
 * it: %XX escapes and '+' as a space (kubectl sends label selectors as
 * "app+in+%28web%29"), booleans where only absent, "false" and "0" (any
 * case) are false, and integers with a clear error.
 *
 * Threading: a cp_query belongs to one thread.
 * Ownership: cp_query_parse fills *q with malloc'd copies; release them
 * with cp_query_free. Values returned by cp_query_get are borrowed from q.
 */
#ifndef CPLANE_HOST_APISERVER_QUERY_H
#define CPLANE_HOST_APISERVER_QUERY_H

#include <stddef.h>
#include <stdint.h>

struct cp_query {
  char **keys, **values;
  size_t n;
};

/* Parses "a=1&b=x+y" (NULL or "" is empty). Returns 0, or -1 for a bad
 * %XX escape or when out of memory (q is then empty). */
int cp_query_parse(const char *qs, struct cp_query *q);
void cp_query_free(struct cp_query *q);

/* The first value of key, or NULL when absent. "?watch" gives "". */
const char *cp_query_get(const struct cp_query *q, const char *key);
/* 0 when absent, "false" or "0" (any case), else 1. */
int cp_query_bool(const struct cp_query *q, const char *key);
/* 0 when absent (*out untouched), 1 when set to a decimal integer in
 * [min, max], -1 when present but not one. */
int cp_query_int(const struct cp_query *q, const char *key, int64_t min,
                 int64_t max, int64_t *out);

/* The value of one hex digit (either case), or -1: %XX escapes here, and
 * the key in a continue token. */
int cp_query_hexval(char c);

#endif /* CPLANE_HOST_APISERVER_QUERY_H */
