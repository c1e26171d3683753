/*
 * json_format - see json_format.h.
 *
 * The result is checked with the object parser: it must be exactly one
 * JSON value (surrounding whitespace allowed), so a plugin can never send
 * the API server half a document built from a bad template.
 */
#include "object/json_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/json_buf.h"
#include "object/object.h"

/* Why this thread's last format failed; "" after a success. A fixed
 * buffer, so that reporting out of memory needs no memory. */
static _Thread_local char last_error[160];

static int fail(const char *fmt, ...) CPLANE_PRINTF(1, 2);
static int fail(const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return -1;
}

const char *cp_json_format_error(void) {
  return last_error[0] != '\0' ? last_error : NULL;
}

/* Records why text (a %j argument, or the whole result) is not JSON, with
 * the parser's words and the offset in text. The object parser takes only
 * an object at the top, so the text is parsed as the value of a wrapper
 * object and the offset moved back by the wrapper's 5 bytes. */
static int fail_json(const char *what, const char *text, size_t len) {
  static const char head[] = "{\"v\":";
  const size_t hl = sizeof head - 1;
  char *wrapped = malloc(len + hl + 2), *err = NULL;
  cplane_object *o = NULL;
  size_t off = 0;
  int pos = 0;

  if (wrapped == NULL)
    return fail("%s is not JSON (out of memory for details)", what);
  memcpy(wrapped, head, hl);
  memcpy(wrapped + hl, text, len);
  wrapped[hl + len] = '}';
  if (cp_object_parse(wrapped, len + hl + 1, &o, &err) == CPLANE_OK) {
    cp_object_release(o); /* cannot happen for text the checker refused */
    fail("%s is not one JSON value", what);
  } else if (err != NULL &&
             sscanf(err, "invalid JSON at byte %zu: %n", &off, &pos) == 1 &&
             pos > 0) {
    off = off > hl ? off - hl : 0;
    fail("%s is not JSON at offset %zu: %s", what, off < len ? off : len,
         err + pos);
  } else {
    fail("%s is not JSON", what);
  }
  free(err);
  free(wrapped);
  return -1;
}

static void put_int(struct cp_json_buf *b, const char *fmt, ...) {
  char num[32];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(num, sizeof num, fmt, ap);
  va_end(ap);
  if (n > 0)
    cp_json_buf_put(b, num, (size_t)n);
}

/* Expands one directive at *pp (just after '%'); advances *pp. Returns -1
 * for an unknown directive or an invalid %j value. */
static int directive(struct cp_json_buf *b, const char *fmt,
                     const char **pp, va_list *ap) {
  const char *p = *pp, *s;

  switch (*p) {
  case '%':
    cp_json_buf_put(b, "%", 1);
    break;
  case 's':
    s = va_arg(*ap, const char *);
    if (s == NULL)
      cp_json_buf_put(b, "null", 4);
    else
      cp_json_buf_quoted(b, s, strlen(s));
    break;
  case 'd':
    put_int(b, "%d", va_arg(*ap, int));
    break;
  case 'u':
    put_int(b, "%u", va_arg(*ap, unsigned));
    break;
  case 'b':
    cp_json_buf_puts(b, va_arg(*ap, int) ? "true" : "false");
    break;
  case 'j':
    s = va_arg(*ap, const char *);
    if (s == NULL) {
      cp_json_buf_put(b, "null", 4);
      break;
    }
    if (!cp_json_valid(s, strlen(s)))
      return fail_json("%j text", s, strlen(s));
    cp_json_buf_puts(b, s);
    break;
  case 'l':
    if (p[1] == 'd') {
      put_int(b, "%ld", va_arg(*ap, long));
      p++;
    } else if (p[1] == 'l' && p[2] == 'd') {
      put_int(b, "%lld", va_arg(*ap, long long));
      p += 2;
    } else {
      return fail("unknown directive %%l%c at offset %zu of the template",
                  p[1] != '\0' ? p[1] : ' ', (size_t)(p - 1 - fmt));
    }
    break;
  case '\0':
    return fail("a lone %% ends the template");
  default:
    return fail("unknown directive %%%c at offset %zu of the template", *p,
                (size_t)(p - 1 - fmt));
  }
  *pp = p + 1;
  return 0;
}

char *cp_json_vformat(const char *fmt, va_list ap) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  const char *p = fmt, *run;
  va_list aq;
  char *out = NULL;

  last_error[0] = '\0';
  if (fmt == NULL) {
    fail("the template is NULL");
    return NULL;
  }
  va_copy(aq, ap);
  while (*p != '\0') {
    run = p;
    while (*p != '\0' && *p != '%' && *p != '\'')
      p++;
    cp_json_buf_put(&b, run, (size_t)(p - run));
    if (*p == '\'') {
      cp_json_buf_put(&b, "\"", 1);
      p++;
    } else if (*p == '%') {
      p++;
      if (directive(&b, fmt, &p, &aq) < 0)
        goto out;
    }
  }
  if (b.nomem) {
    fail("out of memory");
    goto out;
  }
  if (b.data == NULL || b.len == 0) {
    fail("the template is empty");
    goto out;
  }
  if (!cp_json_valid(b.data, b.len)) {
    fail_json("the result", b.data, b.len);
    goto out;
  }
  if ((out = cp_json_buf_take(&b)) == NULL)
    fail("out of memory");
out:
  va_end(aq);
  cp_json_buf_reset(&b);
  return out;
}

char *cp_json_format(const char *fmt, ...) {
  va_list ap;
  char *s;

  va_start(ap, fmt);
  s = cp_json_vformat(fmt, ap);
  va_end(ap);
  return s;
}
