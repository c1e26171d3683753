/*
 * query - see query.h.
 */
#include "apiserver/query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cp_query_hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes s[0..n) into a new string. NULL on a bad escape or no memory. */
static char *decode(const char *s, size_t n) {
  char *out = malloc(n + 1), *o = out;
  size_t i;

  if (out == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    if (s[i] == '+') {
      *o++ = ' ';
    } else if (s[i] == '%') {
      int hi, lo;

      if (i + 2 >= n) { /* fewer than two characters left */
        free(out);
        return NULL;
      }
      hi = cp_query_hexval(s[i + 1]);
      lo = cp_query_hexval(s[i + 2]);
      if (hi < 0 || lo < 0) {
        free(out);
        return NULL;
      }
      *o++ = (char)(hi * 16 + lo);
      i += 2;
    } else {
      *o++ = s[i];
    }
  }
  *o = '\0';
  return out;
}

static int add(struct cp_query *q, const char *k, size_t kn, const char *v,
               size_t vn) {
  char **keys = realloc(q->keys, (q->n + 1) * sizeof *keys), **values;

  if (keys == NULL)
    return -1;
  q->keys = keys;
  values = realloc(q->values, (q->n + 1) * sizeof *values);
  if (values == NULL)
    return -1;
  q->values = values;
  q->keys[q->n] = decode(k, kn);
  q->values[q->n] = decode(v, vn);
  if (q->keys[q->n] == NULL || q->values[q->n] == NULL) {
    free(q->keys[q->n]);
    free(q->values[q->n]);
    return -1;
  }
  q->n++;
  return 0;
}

int cp_query_parse(const char *qs, struct cp_query *q) {
  const char *p = qs;

  memset(q, 0, sizeof *q);
  if (qs == NULL)
    return 0;
  while (*p != '\0') {
    const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));

    if (end > p) {
      const char *kend = eq != NULL ? eq : end;
      const char *v = eq != NULL ? eq + 1 : end;

      if (add(q, p, (size_t)(kend - p), v, (size_t)(end - v)) < 0) {
        cp_query_free(q);
        return -1;
      }
    }
    p = amp != NULL ? amp + 1 : end;
  }
  return 0;
}

void cp_query_free(struct cp_query *q) {
  size_t i;

  for (i = 0; i < q->n; i++) {
    free(q->keys[i]);
    free(q->values[i]);
  }
  free(q->keys);
  free(q->values);
  memset(q, 0, sizeof *q);
}

const char *cp_query_get(const struct cp_query *q, const char *key) {
  size_t i;

  for (i = 0; i < q->n; i++)
    if (strcmp(q->keys[i], key) == 0)
      return q->values[i];
  return NULL;
}

int cp_query_bool(const struct cp_query *q, const char *key) {
  const char *v = cp_query_get(q, key);

  if (v == NULL || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
    return 0;
  return 1;
}

int cp_query_int(const struct cp_query *q, const char *key, int64_t min,
                 int64_t max, int64_t *out) {
  const char *v = cp_query_get(q, key);
  char *end;
  long long n;

  if (v == NULL)
    return 0;
  if (v[0] == '\0' || v[0] == ' ' || v[0] == '+')
    return -1;
  errno = 0;
  n = strtoll(v, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    return -1;
  *out = n;
  return 1;
}
