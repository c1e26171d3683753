/* protobuf - see protobuf.h. The field numbers are protobuf_fields.c's;
 * nothing here knows a kind. */
#include "apiserver/protobuf.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apiserver/protobuf_fields.h"
#include "apiserver/protobuf_wire.h"
#include "apiserver/status.h"
#include "encoding/base64.h"

static const char magic[4] = {'k', '8', 's', '\0'};

int cp_protobuf_is(const char *ct) {
  return ct != NULL && strncasecmp(ct, CP_PROTOBUF_CONTENT_TYPE,
                                   strlen(CP_PROTOBUF_CONTENT_TYPE)) == 0;
}

/* ---- Accept ---- */

/* The q of one media range's parameters (after the first ';'), and
 * whether one of them asks for a conversion (as=Table, ...). */
static double range_q(const char *params, size_t n, int *converts) {
  double q = 1.0;
  size_t i = 0;

  while (i < n) {
    size_t j = i;

    while (j < n && params[j] != ';')
      j++;
    while (i < j && params[i] == ' ')
      i++;
    if (j - i > 2 && strncasecmp(params + i, "q=", 2) == 0)
      q = strtod(params + i + 2, NULL);
    else if (j - i > 3 && strncasecmp(params + i, "as=", 3) == 0)
      *converts = 1;
    i = j + 1;
  }
  return q;
}

int cp_protobuf_wanted(const char *accept) {
  const char *p = accept;
  double best = 0.0;
  int best_pb = 0;

  while (p != NULL && *p != '\0') {
    size_t n = strcspn(p, ","), t;
    int converts = 0;
    double q;

    while (n > 0 && *p == ' ') {
      p++;
      n--;
    }
    t = strcspn(p, ";");
    if (t > n)
      t = n;
    q = range_q(p + t, n - t, &converts);
    if (q > best) {
      best = q;
      while (t > 0 && p[t - 1] == ' ')
        t--;
      best_pb = !converts && t == strlen(CP_PROTOBUF_CONTENT_TYPE) &&
                strncasecmp(p, CP_PROTOBUF_CONTENT_TYPE, t) == 0;
    }
    p += n;
    if (*p == ',')
      p++;
  }
  return best_pb;
}

/* ---- the table ---- */

static int kind_cmp(const char *av, const char *k,
                     const struct cp_pb_kind *e) {
  int c = strcmp(av, e->api_version);

  return c != 0 ? c : strcmp(k, e->kind);
}

