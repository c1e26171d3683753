/*
 * cel_lib_format - cel-go's strings extension (ext/strings.go and
 * ext/formatting.go, the version kube's environment has): the receiver
 * `"...".format([args])` with the clauses %s %d %f %e %x %X %o %b and
 * %%, `strings.quote(s)` and `s.reverse()`.
 *
 * %s writes any value as cel-go's string conversion does (lists and maps
 * with their elements unquoted, map entries sorted by key text); %f and
 * %e take doubles, ints and uints, with a precision (`%.3f`, default 6)
 * and NaN / Infinity / -Infinity spelled so; %d takes integers (and the
 * non-finite doubles); %x/%X integers, strings and bytes; %o integers;
 * %b integers and bools. The output is bounded (CEL_FORMAT_MAX) and
 * charged to the evaluation's cost by its length.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel/cel_int.h"

#define CEL_FORMAT_MAX (1u << 20) /* bytes one format() may write */
#define CEL_FORMAT_DEPTH 32       /* nesting %s follows */

static const char *fmt_globals[] = {"strings.quote", NULL};
static const char *fmt_members[] = {"format", "reverse", NULL};

int cel_format_known(const char *name, int member) {
  return cel_in_table(member ? fmt_members : fmt_globals, name);
}

struct out {
  char *p;
  size_t n, cap;
  int over; /* past CEL_FORMAT_MAX or out of memory */
};

static void put(struct out *o, const char *s, size_t n) {
  if (o->over)
    return;
  if (o->n + n + 1 > CEL_FORMAT_MAX) {
    o->over = 1;
    return;
  }
  if (o->n + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 64;
    char *p;

    while (cap < o->n + n + 1)
      cap *= 2;
    if ((p = realloc(o->p, cap)) == NULL) {
      o->over = 1;
      return;
    }
    o->p = p;
    o->cap = cap;
  }
  memcpy(o->p + o->n, s, n);
  o->n += n;
  o->p[o->n] = '\0';
}

static void putf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...) {
  char buf[512], *big;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof buf) {
    put(o, buf, (size_t)n);
    return;
  }
  /* A long %f (a large double, a large precision): written whole. */
  if ((big = malloc((size_t)n + 1)) == NULL) {
    o->over = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  put(o, big, (size_t)n);
  free(big);
}

static int non_finite(struct out *o, double d) {
  if (isnan(d))
    put(o, "NaN", 3);
  else if (isinf(d))
    put(o, d < 0 ? "-Infinity" : "Infinity", d < 0 ? 9 : 8);
  else
    return 0;
  return 1;
}

struct kv {
  char *key;
  size_t key_n;
  struct cel_val v;
};

static int kv_cmp(const void *a, const void *b) {
  const struct kv *x = a, *y = b;
  size_t n = x->key_n < y->key_n ? x->key_n : y->key_n;
  int r = memcmp(x->key, y->key, n);

  return r != 0 ? r : (x->key_n > y->key_n) - (x->key_n < y->key_n);
}

/* %s: v as text into o; an error value, or K_NULL when written. */
static struct cel_val as_string(struct cel_ctx *c, struct out *o,
                                const struct cel_val *v, int depth) {
  struct cel_val s;
  size_t i, n;

  if (depth > CEL_FORMAT_DEPTH)
    return cel_err(c, "error during formatting: nesting too deep");
  switch (v->k) {
  case K_NULL: put(o, "null", 4); return cel_null();
  case K_STRING: case K_BYTES: case K_TYPE: case K_URL: case K_IP:
  case K_CIDR: case K_SEMVER:
    put(o, v->v.s.p, v->v.s.n);
    return cel_null();
  case K_DOUBLE:
    if (non_finite(o, v->v.d))
      return cel_null();
    /* fall through */
  case K_BOOL: case K_INT: case K_UINT: case K_TS: case K_DUR:
    s = cel_call(c, "string", NULL, v, 1);
    if (s.k == K_ERROR)
      return s;
    put(o, s.v.s.p, s.v.s.n);
    return cel_null();
  case K_LIST:
    put(o, "[", 1);
    n = cel_list_len(v->v.l);
    for (i = 0; i < n && !o->over; i++) {
      struct cel_val x = cel_list_get(v->v.l, i);

      if (i)
        put(o, ", ", 2);
      if ((s = as_string(c, o, &x, depth + 1)).k == K_ERROR)
        return s;
    }
    put(o, "]", 1);
    return cel_null();
  case K_MAP: {
    struct kv *e;
    struct cel_val r = cel_null();

    n = cel_map_len(v->v.m);
    if ((e = calloc(n ? n : 1, sizeof *e)) == NULL)
      return cel_err(c, "out of memory");
    for (i = 0; i < n; i++) {
      struct out k = {0};
      int found;

      e[i].v = cel_map_key(v->v.m, i);
      if ((s = as_string(c, &k, &e[i].v, depth + 1)).k == K_ERROR) {
        free(k.p);
        r = s;
        goto map_out;
      }
      e[i].key = k.p;
      e[i].key_n = k.n;
      e[i].v = cel_map_get(c, v->v.m, &e[i].v, &found);
    }
    qsort(e, n, sizeof *e, kv_cmp);
    put(o, "{", 1);
    for (i = 0; i < n && !o->over; i++) {
      if (i)
        put(o, ", ", 2);
      put(o, e[i].key != NULL ? e[i].key : "", e[i].key_n);
      put(o, ": ", 2);
      if ((s = as_string(c, o, &e[i].v, depth + 1)).k == K_ERROR) {
        r = s;
        break;
      }
    }
    put(o, "}", 1);
  map_out:
    for (i = 0; i < n; i++)
      free(e[i].key);
    free(e);
    return r;
  }
  default:
    return cel_err(c, "error during formatting: no formatting function for "
                      "%s", cel_type_name(v));
  }
}

