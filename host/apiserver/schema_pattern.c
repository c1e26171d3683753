/*
 * schema_pattern - see schema_pattern.h.
 *
 * The pattern is read once by translate(), which refuses RE2's syntax
 * errors and writes the PCRE2 text: each construct RE2 and PCRE2 both
 * take the same way is copied, the few they read differently are
 * rewritten. PCRE2 then compiles the result with UTF on (RE2 matches
 * characters, not bytes) and UCP off (RE2's \d, \w, \s and \b are ASCII).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "apiserver/schema_pattern.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Backtracking budget of one match before the DFA matcher takes over:
 * well above what a sane pattern needs on a field value, far below what
 * makes a request thread wait (PCRE2's default is 10 million). */
#define MATCH_LIMIT 100000u
#define DEPTH_LIMIT 5000u
#define HEAP_LIMIT_KIB 4096u
/* RE2's limit on {n,m}. */
#define MAX_REPEAT 1000
/* Workspace of the DFA matcher, in ints. Its time grows faster than
 * the workspace on nested repeats (measured: 2048 ints answer or give
 * up in 40 ms on a 200 kB subject, 16384 take seconds), so it stays
 * small: the DFA settles what backtracking could not, or gives up. */
#define DFA_WORKSPACE 2048

struct cp_pattern {
  pcre2_code *code;     /* backtracking, invalid UTF-8 never matches */
  pcre2_code *dfa_code; /* the same without PCRE2_MATCH_INVALID_UTF,
                         * which the DFA matcher does not take */
  pcre2_match_context *mctx;
};

/* The translated text, grown as it is written. */
struct out {
  char *buf;
  size_t len, cap;
  int nomem;
};

static void put(struct out *o, const char *s, size_t n) {
  char *b;
  size_t cap;

  if (o->nomem)
    return;
  if (o->len + n + 1 > o->cap) {
    cap = (o->len + n + 1) * 2;
    if ((b = realloc(o->buf, cap)) == NULL) {
      o->nomem = 1;
      return;
    }
    o->buf = b;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static void putf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...) {
  char tmp[32];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof tmp)
    put(o, tmp, (size_t)n);
}

/* Go's regexp error text: "error parsing regexp: CODE: `TEXT`". */
static int go_err(char **err, const char *code, const char *text, size_t n) {
  if (asprintf(err, "error parsing regexp: %s: `%.*s`", code, (int)n, text) <
      0)
    *err = NULL;
  return -1;
}

/* RE2's escapes that PCRE2 reads the same way: copied as they are. */
static int same_escape(char c, int in_class) {
  if (strchr("afnrtdDsSwWpPx", c) != NULL)
    return 1;
  return !in_class && strchr("bBAz", c) != NULL;
}

/* An escape at p (p[0] == '\\'); returns the bytes consumed, or -1. */
static int escape(const char *p, int in_class, struct out *o, char **err) {
  unsigned v = 0;
  int n = 1;

  if (p[1] == '\0')
    return go_err(err, "trailing backslash at end of expression", "", 0);
  if (p[1] == 'v') { /* RE2: the vertical tab; PCRE2: a class */
    put(o, "\\x{0b}", 6);
    return 2;
  }
  if (p[1] >= '0' && p[1] <= '7') {
    /* RE2 reads \0, \01, \012 and \12 as octal; a lone \1-\7 is a
     * backreference it refuses. PCRE2 would take \12 as a reference. */
    if (p[1] != '0' && (p[2] < '0' || p[2] > '7'))
      return go_err(err, "invalid escape sequence", p, 2);
    for (; n <= 3 && p[n] >= '0' && p[n] <= '7'; n++)
      v = v * 8 + (unsigned)(p[n] - '0');
    putf(o, "\\x{%x}", v);
    return n;
  }
  if (p[1] == 'Q') { /* literal text up to \E, as both read it */
    const char *e = strstr(p + 2, "\\E");
    size_t len = e != NULL ? (size_t)(e - p) + 2 : strlen(p);

    put(o, p, len);
    return (int)len;
  }
  if ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z') ||
      (p[1] >= '8' && p[1] <= '9')) {
    if (!same_escape(p[1], in_class))
      return go_err(err, "invalid escape sequence", p, 2);
  } else if ((unsigned char)p[1] >= 0x80) {
    return go_err(err, "invalid escape sequence", p, 2);
  }
  put(o, p, 2);
  return 2;
}

