/*
 * json_strict - a strict recursive-descent JSON parser that builds json-c
 * objects; see the header for what it accepts and why.
 */
#include "object/json_strict.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys up to this long are decoded on the stack. */
#define KEY_STACK 128

/* One level of the path to the value being parsed: an object's key or an
 * array's index; used only to name duplicate fields. */
struct frame {
  const char *key; /* NULL: an array element */
  size_t index;
};

struct parser {
  const char *s, *end, *p;
  int max_depth, depth;
  struct cp_json_strict_dups *dups;
  struct frame *frames;
  const char *err;
  size_t err_at;
  int rc;
};

static __thread char errbuf[160];

static int fail_at(struct parser *ps, const char *at, int rc,
                   const char *msg) {
  if (ps->rc == CP_JSON_STRICT_OK) {
    ps->rc = rc;
    ps->err = msg;
    ps->err_at = (size_t)(at - ps->s);
  }
  return -1;
}

/* Go's "invalid character 'x' <context>" (or end of input). */
static int bad_char(struct parser *ps, const char *at, const char *context) {
  unsigned char c;

  if (at >= ps->end)
    return fail_at(ps, at, CP_JSON_STRICT_SYNTAX,
                   "unexpected end of JSON input");
  c = (unsigned char)*at;
  if (c >= 0x20 && c < 0x7f && c != '\'')
    snprintf(errbuf, sizeof errbuf, "invalid character '%c' %s", c, context);
  else if (c == '\'')
    snprintf(errbuf, sizeof errbuf, "invalid character '\\'' %s", context);
  else
    snprintf(errbuf, sizeof errbuf, "invalid character '\\x%02x' %s", c,
             context);
  return fail_at(ps, at, CP_JSON_STRICT_SYNTAX, errbuf);
}