static const struct cp_pb_message *kind_message(const char *api_version,
                                                const char *kind) {
  size_t lo = 0, hi = cp_pb_nkinds;

  if (api_version == NULL || kind == NULL)
    return NULL;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = kind_cmp(api_version, kind, &cp_pb_kinds[mid]);

    if (c == 0)
      return &cp_pb_messages[cp_pb_kinds[mid].msg];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

int cp_protobuf_known(const char *api_version, const char *kind) {
  return kind_message(api_version, kind) != NULL;
}

static const struct cp_pb_field *field_of(const struct cp_pb_message *m,
                                          int num) {
  uint16_t i;

  for (i = 0; i < m->nfields; i++)
    if (m->fields[i].num == num)
      return &m->fields[i];
  return NULL;
}

/* ---- the wire format, reading ---- */

struct pb {
  const unsigned char *p, *end;
};

struct wire {
  int num, wire;
  uint64_t v;                /* varint values */
  const unsigned char *data; /* length-delimited */
  size_t len;
};

static int varint(struct pb *b, uint64_t *out) {
  uint64_t v = 0;
  int shift;

  for (shift = 0; shift < 64 && b->p < b->end; shift += 7) {
    unsigned char c = *b->p++;

    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

/* The next field, or 0 at the end, -1 when malformed. */
static int next(struct pb *b, struct wire *f) {
  uint64_t key;

  if (b->p >= b->end)
    return 0;
  if (varint(b, &key) != 0 || key >> 3 == 0 || key >> 3 > INT32_MAX)
    return -1;
  f->num = (int)(key >> 3);
  f->wire = (int)(key & 7);
  f->data = NULL;
  f->len = 0;
  f->v = 0;
  switch (f->wire) {
  case 0:
    return varint(b, &f->v) == 0 ? 1 : -1;
  case 1: { /* fixed64: kept little-endian in v (doubles) */
    int i;

    if (b->end - b->p < 8)
      return -1;
    for (i = 7; i >= 0; i--)
      f->v = f->v << 8 | b->p[i];
    b->p += 8;
    return 1;
  }
  case 5:
    if (b->end - b->p < 4)
      return -1;
    b->p += 4;
    return 1;
  case 2:
    if (varint(b, &f->v) != 0 || f->v > (uint64_t)(b->end - b->p))
      return -1;
    f->data = b->p;
    f->len = (size_t)f->v;
    b->p += f->len;
    return 1;
  default:
    return -1;
  }
}

/* The wire type a value of type t travels as. */
static int wire_of(int t) {
  return t == CP_PB_BOOL || t == CP_PB_INT32 || t == CP_PB_INT64 ? 0
         : t == CP_PB_DOUBLE                                     ? 1
                                                                 : 2;
}

/* ---- base64 (bytes fields) ---- */

static json_object *base64_of(const unsigned char *p, size_t n) {
  char *s;
  json_object *j;

  if (n > CP_PROTOBUF_MAX_BYTES ||
      (s = cp_base64_encode(CP_BASE64_STD, p, n)) == NULL)
    return NULL;
  j = json_object_new_string(s);
  free(s);
  return j;
}

/* Decodes s into *out (malloc'd) as encoding/json decodes []byte (Go's
 * StdEncoding), or -1 when it is not base64. */
static int unbase64(const char *s, size_t n, unsigned char **out,
                    size_t *len) {
  *out = NULL;
  *len = 0;
  if (n > CP_PROTOBUF_MAX_BYTES ||
      (*out = cp_base64_decode(CP_BASE64_STD, 0, s, n, len)) == NULL)
    return -1;
  return 0;
}

/* ---- times and durations ---- */

/* kube's Time and MicroTime: no bytes at all is the zero time (JSON
 * null); otherwise seconds (and, for a MicroTime, nanos) since the epoch,
 * even 0. A year JSON cannot hold is refused, as Go's MarshalJSON does. */
static int time_json(int empty, int64_t sec, int64_t nanos, int micro,
                     json_object **out) {
  struct tm tm;
  time_t t = (time_t)sec;
  char s[64];
  size_t n;

  *out = NULL;
  if (empty)
    return 0;
  if (sec < -62167219200LL || sec > 253402300799LL ||
      gmtime_r(&t, &tm) == NULL)
    return -1;
  n = strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (n != 19)
    return -1;
  if (micro)
    snprintf(s + n, sizeof s - n, ".%06dZ",
             (int)((nanos < 0 || nanos > 999999999 ? 0 : nanos) / 1000));
  else
    snprintf(s + n, sizeof s - n, "Z");
  return (*out = json_object_new_string(s)) != NULL ? 0 : -1;
}

static int digits(const char **p, int n, int *out) {
  int v = 0, i;

  for (i = 0; i < n; i++, (*p)++) {
    if (!isdigit((unsigned char)**p))
      return -1;
    v = v * 10 + (**p - '0');
  }
  *out = v;
  return 0;
}

/* RFC 3339, as Go's time.Parse reads it for metav1.Time. */
static int parse_time(const char *s, int64_t *sec, int32_t *nanos) {
  struct tm tm = {0};
  int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
  long ns = 0, scale = 100000000;

  if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
      *s++ != '-' || digits(&s, 2, &d) || (*s != 'T' && *s != 't') ||
      !*s++ || digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
      *s++ != ':' || digits(&s, 2, &se))
    return -1;
  if (*s == '.') {
    for (s++; isdigit((unsigned char)*s); s++, scale /= 10)
      ns += scale > 0 ? (*s - '0') * scale : 0;
  }
  if (*s == 'Z' || *s == 'z') {
    s++;
  } else if (*s == '+' || *s == '-') {
    sign = *s++ == '-' ? -1 : 1;
    if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
      return -1;
  } else {
    return -1;
  }
  if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || se > 60)
    return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  *sec = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
  *nanos = (int32_t)ns;
  return 0;
}

/* whole.frac of v / unit, frac trimmed of trailing zeros, then suffix;
 * exact, as Go's time.Duration.String() prints. */
static int fixed_point(char *s, size_t cap, uint64_t v, uint64_t unit,
                       int prec, const char *suffix) {
  int n = snprintf(s, cap, "%" PRIu64, v / unit);

  if (v % unit != 0) {
    n += snprintf(s + n, cap - (size_t)n, ".%0*" PRIu64, prec, v % unit);
    while (s[n - 1] == '0')
      s[--n] = '\0';
  }
  return n + snprintf(s + n, cap - (size_t)n, "%s", suffix);
}

/* Go's time.Duration.String(). */
static json_object *duration_json(int64_t ns) {
  char s[64];
  uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
  int n = ns < 0 ? snprintf(s, sizeof s, "-") : 0;

  if (u == 0)
    return json_object_new_string("0s");
  if (u < 1000)
    fixed_point(s + n, sizeof s - (size_t)n, u, 1, 0, "ns");
  else if (u < 1000000)
    fixed_point(s + n, sizeof s - (size_t)n, u, 1000, 3, "\xc2\xb5s");
  else if (u < 1000000000)
    fixed_point(s + n, sizeof s - (size_t)n, u, 1000000, 6, "ms");
  else {
    uint64_t h = u / 3600000000000ull, m = u / 60000000000ull % 60;

    if (h > 0)
      n += snprintf(s + n, sizeof s - (size_t)n, "%" PRIu64 "h", h);
    if (h > 0 || m > 0)
      n += snprintf(s + n, sizeof s - (size_t)n, "%" PRIu64 "m", m);
    fixed_point(s + n, sizeof s - (size_t)n, u % 60000000000ull, 1000000000,
                9, "s");
  }
  return json_object_new_string(s);
}

/* Go's time.ParseDuration, exact: [-+]{number[.fraction]unit}... */
static int parse_duration(const char *s, int64_t *out) {
  static const struct {
    const char *unit;
    uint64_t ns;
  } units[] = {{"ns", 1},
               {"us", 1000},
               {"\xc2\xb5s", 1000},
               {"ms", 1000000},
               {"s", 1000000000ull},
               {"m", 60000000000ull},
               {"h", 3600000000000ull}};
  uint64_t total = 0;
  int neg = 0;

  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (strcmp(s, "0") == 0) {
    *out = 0;
    return 0;
  }
  if (*s == '\0')
    return -1;
  while (*s != '\0') {
    uint64_t whole = 0, frac = 0, scale = 1, v;
    size_t i, best = 0, blen = 0;
    int any = 0;

    for (; isdigit((unsigned char)*s); s++, any = 1) {
      if (whole > (UINT64_MAX - 9) / 10)
        return -1;
      whole = whole * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.')
      for (s++; isdigit((unsigned char)*s); s++, any = 1)
        if (scale < 1000000000000000000ull) {
          frac = frac * 10 + (uint64_t)(*s - '0');
          scale *= 10;
        }
    if (!any)
      return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
      size_t l = strlen(units[i].unit);

      if (strncmp(s, units[i].unit, l) == 0 && l > blen) {
        best = i;
        blen = l;
      }
    }
    if (blen == 0 || (whole > 0 && units[best].ns > UINT64_MAX / whole))
      return -1;
    v = whole * units[best].ns +
        (uint64_t)((double)frac * (double)units[best].ns / (double)scale);
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg - total)
      return -1;
    total += v;
    s += blen;
  }
  *out = neg ? (int64_t)(0 - total) : (int64_t)total;
  return 0;
}