/* "(?" at p: a group RE2 takes (non-capturing with flags imsU, or a
 * named capture) is copied; anything else is refused as RE2 refuses it. */
static int perl_group(const char *p, struct out *o, char **err) {
  size_t i = 2;

  if (p[2] == 'P' && p[3] == '<') {
    put(o, p, 4);
    return 4;
  }
  if (p[2] == '<' && p[3] != '=' && p[3] != '!') {
    put(o, p, 3);
    return 3;
  }
  while (p[i] != '\0' && strchr("imsU-", p[i]) != NULL)
    i++;
  if (p[i] == ':' || (p[i] == ')' && i > 2)) {
    put(o, p, i + 1);
    return (int)i + 1;
  }
  return go_err(err, "invalid or unsupported Perl syntax", p,
                p[i] != '\0' ? i + 1 : i);
}

/* A {n}, {n,} or {n,m} at p: its length, or 0 when it is not a repeat
 * (then both read it as literal text). *big when a count is over RE2's
 * limit. */
static size_t repeat_len(const char *p, int *big) {
  size_t i = 1;
  long v = 0;
  int digits = 0, part = 0;

  *big = 0;
  for (;; i++) {
    if (p[i] >= '0' && p[i] <= '9') {
      v = v * 10 + (p[i] - '0');
      if (v > MAX_REPEAT)
        *big = 1, v = MAX_REPEAT + 1;
      digits++;
    } else if (p[i] == ',' && part == 0 && digits > 0) {
      part = 1, v = 0;
    } else if (p[i] == '}' && (digits > 0 || part == 1)) {
      return i + 1;
    } else {
      return 0;
    }
  }
}

/* After a repetition operator (at q, n bytes): RE2 takes one lazy '?'
 * and refuses a second operator, PCRE2's possessive '+' included. */
static int after_repeat(const char *q, size_t n, struct out *o, char **err) {
  size_t i = n;
  int big = 0;

  put(o, q, n);
  if (q[i] == '?') {
    put(o, "?", 1);
    i++;
  }
  if (q[i] == '*' || q[i] == '+' || q[i] == '?' ||
      (q[i] == '{' && repeat_len(q + i, &big) > 0))
    return go_err(err, "invalid nested repetition operator", q, i + 1);
  return (int)i;
}

/* A character class at p (p[0] == '['): copied to its closing ']'. */
static int char_class(const char *p, struct out *o, char **err) {
  size_t i = 1;
  int n;

  put(o, "[", 1);
  if (p[i] == '^')
    put(o, "^", 1), i++;
  if (p[i] == ']') /* a leading ']' is literal */
    put(o, "]", 1), i++;
  while (p[i] != '\0' && p[i] != ']') {
    if (p[i] == '\\') {
      if ((n = escape(p + i, 1, o, err)) < 0)
        return -1;
      i += (size_t)n;
    } else if (p[i] == '[' && p[i + 1] == ':') {
      const char *e = strstr(p + i, ":]");
      size_t len = e != NULL ? (size_t)(e - (p + i)) + 2 : 2;

      put(o, p + i, len);
      i += len;
    } else {
      put(o, p + i, 1);
      i++;
    }
  }
  if (p[i] != ']')
    return go_err(err, "missing closing ]", p, i);
  put(o, "]", 1);
  return (int)i + 1;
}

/* RE2 text -> PCRE2 text in o; -1 with *err as Go words it. */
static int translate(const char *p, struct out *o, char **err) {
  size_t i = 0;
  int n, big;

  put(o, "", 0);
  while (p[i] != '\0') {
    const char *q = p + i;

    if (*q == '\\')
      n = escape(q, 0, o, err);
    else if (*q == '[')
      n = char_class(q, o, err);
    else if (q[0] == '(' && q[1] == '?')
      n = perl_group(q, o, err);
    else if (q[0] == '(' && q[1] == '*') /* PCRE2 verbs: RE2 sees '*' */
      n = go_err(err, "missing argument to repetition operator", "*", 1);
    else if (*q == '*' || *q == '+' || *q == '?')
      n = after_repeat(q, 1, o, err);
    else if (*q == '{' && repeat_len(q, &big) > 0) {
      size_t len = repeat_len(q, &big);

      n = big ? go_err(err, "invalid repeat count", q, len)
              : after_repeat(q, len, o, err);
    } else {
      put(o, q, 1);
      n = 1;
    }
    if (n < 0)
      return -1;
    i += (size_t)n;
  }
  return 0;
}