static void skip_ws(struct parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
                             *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

/* ---- strings ---- */

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  int i;

  for (i = 0; i < 4; i++) {
    char c = p[i];

    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return i;
  }
  *out = v;
  return 4;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned char c = p[0];
  size_t n, i;
  unsigned cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, cp = c & 0x07;
  else
    return 0;
  if ((size_t)(end - p) < n)
    return 0;
  for (i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

/* Scans the string whose opening quote is at ps->p: *raw_len is its
 * length, *plain whether it needs no decoding (no escapes, valid UTF-8).
 * Leaves ps->p on the closing quote. */
static int scan_string(struct parser *ps, size_t *raw_len, int *plain) {
  const char *p = ps->p + 1, *start = p;

  *plain = 1;
  for (;;) {
    unsigned char c;

    /* The common case: printable ASCII. */
    while (p < ps->end && (unsigned char)*p >= 0x20 && *p != '"' &&
           *p != '\\' && (unsigned char)*p < 0x80)
      p++;
    if (p >= ps->end)
      return bad_char(ps, p, "in string literal");
    c = (unsigned char)*p;
    if (c == '"')
      break;
    if (c < 0x20)
      return bad_char(ps, p, "in string literal");
    if (c == '\\') {
      *plain = 0;
      if (p + 1 >= ps->end)
        return bad_char(ps, p + 1, "in string escape code");
      if (p[1] == 'u') {
        unsigned v;
        int k;

        if (ps->end - (p + 2) < 4) {
          /* Cut short: a bad digit before the end is named first. */
          for (k = 0; p + 2 + k < ps->end; k++)
            if (strchr("0123456789abcdefABCDEF", p[2 + k]) == NULL ||
                p[2 + k] == '\0')
              return bad_char(ps, p + 2 + k,
                              "in \\u hexadecimal character escape");
          return bad_char(ps, ps->end, "");
        }
        if ((k = hex4(p + 2, &v)) != 4)
          return bad_char(ps, p + 2 + k,
                          "in \\u hexadecimal character escape");
        p += 6;
        continue;
      }
      if (strchr("\"\\/bfnrt", p[1]) == NULL || p[1] == '\0')
        return bad_char(ps, p + 1, "in string escape code");
      p += 2;
      continue;
    }
    {
      size_t n = utf8_len((const unsigned char *)p,
                          (const unsigned char *)ps->end);

      if (n == 0) {
        *plain = 0;
        n = 1;
      }
      p += n;
    }
  }
  *raw_len = (size_t)(p - start);
  ps->p = p;
  return 0;
}

/* Decodes raw[0..len) (scanned already) into out, which has room for
 * 3 * len bytes (U+FFFD for one invalid byte is three). Returns the
 * decoded length. */
static size_t decode_string(const char *raw, size_t len, char *out) {
  const char *p = raw, *end = raw + len;
  size_t o = 0;

  while (p < end) {
    unsigned char c = (unsigned char)*p;

    if (c == '\\') {
      unsigned cp, lo;

      switch (p[1]) {
      case 'b': out[o++] = '\b'; p += 2; continue;
      case 'f': out[o++] = '\f'; p += 2; continue;
      case 'n': out[o++] = '\n'; p += 2; continue;
      case 'r': out[o++] = '\r'; p += 2; continue;
      case 't': out[o++] = '\t'; p += 2; continue;
      case 'u': break;
      default: out[o++] = p[1]; p += 2; continue;
      }
      hex4(p + 2, &cp);
      p += 6;
      if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' &&
          p[1] == 'u' && hex4(p + 2, &lo) == 4 && lo >= 0xdc00 &&
          lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
      } else if (cp >= 0xd800 && cp <= 0xdfff) {
        cp = 0xfffd; /* a lone surrogate, as Go decodes it */
      }
      o += put_utf8(out + o, cp);
      continue;
    }
    if (c < 0x80) {
      out[o++] = (char)c;
      p++;
      continue;
    }
    {
      size_t n = utf8_len((const unsigned char *)p,
                          (const unsigned char *)end);

      if (n == 0) {
        o += put_utf8(out + o, 0xfffd);
        p++;
        continue;
      }
      memcpy(out + o, p, n);
      o += n;
      p += n;
    }
  }
  return o;
}

static json_object *parse_string_value(struct parser *ps) {
  const char *raw = ps->p + 1;
  size_t len, n;
  json_object *o;
  char *buf;
  int plain;

  if (scan_string(ps, &len, &plain) < 0)
    return NULL;
  ps->p++; /* the closing quote */
  if (plain)
    o = json_object_new_string_len(raw, (int)len);
  else {
    if ((buf = malloc(3 * len + 1)) == NULL) {
      fail_at(ps, raw, CP_JSON_STRICT_NOMEM, "out of memory");
      return NULL;
    }
    n = decode_string(raw, len, buf);
    o = json_object_new_string_len(buf, (int)n);
    free(buf);
  }
  if (o == NULL)
    fail_at(ps, raw, CP_JSON_STRICT_NOMEM, "out of memory");
  return o;
}

/* ---- numbers ---- */

static json_object *parse_number(struct parser *ps) {
  const char *p = ps->p, *start = p;
  int integer = 1;
  json_object *o;

  if (p < ps->end && *p == '-')
    p++;
  if (p >= ps->end || *p < '0' || *p > '9') {
    bad_char(ps, p, "in numeric literal");
    return NULL;
  }
  if (*p == '0')
    p++;
  else
    while (p < ps->end && *p >= '0' && *p <= '9')
      p++;
  if (p < ps->end && *p == '.') {
    integer = 0;
    p++;
    if (p >= ps->end || *p < '0' || *p > '9') {
      bad_char(ps, p, "after decimal point in numeric literal");
      return NULL;
    }
    while (p < ps->end && *p >= '0' && *p <= '9')
      p++;
  }
  if (p < ps->end && (*p == 'e' || *p == 'E')) {
    integer = 0;
    p++;
    if (p < ps->end && (*p == '+' || *p == '-'))
      p++;
    if (p >= ps->end || *p < '0' || *p > '9') {
      bad_char(ps, p, "in exponent of numeric literal");
      return NULL;
    }
    while (p < ps->end && *p >= '0' && *p <= '9')
      p++;
  }
  ps->p = p;
  if (integer) {
    const char *d = start + (*start == '-');
    int neg = *start == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : UINT64_MAX;

    for (; d < p; d++) {
      unsigned dig = (unsigned)(*d - '0');

      if (v > (lim - dig) / 10)
        break;
      v = v * 10 + dig;
    }
    /* Up to UINT64_MAX stays exact, as json-c's own reader keeps it. */
    if (d == p) {
      o = neg ? json_object_new_int64((int64_t)(0 - v))
          : v > INT64_MAX ? json_object_new_uint64(v)
                          : json_object_new_int64((int64_t)v);
      goto done;
    }
  }
  {
    /* strtod needs a terminated copy; numbers are short. */
    char tmp[64], *heap = NULL, *text = tmp;
    size_t n = (size_t)(p - start);
    double d;

    if (n >= sizeof tmp && (text = heap = malloc(n + 1)) == NULL) {
      fail_at(ps, start, CP_JSON_STRICT_NOMEM, "out of memory");
      return NULL;
    }
    memcpy(text, start, n);
    text[n] = '\0';
    d = strtod(text, NULL);
    if (isinf(d) || isnan(d)) {
      snprintf(errbuf, sizeof errbuf, "json: cannot unmarshal number %.64s%s "
               "into Go value of type float64", text, n > 64 ? "..." : "");
      free(heap);
      fail_at(ps, start, CP_JSON_STRICT_SYNTAX, errbuf);
      return NULL;
    }
    o = json_object_new_double_s(d, text);
    free(heap);
  }
done:
  if (o == NULL)
    fail_at(ps, start, CP_JSON_STRICT_NOMEM, "out of memory");
  return o;
}

/* ---- structure ---- */

static json_object *parse_value(struct parser *ps);

/* Records the path of a duplicate key: frames[0..depth) then key. */
static void note_dup(struct parser *ps, const char *key) {
  struct cp_json_strict_dups *d = ps->dups;
  size_t len = strlen(key) + 1, i;
  char *path, *w;
  int k;

  d->total++;
  if (d->n >= CP_JSON_STRICT_MAX_DUPS)
    return;
  for (k = 1; k < ps->depth; k++)
    len += ps->frames[k].key ? strlen(ps->frames[k].key) + 1 : 24;
  if ((path = malloc(len)) == NULL)
    return;
  w = path;
  for (k = 1; k < ps->depth; k++) {
    if (ps->frames[k].key != NULL)
      w += sprintf(w, "%s%s", w == path ? "" : ".", ps->frames[k].key);
    else
      w += sprintf(w, "[%zu]", ps->frames[k].index);
  }
  sprintf(w, "%s%s", w == path ? "" : ".", key);
  i = d->n++;
  d->paths[i] = path;
}

static int enter(struct parser *ps) {
  if (ps->depth >= ps->max_depth)
    return fail_at(ps, ps->p, CP_JSON_STRICT_DEPTH,
                   "exceeded max depth");
  ps->depth++;
  return 0;
}

/* What may follow an object member or an array element: a ',' (0: the
 * next item follows, white space skipped), the container's closer (1:
 * consumed), or anything else (-1: a syntax error naming context). */
static int after_item(struct parser *ps, char closer, const char *context) {
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ',') {
    ps->p++;
    skip_ws(ps);
    return 0;
  }
  if (ps->p < ps->end && *ps->p == closer) {
    ps->p++;
    return 1;
  }
  bad_char(ps, ps->p, context);
  return -1;
}