/* Integers in base 2, 8 or 16 (digits from ds), with Go's sign. */
static void put_base(struct out *o, int neg, uint64_t u, unsigned base,
                     const char *ds) {
  char buf[72];
  size_t i = sizeof buf;

  do {
    buf[--i] = ds[u % base];
    u /= base;
  } while (u != 0);
  if (neg)
    buf[--i] = '-';
  put(o, buf + i, sizeof buf - i);
}

static struct cel_val clause(struct cel_ctx *c, struct out *o, char verb,
                             int prec, const struct cel_val *v) {
  const char *t = cel_type_name(v);
  int is_i = v->k == K_INT || v->k == K_UINT;
  uint64_t mag = v->k == K_INT ? (v->v.i < 0 ? 0 - (uint64_t)v->v.i
                                             : (uint64_t)v->v.i)
                               : v->k == K_UINT ? v->v.u : 0;
  int neg = v->k == K_INT && v->v.i < 0;

  switch (verb) {
  case 's':
    return as_string(c, o, v, 0);
  case 'd':
    if (v->k == K_DOUBLE && non_finite(o, v->v.d))
      return cel_null();
    if (!is_i)
      return cel_err(c, "error during formatting: decimal clause can only "
                        "be used on integers, was given %s", t);
    put_base(o, neg, mag, 10, "0123456789");
    return cel_null();
  case 'f': case 'e': {
    double d = v->k == K_DOUBLE ? v->v.d : v->k == K_INT ? (double)v->v.i
               : (double)v->v.u;

    if (v->k != K_DOUBLE && !is_i)
      return cel_err(c, "error during formatting: %s clause can only be "
                        "used on doubles, was given %s",
                     verb == 'f' ? "fixed-point" : "scientific", t);
    if (non_finite(o, d))
      return cel_null();
    putf(o, verb == 'f' ? "%.*f" : "%.*e", prec < 0 ? 6 : prec, d);
    return cel_null();
  }
  case 'x': case 'X': {
    const char *ds = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
    size_t i;

    if (is_i) {
      put_base(o, neg, mag, 16, ds);
      return cel_null();
    }
    if (v->k != K_STRING && v->k != K_BYTES)
      return cel_err(c, "error during formatting: only integers, byte "
                        "buffers, and strings can be formatted as hex, was "
                        "given %s", t);
    for (i = 0; i < v->v.s.n && !o->over; i++) {
      unsigned char ch = (unsigned char)v->v.s.p[i];
      char two[2] = {ds[ch >> 4], ds[ch & 15]};

      put(o, two, 2);
    }
    return cel_null();
  }
  case 'o':
    if (!is_i)
      return cel_err(c, "error during formatting: octal clause can only be "
                        "used on integers, was given %s", t);
    put_base(o, neg, mag, 8, "01234567");
    return cel_null();
  case 'b':
    if (v->k == K_BOOL) {
      put(o, v->v.b ? "1" : "0", 1);
      return cel_null();
    }
    if (!is_i)
      return cel_err(c, "error during formatting: only integers and bools "
                        "can be formatted as binary, was given %s", t);
    put_base(o, neg, mag, 2, "01");
    return cel_null();
  }
  return cel_err(c, "could not parse formatting clause: unrecognized "
                    "formatting clause \"%c\"", verb);
}