/* A protobuf string as JSON: invalid UTF-8 becomes U+FFFD, as Go's JSON
 * encoder writes it. */
static json_object *utf8_string(const unsigned char *p, size_t n) {
  size_t i = 0, o = 0;
  char *fixed;
  json_object *j;

  if (n > INT32_MAX / 3)
    return NULL;
  if ((fixed = malloc(n * 3 + 1)) == NULL)
    return NULL;
  while (i < n) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
                             : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4 : 0;
    uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    size_t k;

    for (k = 1; len > 1 && k < len; k++) {
      if (i + k >= n || (p[i + k] & 0xc0) != 0x80) {
        len = 0;
        break;
      }
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    if (len > 1 && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff)))
      len = 0;
    if (len == 0) {
      memcpy(fixed + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
      continue;
    }
    memcpy(fixed + o, p + i, len);
    o += len;
    i += len;
  }
  j = json_object_new_string_len(fixed, (int)o);
  free(fixed);
  return j;
}

/* ---- protobuf -> JSON ---- */

static int decode_message(const struct cp_pb_message *m,
                          const unsigned char *p, size_t n, json_object *o,
                          int depth);
static int enveloped_json(const char *body, size_t len, int depth,
                          json_object **out, const char **why);
static int decode_special(const struct cp_pb_message *m,
                          const unsigned char *p, size_t n, int depth,
                          json_object **out);

/* The JSON value raw bytes hold, exactly (strict, nothing after it). The
 * text is given a terminating NUL so that a bare number ends. */