static json_object *parse_object(struct parser *ps) {
  json_object *obj = json_object_new_object(), *v;
  char stackkey[KEY_STACK], *key = NULL;

  if (obj == NULL) {
    fail_at(ps, ps->p, CP_JSON_STRICT_NOMEM, "out of memory");
    return NULL;
  }
  ps->p++; /* '{' */
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return obj;
  }
  for (;;) {
    const char *raw;
    size_t len, n;
    int plain, dup;

    if (ps->p >= ps->end || *ps->p != '"') {
      bad_char(ps, ps->p, "looking for beginning of object key string");
      goto fail;
    }
    raw = ps->p + 1;
    if (scan_string(ps, &len, &plain) < 0)
      goto fail;
    ps->p++;
    key = 3 * len + 1 <= sizeof stackkey ? stackkey : malloc(3 * len + 1);
    if (key == NULL) {
      fail_at(ps, raw, CP_JSON_STRICT_NOMEM, "out of memory");
      goto fail;
    }
    if (plain) {
      memcpy(key, raw, len);
      n = len;
    } else {
      n = decode_string(raw, len, key);
    }
    key[n] = '\0';
    if (strlen(key) != n) {
      fail_at(ps, raw, CP_JSON_STRICT_SYNTAX,
              "object key contains U+0000, which cannot be stored");
      goto fail;
    }
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':') {
      bad_char(ps, ps->p, "after object key");
      goto fail;
    }
    ps->p++;
    skip_ws(ps);
    dup = json_object_object_get_ex(obj, key, NULL);
    if (dup && ps->dups != NULL)
      note_dup(ps, key);
    ps->frames[ps->depth].key = key;
    if ((v = parse_value(ps)) == NULL && ps->rc != CP_JSON_STRICT_OK)
      goto fail;
    if (dup)
      json_object_object_add(obj, key, v); /* the last wins, as in Go */
    else if (json_object_object_add_ex(obj, key, v,
                                       JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
      json_object_put(v);
      fail_at(ps, raw, CP_JSON_STRICT_NOMEM, "out of memory");
      goto fail;
    }
    if (key != stackkey)
      free(key);
    key = NULL;
    switch (after_item(ps, '}', "after object key:value pair")) {
    case 0:
      continue;
    case 1:
      return obj;
    default:
      goto fail;
    }
  }