static struct cel_val format(struct cel_ctx *c, const struct cel_val *t,
                             const struct cel_val *args) {
  const char *s = t->v.s.p;
  size_t n = t->v.s.n, i, argi = 0, nargs = cel_list_len(args->v.l);
  struct out o = {0};
  struct cel_val r = cel_null();

  for (i = 0; i < n && r.k != K_ERROR; i++) {
    int prec = -1;
    struct cel_val a;

    if (s[i] != '%') {
      size_t j = i;

      while (j < n && s[j] != '%')
        j++;
      put(&o, s + i, j - i);
      i = j - 1;
      continue;
    }
    if (++i >= n) {
      r = cel_err(c, "could not parse formatting clause: unexpected end of "
                     "string");
      break;
    }
    if (s[i] == '%') {
      put(&o, "%", 1);
      continue;
    }
    if (s[i] == '.') {
      prec = 0;
      for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        if ((prec = prec * 10 + (s[i] - '0')) > 1000)
          break;
      if (i >= n || prec > 1000) {
        r = cel_err(c, "could not parse formatting clause: error while "
                       "parsing precision");
        break;
      }
    }
    if (strchr("sdfexXob", s[i]) == NULL) {
      r = cel_err(c, "could not parse formatting clause: unrecognized "
                     "formatting clause \"%c\"", s[i]);
      break;
    }
    if (argi >= nargs) {
      r = cel_err(c, "index %zu out of range", argi);
      break;
    }
    a = cel_list_get(args->v.l, argi++);
    r = clause(c, &o, s[i], prec, &a);
  }
  if (r.k != K_ERROR && o.over)
    r = cel_err(c, "error during formatting: result longer than %u bytes",
                CEL_FORMAT_MAX);
  if (r.k != K_ERROR && cel_charge(c, o.n / 10) < 0)
    r = cel_err(c, CP_CEL_COST_EXCEEDED);
  if (r.k != K_ERROR)
    r = cel_str_dup(c, o.p != NULL ? o.p : "", o.n);
  free(o.p);
  return r;
}

/* cel-go's strings.quote: the escapes CEL reads back, the rest as is. */
static struct cel_val quote(struct cel_ctx *c, const struct cel_val *a) {
  struct out o = {0};
  struct cel_val r;
  size_t i;

  put(&o, "\"", 1);
  for (i = 0; i < a->v.s.n; i++) {
    char ch = a->v.s.p[i];
    const char *e = NULL;

    switch (ch) {
    case '\a': e = "\\a"; break;
    case '\b': e = "\\b"; break;
    case '\f': e = "\\f"; break;
    case '\n': e = "\\n"; break;
    case '\r': e = "\\r"; break;
    case '\t': e = "\\t"; break;
    case '\v': e = "\\v"; break;
    case '\\': e = "\\\\"; break;
    case '"': e = "\\\""; break;
    }
    if (e != NULL)
      put(&o, e, 2);
    else
      put(&o, &ch, 1);
  }
  put(&o, "\"", 1);
  if (o.over)
    r = cel_err(c, "out of memory");
  else if (cel_charge(c, o.n / 10) < 0)
    r = cel_err(c, CP_CEL_COST_EXCEEDED);
  else
    r = cel_str_dup(c, o.p, o.n);
  free(o.p);
  return r;
}

/* Code points in reverse order. */
static struct cel_val reverse(struct cel_ctx *c, const struct cel_val *t) {
  size_t n = t->v.s.n, i = n;
  char *d = cel_alloc(c, n + 1), *w = d;

  if (d == NULL)
    return cel_err(c, "out of memory");
  if (cel_charge(c, n / 10) < 0)
    return cel_err(c, CP_CEL_COST_EXCEEDED);
  while (i > 0) {
    size_t end = i;

    i--;
    while (i > 0 && ((unsigned char)t->v.s.p[i] & 0xC0) == 0x80)
      i--;
    memcpy(w, t->v.s.p + i, end - i);
    w += end - i;
  }
  *w = '\0';
  return cel_str(d, n);
}

struct cel_val cel_format_call(struct cel_ctx *c, const char *name,
                               const struct cel_val *t,
                               const struct cel_val *a, size_t n,
                               int *handled) {
  *handled = 1;
  if (t == NULL && strcmp(name, "strings.quote") == 0) {
    if (n != 1 || a[0].k != K_STRING)
      return cel_no_overload(c, name);
    return quote(c, &a[0]);
  }
  if (t != NULL && t->k == K_STRING && strcmp(name, "format") == 0) {
    if (n != 1 || a[0].k != K_LIST)
      return cel_no_overload(c, name);
    return format(c, t, &a[0]);
  }
  if (t != NULL && t->k == K_STRING && strcmp(name, "reverse") == 0) {
    if (n != 0)
      return cel_no_overload(c, name);
    return reverse(c, t);
  }
  *handled = 0;
  return cel_null();
}