static int raw_json(const unsigned char *p, size_t n, json_object **out) {
  struct json_tokener *tok;
  char *text;
  int rc = -1;

  *out = NULL;
  if (n > INT32_MAX - 1 || (text = malloc(n + 1)) == NULL)
    return -1;
  memcpy(text, p, n);
  text[n] = '\0';
  if ((tok = json_tokener_new()) == NULL) {
    free(text);
    return -1;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  *out = json_tokener_parse_ex(tok, text, (int)n + 1);
  if (*out != NULL && json_tokener_get_error(tok) == json_tokener_success &&
      strlen(text) == n && tok->char_offset >= (int)n)
    rc = 0;
  if (rc != 0) {
    json_object_put(*out);
    *out = NULL;
  }
  json_tokener_free(tok);
  free(text);
  return rc;
}

/* JSONSchemaPropsOrArray/OrBool/OrStringArray as their MarshalJSON
 * writes them: the list when it has items, else the schema, else (OrBool)
 * the boolean or null. */
static int decode_union(const struct cp_pb_message *m,
                        const unsigned char *p, size_t n, int depth,
                        json_object **out) {
  json_object *o = json_object_new_object(), *v;
  int rc = -1;

  *out = NULL;
  if (o == NULL || decode_message(m, p, n, o, depth + 1) != 0)
    goto out;
  if (m->special == CP_PB_SPECIAL_ORBOOL) {
    if (json_object_object_get_ex(o, "schema", &v))
      *out = json_object_get(v);
    else
      *out = json_object_new_boolean(
          json_object_object_get_ex(o, "allows", &v) &&
          json_object_get_boolean(v));
    rc = *out != NULL ? 0 : -1;
    goto out;
  }
  if ((json_object_object_get_ex(o, "jSONSchemas", &v) ||
       json_object_object_get_ex(o, "property", &v)) &&
      json_object_array_length(v) > 0)
    *out = json_object_get(v);
  else if (json_object_object_get_ex(o, "schema", &v))
    *out = json_object_get(v);
  rc = 0;
out:
  json_object_put(o);
  return rc;
}

/* A message's JSON value: its own shape for the special ones. *out NULL
 * for JSON null. */
static int decode_special(const struct cp_pb_message *m,
                          const unsigned char *p, size_t n, int depth,
                          json_object **out) {
  struct pb b = {p, p + n};
  struct wire w;
  int64_t f1 = 0, f2 = 0;
  const unsigned char *s1 = NULL, *s3 = NULL;
  size_t l1 = 0, l3 = 0;
  json_object **items = NULL;
  int r;

  *out = NULL;
  if (m->special == CP_PB_SPECIAL_NONE) {
    if ((*out = json_object_new_object()) == NULL)
      return -1;
    if (decode_message(m, p, n, *out, depth + 1) == 0)
      return 0;
    json_object_put(*out);
    *out = NULL;
    return -1;
  }
  if (m->special == CP_PB_SPECIAL_ORARRAY ||
      m->special == CP_PB_SPECIAL_ORBOOL ||
      m->special == CP_PB_SPECIAL_ORSTRINGARRAY)
    return decode_union(m, p, n, depth, out);
  if (m->special == CP_PB_SPECIAL_LIST &&
      (*out = json_object_new_array()) == NULL)
    return -1;
  items = out;
  while ((r = next(&b, &w)) > 0) {
    if (w.wire == 0 && w.num == 1)
      f1 = (int64_t)w.v;
    else if (w.wire == 0 && w.num == 2)
      f2 = (int64_t)w.v;
    else if (w.wire == 2 && w.num == 1) {
      s1 = w.data;
      l1 = w.len;
      if (m->special == CP_PB_SPECIAL_LIST &&
          json_object_array_add(*items, utf8_string(w.data, w.len)) != 0) {
        json_object_put(*out);
        *out = NULL;
        return -1;
      }
    } else if (w.wire == 2 && w.num == 3) {
      s3 = w.data;
      l3 = w.len;
    }
  }
  if (r < 0) {
    json_object_put(*out); /* a LIST's array */
    *out = NULL;
    return -1;
  }
  switch (m->special) {
  case CP_PB_SPECIAL_TIME:
  case CP_PB_SPECIAL_MICROTIME:
    return time_json(n == 0, f1, (int32_t)f2,
                     m->special == CP_PB_SPECIAL_MICROTIME, out);
  case CP_PB_SPECIAL_DURATION:
    *out = duration_json(f1);
    break;
  case CP_PB_SPECIAL_QUANTITY:
    *out = l1 > 0 ? utf8_string(s1, l1) : json_object_new_string("0");
    break;
  case CP_PB_SPECIAL_INTORSTRING:
    *out = f1 == 1 ? utf8_string(s3, l3) : json_object_new_int((int32_t)f2);
    break;
  case CP_PB_SPECIAL_RAWJSON: {
    if (l1 == 0)
      return 0;
    if (l1 >= 4 && memcmp(s1, magic, 4) == 0) { /* an enveloped object */
      const char *why;

      return enveloped_json((const char *)s1, l1, depth + 1, out, &why);
    }
    return raw_json(s1, l1, out);
  }
  default:
    return 0; /* LIST: built above */
  }
  return *out != NULL ? 0 : -1;
}

static int is_zero(json_object *v) {
  switch (json_object_get_type(v)) {
  case json_type_boolean:
    return !json_object_get_boolean(v);
  case json_type_int:
    return json_object_get_int64(v) == 0;
  case json_type_double:
    return json_object_get_double(v) == 0;
  case json_type_string:
    return json_object_get_string_len(v) == 0;
  default:
    return 0;
  }
}

/* The JSON value of one occurrence of f on the wire (w: a varint, or the
 * bytes of a string, bytes or message). *v NULL for JSON null. */
static int decode_value(const struct cp_pb_field *f, int type,
                        const struct wire *w, int depth, json_object **v) {
  *v = NULL;
  switch (type) {
  case CP_PB_BOOL:
    *v = json_object_new_boolean(w->v != 0);
    break;
  case CP_PB_INT32:
    *v = json_object_new_int((int32_t)w->v);
    break;
  case CP_PB_INT64:
    *v = json_object_new_int64((int64_t)w->v);
    break;
  case CP_PB_DOUBLE: {
    double d;

    memcpy(&d, &w->v, sizeof d);
    if (d != d || d - d != 0) /* NaN and infinities have no JSON */
      return -1;
    *v = d > -9e15 && d < 9e15 && d == (double)(int64_t)d
             ? json_object_new_int64((int64_t)d) /* Go prints 2, not 2.0 */
             : json_object_new_double(d);
    break;
  }
  case CP_PB_STRING:
    *v = utf8_string(w->data, w->len);
    break;
  case CP_PB_BYTES:
    *v = base64_of(w->data, w->len);
    break;
  default:
    return decode_special(&cp_pb_messages[f->msg], w->data, w->len, depth,
                          v);
  }
  return *v != NULL ? 0 : -1;
}

/* A varint read from a packed run of a repeated scalar. */
static int packed(const struct cp_pb_field *f, const struct wire *w,
                  json_object *arr) {
  struct pb b = {w->data, w->data + w->len};
  struct wire e = {f->num, 0, 0, NULL, 0};
  json_object *v;

  while (b.p < b.end) {
    if (f->type == CP_PB_DOUBLE) {
      int i;

      if (b.end - b.p < 8)
        return -1;
      for (e.v = 0, i = 7; i >= 0; i--)
        e.v = e.v << 8 | b.p[i];
      b.p += 8;
    } else if (varint(&b, &e.v) != 0) {
      return -1;
    }
    if (decode_value(f, f->type, &e, 0, &v) != 0 ||
        json_object_array_add(arr, v) != 0)
      return -1;
  }
  return 0;
}

static json_object *member(json_object *o, const char *key,
                           json_type type) {
  json_object *v;

  if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type))
    return v;
  v = type == json_type_array ? json_object_new_array()
                              : json_object_new_object();
  if (v != NULL)
    json_object_object_add(o, key, v);
  return v;
}

static int decode_map_entry(const struct cp_pb_field *f,
                            const struct wire *w, json_object *o,
                            int depth) {
  struct pb b = {w->data, w->data + w->len};
  struct wire e;
  char *key = NULL;
  json_object *val = NULL, *map = member(o, f->json, json_type_object);
  int r, rc = -1;

  if (map == NULL)
    return -1;
  while ((r = next(&b, &e)) > 0) {
    if (e.num == 1 && e.wire == 2) {
      json_object *k = utf8_string(e.data, e.len);

      free(key);
      key = k != NULL ? strdup(json_object_get_string(k)) : NULL;
      json_object_put(k);
      if (key == NULL)
        goto out;
    } else if (e.num == 2 && e.wire == wire_of(f->type)) {
      json_object_put(val);
      if (decode_value(f, f->type, &e, depth, &val) != 0)
        goto out;
    }
  }
  if (r < 0)
    goto out;
  if (val == NULL && f->type == CP_PB_MESSAGE &&
      decode_special(&cp_pb_messages[f->msg], (const unsigned char *)"", 0,
                     depth, &val) != 0)
    goto out;
  if (val == NULL && f->type != CP_PB_MESSAGE)
    val = json_object_new_string("");
  json_object_object_add(map, key ? key : "", val);
  val = NULL;
  rc = 0;
out:
  free(key);
  json_object_put(val);
  return rc;
}

