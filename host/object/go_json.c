/*
 * go_json - JSON text as Go's encoding/json writes it (see go_json.h;
 * Go's encoding/json/encode.go appendString and compact).
 */
#include "object/go_json.h"

#include <stdint.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s[0..n), or 0 when it is not
 * one (overlong, a surrogate, past U+10FFFF, cut short). *cp: the code
 * point. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp) {
  size_t len, i;
  uint32_t c;

  if (s[0] < 0xc2 || s[0] > 0xf4)
    return 0;
  len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
  if (len > n)
    return 0;
  c = s[0] & (0x7f >> len);
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
      (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
    return 0;
  *cp = c;
  return len;
}

void cp_go_json_quoted(struct cp_json_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, run = 0, len;
  uint32_t cp = 0;
  const char *esc;

  cp_json_buf_put(b, "\"", 1);
  while (i < n) {
    len = 1;
    if (s[i] == '<')
      esc = "\\u003c";
    else if (s[i] == '>')
      esc = "\\u003e";
    else if (s[i] == '&')
      esc = "\\u0026";
    else if (s[i] < 0x80)
      esc = NULL; /* json_buf's escaping is Go's for ASCII */
    else if ((len = utf8_len(s + i, n - i, &cp)) == 0)
      esc = "\\ufffd"; /* one byte at a time, as Go */
    else
      esc = cp == 0x2028 ? "\\u2028" : cp == 0x2029 ? "\\u2029" : NULL;
    if (len == 0)
      len = 1;
    if (esc != NULL) {
      cp_json_buf_escaped(b, str + run, i - run);
      cp_json_buf_puts(b, esc);
      run = i + len;
    }
    i += len;
  }
  cp_json_buf_escaped(b, str + run, n - run);
  cp_json_buf_put(b, "\"", 1);
}

static void value(struct cp_json_buf *b, json_object *o, int depth) {
  size_t i, n;
  int first = 1;

  if (o == NULL || depth > CP_GO_JSON_MAX_DEPTH) {
    cp_json_buf_puts(b, "null");
    return;
  }
  switch (json_object_get_type(o)) {
  case json_type_string:
    cp_go_json_quoted(b, json_object_get_string(o),
                      (size_t)json_object_get_string_len(o));
    return;
  case json_type_object:
    cp_json_buf_put(b, "{", 1);
    json_object_object_foreach(o, k, v) {
      if (!first)
        cp_json_buf_put(b, ",", 1);
      first = 0;
      cp_go_json_quoted(b, k, strlen(k));
      cp_json_buf_put(b, ":", 1);
      value(b, v, depth + 1);
    }
    cp_json_buf_put(b, "}", 1);
    return;
  case json_type_array:
    n = json_object_array_length(o);
    cp_json_buf_put(b, "[", 1);
    for (i = 0; i < n; i++) {
      if (i > 0)
        cp_json_buf_put(b, ",", 1);
      value(b, json_object_array_get_idx(o, i), depth + 1);
    }
    cp_json_buf_put(b, "]", 1);
    return;
  default: /* numbers as read (json-c keeps a double's text), bool, null */
    cp_json_buf_puts(b, json_object_to_json_string_ext(
                            o, JSON_C_TO_STRING_PLAIN));
    return;
  }
}

void cp_go_json_value(struct cp_json_buf *b, json_object *o) {
  value(b, o, 0);
}