fail:
  if (key != stackkey)
    free(key);
  json_object_put(obj);
  return NULL;
}

static json_object *parse_array(struct parser *ps) {
  json_object *arr = json_object_new_array(), *v;
  size_t i = 0;

  if (arr == NULL) {
    fail_at(ps, ps->p, CP_JSON_STRICT_NOMEM, "out of memory");
    return NULL;
  }
  ps->p++; /* '[' */
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return arr;
  }
  ps->frames[ps->depth].key = NULL;
  for (;; i++) {
    ps->frames[ps->depth].index = i;
    if ((v = parse_value(ps)) == NULL && ps->rc != CP_JSON_STRICT_OK)
      goto fail;
    if (json_object_array_add(arr, v) != 0) {
      json_object_put(v);
      fail_at(ps, ps->p, CP_JSON_STRICT_NOMEM, "out of memory");
      goto fail;
    }
    ps->frames[ps->depth].key = NULL;
    switch (after_item(ps, ']', "after array element")) {
    case 0:
      continue;
    case 1:
      return arr;
    default:
      goto fail;
    }
  }
fail:
  json_object_put(arr);
  return NULL;
}

static int literal(struct parser *ps, const char *word) {
  size_t n = strlen(word), i;

  for (i = 0; i < n; i++)
    if (ps->p + i >= ps->end || ps->p[i] != word[i])
      return bad_char(ps, ps->p + i, i == 0
                                         ? "looking for beginning of value"
                                         : "in literal (expecting a word)");
  ps->p += n;
  return 0;
}

/* NULL with ps->rc still OK is the literal null. */
static json_object *parse_value(struct parser *ps) {
  json_object *o = NULL;

  if (ps->p >= ps->end) {
    bad_char(ps, ps->p, "");
    return NULL;
  }
  switch (*ps->p) {
  case '{':
  case '[':
    if (enter(ps) < 0)
      return NULL;
    o = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
    ps->depth--;
    return o;
  case '"':
    return parse_string_value(ps);
  case 't':
  case 'f': {
    int t = *ps->p == 't';

    if (literal(ps, t ? "true" : "false") < 0)
      return NULL;
    if ((o = json_object_new_boolean(t)) == NULL)
      fail_at(ps, ps->p, CP_JSON_STRICT_NOMEM, "out of memory");
    return o;
  }
  case 'n':
    literal(ps, "null");
    return NULL;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
      return parse_number(ps);
    bad_char(ps, ps->p, "looking for beginning of value");
    return NULL;
  }
}

int cp_json_strict_parse(const char *s, size_t n, int max_depth,
                         json_object **out,
                         struct cp_json_strict_dups *dups, const char **err,
                         size_t *err_at) {
  /* No body is an empty one; NULL + 0 is undefined, so never formed. */
  const char *text = s != NULL ? s : "";
  struct parser ps = {.s = text, .end = text + (s != NULL ? n : 0),
                      .p = text, .max_depth = max_depth, .dups = dups};
  json_object *o;

  *out = NULL;
  *err = NULL;
  *err_at = 0;
  if (n > INT32_MAX) { /* json-c lengths are int */
    *err = "document too large";
    return CP_JSON_STRICT_SYNTAX;
  }
  if (max_depth < 1)
    ps.max_depth = 1;
  ps.frames = calloc((size_t)ps.max_depth + 1, sizeof *ps.frames);
  if (ps.frames == NULL) {
    *err = "out of memory";
    return CP_JSON_STRICT_NOMEM;
  }
  skip_ws(&ps);
  o = parse_value(&ps);
  if (ps.rc == CP_JSON_STRICT_OK) {
    skip_ws(&ps);
    if (ps.p < ps.end)
      bad_char(&ps, ps.p, "after top-level value");
  }
  free(ps.frames);
  if (ps.rc != CP_JSON_STRICT_OK) {
    json_object_put(o);
    *err = ps.err;
    *err_at = ps.err_at;
    return ps.rc;
  }
  *out = o;
  return CP_JSON_STRICT_OK;
}

void cp_json_strict_dups_clear(struct cp_json_strict_dups *d) {
  size_t i;

  if (d == NULL)
    return;
  for (i = 0; i < d->n; i++)
    free(d->paths[i]);
  memset(d, 0, sizeof *d);
}