static int decode_field(const struct cp_pb_field *f, const struct wire *w,
                        json_object *o, int depth) {
  int scalar = wire_of(f->type) != 2;
  json_object *v, *old;

  if (f->flags & CP_PB_MAP)
    return w->wire == 2 ? decode_map_entry(f, w, o, depth) : -1;
  if ((f->flags & CP_PB_REPEATED) && scalar && w->wire == 2) {
    json_object *arr = member(o, f->json, json_type_array);

    return arr != NULL ? packed(f, w, arr) : -1;
  }
  if (w->wire != wire_of(f->type))
    return -1;
  if (f->flags & CP_PB_INLINE)
    return cp_pb_messages[f->msg].special == CP_PB_SPECIAL_NONE
               ? decode_message(&cp_pb_messages[f->msg], w->data, w->len, o,
                                depth + 1)
               : -1;
  /* A message sent twice merges, as protobuf says. */
  if (f->type == CP_PB_MESSAGE && !(f->flags & CP_PB_REPEATED) &&
      cp_pb_messages[f->msg].special == CP_PB_SPECIAL_NONE &&
      json_object_object_get_ex(o, f->json, &old) &&
      json_object_is_type(old, json_type_object))
    return decode_message(&cp_pb_messages[f->msg], w->data, w->len, old,
                          depth + 1);
  if (decode_value(f, f->type, w, depth, &v) != 0)
    return -1;
  if (f->flags & CP_PB_REPEATED) {
    json_object *arr = member(o, f->json, json_type_array);

    if (arr == NULL || json_object_array_add(arr, v) != 0) {
      json_object_put(v);
      return -1;
    }
    return 0;
  }
  /* kube's JSON leaves out the zero values of omitempty non-pointers. */
  if (v != NULL && (f->flags & CP_PB_OMITEMPTY) &&
      !(f->flags & CP_PB_POINTER) && is_zero(v)) {
    json_object_put(v);
    json_object_object_del(o, f->json);
    return 0;
  }
  /* A zero Time or RawExtension is null, omitempty or not (Go does not
   * omit structs); a nil pointer was not sent at all. */
  if (v == NULL && (f->flags & CP_PB_POINTER)) {
    json_object_object_del(o, f->json);
    return 0;
  }
  json_object_object_add(o, f->json, v);
  return 0;
}

static int decode_message(const struct cp_pb_message *m,
                          const unsigned char *p, size_t n, json_object *o,
                          int depth) {
  struct pb b = {p, p + n};
  struct wire w;
  int r;

  if (depth > CP_PROTOBUF_MAX_DEPTH)
    return -1;
  while ((r = next(&b, &w)) > 0) {
    const struct cp_pb_field *f = field_of(m, w.num);

    if (f != NULL && decode_field(f, &w, o, depth) != 0)
      return -1;
  }
  return r;
}

/* The TypeMeta and raw bytes of a runtime.Unknown. */
static int unknown(const char *body, size_t len, char *api_version,
                   char *kind, size_t cap, struct wire *raw) {
  struct pb b = {(const unsigned char *)body,
                 (const unsigned char *)body + len};
  struct wire f;
  int r;

  api_version[0] = kind[0] = '\0';
  memset(raw, 0, sizeof *raw);
  if (len < 4 || memcmp(body, magic, 4) != 0)
    return -1;
  b.p += 4;
  while ((r = next(&b, &f)) > 0) {
    if (f.num == 1 && f.wire == 2) {
      struct pb t = {f.data, f.data + f.len};
      struct wire g;

      while ((r = next(&t, &g)) > 0) {
        char *dst = g.num == 1 ? api_version : g.num == 2 ? kind : NULL;

        if (dst != NULL && g.wire == 2 && g.len < cap) {
          memcpy(dst, g.data, g.len);
          dst[g.len] = '\0';
        }
      }
      if (r < 0)
        return -1;
    } else if (f.num == 2 && f.wire == 2) {
      *raw = f;
    }
  }
  return r;
}

/* The object a "k8s\0" envelope holds, at message depth depth. */
static int enveloped_json(const char *body, size_t len, int depth,
                          json_object **out, const char **why) {
  char kind[128], api_version[128];
  const struct cp_pb_message *m;
  struct wire raw;
  json_object *o = NULL;

  *out = NULL;
  /* kube's protobuf Serializer.Decode words the first three. */
  if (len == 0) {
    *why = "empty data";
    return -1;
  }
  if (len < 4 || memcmp(body, magic, 4) != 0) {
    *why = "provided data does not appear to be a protobuf message, "
           "expected prefix [107 56 115 0]";
    return -1;
  }
  if (len == 4) {
    *why = "empty body";
    return -1;
  }
  *why = CP_PROTOBUF_MALFORMED;
  if (len > CP_PROTOBUF_MAX_BYTES || depth > CP_PROTOBUF_MAX_DEPTH ||
      unknown(body, len, api_version, kind, sizeof kind, &raw) != 0)
    return -1;
  if ((m = kind_message(api_version, kind)) == NULL) {
    *why = CP_PROTOBUF_NO_MESSAGE;
    return -1;
  }
  if ((o = json_object_new_object()) == NULL)
    goto oom;
  json_object_object_add(o, "kind", json_object_new_string(kind));
  json_object_object_add(o, "apiVersion",
                         json_object_new_string(api_version));
  if (raw.data != NULL && decode_message(m, raw.data, raw.len, o, depth) != 0) {
    json_object_put(o);
    return -1;
  }
  /* The envelope's TypeMeta is the truth: the message has none. */
  json_object_object_add(o, "kind", json_object_new_string(kind));
  json_object_object_add(o, "apiVersion",
                         json_object_new_string(api_version));
  *out = o;
  return 0;
oom:
  *why = "out of memory";
  return -1;
}