void cp_pattern_free(struct cp_pattern *p) {
  if (p == NULL)
    return;
  pcre2_code_free(p->code);
  pcre2_code_free(p->dfa_code);
  pcre2_match_context_free(p->mctx);
  free(p);
}

struct cp_pattern *cp_pattern_compile(const char *pattern, char **err) {
  struct out o = {NULL, 0, 0, 0};
  struct cp_pattern *p = NULL;
  PCRE2_UCHAR msg[160];
  PCRE2_SIZE at = 0;
  int code = 0;

  *err = NULL;
  if (translate(pattern, &o, err) < 0)
    goto out;
  if (o.nomem || (p = calloc(1, sizeof *p)) == NULL)
    goto nomem;
  p->code = pcre2_compile((PCRE2_SPTR)o.buf, o.len,
                          PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
                              PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
                          &code, &at, NULL);
  if (p->code == NULL) {
    pcre2_get_error_message(code, msg, sizeof msg);
    if (asprintf(err, "error parsing regexp: %s at offset %zu: `%s`",
                 (const char *)msg, (size_t)at, pattern) < 0)
      goto nomem;
    goto fail;
  }
  p->dfa_code = pcre2_compile((PCRE2_SPTR)o.buf, o.len,
                              PCRE2_UTF | PCRE2_DOLLAR_ENDONLY |
                                  PCRE2_NEVER_BACKSLASH_C,
                              &code, &at, NULL);
  if (p->dfa_code == NULL ||
      (p->mctx = pcre2_match_context_create(NULL)) == NULL)
    goto nomem;
  pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
  pcre2_set_depth_limit(p->mctx, DEPTH_LIMIT);
  pcre2_set_heap_limit(p->mctx, HEAP_LIMIT_KIB);
  goto out;
nomem:
  free(*err);
  *err = strdup("out of memory");
fail:
  cp_pattern_free(p);
  p = NULL;
out:
  free(o.buf);
  return p;
}

/* The DFA matcher: no backtracking. When it too runs out of room
 * (nested repeats), the answer is -1: the caller refuses the value as
 * not matching rather than spend more time on it. */
static int dfa_match(const struct cp_pattern *p, const char *s, size_t len,
                     pcre2_match_data *md) {
  int *ws = malloc(DFA_WORKSPACE * sizeof *ws), rc;

  if (ws == NULL)
    return -1;
  rc = pcre2_dfa_match(p->dfa_code, (PCRE2_SPTR)s, len, 0, 0, md, p->mctx,
                       ws, DFA_WORKSPACE);
  free(ws);
  if (rc >= 0)
    return 1; /* 0: a match, with more than the ovector holds */
  return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

int cp_pattern_match(const struct cp_pattern *p, const char *s, size_t len) {
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->code, NULL);
  int rc;

  if (md == NULL)
    return -1;
  rc = pcre2_match(p->code, (PCRE2_SPTR)s, len, 0, 0, md, p->mctx);
  if (rc >= 0)
    rc = 1;
  else if (rc == PCRE2_ERROR_NOMATCH)
    rc = 0;
  else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
    rc = dfa_match(p, s, len, md);
  else
    rc = -1;
  pcre2_match_data_free(md);
  return rc;
}

int cp_pattern_find(const struct cp_pattern *p, const char *s, size_t len,
                    size_t from, size_t *start, size_t *end) {
  pcre2_match_data *md;
  PCRE2_SIZE *ov;
  int rc;

  if (from > len)
    return 0;
  if ((md = pcre2_match_data_create_from_pattern(p->code, NULL)) == NULL)
    return -1;
  rc = pcre2_match(p->code, (PCRE2_SPTR)s, len, from, 0, md, p->mctx);
  if (rc >= 0) {
    ov = pcre2_get_ovector_pointer(md);
    *start = ov[0];
    *end = ov[1];
    rc = 1;
  } else {
    rc = rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
  }
  pcre2_match_data_free(md);
  return rc;
}