int cp_protobuf_to_json(const char *body, size_t len, char **json,
                        const char **why) {
  json_object *o;

  *json = NULL;
  if (enveloped_json(body, len, 0, &o, why) != 0)
    return -1;
  if ((*json = strdup(json_object_to_json_string_ext(
           o, JSON_C_TO_STRING_PLAIN))) == NULL)
    *why = "out of memory";
  json_object_put(o);
  return *json != NULL ? 0 : -1;
}

/* kube's summarizeData: the first 30 bytes, as text when the body
 * looks like JSON, else in hex. */
static void summarize(const char *body, size_t len, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t i, n = len > 30 ? 30 : len, o = 0;

  if (len == 0) {
    snprintf(out, cap, "<empty>");
    return;
  }
  if (body[0] == '{') {
    snprintf(out, cap, "%.*s%s", (int)n, body, len > 30 ? " ..." : "");
    return;
  }
  for (i = 0; i < n && o + 3 < cap; i++) {
    out[o++] = hex[(unsigned char)body[i] >> 4];
    out[o++] = hex[(unsigned char)body[i] & 15];
  }
  out[o] = '\0';
  if (len > 30)
    snprintf(out + o, cap - o, " ...");
}

char *cp_protobuf_decode_failure(const char *body, size_t len,
                                 const char *why, const char *into_kind) {
  char api_version[128], kind[128], summary[80];
  const char *version;
  struct wire raw;

  /* The envelope parsed: kube's decoder knows the kind it names. */
  if (len > 4 && len <= CP_PROTOBUF_MAX_BYTES &&
      unknown(body, len, api_version, kind, sizeof kind, &raw) == 0 &&
      kind[0] != '\0') {
    version = strchr(api_version, '/');
    version = version != NULL ? version + 1 : api_version;
    if (why != NULL && strcmp(why, CP_PROTOBUF_NO_MESSAGE) == 0)
      return cp_status_failuref(400, "%s in version \"%s\" cannot be "
                                     "handled as a %s: no kind \"%s\" is "
                                     "registered for version \"%s\" in "
                                     "scheme \"pkg/api/legacyscheme/"
                                     "scheme.go:30\"",
                                kind, version, into_kind, kind, api_version);
    return cp_status_failuref(400, "%s in version \"%s\" cannot be handled "
                                   "as a %s: %s",
                              kind, version, into_kind, why);
  }
  summarize(body, len, summary, sizeof summary);
  return cp_status_failuref(400, "the object provided is unrecognized (must "
                                 "be of type %s): %s (%s)",
                            into_kind, why, summary);
}

/* ---- JSON -> protobuf ---- */

static int encode_message(const struct cp_pb_message *m, json_object *o,
                          struct cp_pb_buf *b, int depth);

/* A JSONSchemaProps union from its JSON, as its UnmarshalJSON reads it:
 * an object is the schema (OrBool: allows too), an array the list, a
 * boolean OrBool's allows. */
static int encode_union(const struct cp_pb_message *m, json_object *v,
                        struct cp_pb_buf *b, int depth) {
  json_object *o = json_object_new_object();
  int rc = -1;

  if (o == NULL)
    return -1;
  if (v == NULL) {
    /* the zero: nothing set */
  } else if (json_object_is_type(v, json_type_object)) {
    json_object_object_add(o, "schema", json_object_get(v));
    if (m->special == CP_PB_SPECIAL_ORBOOL)
      json_object_object_add(o, "allows", json_object_new_boolean(1));
  } else if (json_object_is_type(v, json_type_array) &&
             m->special != CP_PB_SPECIAL_ORBOOL) {
    json_object_object_add(o,
                           m->special == CP_PB_SPECIAL_ORARRAY ? "jSONSchemas"
                                                               : "property",
                           json_object_get(v));
  } else if (json_object_is_type(v, json_type_boolean) &&
             m->special == CP_PB_SPECIAL_ORBOOL) {
    json_object_object_add(o, "allows", json_object_get(v));
  } else {
    goto out;
  }
  rc = encode_message(m, o, b, depth + 1);
out:
  json_object_put(o);
  return rc;
}

/* A special or plain message's bytes from its JSON (NULL: the zero). */
static int encode_special(const struct cp_pb_message *m, json_object *v,
                          struct cp_pb_buf *b, int depth) {
  const char *s;
  int64_t sec = 0, ns = 0;
  int32_t nanos = 0;
  size_t i;

  switch (m->special) {
  case CP_PB_SPECIAL_NONE:
    if (v != NULL && !json_object_is_type(v, json_type_object))
      return -1;
    return encode_message(m, v, b, depth + 1);
  case CP_PB_SPECIAL_TIME:
  case CP_PB_SPECIAL_MICROTIME:
    if (v == NULL || (json_object_is_type(v, json_type_string) &&
                      json_object_get_string_len(v) == 0))
      return 0;
    if (!json_object_is_type(v, json_type_string) ||
        parse_time(json_object_get_string(v), &sec, &nanos) != 0)
      return -1;
    if (m->special == CP_PB_SPECIAL_TIME)
      nanos = 0; /* kube keeps seconds only in a Time */
    return cp_pb_put_int(b, 1, (uint64_t)sec) || cp_pb_put_int(b, 2, (uint64_t)nanos)
               ? -1
               : 0;
  case CP_PB_SPECIAL_DURATION:
    if (v != NULL && (!json_object_is_type(v, json_type_string) ||
                      parse_duration(json_object_get_string(v), &ns) != 0))
      return -1;
    return cp_pb_put_int(b, 1, (uint64_t)ns);
  case CP_PB_SPECIAL_QUANTITY:
    s = v == NULL ? "0" : json_object_get_string(v);
    if (v != NULL && !json_object_is_type(v, json_type_string) &&
        !json_object_is_type(v, json_type_int) &&
        !json_object_is_type(v, json_type_double))
      return -1;
    return cp_pb_put_bytes(b, 1, s, strlen(s));
  case CP_PB_SPECIAL_INTORSTRING:
    if (v != NULL && json_object_is_type(v, json_type_string))
      return cp_pb_put_int(b, 1, 1) || cp_pb_put_int(b, 2, 0) ||
                     cp_pb_put_bytes(b, 3, json_object_get_string(v),
                               (size_t)json_object_get_string_len(v))
                 ? -1
                 : 0;
    if (v != NULL && !json_object_is_type(v, json_type_int))
      return -1;
    return cp_pb_put_int(b, 1, 0) ||
                   cp_pb_put_int(b, 2, (uint64_t)(int64_t)(
                                     v ? json_object_get_int(v) : 0)) ||
                   cp_pb_put_bytes(b, 3, "", 0)
               ? -1
               : 0;
  case CP_PB_SPECIAL_RAWJSON:
    if (v == NULL)
      return 0;
    s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    return cp_pb_put_bytes(b, 1, s, strlen(s));
  case CP_PB_SPECIAL_ORARRAY:
  case CP_PB_SPECIAL_ORBOOL:
  case CP_PB_SPECIAL_ORSTRINGARRAY:
    return encode_union(m, v, b, depth);
  case CP_PB_SPECIAL_LIST:
    if (v == NULL)
      return 0;
    if (!json_object_is_type(v, json_type_array))
      return -1;
    for (i = 0; i < json_object_array_length(v); i++) {
      json_object *e = json_object_array_get_idx(v, i);

      if (!json_object_is_type(e, json_type_string) ||
          cp_pb_put_bytes(b, 1, json_object_get_string(e),
                    (size_t)json_object_get_string_len(e)) != 0)
        return -1;
    }
    return 0;
  default:
    return -1;
  }
}

/* One value of f with number num (a map entry's value is number 2). */
static int encode_value(const struct cp_pb_field *f, int num,
                        json_object *v, struct cp_pb_buf *b, int depth) {
  struct cp_pb_buf sub = {NULL, 0, 0};
  unsigned char *raw;
  size_t n;
  int64_t i;
  int rc;

  switch (f->type) {
  case CP_PB_STRING:
    if (v != NULL && !json_object_is_type(v, json_type_string))
      return -1;
    return cp_pb_put_bytes(b, num, v ? json_object_get_string(v) : "",
                     v ? (size_t)json_object_get_string_len(v) : 0);
  case CP_PB_BYTES:
    if (v != NULL && !json_object_is_type(v, json_type_string))
      return -1;
    if (v == NULL)
      return cp_pb_put_bytes(b, num, "", 0);
    if (unbase64(json_object_get_string(v),
                 (size_t)json_object_get_string_len(v), &raw, &n) != 0)
      return -1;
    rc = cp_pb_put_bytes(b, num, raw, n);
    free(raw);
    return rc;
  case CP_PB_BOOL:
    if (v != NULL && !json_object_is_type(v, json_type_boolean))
      return -1;
    return cp_pb_put_int(b, num, v != NULL && json_object_get_boolean(v));
  case CP_PB_DOUBLE:
    if (v != NULL && !json_object_is_type(v, json_type_int) &&
        !json_object_is_type(v, json_type_double))
      return -1;
    return cp_pb_put_double(b, num, v ? json_object_get_double(v) : 0.0);
  case CP_PB_INT32:
  case CP_PB_INT64:
    if (v != NULL && !json_object_is_type(v, json_type_int))
      return -1;
    i = v ? json_object_get_int64(v) : 0;
    if (f->type == CP_PB_INT32 && (i < INT32_MIN || i > INT32_MAX))
      return -1;
    return cp_pb_put_int(b, num, (uint64_t)i);
  default:
    if (encode_special(&cp_pb_messages[f->msg], v, &sub, depth) != 0) {
      free(sub.p);
      return -1;
    }
    rc = cp_pb_put_bytes(b, num, sub.p, sub.len);
    free(sub.p);
    return rc;
  }
}

static int key_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A map's entries by key order, as kube's marshalers write them. */
static int encode_map(const struct cp_pb_field *f, json_object *v,
                      struct cp_pb_buf *b, int depth) {
  size_t n = 0, i;
  const char **keys;
  struct cp_pb_buf e = {NULL, 0, 0};
  int rc = -1;

  if (!json_object_is_type(v, json_type_object))
    return -1;
  if ((keys = calloc((size_t)json_object_object_length(v) + 1,
                     sizeof *keys)) == NULL)
    return -1;
  {
    json_object_object_foreach(v, k, val) {
      (void)val;
      keys[n++] = k;
    }
  }
  qsort(keys, n, sizeof *keys, key_cmp);
  for (i = 0; i < n; i++) {
    json_object *val = json_object_object_get(v, keys[i]);

    e.len = 0;
    if (cp_pb_put_bytes(&e, 1, keys[i], strlen(keys[i])) != 0 ||
        encode_value(f, 2, val, &e, depth) != 0 ||
        cp_pb_put_bytes(b, f->num, e.p, e.len) != 0)
      goto out;
  }
  rc = 0;
out:
  free(e.p);
  free(keys);
  return rc;
}

static int encode_field(const struct cp_pb_field *f, json_object *o,
                        struct cp_pb_buf *b, int depth) {
  json_object *v = NULL;
  size_t i;

  if (f->flags & CP_PB_INLINE) {
    struct cp_pb_buf sub = {NULL, 0, 0};
    int rc = encode_message(&cp_pb_messages[f->msg], o, &sub, depth + 1);

    if (rc == 0)
      rc = cp_pb_put_bytes(b, f->num, sub.p, sub.len);
    free(sub.p);
    return rc;
  }
  if (o != NULL && json_object_object_get_ex(o, f->json, &v) &&
      json_object_is_type(v, json_type_null))
    v = NULL;
  if (f->flags & CP_PB_MAP)
    return v == NULL ? 0 : encode_map(f, v, b, depth);
  if (f->flags & CP_PB_REPEATED) {
    if (v == NULL)
      return 0;
    if (!json_object_is_type(v, json_type_array))
      return -1;
    for (i = 0; i < json_object_array_length(v); i++)
      if (encode_value(f, f->num, json_object_array_get_idx(v, i), b,
                       depth) != 0)
        return -1;
    return 0;
  }
  /* kube writes every non-pointer field, zero or not; a nil pointer, a
   * nil []byte and a nil RawExtension not at all. */
  if (v == NULL && ((f->flags & CP_PB_POINTER) || f->type == CP_PB_BYTES))
    return 0;
  return encode_value(f, f->num, v, b, depth);
}

static int encode_message(const struct cp_pb_message *m, json_object *o,
                          struct cp_pb_buf *b, int depth) {
  uint16_t i;

  if (depth > CP_PROTOBUF_MAX_DEPTH)
    return -1;
  for (i = 0; i < m->nfields; i++)
    if (encode_field(&m->fields[i], o, b, depth) != 0)
      return -1;
  return 0;
}

/* The "k8s\0" + runtime.Unknown of obj into b. */
static int envelope(json_object *obj, struct cp_pb_buf *b) {
  json_object *av, *k;
  const struct cp_pb_message *m;
  struct cp_pb_buf tm = {NULL, 0, 0}, raw = {NULL, 0, 0};
  int rc = -1;

  if (!json_object_object_get_ex(obj, "apiVersion", &av) ||
      !json_object_object_get_ex(obj, "kind", &k) ||
      !json_object_is_type(av, json_type_string) ||
      !json_object_is_type(k, json_type_string) ||
      (m = kind_message(json_object_get_string(av),
                        json_object_get_string(k))) == NULL)
    return -1;
  if (encode_message(m, obj, &raw, 0) != 0 ||
      cp_pb_put_bytes(&tm, 1, json_object_get_string(av),
                (size_t)json_object_get_string_len(av)) != 0 ||
      cp_pb_put_bytes(&tm, 2, json_object_get_string(k),
                (size_t)json_object_get_string_len(k)) != 0 ||
      cp_pb_grow(b, 4) != 0)
    goto out;
  memcpy(b->p + b->len, magic, 4);
  b->len += 4;
  if (cp_pb_put_bytes(b, 1, tm.p, tm.len) != 0 ||
      cp_pb_put_bytes(b, 2, raw.p, raw.len) != 0 || cp_pb_put_bytes(b, 3, "", 0) != 0 ||
      cp_pb_put_bytes(b, 4, "", 0) != 0)
    goto out;
  rc = 0;
out:
  free(tm.p);
  free(raw.p);
  return rc;
}

int cp_protobuf_from_json(json_object *obj, char **out, size_t *len) {
  struct cp_pb_buf b = {NULL, 0, 0};

  *out = NULL;
  *len = 0;
  if (envelope(obj, &b) != 0) {
    free(b.p);
    return -1;
  }
  *out = (char *)b.p;
  *len = b.len;
  return 0;
}

int cp_protobuf_watch_frame(const char *type, json_object *obj, char **out,
                            size_t *len) {
  struct cp_pb_buf inner = {NULL, 0, 0}, raw = {NULL, 0, 0}, ev = {NULL, 4, 0};
  int rc = -1;

  *out = NULL;
  *len = 0;
  if (cp_pb_grow(&ev, 0) != 0 || envelope(obj, &inner) != 0 ||
      cp_pb_put_bytes(&raw, 1, inner.p, inner.len) != 0 ||
      cp_pb_put_bytes(&ev, 1, type, strlen(type)) != 0 ||
      cp_pb_put_bytes(&ev, 2, raw.p, raw.len) != 0)
    goto out;
  ev.p[0] = (unsigned char)((ev.len - 4) >> 24);
  ev.p[1] = (unsigned char)((ev.len - 4) >> 16);
  ev.p[2] = (unsigned char)((ev.len - 4) >> 8);
  ev.p[3] = (unsigned char)(ev.len - 4);
  *out = (char *)ev.p;
  *len = ev.len;
  ev.p = NULL;
  rc = 0;
out:
  free(ev.p);
  free(inner.p);
  free(raw.p);
  return rc;
}
